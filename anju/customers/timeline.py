"""The customer timeline (CUS-6): one newest-first list fed by every app.

An app plugs in without editing this app, from its AppConfig.ready()::

    from anju.customers.timeline import register_timeline_provider
    register_timeline_provider(visits_for_timeline)

A provider is ``provider(user, customer, limit) -> iterable of TimelineEntry``, **newest
first**; it must read through its own scoped selectors and use a constant number of queries.
Write it as a generator that builds each entry when asked: the page merges the providers'
streams and builds only the entries it shows (issue 10 item 2).
"""

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from operator import attrgetter

from django.utils.translation import gettext_lazy as _

TimelineProvider = Callable[[object, object, int], Iterable["TimelineEntry"]]


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # short machine name: "call", "visit", "task", "event" …
    title: str
    body: str = ""
    url: str = ""
    actor: str = ""
    extra: dict = field(default_factory=dict)
    record_id: int | None = None  # the call, visit, task, opportunity or event it shows

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)


# How each kind of entry is labelled on the page; apps add theirs with register_timeline_kind.
KIND_LABELS = {
    "event": _("Record"),
    "call": _("Call"),
    "visit": _("Visit"),
    "task": _("Task"),
    "opportunity": _("Opportunity"),
}


def register_timeline_kind(kind: str, label) -> None:
    KIND_LABELS.setdefault(kind, label)


_PROVIDERS: list[TimelineProvider] = []
# Event verbs ("reception.") whose records a provider already shows, so the generic event
# provider leaves them out instead of listing the same call twice.
COVERED_VERB_PREFIXES: set[str] = set()


def register_timeline_provider(provider: TimelineProvider, *, covers: tuple = ()) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    COVERED_VERB_PREFIXES.update(covers)


def timeline_for(user, customer, *, limit: int = 200) -> list[TimelineEntry]:
    """Newest first; empty for a customer outside the user's scope (ORG-2), whatever asks."""
    from anju.core.scope import can_see

    if not can_see(user, customer, remember=True):
        return []
    # Each provider reads up to ``limit`` rows in one query, newest first; the merge takes
    # the newest ``limit`` of all, building an entry (titles, links) only for those shown —
    # building all of them cost more than the queries (issue 10 item 2). Ties keep the
    # providers' order, as a stable sort would.
    streams = [iter(provider(user, customer, limit)) for provider in _PROVIDERS]
    merged = heapq.merge(*streams, key=attrgetter("when"), reverse=True)
    return list(islice(merged, limit))


def newest_first(rows, when):
    """Rows in the order a provider must yield them, by ``when(row)`` (for a kind whose
    entry time is not the column it is read by, e.g. a task: done, else due)."""
    return sorted(rows, key=when, reverse=True)


def merged_ids(customer) -> list[int]:
    """The customer's merge chain, read once per page for every provider that needs it."""
    from .services import merged_customer_ids

    if "_merged_ids" not in customer.__dict__:
        customer.__dict__["_merged_ids"] = merged_customer_ids(customer)
    return customer.__dict__["_merged_ids"]


def events_timeline(user, customer, limit):
    """Business events about the customer (registered, owner changed, merged …)."""
    from django.db.models import Q

    from anju.core.models import Event, content_type_of

    from .events_display import describe_event, user_names

    qs = (
        Event.objects.unscoped("timeline_for checked the customer")
        .filter(subject_type=content_type_of(customer), subject_id__in=merged_ids(customer))
        .select_related("actor")
    )
    for prefix in COVERED_VERB_PREFIXES:
        qs = qs.exclude(Q(verb__startswith=prefix))
    events = list(qs.order_by("-created_at", "-id")[:limit])
    names = user_names(events)
    for event in events:
        yield TimelineEntry(
            when=event.created_at,
            kind="event",
            title=describe_event(event, names),
            actor=str(event.actor) if event.actor else "",
            record_id=event.pk,
        )
