"""Club events in the rest of the product (MEM-4): the customer's 360° timeline (CUS-6), the
merge of duplicates (CUS-3) and PIPL data packages and erasure (SEC-2).

``register()`` is called from ``MembershipConfig.ready()``.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.events import record_event
from anju.core.scope import sees_loaded
from anju.customers.privacy import Erasure, model_rows
from anju.customers.privacy_customers import person_ids
from anju.customers.timeline import TimelineEntry

from .events_models import SEATED, ClubEvent, EventFeedback, EventRegistration, RegistrationStatus
from .events_selectors import customer_registrations

S = RegistrationStatus

# --- 360° timeline: invited, registered, attended ------------------------------------------


def _steps(registration):
    """(when, what) of each step the registration went through."""
    steps = []
    if registration.invited_at:
        steps.append((registration.invited_at, "invited"))
    answered = registration.answered_at and not registration.walk_in
    if answered and registration.status != S.INVITED:
        steps.append((registration.answered_at, registration.status))
    if registration.checked_in_at:
        steps.append((registration.checked_in_at, "attended_step"))
    return steps


def _title(step, event):
    names = {
        "invited": _("Invited to “%(title)s”"),
        S.REGISTERED: _("Registered for “%(title)s”"),
        S.ATTENDED: _("Registered for “%(title)s”"),
        S.WAITING: _("On the waiting list of “%(title)s”"),
        S.DECLINED: _("Declined “%(title)s”"),
        S.CANCELLED: _("Cancelled “%(title)s”"),
        "attended_step": _("Attended “%(title)s”"),
    }
    return names[step] % {"title": event.title}


def events_timeline(user, customer, limit):
    """Newest first: each registration's steps, from the rows (no event query per entry)."""
    entries = []
    for registration in customer_registrations(user, customer, limit):
        event = registration.event
        url = reverse("club_events:detail", args=[event.pk]) if sees_loaded(user, event) else ""
        for when, step in _steps(registration):
            entries.append(
                TimelineEntry(
                    when=when,
                    kind="club_event",
                    title=_title(step, event),
                    body=event.venue,
                    url=url,
                    extra={"walk_in": registration.walk_in} if step == "attended_step" else {},
                    record_id=registration.pk,
                )
            )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return iter(entries[:limit])


# --- merge of duplicates ------------------------------------------------------------------------

# Which of two rows of one person on one event tells more (kept on the survivor).
_STRENGTH = {
    S.ATTENDED: 5,
    S.REGISTERED: 4,
    S.WAITING: 3,
    S.DECLINED: 2,
    S.INVITED: 1,
    S.CANCELLED: 0,
}
_COPIED = (
    "status",
    "invited_at",
    "invited_by_id",
    "answered_at",
    "answered_via",
    "recorded_by_id",
    "waiting_since",
    "cancelled_at",
    "checked_in_at",
    "checked_in_by_id",
    "walk_in",
    "reminded_at",
)


def move_event_registrations(*, duplicate, survivor) -> dict:
    """The duplicate's registrations go to the survivor. Where both are on the same event
    the survivor keeps one row (the one that tells more) and the other is cancelled on the
    duplicate: one person never holds two seats. A freed seat goes to the waiting list."""
    from .events_services import _fill_free_seats, _lock_event

    rows = EventRegistration.objects.unscoped("merge: the service checked both customers")
    theirs = {r.event_id: r for r in rows.select_for_update().filter(customer=survivor)}
    moved, folded = 0, 0
    for registration in rows.select_for_update().filter(customer=duplicate).select_related("event"):
        kept = theirs.get(registration.event_id)
        if kept is None:
            registration.customer = survivor
            registration.save(update_fields=["customer", "updated_at"])
            moved += 1
            continue
        event = _lock_event(registration.event)
        freed = registration.status in SEATED or kept.status in SEATED
        if _STRENGTH[registration.status] > _STRENGTH[kept.status]:
            for name in _COPIED:
                setattr(kept, name, getattr(registration, name))
            kept.save()
        had_feedback = EventFeedback.objects.unscoped("merge").filter(registration=registration)
        if not EventFeedback.objects.unscoped("merge").filter(registration=kept).exists():
            had_feedback.update(registration=kept)
        registration.status, registration.waiting_since = S.CANCELLED, None
        registration.save(update_fields=["status", "waiting_since", "updated_at"])
        record_event(
            by=None,
            verb="membership.event_merged",
            target=registration,
            subject=duplicate,
            details={"event": event.pk, "kept": kept.pk},
        )
        folded += 1
        if freed:
            _fill_free_seats(by=None, event=event)
    return {"event_registrations": moved, "event_registrations_folded": folded}


# --- PIPL ---------------------------------------------------------------------------------------


def registration_rows(customer):
    registrations = (
        EventRegistration.objects.unscoped("PIPL: one person's event registrations")
        .filter(customer_id__in=person_ids(customer))
        .select_related("event", "customer", "project")
        .order_by("created_at", "pk")
    )
    rows = model_rows(
        registrations,
        exclude={"company", "invited_by", "recorded_by", "checked_in_by"},
    )
    for row, registration in zip(rows, registrations, strict=True):
        row["event"] = registration.event.title
        row["event_starts_at"] = registration.event.starts_at.isoformat()
    return rows


def feedback_rows(customer):
    feedback = (
        EventFeedback.objects.unscoped("PIPL: one person's event feedback")
        .filter(registration__customer_id__in=person_ids(customer))
        .select_related("registration__event", "project")
        .order_by("created_at", "pk")
    )
    rows = model_rows(feedback, exclude={"company", "recorded_by"})
    for row, answer in zip(rows, feedback, strict=True):
        row["registration"] = answer.registration.event.title
    return rows


def erase_event_rows(erasure: Erasure) -> None:
    """Registrations stay as anonymous facts (attendance figures stay right); the person's
    comments lose what names him; his open seats go to the waiting list."""
    feedback = list(
        EventFeedback.objects.unscoped("PIPL erasure").filter(
            registration__customer_id__in=erasure.customer_ids
        )
    )
    changed = []
    for answer in feedback:
        scrubbed = erasure.scrub(answer.comment)
        if scrubbed != answer.comment:
            answer.comment = scrubbed
            changed.append(answer)
    EventFeedback.objects.unscoped("PIPL erasure").bulk_update(changed, ["comment"])
    erasure.touch(EventFeedback, [a.pk for a in feedback], {"comment"})
    erasure.count("event_feedback", len(changed))
    _cancel_open_registrations(erasure)


def _cancel_open_registrations(erasure: Erasure) -> None:
    """Nobody may contact an erased person: his seat and his place on waiting lists go."""
    from django.utils import timezone

    from .events_services import _fill_free_seats, _lock_event

    open_rows = list(
        EventRegistration.objects.unscoped("PIPL erasure")
        .select_for_update()
        .filter(
            customer_id__in=erasure.customer_ids,
            status__in=(S.INVITED, S.REGISTERED, S.WAITING),
            event__ends_at__gt=timezone.now(),
        )
        .select_related("event")
    )
    for registration in open_rows:
        event = _lock_event(registration.event)
        held = registration.status == S.REGISTERED
        registration.status, registration.waiting_since = S.CANCELLED, None
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "waiting_since", "cancelled_at", "updated_at"])
        if held:
            _fill_free_seats(by=None, event=event)
    erasure.count("event_registrations_cancelled", len(open_rows))


def _roles_that_run_events():
    from anju.core.roles import ROLE_PERMS, Perm

    return frozenset(role for role, perms in ROLE_PERMS.items() if Perm.MANAGE_EVENTS in perms)


def register() -> None:
    from auditlog.registry import auditlog

    from anju.core.navigation import NavItem, register_nav
    from anju.customers.merging import register_merge_handler
    from anju.customers.privacy import register_erasure_handler, register_personal_data_provider
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider

    from . import events_tasks  # noqa: F401  the reminder's @periodic registration

    register_timeline_kind("club_event", gettext_lazy("Club event"))
    register_timeline_provider(
        events_timeline, covers=("membership.event_",), sources=(EventRegistration,)
    )
    register_merge_handler(move_event_registrations)
    register_personal_data_provider(
        "event_registrations",
        registration_rows,
        label=gettext_lazy("Club events"),
        model=EventRegistration,
        titles={"event_starts_at": gettext_lazy("Event starts at")},
    )
    register_personal_data_provider(
        "event_feedback",
        feedback_rows,
        label=gettext_lazy("Club event satisfaction"),
        model=EventFeedback,
    )
    register_erasure_handler(erase_event_rows)
    for model in (ClubEvent, EventRegistration, EventFeedback):
        auditlog.register(model)
    register_nav(NavItem(gettext_lazy("Club events"), "club_events:list", _roles_that_run_events()))
