"""Who is responsible for a customer, and so may call him (issue 9 item 1).

The owner consultant is; so is whoever holds an open follow-up task for the customer — the
system assigned him the call. Apps that assign work about a customer register a provider
(reception: open follow-up tasks) from ``AppConfig.ready()``, as for timelines and merges,
so the customers app does not depend on them.

``customers.services.may_reveal`` is the one rule that uses this: a responsible user may
reveal the customer's phone number (logged like every reveal); everyone else keeps the mask
unless his role may unmask personal data.
"""

_providers = []


def register_responsibility_provider(fn) -> None:
    """``fn(user, customer) -> bool``: does ``user`` hold open work about ``customer``?"""
    if fn not in _providers:
        _providers.append(fn)


def responsible_for(user, customer) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if customer.merged_into_id or customer.anonymised_at:
        return False  # nobody calls a merged-away record or an erased person
    if customer.owner_id == user.pk:
        return True
    return any(fn(user, customer) for fn in _providers)
