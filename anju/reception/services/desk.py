"""The reception order (接待顺序, seed 001; issue 9 item 3): who greets the next walk-in.

Seed 001: the consultant first in the reception order greets a new walk-in at the door; a
customer who asks for his consultant is seated while that consultant is called, and the
consultant who received him stays with him until the hand-over.

Per sales office (project) and day there is one ``DeskDay``; its consultants on duty are
``DutySlot`` rows in queue order. Every change of a day's order locks the ``DeskDay`` row
first, so two receptionists pressing "next in order" at the same moment are served one after
the other and never get the same consultant. Every turn and every skip is a ``DeskTurn`` row
and an event.
"""

from contextlib import suppress
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.permissions import has_perm
from anju.core.roles import Perm, Role
from anju.core.scope import can_see
from anju.core.validation import validate_fields

from ..models import DeskDay, DeskTurn, DutySlot, DutyStatus, TurnKind
from ._common import _require_project
from .calls import owner_label_for_caller

# Who may be in a sales office's reception order: the roles that receive customers.
DESK_ROLES = (Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP)


def desk_consultants(project):
    """SYSTEM READ: the staff who may stand in this project's reception order (active
    consultants and key-account reps assigned to it). Names only, for the desk's choices."""
    from anju.org.models import RoleAssignment, User

    user_ids = (
        RoleAssignment.objects.unscoped("who may be on duty at this sales office")
        .filter(project=project, role__in=DESK_ROLES)
        .values("user_id")
    )
    return (
        User.objects.unscoped("who may be on duty at this sales office")
        .filter(pk__in=user_ids, is_active=True)
        .order_by("display_name", "username")
    )


def company_consultants(project):
    """SYSTEM READ: the consultants of the project's company — a customer may ask for his
    consultant from another project of the company (protection is company-wide)."""
    from anju.org.models import RoleAssignment, User

    user_ids = (
        RoleAssignment.objects.unscoped("whom a walk-in may ask for")
        .filter(company_id=project.company_id, role__in=DESK_ROLES)
        .values("user_id")
    )
    return (
        User.objects.unscoped("whom a walk-in may ask for")
        .filter(pk__in=user_ids, is_active=True)
        .order_by("display_name", "username")
    )


def _require_desk(by, project):
    """Anyone working at this sales office may operate its desk (consultants, managers)."""
    if by is None:
        return
    _require_project(by, project)


def _require_manager(by, project):
    if by is not None and not has_perm(
        by, Perm.VIEW_REPORTS, company=project.company_id, project=project
    ):
        raise NotPermitted(_("Only a sales manager of this project can set the reception order."))


def _lock_day(project, day):
    """The day's order, created on first use, locked for the rest of the transaction."""
    rows = DeskDay.objects.unscoped("the desk's own lock row").select_for_update()
    desk_day = rows.filter(project=project, day=day).first()
    if desk_day is None:
        # Another desk may open the day at the same moment: its row is then the day's one,
        # read and locked below (the unique constraint decides which create wins).
        with suppress(IntegrityError), transaction.atomic():
            DeskDay.objects.create(company_id=project.company_id, project=project, day=day)
        desk_day = rows.get(project=project, day=day)
    return desk_day


def _slots(desk_day):
    return DutySlot.objects.unscoped("the locked day's order").filter(desk_day=desk_day)


def _next_key(desk_day):
    top = _slots(desk_day).aggregate(top=Max("queue_key"))["top"]
    return (top or 0) + 1


def _today():
    return timezone.localdate()


def _eligible(project, consultant):
    if not desk_consultants(project).filter(pk=consultant.pk).exists():
        raise ApplicationError(
            _("%(name)s is not a consultant of this sales office.") % {"name": consultant},
            field="consultant",
        )


@transaction.atomic
def desk_set_order(*, by, project, consultants, day=None) -> list[DutySlot]:
    """Set who is on duty today and in which order (a sales manager). Consultants left out go
    off duty; the ones listed are queued in the order given."""
    _require_desk(by, project)
    _require_manager(by, project)
    consultants = list(consultants)
    if len({c.pk for c in consultants}) != len(consultants):
        raise ApplicationError(_("A consultant is listed twice."), field="consultants")
    for consultant in consultants:
        _eligible(project, consultant)
    desk_day = _lock_day(project, day or _today())
    existing = {s.consultant_id: s for s in _slots(desk_day)}
    key = _next_key(desk_day)
    slots = []
    for consultant in consultants:
        slot = existing.pop(consultant.pk, None) or DutySlot(
            company_id=project.company_id,
            project=project,
            desk_day=desk_day,
            consultant=consultant,
        )
        slot.queue_key, slot.status = key, DutyStatus.ON_DUTY
        slot.save()
        slots.append(slot)
        key += 1
    for slot in existing.values():
        if slot.status != DutyStatus.OFF:
            slot.status = DutyStatus.OFF
            slot.save(update_fields=["status", "updated_at"])
    record_event(
        by=by,
        verb="reception.desk_order_set",
        target=desk_day,
        details={"order": [c.pk for c in consultants], "day": desk_day.day.isoformat()},
    )
    return slots


@transaction.atomic
def desk_set_status(*, by, project, consultant, status, day=None) -> DutySlot:
    """A consultant steps out and comes back (he himself, or a manager for him); a manager
    may also take him off duty or put him back on duty at the end of the queue."""
    _require_desk(by, project)
    if status not in DutyStatus.values:
        raise ApplicationError(_("Unknown duty status."), field="status")
    if by is not None and by.pk != consultant.pk:
        _require_manager(by, project)
    desk_day = _lock_day(project, day or _today())
    slot = _slots(desk_day).filter(consultant=consultant).first()
    if slot is None:
        if status != DutyStatus.ON_DUTY:
            raise ApplicationError(_("This consultant is not in today's order."), field="status")
        _eligible(project, consultant)
        slot = DutySlot(
            company_id=project.company_id,
            project=project,
            desk_day=desk_day,
            consultant=consultant,
            queue_key=_next_key(desk_day),
        )
    before = slot.status if slot.pk else None
    if before == DutyStatus.OFF and status == DutyStatus.ON_DUTY:
        slot.queue_key = _next_key(desk_day)  # back on duty: at the end of the queue
    slot.status = status
    slot.save()
    record_event(
        by=by,
        verb="reception.desk_status_changed",
        target=slot,
        details={"consultant": consultant.pk, "from": before, "to": status},
    )
    return slot


def _turn(*, by, desk_day, kind, consultant, at, reason="", received_by=None, subject=None):
    turn = DeskTurn(
        company_id=desk_day.company_id,
        project_id=desk_day.project_id,
        desk_day=desk_day,
        kind=kind,
        consultant=consultant,
        received_by=received_by,
        at=at,
        reason=reason,
        recorded_by=by,
    )
    validate_fields(turn, ["reason"])
    turn.save()
    record_event(
        by=by,
        verb=f"reception.desk_{kind}",
        target=turn,
        subject=subject,
        details={
            "consultant": consultant.pk,
            "received_by": received_by.pk if received_by else None,
            "reason": reason,
        },
    )
    return turn


def _first_on_duty(desk_day):
    return (
        _slots(desk_day)
        .filter(status=DutyStatus.ON_DUTY)
        .select_related("consultant")
        .order_by("queue_key", "id")
        .first()
    )


def _to_the_back(desk_day, slot):
    slot.queue_key = _next_key(desk_day)
    slot.save(update_fields=["queue_key", "updated_at"])


@transaction.atomic
def desk_take_next(*, by, project, at=None) -> DeskTurn:
    """A new walk-in: the consultant first in order greets him and goes to the back."""
    _require_desk(by, project)
    at = at or timezone.now()
    desk_day = _lock_day(project, timezone.localtime(at).date())
    slot = _first_on_duty(desk_day)
    if slot is None:
        raise ApplicationError(_("Nobody is on duty at the desk. Set today's order first."))
    _to_the_back(desk_day, slot)
    return _turn(
        by=by, desk_day=desk_day, kind=TurnKind.IN_ORDER, consultant=slot.consultant, at=at
    )


@transaction.atomic
def desk_skip(*, by, project, consultant, reason: str, at=None) -> DeskTurn:
    """Pass over the consultant first in order (busy, on the phone …): the reason is recorded,
    he goes to the back of the queue, and the next one is up."""
    _require_desk(by, project)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the consultant is skipped."), field="reason")
    at = at or timezone.now()
    desk_day = _lock_day(project, timezone.localtime(at).date())
    slot = _first_on_duty(desk_day)
    if slot is None or slot.consultant_id != consultant.pk:
        # Someone else moved the queue meanwhile: refuse rather than skip the wrong person.
        raise ApplicationError(
            _("The order has changed; this consultant is not next any more. Look again."),
            field="consultant",
        )
    _to_the_back(desk_day, slot)
    return _turn(
        by=by,
        desk_day=desk_day,
        kind=TurnKind.SKIPPED,
        consultant=consultant,
        at=at,
        reason=reason,
    )


@transaction.atomic
def desk_asked_for(*, by, project, consultant, received_by=None, at=None) -> DeskTurn:
    """A returning customer asks for his consultant: he is called, and the one who received
    the customer (by default the one operating the desk) stays with him until the hand-over.
    Nobody's place in the order changes: this walk-in was not a turn."""
    _require_desk(by, project)
    if not company_consultants(project).filter(pk=consultant.pk).exists():
        raise ApplicationError(
            _("%(name)s is not a consultant of this company.") % {"name": consultant},
            field="consultant",
        )
    received_by = received_by or by
    if received_by is None:
        raise ApplicationError(_("Choose who received the customer."), field="received_by")
    at = at or timezone.now()
    desk_day = _lock_day(project, timezone.localtime(at).date())
    return _turn(
        by=by,
        desk_day=desk_day,
        kind=TurnKind.ASKED_FOR,
        consultant=consultant,
        received_by=received_by,
        at=at,
    )


# --- a walk-in looked up first: a returning customer goes to his consultant ------------------


@dataclass(frozen=True)
class DeskWalkIn:
    """What the desk did with a walk-in: who greets him, and how the desk may name him."""

    turn: DeskTurn
    returning: bool  # a known customer, handed to his owner; the order did not move
    consultant_label: str  # the consultant as the receptionist may know him (masked or not)
    message: str


def _customer_by_number_for_owner(project, phone):
    """SYSTEM READ, unscoped on purpose: the company's customer holding ``phone``, so that a
    colleague's customer goes to his consultant. Only his owner is used, and only masked for a
    receptionist who cannot see the customer (issue 7 item 1); nothing else comes back."""
    from anju.customers.models import Customer, CustomerPhone

    holders = (
        CustomerPhone.objects.unscoped("the desk: whose customer is this number")
        .filter(company_id=project.company_id, phone=phone)
        .values("customer_id")
    )
    customer = (
        Customer.objects.unscoped("the desk: whose customer is this number; never shown")
        .filter(pk__in=holders)
        .select_related("owner", "merged_into__owner")
        .first()
    )
    if customer is not None and customer.merged_into_id:
        customer = customer.merged_into  # a merged duplicate's number: the survivor's owner
    return customer


def _by_number(by, project, phone):
    """The customer holding the number typed at the desk. The look-up is the receptionist's
    phone search, logged as one (SEC-2); a customer he cannot see is then read for his owner's
    sake only."""
    from anju.customers.phones import normalise_phone
    from anju.customers.selectors import customer_by_phone

    phone = normalise_phone(phone, field="q")
    if by is not None:
        seen = customer_by_phone(by, project.company_id, phone)
        if seen is not None and not seen.merged_into_id:
            return seen
    return _customer_by_number_for_owner(project, phone)


def _his_consultant(project, customer):
    """The customer's owner if he can greet him: an active consultant of the company."""
    if customer is None or customer.owner_id is None or customer.archived_at is not None:
        return None
    if not company_consultants(project).filter(pk=customer.owner_id).exists():
        return None  # left the company, or no longer receives customers
    return customer.owner


@transaction.atomic
def desk_walk_in(*, by, project, customer=None, phone=None, at=None) -> DeskWalkIn:
    """A walk-in the desk looked up first (issue 9 item 3, seed 001).

    A known customer of this company with an owner goes to his consultant: a RETURNING turn
    for the owner, received by the one at the desk until the hand-over, and nobody's place in
    the order moves. Anyone else (not found, no owner, owner gone) is greeted by the next in
    order, as ``desk_take_next``. ``customer`` is one the receptionist found (and sees);
    ``phone`` a full number typed at the desk: it may be a colleague's customer the
    receptionist cannot see, who then learns only the owner's masked name.
    """
    _require_desk(by, project)
    hidden = False
    if phone:
        customer = _by_number(by, project, phone)
        hidden = customer is not None and by is not None and not can_see(by, customer)
    elif customer is not None:
        if by is not None and not can_see(by, customer):
            raise NotPermitted()
        if customer.company_id != project.company_id:
            raise Conflict(
                _("The customer belongs to another company."),
                field="customer",
                code="company_mismatch",
            )
    owner = _his_consultant(project, customer)
    if owner is None:
        turn = desk_take_next(by=by, project=project, at=at)
        message = _("%(name)s greets the walk-in.") % {"name": turn.consultant}
        if customer is not None and not hidden:
            message = _("No consultant of his receives customers here: %(rest)s") % {
                "rest": message
            }
        return DeskWalkIn(turn, False, str(turn.consultant), message)
    at = at or timezone.now()
    desk_day = _lock_day(project, timezone.localtime(at).date())
    received_by = by if by is not None and by.pk != owner.pk else None
    turn = _turn(
        by=by,
        desk_day=desk_day,
        kind=TurnKind.RETURNING,
        consultant=owner,
        received_by=received_by,
        at=at,
        subject=customer,
    )
    label = owner_label_for_caller(owner) if hidden else str(owner)
    if hidden:
        message = _(
            "This visitor is another consultant's customer (%(owner)s): call that consultant "
            "and stay with the visitor until the hand-over. The order does not move."
        ) % {"owner": label}
    else:
        message = _(
            "Returning customer: call %(owner)s and stay with the customer until the "
            "hand-over. The order does not move."
        ) % {"owner": label}
    return DeskWalkIn(turn, True, label, message)
