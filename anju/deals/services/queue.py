"""Queue numbers (QUE-1): issue with an optional deposit, cancel with the refund recorded.

The number comes from ``allocate_number`` inside the issuing transaction: strictly
sequential per project, no gap (a rolled-back issue gives its number back), no duplicate
(the counter row is locked until commit), and a cancelled number is never reissued.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.numbering import allocate_number
from anju.core.transitions import check_transition
from anju.core.validation import money_amount, validate_fields
from anju.customers.models import Customer

from ..models import LIVE_QUEUE_STATUSES, QUEUE_TRANSITIONS, PaymentMethod, QueueStatus, QueueTicket
from ._common import clean_reason, require_same_company, require_seller, require_visible_customer

QUEUE_NUMBER_KIND = "queue"


@transaction.atomic
def queue_number_issue(
    *,
    by,
    project,
    customer,
    intention: str = "",
    deposit_amount=Decimal("0"),
    deposit_method: str = "",
    deposit_receipt_no: str = "",
) -> QueueTicket:
    """预约排号 Give ``customer`` the project's next queue number (one live number each)."""
    require_seller(by, project)
    require_visible_customer(by, customer)
    require_same_company(customer, project)
    deposit = money_amount(deposit_amount or 0, field="deposit_amount")
    _check_payment(deposit, deposit_method, "deposit_method")
    ticket = QueueTicket(
        company_id=project.company_id,
        project=project,
        customer=customer,
        consultant=by,
        intention=(intention or "").strip(),
        deposit_amount=deposit,
        deposit_method=deposit_method or "",
        deposit_receipt_no=(deposit_receipt_no or "").strip(),
    )
    validate_fields(ticket, ["intention", "deposit_method", "deposit_receipt_no"])
    _lock_customer(customer)
    if _has_live_number(project, customer):
        raise Conflict(
            _("This customer already holds a queue number for the project."),
            field="customer_id",
            code="already_queued",
        )
    # Last, so that nothing refused above takes a number (the counter row stays locked
    # from here to commit: keep the rest of the transaction short).
    ticket.number = allocate_number(kind=QUEUE_NUMBER_KIND, scope=project)
    ticket.save()
    record_event(
        by=by,
        verb="deals.queue_issued",
        target=ticket,
        subject=customer,
        details={"number": ticket.number, "deposit": str(deposit)},
    )
    return ticket


@transaction.atomic
def queue_number_cancel(
    *,
    by,
    ticket,
    reason: str,
    refund_amount=None,
    refund_method: str = "",
    refund_receipt_no: str = "",
) -> QueueTicket:
    """Cancel a live number; a deposit must be refunded (up to what was paid) and the
    refund recorded. The number itself is never given out again."""
    ticket = lock_ticket(ticket)
    require_seller(by, ticket.project)
    check_transition(
        allowed=QUEUE_TRANSITIONS,
        current=QueueStatus(ticket.status),
        to=QueueStatus.CANCELLED,
        label=_("The queue number"),
    )
    reason = clean_reason(reason)
    refund = _refund(ticket, refund_amount, refund_method)
    ticket.status = QueueStatus.CANCELLED
    ticket.cancelled_at = timezone.now()
    ticket.cancel_reason = reason
    ticket.refund_amount = refund
    ticket.refund_method = refund_method if refund else ""
    ticket.refund_receipt_no = (refund_receipt_no or "").strip() if refund else ""
    validate_fields(ticket, ["refund_method", "refund_receipt_no"])
    ticket.save()
    record_event(
        by=by,
        verb="deals.queue_cancelled",
        target=ticket,
        subject=ticket.customer,
        details={"number": ticket.number, "reason": reason, "refund": str(refund or 0)},
    )
    return ticket


def lock_ticket(ticket) -> QueueTicket:
    return (
        QueueTicket.objects.unscoped("lock the queue number the caller scoped")
        .select_for_update(of=("self",))
        .select_related("project", "customer")
        .get(pk=ticket.pk)
    )


def queue_set_status(*, by, ticket, to: str) -> QueueTicket:
    """Move a locked ticket along its workflow (launch day, subscriptions); the caller holds
    the transaction and the lock."""
    check_transition(
        allowed=QUEUE_TRANSITIONS,
        current=QueueStatus(ticket.status),
        to=QueueStatus(to),
        label=_("The queue number"),
    )
    before, ticket.status = ticket.status, to
    if to == QueueStatus.CALLED:
        ticket.called_at = timezone.now()
    ticket.save(update_fields=["status", "called_at", "updated_at"])
    record_event(
        by=by,
        verb="deals.queue_status_changed",
        target=ticket,
        subject=ticket.customer,
        details={"number": ticket.number, "from": before, "to": to},
    )
    return ticket


def _lock_customer(customer) -> None:
    """Issues for one customer one after the other: of two at once, the second waits here
    until the first commits, then sees its number (without the lock both passed the check
    below and the customer held two live numbers). FOR NO KEY UPDATE: rows referring to
    him (a call, a visit) are still written meanwhile. Taken before the counter row's lock,
    so it does not lengthen it."""
    list(
        Customer.objects.unscoped("lock the buyer the caller scoped")
        .select_for_update(no_key=True)
        .filter(pk=customer.pk)
        .values_list("pk", flat=True)
    )


def _has_live_number(project, customer) -> bool:
    return (
        QueueTicket.objects.unscoped("one live number per customer and project")
        .filter(project=project, customer=customer, status__in=LIVE_QUEUE_STATUSES)
        .exists()
    )


def _check_payment(amount, method, field) -> None:
    if amount > 0 and method not in PaymentMethod.values:
        raise ApplicationError(_("Say how it was paid."), field=field, code="required")
    if method and method not in PaymentMethod.values:
        raise ApplicationError(_("Unknown payment method."), field=field)


def _refund(ticket, refund_amount, refund_method):
    # Both refusals depend on the stored deposit, not on the body alone: 409, like a refund
    # larger than the deposit (the API contract run's ST202 found the 422s).
    if not ticket.deposit_amount:
        if refund_amount not in (None, "", 0, Decimal("0")):
            raise Conflict(
                _("No deposit was paid, so nothing is refunded."),
                field="refund_amount",
                code="no_deposit",
            )
        return None
    if refund_amount in (None, ""):
        raise Conflict(
            _("Record the refund of the deposit (%(amount)s yuan).")
            % {"amount": f"{ticket.deposit_amount:,}"},
            field="refund_amount",
            code="refund_required",
        )
    refund = money_amount(refund_amount, field="refund_amount")
    if refund > ticket.deposit_amount:
        raise Conflict(  # 409: the stored deposit says no
            _("The refund is more than the deposit (%(amount)s yuan).")
            % {"amount": f"{ticket.deposit_amount:,}"},
            field="refund_amount",
            code="refund_too_large",
        )
    _check_payment(refund, refund_method, "refund_method")
    return refund
