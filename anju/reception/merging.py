"""Customer merge (CUS-3): move reception records of a duplicate to the surviving customer.

Registered from ``ReceptionConfig.ready()`` with ``anju.customers.merging.register_merge_handler``
once that module exists. The handler's signature is not settled yet, so this accepts the
duplicate and the survivor either positionally ``(duplicate, survivor)`` or by a keyword
(``duplicate``/``source``/``merged`` and ``survivor``/``target``/``into``). It runs inside the
merge's transaction and writes nothing else: the merge service records the event.
"""

from .models import FollowUpTask, Opportunity, PhoneCall, Visit

_DUPLICATE_KEYS = ("duplicate", "source", "merged", "loser", "from_customer")
_SURVIVOR_KEYS = ("survivor", "target", "into", "keeper", "to_customer")


def _pick(kwargs, keys):
    return next((kwargs[k] for k in keys if kwargs.get(k) is not None), None)


def move_reception_records(*, duplicate, survivor) -> dict:
    """Point every call, visit, task and opportunity of ``duplicate`` at ``survivor``."""
    moved = {}
    for model in (PhoneCall, Visit, FollowUpTask, Opportunity):
        moved[model._meta.model_name] = model.objects.filter(customer=duplicate).update(
            customer=survivor
        )
    return moved


def reassign_to_survivor(*args, **kwargs) -> dict:
    duplicate = _pick(kwargs, _DUPLICATE_KEYS)
    survivor = _pick(kwargs, _SURVIVOR_KEYS)
    if (duplicate is None or survivor is None) and len(args) >= 2:
        duplicate, survivor = args[0], args[1]
    if duplicate is None or survivor is None:
        raise TypeError("reassign_to_survivor needs the duplicate and the surviving customer")
    return move_reception_records(duplicate=duplicate, survivor=survivor)
