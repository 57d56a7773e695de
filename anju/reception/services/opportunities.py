"""Opportunities (SAL-4): open, advance through the open stages, close as won or lost."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event
from anju.core.scope import can_see
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields
from anju.customers.services import customer_record_activity

from .. import hooks
from ..models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    STAGE_TRANSITIONS,
    LossReason,
    Opportunity,
    Stage,
    WinReason,
)
from ._common import _aware, _require_handler, _require_project
from .tasks import tasks_after_loss

MAX_EXPECTED_VALUE = Decimal("999999999999.99")
PRODUCTS_LENGTH = 300  # Opportunity.products_of_interest


def _fit(text, length):
    text = (text or "").strip()
    return text if len(text) <= length else text[: length - 1] + "…"


# --- opportunities (SAL-4) ---------------------------------------------------------------------


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter an amount in yuan."), field="expected_value") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_EXPECTED_VALUE:
        raise ApplicationError(_("Enter an amount in yuan."), field="expected_value")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def opportunity_open(
    *,
    by,
    customer,
    expected_value,
    products_of_interest: str = "",
    visit=None,
    project=None,
    stage: str = Stage.CONTACT,
    expected_close=None,
    consultant=None,
) -> Opportunity:
    """Open an opportunity (SAL-4). From a visit (issue 9 item 10) it carries the units and
    layouts shown there: the products default to the visit's, the units are linked."""
    if visit is not None and visit.customer_id != customer.pk:
        # two rows named together that do not belong together: a conflict (409), as
        # company_mismatch is
        raise Conflict(
            _("This visit is another customer's."), field="visit", code="customer_mismatch"
        )
    project = project or (visit.project if visit is not None else None) or customer.project
    if project is None:
        raise ApplicationError(_("Choose the project."), field="project")
    if project.company_id != customer.company_id:
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )
    _require_project(by, project)
    if by is not None and not can_see(by, customer):
        raise NotPermitted()
    consultant = consultant or customer.owner or by
    if consultant is None:
        raise ApplicationError(_("Choose the consultant."), field="consultant")
    if stage not in OPEN_STAGES:
        raise ApplicationError(_("A new opportunity starts in an open stage."), field="stage")
    products = (products_of_interest or "").strip()
    if not products and visit is not None:
        products = _fit(visit.products_shown, PRODUCTS_LENGTH)
    if not products and visit is not None:
        # the visit named showed nothing to carry over: the stored visit, not the request's
        # values, stands in the way (409)
        raise Conflict(
            _("Describe the units or layouts of interest: the visit showed none."),
            field="products_of_interest",
            code="nothing_shown",
        )
    if not products:
        raise ApplicationError(
            _("Describe the units or layouts of interest."), field="products_of_interest"
        )
    opportunity = Opportunity(
        company_id=project.company_id,
        project=project,
        consultant=consultant,
        customer=customer,
        stage=stage,
        products_of_interest=products,
        expected_value=_money(expected_value),
        expected_close=expected_close,
        source_visit=visit,
    )
    validate_fields(opportunity, ["products_of_interest", "expected_value"])
    opportunity.save()
    if visit is not None:
        opportunity.units_of_interest.set(visit.units_shown.all())
    customer_record_activity(by=consultant, customer=customer)
    record_event(
        by=by,
        verb="reception.opportunity_opened",
        target=opportunity,
        subject=customer,
        details={
            "stage": stage,
            "expected_value": str(opportunity.expected_value),
            "visit": visit.pk if visit is not None else None,
        },
    )
    return opportunity


def _lock_opportunity(opportunity):
    return (
        Opportunity.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .select_related("customer")
        .get(pk=opportunity.pk)
    )


@transaction.atomic
def opportunity_advance(*, by, opportunity, stage: str) -> Opportunity:
    """Move an open opportunity to another open stage (closing goes through close)."""
    _require_handler(by, opportunity, owner_id=opportunity.consultant_id)
    if stage in CLOSED_STAGES:
        raise ApplicationError(_("Close the opportunity with a reason instead."), field="stage")
    if stage not in Stage.values:
        raise ApplicationError(_("Unknown stage."), field="stage")
    opportunity = _lock_opportunity(opportunity)
    before = opportunity.stage
    check_transition(
        allowed=STAGE_TRANSITIONS,
        current=Stage(before),
        to=Stage(stage),
        label=_("The opportunity"),
    )
    opportunity.stage = stage
    opportunity.save(update_fields=["stage", "updated_at"])
    record_event(
        by=by,
        verb="reception.opportunity_stage_changed",
        target=opportunity,
        subject=opportunity.customer,
        details={"from": before, "to": stage},
    )
    return opportunity


def _reason(model, value, company_id):
    if value in (None, ""):
        return None
    if isinstance(value, WinReason | LossReason) and not isinstance(value, model):
        return None  # a loss reason cannot explain a win, nor the reverse
    pk = getattr(value, "pk", value)
    try:
        return model.objects.unscoped("a reason of the opportunity's company").get(
            pk=int(pk), company_id=company_id, is_active=True
        )
    except (model.DoesNotExist, TypeError, ValueError):
        return None


@transaction.atomic
def opportunity_close(*, by, opportunity, won: bool, reason, note: str = "", when=None):
    """Close as won or lost (SAL-4); the reason from the managed list is required."""
    _require_handler(by, opportunity, owner_id=opportunity.consultant_id)
    model = WinReason if won else LossReason
    chosen = _reason(model, reason, opportunity.company_id)
    if chosen is None and reason not in (None, ""):
        raise NotFound(_("This reason is not on the company's list."), field="reason")
    if chosen is None:
        raise ApplicationError(
            _("Choose why the opportunity was won.")
            if won
            else _("Choose why the opportunity was lost."),
            field="reason",
        )
    opportunity = _lock_opportunity(opportunity)
    target = Stage.WON if won else Stage.LOST
    check_transition(
        allowed=STAGE_TRANSITIONS,
        current=Stage(opportunity.stage),
        to=target,
        label=_("The opportunity"),
    )
    before = opportunity.stage
    opportunity.stage = target
    opportunity.win_reason = chosen if won else None
    opportunity.loss_reason = None if won else chosen
    opportunity.close_note = (note or "").strip()
    validate_fields(opportunity, ["close_note"])
    opportunity.closed_at = _aware(when, field_name="when") or timezone.now()
    opportunity.save(
        update_fields=[
            "stage",
            "win_reason",
            "loss_reason",
            "close_note",
            "closed_at",
            "updated_at",
        ]
    )
    record_event(
        by=by,
        verb="reception.opportunity_won" if won else "reception.opportunity_lost",
        target=opportunity,
        subject=opportunity.customer,
        details={"from": before, "reason": chosen.pk, "reason_name": chosen.name},
    )
    if won:
        # Deals take it from here (subscription, signing); until they exist the event above
        # and this seam are all there is (issue 9 item 7).
        hooks.opportunity_won(by=by, opportunity=opportunity)
    else:
        tasks_after_loss(by=by, opportunity=opportunity, reason_name=chosen.name)
    return opportunity
