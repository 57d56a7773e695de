"""The event verbs a subscription may choose (INT-2).

Only registered verbs are ever published: every other event row (a subscription changed, a
task completed …) stays internal. A later app makes its events publishable from its
``AppConfig.ready()``::

    from anju.webhooks.registry import register_webhook_verb

    register_webhook_verb("deals.subscribed", _("Subscription signed"), data=deal_data)

``data(event, target, unmask) -> dict`` (optional) adds the verb's own block to the payload's
``data`` (``target`` is the event's target row or None); mask personal data in it unless
``unmask`` (``core.masking``). Without it the payload carries the generic part only: the
target and subject ids, the project, the event's details (masked) and, when the event is
about a customer, the customer block.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class WebhookVerb:
    verb: str
    label: str
    data: object = None  # callable(event, target, unmask) -> dict, or None


_VERBS: dict[str, WebhookVerb] = {}


def register_webhook_verb(verb: str, label, *, data=None) -> None:
    """Make ``verb`` (the Event verb, "app.thing_happened") publishable to webhooks."""
    if not verb or len(verb) > 60:
        raise ValueError(f"register_webhook_verb: bad verb {verb!r}")
    _VERBS[verb] = WebhookVerb(verb, label, data)


def publishable_verbs() -> dict[str, WebhookVerb]:
    return dict(_VERBS)


def is_publishable(verb: str) -> bool:
    return verb in _VERBS


def verb_data_builder(verb: str):
    entry = _VERBS.get(verb)
    return entry.data if entry else None


def register_builtin_verbs() -> None:
    """The customers' and reception's events (issue 8 item 4)."""
    from . import payloads

    register_webhook_verb("customer.registered", _("Customer registered"))
    register_webhook_verb("reception.call_logged", _("Call logged"), data=payloads.call_data)
    register_webhook_verb(
        "reception.visit_registered", _("Visit registered"), data=payloads.visit_data
    )
    register_webhook_verb(
        "reception.opportunity_won", _("Opportunity won"), data=payloads.opportunity_data
    )
    register_webhook_verb(
        "reception.opportunity_lost", _("Opportunity lost"), data=payloads.opportunity_data
    )
