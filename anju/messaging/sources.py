"""What caused a message, in words: the outbox's 来源 column and the message page.

``Message.source`` is a key the sender writes ("campaign:12", "service:received",
"deals:reminder:overdue"): exact, for links and the API's filter, but no words for the
people reading the outbox. Each app that sends registers its keys' words here at start-up
(its wiring), as it registers its menu entries; a key nobody registered shows as written.
"""

from dataclasses import dataclass, field

from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class SourceWords:
    label: object  # a lazy string
    details: dict = field(default_factory=dict)  # the next part of the key → a lazy string


_SOURCES: dict[str, SourceWords] = {}
CAMPAIGN = "campaign"


def register_message_source(prefix: str, label, details=None) -> None:
    """``prefix`` is the key up to a colon ("deals:reminder"); ``details`` names what may
    follow it ("overdue" → 逾期)."""
    _SOURCES[prefix] = SourceWords(label, dict(details or {}))


def describe(source: str, *, campaign_names=None) -> str:
    """The words for a source key: "label · detail", or the key itself if unknown."""
    parts = (source or "").split(":")
    if not source:
        return ""
    for end in range(len(parts), 0, -1):
        words = _SOURCES.get(":".join(parts[:end]))
        if words is None:
            continue
        rest = parts[end:]
        detail = words.details.get(rest[0]) if rest else None
        if parts[0] == CAMPAIGN and campaign_names is not None and rest:
            detail = campaign_names.get(rest[0])
        return f"{words.label} · {detail}" if detail else str(words.label)
    return source


def campaign_names_for(user, sources) -> dict[str, str]:
    """The names of the campaigns among ``sources`` the user sees, by id text (one query)."""
    from .campaigns import Campaign

    ids = {
        parts[1]
        for parts in (str(s or "").split(":") for s in sources)
        if parts[0] == CAMPAIGN and len(parts) > 1 and parts[1].isdigit()
    }
    if not ids:
        return {}
    rows = Campaign.objects.visible_to(user).filter(pk__in=[int(i) for i in ids])
    return {str(pk): name for pk, name in rows.values_list("pk", "name")}


def describe_sources(user, messages) -> None:
    """Set ``source_label`` on each message of a page (at most one query, for campaigns)."""
    names = campaign_names_for(user, [m.source for m in messages])
    for message in messages:
        message.source_label = describe(message.source, campaign_names=names)


def register_own_sources() -> None:
    """The messaging app's own senders: campaigns, care greetings, follow-up task texts
    (``integration.py``) and the demo."""
    from .care_models import Occasion

    register_message_source(CAMPAIGN, pgettext_lazy("message source", "Campaign"))
    register_message_source(
        "care", pgettext_lazy("message source", "Customer care"), dict(Occasion.choices)
    )
    register_message_source("reception.task", pgettext_lazy("message source", "Follow-up task"))
    register_message_source("demo", pgettext_lazy("message source", "Demo data"))
