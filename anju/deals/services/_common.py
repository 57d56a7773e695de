"""What the deals services share: reading a customer/unit the caller may act on, permissions."""

from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.core.validation import validate_text


def require_seller(by, project) -> None:
    """Issuing numbers and subscribing units: the project's sales team (SELL_UNITS)."""
    require_perm(by, Perm.SELL_UNITS, company=project.company_id, project=project.pk)


def require_visible_customer(by, customer, *, field: str = "customer_id") -> None:
    """The buyer must be someone the user sees (out of scope = not found, as everywhere)."""
    if customer is None or (by is not None and not can_see(by, customer)):
        raise NotFound(_("No such customer."), field=field)
    if customer.merged_into_id:
        raise Conflict(_("This record was merged into another customer."), code="merged")
    if customer.anonymised_at is not None:
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")


def require_same_company(customer, project, *, field: str = "customer_id") -> None:
    if customer.company_id != project.company_id:
        raise Conflict(
            _("The customer belongs to another company."), field=field, code="other_company"
        )


def clean_reason(reason: str, *, field: str = "reason", required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ApplicationError(_("Say why."), field=field, code="required")
    validate_text(reason, field=field, max_length=200, multiline=False)
    return reason


def advance_customer(customer, status) -> None:
    """A deal moves its buyer forward in the lifecycle (认购 → subscribed, 签约 → signed);
    never backwards (an owner buying again stays an owner). The fact is the system's."""
    from anju.customers.models import CustomerStatus
    from anju.customers.services import customer_set_status

    order = list(CustomerStatus.values)
    if order.index(status) > order.index(customer.status):
        customer_set_status(by=None, customer=customer, status=status)
