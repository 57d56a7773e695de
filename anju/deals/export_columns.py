"""The columns of the deals lists' exports (queue numbers, subscriptions, overdue
instalments, sales changes), one definition for the page's streamed export and the API's
export job (``deals/exports.py``).

Buyers' names are masked (李*) and phones too for who may not unmask personal data where the
row is (``core.exports``: per row, by its company and project), as the deals API names them;
a buyer whose file the exporter may not open (another project's customer) is masked and his
code left out whatever the role may unmask, as on the pages.
"""

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.exports import Column
from anju.core.masking import mask_name, mask_phone

from . import contract_selectors


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def queue_columns() -> list[Column]:
    return [
        Column(_("Project"), "project.name"),
        Column(_("Queue number"), "number"),
        Column(_("Customer"), "customer.name", mask=mask_name, customer="customer"),
        Column(_("Customer code"), "customer.code", customer="customer"),
        Column(_("Intention"), "intention"),
        Column(_("Deposit"), "deposit_amount"),
        Column(_("Paid by"), lambda t: t.get_deposit_method_display()),
        Column(_("Receipt number"), "deposit_receipt_no"),
        Column(_("Status"), lambda t: t.get_status_display()),
        Column(_("Refund"), "refund_amount"),
        Column(_("Consultant"), lambda t: str(t.consultant)),
        Column(_("Issued"), lambda t: _local(t.created_at)),
    ]


def subscription_columns() -> list[Column]:
    return [
        Column(_("Project"), "project.name"),
        Column(_("Subscription number"), str),
        Column(_("Unit"), lambda s: str(s.unit)),
        Column(_("Buyer"), "customer.name", mask=mask_name, customer="customer"),
        Column(_("Customer code"), "customer.code", customer="customer"),
        Column(_("Status"), lambda s: s.get_status_display()),
        Column(_("Payment plan"), lambda s: s.get_payment_plan_display()),
        Column(_("List price"), "list_price"),
        Column(_("Price"), "final_price"),
        Column(_("Deposit"), "deposit"),
        Column(_("Consultant"), lambda s: str(s.consultant)),
        Column(_("Since"), lambda s: _local(s.created_at)),
    ]


def overdue_rows(rows):
    """Overdue instalments carry their contract's company and project, so the export unmasks
    per row where the user may (an instalment has no scope of its own)."""
    return rows.annotate(company_id=F("contract__company_id"), project_id=F("contract__project_id"))


_BUYER = "contract.subscription.customer"


def overdue_columns(today=None) -> list[Column]:
    today = today or contract_selectors.local_today()
    return [
        Column(_("Contract"), lambda i: str(i.contract)),
        Column(_("Project"), "contract.project.name"),
        Column(_("Unit"), lambda i: str(i.contract.subscription.unit)),
        Column(_("Buyer"), f"{_BUYER}.name", mask=mask_name, customer=_BUYER),
        Column(_("Mobile phone"), f"{_BUYER}.phone", mask=mask_phone, customer=_BUYER),
        Column(_("Consultant"), lambda i: str(i.contract.consultant)),
        Column(_("Instalment"), lambda i: i.get_kind_display()),
        Column(_("Due"), "due_date"),
        Column(_("Amount (CNY)"), "amount"),
        Column(_("Paid (CNY)"), "paid"),
        Column(_("Balance (CNY)"), lambda i: i.amount - i.paid),
        Column(_("Days overdue"), lambda i: contract_selectors.days_overdue(i, today)),
    ]


def change_columns() -> list[Column]:
    """The sales-change list (SUB-5): what its page shows, and the reason given. The payload's
    names (a rename's new buyer …) are stored masked already."""
    from .services.changes import change_what

    return [
        Column(_("Asked"), lambda c: _local(c.created_at)),
        Column(_("Project"), "project.name"),
        Column(_("Deal"), lambda c: str(c.subscription)),
        Column(_("Unit"), lambda c: str(c.subscription.unit)),
        Column(
            _("Buyer"),
            "subscription.customer.name",
            mask=mask_name,
            customer="subscription.customer",
        ),
        Column(_("Customer code"), "subscription.customer.code", customer="subscription.customer"),
        Column(_("Change"), lambda c: c.get_kind_display()),
        Column(_("What"), change_what),
        Column(_("Reason"), "reason"),
        Column(_("Requested by"), lambda c: str(c.requested_by)),
        Column(_("Status"), lambda c: c.get_status_display()),
        Column(_("Applied at"), lambda c: _local(c.applied_at)),
    ]
