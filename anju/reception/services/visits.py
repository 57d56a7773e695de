"""Visits: register a visit (来访, SAL-3) with the risk factors disclosed to the customer."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.scope import can_see
from anju.core.validation import validate_fields
from anju.customers.models import CustomerStatus, Gender, Source
from anju.customers.services import customer_record_activity, customer_set_status

from ..models import RiskFactor, Visit
from ._common import (
    _aware,
    _consultant_for,
    _count,
    _not_in_future,
    _register_customer,
    _require_project,
)
from .tasks import tasks_after_visit

MAX_WAIT_RECORDED = 12 * 3600


@dataclass(frozen=True)
class VisitResult:
    visit: Visit
    customer: object
    missing_risk_factors: list = field(default_factory=list)
    message: str = ""
    tasks_closed: list = field(default_factory=list)
    tasks: list = field(default_factory=list)


# --- visits (SAL-3) ----------------------------------------------------------------------------


def _factor_ids(values):
    ids = set()
    for v in values or ():
        try:
            ids.add(int(getattr(v, "pk", v)))
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("Unknown risk factor."), field="risk_factors") from exc
    return ids


@transaction.atomic
def visit_register(
    *,
    by,
    project,
    arrived_at,
    reception_started_at,
    phone: str = "",
    name: str = "",
    gender: str = Gender.UNKNOWN,
    source: str = Source.WALK_BY,
    customer=None,
    party_size: int = 1,
    products_shown: str = "",
    risk_factors=(),
    club_invited: bool = False,
    next_step: str = "",
    consultant=None,
) -> VisitResult:
    """Register a visit (来访, SAL-3) with the risk factors disclosed to the customer.

    Every active risk factor of the project should be disclosed; the visit records which
    were, and the result lists the ones that were not, so the page can warn.
    """
    now = timezone.now()
    _require_project(by, project)
    consultant = _consultant_for(by, project, consultant)
    arrived_at = _aware(arrived_at, field_name="arrived_at")
    reception_started_at = _aware(reception_started_at, field_name="reception_started_at")
    if arrived_at is None:
        raise ApplicationError(_("Enter the arrival time."), field="arrived_at")
    if reception_started_at is None:
        raise ApplicationError(
            _("Enter the time the reception started."), field="reception_started_at"
        )
    _not_in_future(arrived_at, field_name="arrived_at", now=now)
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
    party_size = _count(party_size, field_name="party_size", maximum=50) or 1
    active = list(
        RiskFactor.objects.unscoped("checklist of the caller's project").filter(
            project=project, is_active=True
        )
    )
    active_ids = {f.pk for f in active}
    disclosed_ids = _factor_ids(risk_factors)
    if disclosed_ids - active_ids:
        raise ApplicationError(
            _("A chosen risk factor does not belong to this project."), field="risk_factors"
        )
    message = ""
    if customer is None:
        if not (phone or "").strip():
            raise ApplicationError(_("Enter the customer's mobile number."), field="phone")
        registration = _register_customer(
            by=by,
            project=project,
            consultant=consultant,
            phone=phone,
            name=name,
            gender=gender,
            source=source,
        )
        customer = registration.customer
        message = registration.message
    elif by is not None and not can_see(by, customer):
        raise NotPermitted()
    elif customer.company_id != project.company_id:
        raise Conflict(
            _("The customer belongs to another company."), field="customer", code="company_mismatch"
        )
    visit = Visit(
        company_id=project.company_id,
        project=project,
        consultant=consultant,
        customer=customer,
        arrived_at=arrived_at,
        reception_started_at=reception_started_at,
        waiting_seconds=int(waiting),
        party_size=party_size,
        products_shown=(products_shown or "").strip(),
        risk_factors_total=len(active_ids),
        risk_factors_disclosed_count=len(disclosed_ids),
        club_invited=bool(club_invited),
        next_step=(next_step or "").strip(),
    )
    validate_fields(visit, ["products_shown", "next_step"])
    visit.save()
    if disclosed_ids:
        visit.risk_factors_disclosed.set(sorted(disclosed_ids))
    missing = [f for f in active if f.pk not in disclosed_ids]
    customer_record_activity(by=consultant, customer=customer, when=arrived_at)
    if customer.status == CustomerStatus.LEAD:  # the first visit makes a lead a visitor
        customer_set_status(by=by or consultant, customer=customer, status=CustomerStatus.VISITOR)
    record_event(
        by=by,
        verb="reception.visit_registered",
        target=visit,
        subject=customer,
        details={
            "consultant": consultant.pk,
            "waiting_seconds": visit.waiting_seconds,
            "risk_factors_disclosed": sorted(disclosed_ids),
            "risk_factors_missing": [f.pk for f in missing],
            "club_invited": visit.club_invited,
        },
    )
    closed, created = tasks_after_visit(by=by, visit=visit)
    parts = [_("Visit registered.")]
    if missing:
        parts.append(
            _("Not all risk factors were disclosed: %(list)s.")
            % {"list": "、".join(f.title for f in missing)}
        )
    if closed:
        parts.append(
            _("Open invitation and confirmation calls closed: %(n)d.") % {"n": len(closed)}
        )
    for task in created:
        parts.append(_("Post-visit follow-up due %(day)s.") % {"day": f"{task.due_date:%Y-%m-%d}"})
    if message:
        parts.append(message)
    return VisitResult(visit, customer, missing, " ".join(parts), closed, created)
