"""Owner-change handlers (CUS-4, CUS-5): a customer's open work follows the customer.

When customers change hands (reassign-all for a leaver, a single hand-over, a claim after
protection lapsed), other apps hand over their open records without this app knowing them.
An app registers from its AppConfig.ready()::

    register_handover_handler(hand_over_my_rows)

``hand_over_my_rows(*, customer_ids, from_user, to_user) -> dict`` runs inside the owner
change's transaction and returns counts for the owner-change event.
"""

from collections.abc import Callable

HandoverHandler = Callable[..., dict]

_HANDLERS: list[HandoverHandler] = []


def register_handover_handler(handler: HandoverHandler) -> None:
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)


def run_handover_handlers(*, customer_ids, from_user, to_user) -> dict:
    moved: dict = {}
    if not customer_ids or from_user is None or to_user is None:
        return moved
    for handler in _HANDLERS:
        moved.update(handler(customer_ids=customer_ids, from_user=from_user, to_user=to_user) or {})
    return moved
