"""Every write of club events (MEM-4): create, invite, RSVP, waiting list, reminders, check-in.

Seats: a registration holds one when it is registered or attended. Every service that may
take or free a seat locks the event row first (``_lock_event``), so answers arriving at the
same moment are decided one after the other and the registered list never exceeds the
capacity (PostgreSQL; SQLite writes one at a time anyway). A freed seat goes to the first
of the waiting list at once, in the same transaction.

``now=`` exists for the periodic reminder task and the demo data (which records past
events); pages and the API never pass it.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event, record_events
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.scope import can_see, relock_or_404
from anju.core.validation import validate_fields, validate_text
from anju.customers.models import Customer

from . import events_notify
from .events_models import (
    SEATED,
    AnswerChannel,
    ClubEvent,
    EventKind,
    EventRegistration,
    RegistrationStatus,
)
from .events_selectors import has_narrowing_filter, invite_selection

S = RegistrationStatus
MAX_INVITES = 5_000  # one invitation: a larger segment is a campaign, not a guest list
EVENT_FIELDS = (
    "title",
    "kind",
    "description",
    "venue",
    "starts_at",
    "ends_at",
    "capacity",
    "attendance_points",
    "reminder_hours",
)


@dataclass(frozen=True)
class RsvpResult:
    registration: EventRegistration
    message: str
    promoted: list = field(default_factory=list)  # registrations moved up from the waiting list


@dataclass(frozen=True)
class InviteResult:
    invited: int
    already: int  # already on the event's lists: not invited twice


# --- checks ------------------------------------------------------------------------------------


def _require_manager(by, event_or_project):
    company_id = event_or_project.company_id
    project_id = getattr(event_or_project, "project_id", None) or event_or_project.pk
    require_perm(by, Perm.MANAGE_EVENTS, company=company_id, project=project_id)


def require_manager(by, event) -> None:
    """Refuse (403) a user who may not run ``event``: before reading any input."""
    _require_manager(by, event)


def may_manage(user, event) -> bool:
    """Show the buttons of running the event: the rule the services apply."""
    return has_perm(user, Perm.MANAGE_EVENTS, company=event.company_id, project=event.project_id)


def may_answer_for(user, event, customer) -> bool:
    """Who may record a customer's yes or no: the event's staff, or the customer's own
    consultant, who invited him and took his answer on the phone (seed 004)."""
    return may_manage(user, event) or (
        customer.owner_id == user.pk and can_see(user, customer) and can_see(user, event)
    )


def _aware(value, field_name):
    if not isinstance(value, datetime):
        raise ApplicationError(_("Enter a date and time."), field=field_name)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _check_times(event):
    if event.ends_at <= event.starts_at:
        raise ApplicationError(_("The event must end after it starts."), field="ends_at")
    if event.starts_at.year < 2000 or event.ends_at.year > 2099:
        raise ApplicationError(_("Enter a date between 2000 and 2099."), field="starts_at")
    if event.ends_at - event.starts_at > timedelta(days=7):
        raise ApplicationError(_("An event lasts at most 7 days."), field="ends_at")


def _lock_event(event) -> ClubEvent:
    """The event row, locked for the rest of the transaction: seats change one at a time."""
    return (
        ClubEvent.objects.unscoped("lock the event the caller checked")
        .select_for_update()
        .get(pk=event.pk)
    )


def _lock_registration(registration) -> EventRegistration:
    return relock_or_404(
        EventRegistration.objects.unscoped("lock the registration the caller checked")
        .select_for_update()
        .select_related("customer", "event"),
        registration,  # taken off the list meanwhile (event_uninvite): 404
    )


def _registrations(event):
    return EventRegistration.objects.unscoped("the locked event's own lists").filter(event=event)


def seats_taken(event) -> int:
    """SYSTEM READ: registered and attended rows of the event (call with the event locked)."""
    return _registrations(event).filter(status__in=SEATED).count()


def _refuse_if_over(event, now, *, what):
    if event.cancelled_at is not None:
        raise Conflict(_("This event was cancelled."), code="event_cancelled")
    if now >= event.ends_at:
        raise Conflict(_("This event is over."), code="event_over")
    if what == "answer" and now >= event.starts_at:
        raise Conflict(
            _("This event has started: check the customer in at the door instead."),
            code="event_started",
        )


def _customer_label(customer) -> str:
    return customer.name


# --- events ------------------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    by,
    project,
    title: str,
    venue: str,
    starts_at,
    ends_at,
    capacity: int,
    kind: str = EventKind.LECTURE,
    description: str = "",
    attendance_points: int = 0,
    reminder_hours: int = 24,
) -> ClubEvent:
    """A new event or lecture of ``project``'s club (MEM-4)."""
    _require_manager(by, project)
    if not can_see(by, project):
        raise NotPermitted()
    event = ClubEvent(
        company_id=project.company_id,
        project=project,
        title=(title or "").strip(),
        kind=kind,
        description=(description or "").strip(),
        venue=(venue or "").strip(),
        starts_at=_aware(starts_at, "starts_at"),
        ends_at=_aware(ends_at, "ends_at"),
        capacity=capacity,
        attendance_points=attendance_points,
        reminder_hours=reminder_hours,
        created_by=by,
    )
    if not event.title:
        raise ApplicationError(_("Give the event a title."), field="title")
    if not event.venue:
        raise ApplicationError(_("Say where the event takes place."), field="venue")
    validate_fields(event, EVENT_FIELDS)
    _check_times(event)
    event.save()
    record_event(
        by=by,
        verb="membership.event_created",
        target=event,
        details={"title": event.title, "capacity": event.capacity},
    )
    return event


@transaction.atomic
def event_update(*, by, event, **changes) -> ClubEvent:
    """Change an event's details. A larger capacity seats the waiting list at once; a smaller
    one may not drop below the seats already taken (nobody loses a confirmed seat)."""
    unknown = set(changes) - set(EVENT_FIELDS)
    if unknown:
        raise ApplicationError(_("These details cannot be changed here."), field=sorted(unknown)[0])
    _require_manager(by, event)
    event = _lock_event(event)
    if event.cancelled_at is not None:
        raise Conflict(_("This event was cancelled."), code="event_cancelled")
    if timezone.now() >= event.ends_at:
        raise Conflict(_("This event is over."), code="event_over")
    before = {name: getattr(event, name) for name in changes}
    for name, value in changes.items():
        if name in ("starts_at", "ends_at"):
            value = _aware(value, name)
        elif isinstance(value, str):
            value = value.strip()
        setattr(event, name, value)
    validate_fields(event, EVENT_FIELDS)
    _check_times(event)
    taken = seats_taken(event)
    if event.capacity < taken:
        raise ApplicationError(
            _("%(n)s seats are already taken: the capacity cannot be lower.") % {"n": taken},
            field="capacity",
        )
    event.save()
    promoted = _fill_free_seats(by=by, event=event)
    changed = {k: str(v) for k, v in before.items() if v != getattr(event, k)}
    if MOVED_FIELDS & set(changed):
        # A new time or place: the reminder is due again (its outbox key names the time
        # and place, so it is a new message, not a repeat the outbox would swallow).
        _registrations(event).filter(reminded_at__isnull=False).update(
            reminded_at=None, updated_at=timezone.now()
        )
    record_event(
        by=by,
        verb="membership.event_changed",
        target=event,
        details={"before": changed, "promoted": [r.pk for r in promoted]},
    )
    return event


MOVED_FIELDS = frozenset({"starts_at", "ends_at", "venue"})


@transaction.atomic
def event_cancel(*, by, event, reason: str, now=None) -> ClubEvent:
    """Call the event off: it stays with its lists as history, takes no more answers,
    invitations, reminders or check-ins, and everyone who said yes (registered or waiting)
    gets a service SMS that it will not take place (through ``events_notify``)."""
    now = now or timezone.now()
    _require_manager(by, event)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the event is cancelled."), field="reason")
    validate_text(reason, field="reason", max_length=200, multiline=False)
    event = _lock_event(event)
    _refuse_if_over(event, now, what="cancel")
    event.cancelled_at, event.cancelled_by, event.cancel_reason = now, by, reason
    event.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "updated_at"])
    told = list(
        _registrations(event)
        .filter(status__in=(S.REGISTERED, S.WAITING))
        .select_related("customer")
        .order_by("id")
    )
    for registration in told:
        events_notify.notify_cancelled(by=by, registration=registration, event=event)
    record_event(
        by=by,
        verb="membership.event_called_off",
        target=event,
        details={"title": event.title, "reason": reason, "notified": len(told)},
    )
    return event


# --- invitations (seed 004: 邀请客户参加装修知识讲座) --------------------------------------------


def _customers_of_list(by, event, customers):
    ids = set()
    for value in customers:
        try:
            ids.add(int(getattr(value, "pk", value)))
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("Unknown customer."), field="customer_ids") from exc
    found = Customer.objects.visible_to(by).filter(
        pk__in=ids, company_id=event.company_id, merged_into__isnull=True
    )
    if found.count() != len(ids):
        raise NotFound(  # out of scope, or no such customer: 404, as everywhere
            _("A chosen customer is not one of this company's customers you can see."),
            field="customer_ids",
            code="unknown_customer",
        )
    return found


@transaction.atomic
def event_invite(
    *, by, event, customers=(), customer_filter: dict | None = None, now=None
) -> InviteResult:
    """Put customers on the event's list as invited: a list of customers, or a segment (a
    customer filter). Those already on a list stay as they are (never a second row)."""
    _require_manager(by, event)
    now = now or timezone.now()
    event = _lock_event(event)
    _refuse_if_over(event, now, what="invite")
    if customer_filter is not None:
        if not has_narrowing_filter(customer_filter):
            raise ApplicationError(
                _("Choose at least one filter: one click does not invite every customer."),
                field="filter",
                code="filter_required",
            )
        selected = invite_selection(by, event, customer_filter)
    else:
        selected = _customers_of_list(by, event, customers)
    selected = selected.exclude(anonymised_at__isnull=False).order_by()
    ids = list(selected.values_list("pk", flat=True)[: MAX_INVITES + 1])
    if not ids:
        raise ApplicationError(_("Nobody to invite: the selection is empty."), code="no_recipients")
    if len(ids) > MAX_INVITES:
        raise ApplicationError(
            _("At most %(n)s customers can be invited at once: narrow the selection.")
            % {"n": f"{MAX_INVITES:,}"},
            code="too_many_recipients",
        )
    already = set(
        _registrations(event).filter(customer_id__in=ids).values_list("customer_id", flat=True)
    )
    new = [
        EventRegistration(
            company_id=event.company_id,
            project_id=event.project_id,
            event=event,
            customer_id=pk,
            status=S.INVITED,
            invited_at=now,
            invited_by=by,
        )
        for pk in ids
        if pk not in already
    ]
    EventRegistration.objects.bulk_create(new, batch_size=500)
    created = list(
        _registrations(event)
        .filter(customer_id__in=[r.customer_id for r in new], status=S.INVITED, invited_at=now)
        .only("pk", "company_id", "project_id", "customer_id")
    )
    record_events(  # one INSERT for the whole invitation
        by=by,
        verb="membership.event_invited",
        targets=created,
        subject_is_target=False,
        details=lambda r: {"event": event.pk, "title": event.title, "customer": r.customer_id},
    )
    return InviteResult(invited=len(new), already=len(already))


@transaction.atomic
def event_uninvite(*, by, registration, now=None) -> None:
    """Take an invitee off the list before he answered (invited by mistake). Someone who
    answered stays: his answer is a fact, cancelled through ``registration_cancel``."""
    now = now or timezone.now()
    _require_manager(by, registration.event)
    event = _lock_event(registration.event)
    registration = _lock_registration(registration)
    _refuse_if_over(event, now, what="invite")
    if registration.status != S.INVITED:
        raise Conflict(
            _("%(name)s has answered already: cancel the registration instead.")
            % {"name": _customer_label(registration.customer)},
            code="already_answered",
        )
    record_event(
        by=by,
        verb="membership.event_uninvited",
        target=registration,
        subject=registration.customer,
        details={"event": event.pk, "title": event.title},
    )
    registration.delete()


# --- answers (RSVP) ----------------------------------------------------------------------------


def _already_message(registration) -> tuple[str, str]:
    name = _customer_label(registration.customer)
    return {
        S.REGISTERED: (
            _("%(name)s is already registered for this event.") % {"name": name},
            "already_registered",
        ),
        S.WAITING: (
            _("%(name)s is already on the waiting list of this event.") % {"name": name},
            "already_waiting",
        ),
        S.ATTENDED: (
            _("%(name)s has already attended this event.") % {"name": name},
            "already_attended",
        ),
        S.DECLINED: (
            _("%(name)s has already declined this event.") % {"name": name},
            "already_declined",
        ),
    }[registration.status]


def _seat_or_wait(registration, event, now) -> None:
    if seats_taken(event) < event.capacity:
        registration.status, registration.waiting_since = S.REGISTERED, None
    else:
        registration.status, registration.waiting_since = S.WAITING, now


@transaction.atomic
def event_rsvp(
    *, by, event, customer, attending: bool, via: str = AnswerChannel.CALL, now=None
) -> RsvpResult:
    """Record a customer's answer. Yes: a seat while there is one, else the waiting list.
    No: declined (a registered customer saying no frees his seat for the waiting list).
    The same answer twice is refused with a clear message; there is one row per customer."""
    now = now or timezone.now()
    if via not in AnswerChannel.values:
        raise ApplicationError(_("Unknown answer channel."), field="via")
    if not may_answer_for(by, event, customer):
        raise NotPermitted()
    if customer.company_id != event.company_id or customer.merged_into_id:
        raise Conflict(  # the stored customer and event do not go together
            _("This customer belongs to another company."),
            field="customer",
            code="unknown_customer",
        )
    if customer.anonymised_at is not None:
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")
    event = _lock_event(event)
    _refuse_if_over(event, now, what="answer")
    registration = (
        _registrations(event)
        .select_for_update()
        .select_related("customer")
        .filter(customer=customer)
        .first()
    )
    created = registration is None
    if created:
        registration = EventRegistration(
            company_id=event.company_id,
            project_id=event.project_id,
            event=event,
            customer=customer,
        )
    elif (
        registration.status in (S.REGISTERED, S.WAITING, S.ATTENDED)
        and attending
        or registration.status in (S.DECLINED, S.ATTENDED)
        and not attending
    ):
        message, code = _already_message(registration)
        raise Conflict(message, code=code)
    if not attending and registration.status in (S.REGISTERED, S.WAITING):
        return _cancel(by=by, registration=registration, event=event, now=now, declined=True)
    registration.answered_at, registration.answered_via, registration.recorded_by = now, via, by
    registration.cancelled_at = None
    if attending:
        _seat_or_wait(registration, event, now)
    else:
        registration.status = S.DECLINED
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:  # the same customer answered twice at the same moment
        raise Conflict(_("This answer was just recorded."), code="already_registered") from exc
    verb = {
        S.REGISTERED: "membership.event_registered",
        S.WAITING: "membership.event_waiting",
        S.DECLINED: "membership.event_declined",
    }[registration.status]
    record_event(
        by=by,
        verb=verb,
        target=registration,
        subject=customer,
        details={"event": event.pk, "title": event.title, "via": via},
    )
    return RsvpResult(registration=registration, message=_rsvp_message(registration))


def _rsvp_message(registration) -> str:
    name = _customer_label(registration.customer)
    if registration.status == S.REGISTERED:
        return _("%(name)s is registered.") % {"name": name}
    if registration.status == S.WAITING:
        return _("The event is full: %(name)s is on the waiting list.") % {"name": name}
    return _("%(name)s will not come.") % {"name": name}


@transaction.atomic
def registration_cancel(*, by, registration, now=None) -> RsvpResult:
    """A registered (or waiting) customer cancels; his seat goes to the first waiting."""
    now = now or timezone.now()
    if not may_answer_for(by, registration.event, registration.customer):
        raise NotPermitted()
    event = _lock_event(registration.event)
    registration = _lock_registration(registration)
    if registration.status not in (S.REGISTERED, S.WAITING):
        raise Conflict(
            _("Only a registered or waiting customer can cancel."), code="not_registered"
        )
    _refuse_if_over(event, now, what="answer")
    return _cancel(by=by, registration=registration, event=event, now=now, declined=False)


def _cancel(*, by, registration, event, now, declined: bool) -> RsvpResult:
    held_seat = registration.holds_seat
    registration.status = S.DECLINED if declined else S.CANCELLED
    registration.cancelled_at, registration.waiting_since = now, None
    registration.answered_at, registration.recorded_by = now, by
    registration.save()
    record_event(
        by=by,
        verb="membership.event_cancelled",
        target=registration,
        subject=registration.customer,
        details={"event": event.pk, "title": event.title, "held_seat": held_seat},
    )
    promoted = _fill_free_seats(by=by, event=event, now=now) if held_seat else []
    message = _("%(name)s's registration is cancelled.") % {
        "name": _customer_label(registration.customer)
    }
    if promoted:
        message += " " + _("%(name)s moves up from the waiting list.") % {
            "name": "、".join(_customer_label(r.customer) for r in promoted)
        }
    return RsvpResult(registration=registration, message=message, promoted=promoted)


def _fill_free_seats(*, by, event, now=None) -> list:
    """Seat the first of the waiting list while seats are free (the event is locked)."""
    now = now or timezone.now()
    free = event.capacity - seats_taken(event)
    if free <= 0:
        return []
    waiting = list(
        _registrations(event)
        .select_for_update()
        .filter(status=S.WAITING)
        .select_related("customer")
        .order_by("waiting_since", "id")[:free]
    )
    for registration in waiting:
        registration.status, registration.waiting_since = S.REGISTERED, None
        registration.save(update_fields=["status", "waiting_since", "updated_at"])
        record_event(
            by=by,
            verb="membership.event_registered",
            target=registration,
            subject=registration.customer,
            details={"event": event.pk, "title": event.title, "from_waiting_list": True},
        )
        events_notify.notify_seat_free(by=by, registration=registration, event=event)
    return waiting


# --- the time notice (seed 004: 通知业主参加讲座时间) ---------------------------------------------


def _remind(*, by, registrations, event, now) -> int:
    sent = 0
    for registration in registrations:
        events_notify.notify_reminder(by=by, registration=registration, event=event)
        registration.reminded_at = now
        registration.save(update_fields=["reminded_at", "updated_at"])
        sent += 1
    if sent:
        record_event(
            by=by,
            verb="membership.event_reminded",
            target=event,
            details={"title": event.title, "reminded": sent},
        )
    return sent


def _unreminded(event):
    return (
        _registrations(event)
        .select_for_update()
        .filter(status=S.REGISTERED, reminded_at__isnull=True)
        .select_related("customer")
        .order_by("id")
    )


@transaction.atomic
def event_send_reminders(*, by, event, now=None) -> int:
    """Remind every registered customer not reminded yet (the staff's button): one service
    SMS each, never two (the outbox's idempotency key is the registration)."""
    now = now or timezone.now()
    _require_manager(by, event)
    event = _lock_event(event)
    _refuse_if_over(event, now, what="remind")
    if now >= event.starts_at:
        raise Conflict(_("This event has started: no more reminders."), code="event_started")
    return _remind(by=by, registrations=_unreminded(event), event=event, now=now)


def send_due_reminders(*, now=None) -> int:
    """The periodic task: remind the registered of every event starting within its
    reminder period. Running it twice reminds nobody twice."""
    now = now or timezone.now()
    due = (
        ClubEvent.objects.unscoped("periodic task: events about to start")
        .filter(starts_at__gt=now, starts_at__lte=now + timedelta(hours=MAX_REMINDER_HOURS_SCAN))
        .filter(cancelled_at__isnull=True)
        .order_by("starts_at")
    )
    sent = 0
    for event in due:
        if event.starts_at - timedelta(hours=event.reminder_hours) > now:
            continue
        with transaction.atomic():
            locked = _lock_event(event)
            sent += _remind(by=None, registrations=_unreminded(locked), event=locked, now=now)
    return sent


MAX_REMINDER_HOURS_SCAN = 14 * 24


# --- check-in on the day (签到) -----------------------------------------------------------------


def check_in_window(event):
    """From the start of the event's day to the end of the day it ends (local time)."""
    first = timezone.localtime(event.starts_at).date()
    last = timezone.localtime(event.ends_at).date()
    opens = timezone.make_aware(datetime.combine(first, time.min))
    closes = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return opens, closes


def _refuse_outside_day(event, now):
    opens, closes = check_in_window(event)
    if not opens <= now < closes:
        raise Conflict(_("Check-in is open on the day of the event only."), code="not_event_day")


@transaction.atomic
def event_check_in(*, by, registration, now=None) -> EventRegistration:
    """签到 The customer is here. A registered customer takes his seat; anyone else on the
    list (invited, waiting, declined, cancelled) is a walk-in and needs a free seat.
    Attending earns the event's points, once (the ledger's reference is the registration)."""
    now = now or timezone.now()
    _require_manager(by, registration.event)
    event = _lock_event(registration.event)
    registration = _lock_registration(registration)
    _refuse_cancelled(event)
    _refuse_outside_day(event, now)
    if registration.status == S.ATTENDED:
        raise Conflict(
            _("%(name)s is already checked in.") % {"name": _customer_label(registration.customer)},
            code="already_checked_in",
        )
    if registration.status != S.REGISTERED:
        _require_free_seat(event)
        registration.walk_in = True
    return _attend(by=by, registration=registration, event=event, now=now)


@transaction.atomic
def event_check_in_walk_in(*, by, event, customer, now=None) -> EventRegistration:
    """A customer not on the list comes to the door: in, if a seat is free."""
    now = now or timezone.now()
    _require_manager(by, event)
    if customer.company_id != event.company_id or customer.merged_into_id:
        raise Conflict(  # the stored customer and event do not go together
            _("This customer belongs to another company."),
            field="customer",
            code="unknown_customer",
        )
    if customer.anonymised_at is not None:
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")
    event = _lock_event(event)
    existing = _registrations(event).filter(customer=customer).first()
    if existing is not None:
        return event_check_in(by=by, registration=existing, now=now)
    _refuse_cancelled(event)
    _refuse_outside_day(event, now)
    _require_free_seat(event)
    registration = EventRegistration(
        company_id=event.company_id,
        project_id=event.project_id,
        event=event,
        customer=customer,
        walk_in=True,
        answered_at=now,
        answered_via=AnswerChannel.WALK_IN,
        recorded_by=by,
    )
    return _attend(by=by, registration=registration, event=event, now=now)


def _refuse_cancelled(event):
    if event.cancelled_at is not None:
        raise Conflict(_("This event was cancelled."), code="event_cancelled")


def _require_free_seat(event):
    if seats_taken(event) >= event.capacity:
        raise Conflict(_("The event is full: no seat for a walk-in."), code="event_full")


def _attend(*, by, registration, event, now) -> EventRegistration:
    registration.status, registration.waiting_since = S.ATTENDED, None
    registration.checked_in_at, registration.checked_in_by = now, by
    registration.save()
    record_event(
        by=by,
        verb="membership.event_attended",
        target=registration,
        subject=registration.customer,
        details={
            "event": event.pk,
            "title": event.title,
            "walk_in": registration.walk_in,
            "points": event.attendance_points,
        },
    )
    _credit_attendance(registration, event)
    return registration


def _credit_attendance(registration, event) -> None:
    """参加活动积分: the event's points, credited by the system (a rule, not a person's
    choice), idempotent per registration in the ledger itself."""
    if not event.attendance_points:
        return
    from .models import PointsReason
    from .services import points_credit

    points_credit(
        by=None,
        customer=registration.customer,
        points=event.attendance_points,
        reason=PointsReason.EVENT_ATTENDANCE,
        reference=f"event:{registration.pk}",
        note=event.title[:100],
    )
