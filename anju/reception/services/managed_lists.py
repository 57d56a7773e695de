"""Managed lists: a project's risk factors (SAL-3) and a company's win/loss reasons (SAL-4)."""

from django.db import transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.validation import validate_fields

from ..models import LossReason, RiskFactor, WinReason
from ._common import _count

# --- managed lists -----------------------------------------------------------------------------


@transaction.atomic
def risk_factor_create(*, by, project, title: str, description: str = "", sort_order=0):
    """Add an adverse factor every visitor of the project must be told about (SAL-3)."""
    require_perm(by, Perm.MANAGE_INVENTORY, company=project.company_id, project=project.pk)
    title = (title or "").strip()
    if not title:
        raise ApplicationError(_("Describe the adverse factor."), field="title")
    factor = RiskFactor(
        company_id=project.company_id,
        project=project,
        title=title,
        description=(description or "").strip(),
        sort_order=_count(sort_order or 0, field_name="sort_order", maximum=999),
    )
    validate_fields(factor, ["title", "description"])
    factor.save()
    record_event(by=by, verb="reception.risk_factor_added", target=factor)
    return factor


@transaction.atomic
def risk_factor_set_active(*, by, factor, active: bool):
    require_perm(by, Perm.MANAGE_INVENTORY, company=factor.company_id, project=factor.project_id)
    if factor.is_active != bool(active):
        factor.is_active = bool(active)
        factor.save(update_fields=["is_active", "updated_at"])
        record_event(
            by=by,
            verb="reception.risk_factor_activated" if active else "reception.risk_factor_retired",
            target=factor,
        )
    return factor


@transaction.atomic
def reason_create(*, by, company, won: bool, name: str, sort_order=0):
    """Add a win or loss reason to the company's managed list (SAL-4)."""
    require_perm(by, Perm.VIEW_REPORTS, company=company.pk)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Name the reason."), field="name")
    model = WinReason if won else LossReason
    if (
        model.objects.unscoped("unique name in the company")
        .filter(company=company, name=name[:100])
        .exists()
    ):
        raise Conflict(_("This reason is already on the list."), field="name", code="duplicate")
    reason = model(
        company=company,
        name=name[:100],
        sort_order=_count(sort_order or 0, field_name="sort_order", maximum=999),
    )
    validate_fields(reason, ["name"])
    reason.save()
    record_event(by=by, verb="reception.reason_added", target=reason, details={"won": won})
    return reason


@transaction.atomic
def reason_set_active(*, by, reason, active: bool):
    """Retire a reason nobody should pick any more; closed opportunities keep it (SAL-4)."""
    require_perm(by, Perm.VIEW_REPORTS, company=reason.company_id)
    if reason.is_active != bool(active):
        reason.is_active = bool(active)
        reason.save(update_fields=["is_active", "updated_at"])
        record_event(
            by=by,
            verb="reception.reason_activated" if active else "reception.reason_retired",
            target=reason,
        )
    return reason
