"""The customer timeline (CUS-6): one newest-first list fed by every app.

An app plugs in without editing this app, from its AppConfig.ready()::

    from anju.customers.timeline import register_timeline_provider
    register_timeline_provider(visits_for_timeline)

A provider is ``provider(user, customer, limit) -> iterable of TimelineEntry``; it must read
through its own scoped selectors and use a constant number of queries.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

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


_PROVIDERS: list[TimelineProvider] = []


def register_timeline_provider(provider: TimelineProvider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def timeline_for(user, customer, *, limit: int = 200) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for provider in _PROVIDERS:
        entries.extend(provider(user, customer, limit))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]
