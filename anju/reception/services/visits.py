"""Visits: register a visit (来访, SAL-3) with the risk factors disclosed to the customer.

A colleague's protected customer walking in (撞单, issue 9 item 3) is registered like his call
(issue 7 item 1): the visit goes on that customer, credited to his owner, who gets a
follow-up task in his name; the consultant who received him is recorded and learns only that
the customer is protected by another consultant — not the customer, not the owner's tasks.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.core.validation import validate_fields
from anju.customers.models import CustomerStatus, Gender, Source
from anju.customers.services import customer_record_activity, customer_set_status

from .. import followup_rules
from ..models import PhoneCall, RiskFactor, Visit
from ._common import (
    _aware,
    _consultant_for,
    _count,
    _form_opened_at,
    _not_in_future,
    _require_project,
    _require_reception,
)
from .calls import _register_or_find_protected, owner_label_for_caller
from .tasks import _create_tasks, tasks_after_visit

MAX_WAIT_RECORDED = 12 * 3600


@dataclass(frozen=True)
class VisitResult:
    visit: Visit
    customer: object
    missing_risk_factors: list = field(default_factory=list)
    message: str = ""
    protected_elsewhere: bool = False  # a colleague's customer: the receiver cannot open it

    tasks_closed: list = field(default_factory=list)
    tasks: list = field(default_factory=list)


def protected_visit_message(owner) -> str:
    return _(
        "This customer is protected by another consultant (%(owner)s). The visit is "
        "registered for that consultant, who has a follow-up task; you are recorded as the "
        "consultant who received the visitor."
    ) % {"owner": owner_label_for_caller(owner)}


# --- visits (SAL-3) ----------------------------------------------------------------------------


def _factor_ids(values):
    ids = set()
    for v in values or ():
        try:
            ids.add(int(getattr(v, "pk", v)))
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("Unknown risk factor."), field="risk_factors") from exc
    return ids


def project_layouts(project) -> list[str]:
    """SYSTEM READ: the layouts (户型) of the project's inventory, the choices for a visit."""
    from anju.inventory.models import Unit

    return sorted(
        set(
            Unit.objects.unscoped("the layouts of the caller's project")
            .filter(project=project)
            .exclude(layout="")
            .values_list("layout", flat=True)
        )
    )


def _units_shown(project, values):
    """Units picked from the project's inventory (issue 9 item 10); anything else refused."""
    from anju.inventory.models import Unit

    ids = set()
    for v in values or ():
        try:
            ids.add(int(getattr(v, "pk", v)))
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("Unknown unit."), field="units_shown") from exc
    units = list(
        Unit.objects.unscoped("units of the caller's project")
        .filter(project=project, pk__in=ids)
        .select_related("building")
        .order_by("building__code", "-floor", "position")
    )
    if len(units) != len(ids):
        raise NotFound(  # an id naming nothing the visit may use (as risk factors)
            _("A chosen unit is not in this project's inventory."), field="units_shown"
        )
    return units


def _layouts_shown(project, values):
    layouts = list(dict.fromkeys(str(v).strip() for v in values or () if str(v).strip()))
    if set(layouts) - set(project_layouts(project)):
        raise NotFound(  # a layout the project's inventory does not have: names nothing
            _("A chosen layout is not in this project's inventory."), field="layouts_shown"
        )
    return layouts


def _products_text(units, layouts, note):
    """What was shown, in words, for lists, exports and the opportunity it may lead to."""
    parts = [str(u) for u in units] + layouts
    text = "、".join(parts)
    note = (note or "").strip()
    return f"{text}；{note}" if text and note else (text or note)


def _booked_call(customer, arrived_at, booked_call):
    """The call that booked this visit: the one given (it must be this customer's and have
    booked a visit), else the customer's call that booked a visit on the arrival day."""
    if booked_call is not None:
        if booked_call.customer_id != customer.pk or booked_call.visit_booked_for is None:
            raise Conflict(  # the call named does not go with this visit (409)
                _("This call did not book a visit of this customer."),
                field="booked_call",
                code="booking_mismatch",
            )
        return booked_call
    day = timezone.localtime(arrived_at).date()
    return (
        PhoneCall.objects.unscoped("link the visit to the call that booked it")
        .filter(customer=customer, visit_booked_for__date=day, booked_visits__isnull=True)
        .order_by("-called_at", "-id")
        .first()
    )


def _waiting_seconds(arrived_at, reception_started_at, *, now):
    """The wait in seconds, or None when the reception start was not recorded."""
    if reception_started_at is None:
        return None
    _not_in_future(reception_started_at, field_name="reception_started_at", now=now)
    waiting = (reception_started_at - arrived_at).total_seconds()
    if waiting < 0:
        raise ApplicationError(
            _("Reception cannot start before the customer arrived."),
            field="reception_started_at",
        )
    if waiting > MAX_WAIT_RECORDED:
        raise ApplicationError(
            _("A wait of more than 12 hours is not plausible."), field="reception_started_at"
        )
    return int(waiting)


@transaction.atomic
def visit_register(
    *,
    by,
    project,
    arrived_at,
    reception_started_at=None,
    form_opened_at=None,
    phone: str = "",
    name: str = "",
    gender: str = Gender.UNKNOWN,
    source: str = Source.WALK_BY,
    customer=None,
    party_size: int = 1,
    products_shown: str = "",
    units_shown=(),
    layouts_shown=(),
    booked_call=None,
    risk_factors=(),
    club_invited: bool = False,
    next_step: str = "",
    consultant=None,
) -> VisitResult:
    """Register a visit (来访, SAL-3) with the risk factors disclosed to the customer.

    Every active risk factor of the project should be disclosed; the visit records which
    were, and the result lists the ones that were not, so the page can warn. The arrival is
    required (entered or stamped); the reception start may be unknown: the wait is then not
    recorded and the metrics show it as missing, never as met (issue 9 item 6).
    """
    now = timezone.now()
    _require_project(by, project)
    _require_reception(by, project, Perm.LOG_VISITS)
    consultant = _consultant_for(by, project, consultant)
    arrived_at = _aware(arrived_at, field_name="arrived_at")
    reception_started_at = _aware(reception_started_at, field_name="reception_started_at")
    form_opened_at = _form_opened_at(form_opened_at, now=now)
    if arrived_at is None:
        raise ApplicationError(_("Enter the arrival time."), field="arrived_at")
    _not_in_future(arrived_at, field_name="arrived_at", now=now)
    waiting = _waiting_seconds(arrived_at, reception_started_at, now=now)
    party_size = _count(party_size, field_name="party_size", maximum=50) or 1
    units = _units_shown(project, units_shown)
    layouts = _layouts_shown(project, layouts_shown)
    active = list(
        RiskFactor.objects.unscoped("checklist of the caller's project").filter(
            project=project, is_active=True
        )
    )
    active_ids = {f.pk for f in active}
    disclosed_ids = _factor_ids(risk_factors)
    if disclosed_ids - active_ids:
        # Named by id but not on this project's checklist: as for any other id that names
        # nothing the caller may use, a 404 (the API documents it for *_ids fields).
        raise NotFound(
            _("A chosen risk factor does not belong to this project."), field="risk_factors"
        )
    message = ""
    protected = False
    if customer is None:
        if not (phone or "").strip():
            raise ApplicationError(_("Enter the customer's mobile number."), field="phone")
        customer, message, protected = _register_or_find_protected(
            by=by,
            project=project,
            consultant=consultant,
            phone=phone,
            name=name,
            gender=gender,
            source=source,
        )
        if protected:
            # 撞单 at the door: the visit is not lost. It goes on the protected customer, is
            # credited to his owner (CUS-4), and the receiver stays recorded; nothing of the
            # customer comes back to the receiver.
            message = protected_visit_message(customer.owner)
    elif by is not None and not can_see(by, customer):
        raise NotPermitted()
    elif customer.company_id != project.company_id:
        raise Conflict(
            _("The customer belongs to another company."), field="customer", code="company_mismatch"
        )
    credited = customer.owner if protected else consultant
    booked_call = _booked_call(customer, arrived_at, booked_call)
    visit = Visit(
        company_id=project.company_id,
        project=project,
        consultant=credited,
        received_by=consultant,
        customer=customer,
        arrived_at=arrived_at,
        reception_started_at=reception_started_at,
        waiting_seconds=waiting,
        form_opened_at=form_opened_at,
        party_size=party_size,
        products_shown=_products_text(units, layouts, products_shown),
        layouts_shown=layouts,
        booked_call=booked_call,
        risk_factors_total=len(active_ids),
        risk_factors_disclosed_count=len(disclosed_ids),
        club_invited=bool(club_invited),
        next_step=(next_step or "").strip(),
    )
    validate_fields(visit, ["products_shown", "next_step"])
    visit.save()
    if disclosed_ids:
        visit.risk_factors_disclosed.set(sorted(disclosed_ids))
    if units:
        visit.units_shown.set(units)
    missing = [f for f in active if f.pk not in disclosed_ids]
    customer_record_activity(by=consultant, customer=customer, when=arrived_at)
    if customer.status == CustomerStatus.LEAD:  # the first visit makes a lead a visitor
        # For a colleague's customer the change is the visit's consequence, done by the system:
        # the receiver may not handle that customer.
        customer_set_status(
            by=None if protected else (by or consultant),
            customer=customer,
            status=CustomerStatus.VISITOR,
        )
    record_event(
        by=by,
        verb="reception.visit_registered",
        target=visit,
        subject=customer,
        details={
            "consultant": credited.pk,
            "received_by": consultant.pk,
            "booked_call": booked_call.pk if booked_call else None,
            "units_shown": [u.pk for u in units],
            "layouts_shown": layouts,
            "waiting_seconds": visit.waiting_seconds,
            "risk_factors_disclosed": sorted(disclosed_ids),
            "risk_factors_missing": [f.pk for f in missing],
            "club_invited": visit.club_invited,
        },
    )
    # A colleague's customer: his owner gets the same-day task below, which is the
    # follow-up; a second one for the next day would be duplicate work (issue 9 item 2).
    closed, created = tasks_after_visit(by=by, visit=visit, follow_up=not protected)
    if protected:
        _notify_owner(by=by, visit=visit, customer=customer, receiver=consultant)
    parts = [_("Visit registered.")]
    if missing:
        parts.append(
            _("Not all risk factors were disclosed: %(list)s.")
            % {"list": "、".join(f.title for f in missing)}
        )
    if closed and not protected:  # the receiver learns nothing of the owner's work
        parts.append(
            _("Open invitation and confirmation calls closed: %(n)d.") % {"n": len(closed)}
        )
    for task in created:
        parts.append(_("Post-visit follow-up due %(day)s.") % {"day": f"{task.due_date:%Y-%m-%d}"})
    if message:
        parts.append(message)
    if protected:
        visit.customer_visible = False
        return VisitResult(visit, None, missing, " ".join(parts), protected_elsewhere=True)
    visit.customer_visible = True
    return VisitResult(
        visit, customer, missing, " ".join(parts), tasks_closed=closed, tasks=created
    )


def _notify_owner(*, by, visit, customer, receiver):
    """The owner's follow-up, in his name and in his customer's project (like a call's)."""
    project = customer.project or visit.project
    spec = followup_rules.rule_for_visit_by_colleague(visit, customer=customer, receiver=receiver)
    _create_tasks(
        by=by,
        specs=[spec],
        project=project,
        assignee=customer.owner,
        customer=customer,
        source=visit,
    )
