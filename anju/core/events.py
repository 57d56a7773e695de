"""Writing business events (style rule 3): call inside the service's transaction.

Listeners (``register_event_listener(fn)``) are told of every event row written, inside the
writing transaction: ``fn(events)`` gets the list of saved ``Event`` rows (pk set) (one for
``record_event``, all of them for ``record_events``). A listener must not do the work
itself: it only arranges it for after the commit (``transaction.on_commit(...)`` enqueuing a
task), so a rolled-back write announces nothing and the request never waits for it
(style rule 4: no side effects in signals). The webhooks app is one (INT-2).
"""

from .models import Event, content_type_of

_LISTENERS: list = []


def register_event_listener(fn) -> None:
    """Call ``fn(events)`` for every batch of event rows written (idempotent)."""
    if fn not in _LISTENERS:
        _LISTENERS.append(fn)


def _announce(events) -> None:
    for listener in list(_LISTENERS):
        listener(events)


def record_event(*, by, verb: str, target, details=None, subject=None, company=None, project=None):
    """Record that ``by`` did ``verb`` to ``target`` (about ``subject``, e.g. a customer).

    company/project default to the target's own, so most callers pass only the essentials.
    """
    company_id = getattr(company, "pk", company) or getattr(target, "company_id", None)
    project_id = getattr(project, "pk", project) or getattr(target, "project_id", None)
    if company_id is None:
        raise ValueError(f"record_event: {target!r} has no company; pass company=")
    event = Event.objects.create(
        company_id=company_id,
        project_id=project_id,
        actor=by if getattr(by, "pk", None) else None,
        verb=verb,
        target_type=content_type_of(target),
        target_id=target.pk,
        subject_type=content_type_of(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        details=details or {},
    )
    _announce([event])
    return event


def events_for(target):
    return Event.objects.unscoped("events of a row the caller holds").filter(
        target_type=content_type_of(target), target_id=target.pk
    )


def record_events(
    *, by, verb: str, targets, details=None, subject_is_target=True, subject_of=None
) -> int:
    """One event per target in a single INSERT, for bulk actions (reassign-all, imports …).

    ``details`` is a dict for all, or a function target → dict. The subject is the target
    itself, none (``subject_is_target=False``), or ``subject_of(target)`` (a row or None).
    Targets must carry company_id (and project_id where they have one).
    """
    targets = list(targets)
    if not targets:
        return 0
    ct = content_type_of(targets[0])
    actor = by if getattr(by, "pk", None) else None
    events = [
        Event(
            company_id=t.company_id,
            project_id=getattr(t, "project_id", None),
            actor=actor,
            verb=verb,
            target_type=ct,
            target_id=t.pk,
            subject_type=_subject_type(t, ct, subject_is_target, subject_of),
            subject_id=_subject_id(t, subject_is_target, subject_of),
            details=details(t) if callable(details) else dict(details or {}),
        )
        for t in targets
    ]
    Event.objects.bulk_create(events, batch_size=500)
    _announce(events)
    return len(events)


def _subject_type(target, target_type, subject_is_target, subject_of):
    if subject_of is not None:
        subject = subject_of(target)
        return content_type_of(subject) if subject is not None else None
    return target_type if subject_is_target else None


def _subject_id(target, subject_is_target, subject_of):
    if subject_of is not None:
        subject = subject_of(target)
        return subject.pk if subject is not None else None
    return target.pk if subject_is_target else None
