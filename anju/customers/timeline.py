"""The customer timeline (CUS-6): one newest-first list fed by every app.

An app plugs in without editing this app, from its AppConfig.ready()::

    from anju.customers.timeline import register_timeline_provider
    register_timeline_provider(visits_for_timeline)

A provider is ``provider(user, customer, limit) -> iterable of TimelineEntry``, **newest
first**; it must read through its own scoped selectors and use a constant number of queries.
Write it as a generator that builds each entry when asked: the page merges the providers'
streams and builds only the entries it shows (issue 10 item 2).

A provider that shows rows of models with a ``customer`` key names them, ``sources=(Model,)``:
the page first asks in one query which of those tables hold any row of the customer, and
asks a provider only if one of its tables does. Most customers have no deals, tickets,
messages or club history; compiling those providers' queries cost more than running them
(issue 10: fifteen providers were 60% of the page's CPU). A provider without sources (the
event rows) is always asked.
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
# provider -> ((table, customer column), ...): any row there means the provider has some
_SOURCES: dict[TimelineProvider, tuple[tuple[str, str], ...]] = {}
# Event verbs ("reception.") whose records a provider already shows, so the generic event
# provider leaves them out instead of listing the same call twice.
COVERED_VERB_PREFIXES: set[str] = set()


def register_timeline_provider(
    provider: TimelineProvider, *, covers: tuple = (), sources: tuple = ()
) -> None:
    """``sources``: the models (each with a ``customer`` foreign key) whose rows the
    provider shows, so that it is asked only when one of them has a row of the customer
    (or of a customer merged into him). Leave it empty unless every entry the provider can
    yield comes from a row of these models about the customer."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    COVERED_VERB_PREFIXES.update(covers)
    if sources:
        _SOURCES[provider] = tuple(
            (model._meta.db_table, model._meta.get_field("customer").column) for model in sources
        )


def timeline_for(user, customer, *, limit: int = 200) -> list[TimelineEntry]:
    """Newest first; empty for a customer outside the user's scope (ORG-2), whatever asks."""
    from anju.core.scope import can_see

    if not can_see(user, customer, remember=True):
        return []
    # Each provider reads up to ``limit`` rows in one query, newest first; the merge takes
    # the newest ``limit`` of all, building an entry (titles, links) only for those shown —
    # building all of them cost more than the queries (issue 10 item 2). Ties keep the
    # providers' order, as a stable sort would.
    tables = _tables_with_rows(customer)
    streams = [
        iter(provider(user, customer, limit))
        for provider in _PROVIDERS
        if provider not in _SOURCES or any(source in tables for source in _SOURCES[provider])
    ]
    merged = heapq.merge(*streams, key=attrgetter("when"), reverse=True)
    return list(islice(merged, limit))


def has_rows_in(customer, model) -> bool:
    """Whether ``model`` (a registered source) holds any row of the customer or of a record
    merged into him; the page's panels ask this before compiling their own queries. True
    for a model no provider names: whoever asks must then look."""
    source = (model._meta.db_table, model._meta.get_field("customer").column)
    registered = any(source in pairs for pairs in _SOURCES.values())
    return not registered or source in _tables_with_rows(customer)


def _tables_with_rows(customer) -> set[tuple[str, str]]:
    """Which providers' tables hold a row of the customer (or his merged records): one query
    of EXISTS probes, each an index look-up on the foreign key, once per page (kept on the
    customer object, like ``merged_ids``). Unscoped on purpose: it only spares asking a
    provider that would find nothing; the providers read through their own scope."""
    from django.db import connection

    if "_tables_with_rows" in customer.__dict__:
        return customer.__dict__["_tables_with_rows"]
    customer_ids = merged_ids(customer)
    sources = sorted({source for pairs in _SOURCES.values() for source in pairs})
    found = set()
    if sources and customer_ids:
        quote = connection.ops.quote_name
        marks = ", ".join(["%s"] * len(customer_ids))
        probes = ", ".join(
            f"EXISTS (SELECT 1 FROM {quote(table)} WHERE {quote(column)} IN ({marks}))"
            for table, column in sources
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {probes}", list(customer_ids) * len(sources))
            found = {s for s, has_rows in zip(sources, cursor.fetchone(), strict=True) if has_rows}
    customer.__dict__["_tables_with_rows"] = found
    return found


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


# A merge event names the other record by its code: the merged duplicate on the survivor's
# timeline, the survivor on the duplicate's. Named only where the viewer may open it.
_MERGE_OTHER = {"customer.merged": "duplicate", "customer.merged_into": "survivor"}


def _hide_unseen_merge_codes(user, events) -> None:
    from .models import Customer

    other = {e: (e.details or {}).get(_MERGE_OTHER.get(e.verb, "")) for e in events}
    ids = {pk for pk in other.values() if pk}
    if not ids:
        return
    seen = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    for event, pk in other.items():
        if pk and pk not in seen:  # shown without the code; the row itself is not changed
            event.details = {k: v for k, v in event.details.items() if k != "code"}


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
    _hide_unseen_merge_codes(user, events)
    for event in events:
        yield TimelineEntry(
            when=event.created_at,
            kind="event",
            title=describe_event(event, names),
            actor=str(event.actor) if event.actor else "",
            record_id=event.pk,
        )
