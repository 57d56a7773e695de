"""Payments and refunds on a deal (SUB-4): partial payments, refunds as negative records
with a reason, never more than the balance, never more refunded than paid.

Every write locks the unit and the subscription (``lock_subscription``), so two cashiers
recording at once cannot both take the last of the balance.
"""

import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.validation import money_amount, validate_fields

from ..models import Instalment, Payment, PaymentMethod, SubscriptionStatus
from ._common import clean_reason
from .subscriptions import lock_subscription

PAYABLE = (SubscriptionStatus.SUBSCRIBED, SubscriptionStatus.SIGNED)


@transaction.atomic
def payment_record(
    *,
    by,
    subscription,
    amount,
    method: str,
    paid_on=None,
    receipt_no: str = "",
    reason: str = "",
) -> Payment:
    """Record money received (positive) or paid back (negative, with a reason)."""
    subscription = lock_subscription(subscription)
    require_perm(
        by, Perm.RECORD_PAYMENTS, company=subscription.company_id, project=subscription.project_id
    )
    amount = money_amount(amount, field="amount", negative=True)
    if amount == 0:
        raise ApplicationError(_("Enter an amount other than 0."), field="amount")
    if method not in PaymentMethod.values:
        raise ApplicationError(_("Say how it was paid."), field="method", code="required")
    paid = paid_total(subscription)
    if amount > 0:
        _check_payable(subscription, amount, paid)
        reason = clean_reason(reason, required=False)
    else:
        reason = clean_reason(reason)  # a refund always says why
        if -amount > paid:
            raise Conflict(  # 409: the request is fine, what was paid so far is not enough
                _("The refund is more than was paid (%(paid)s yuan).") % {"paid": f"{paid:,}"},
                field="amount",
                code="refund_too_large",
            )
    payment = Payment(
        company_id=subscription.company_id,
        project_id=subscription.project_id,
        subscription=subscription,
        amount=amount,
        method=method,
        receipt_no=(receipt_no or "").strip(),
        paid_on=_paid_on(paid_on),
        reason=reason,
        recorded_by=by,
    )
    validate_fields(payment, ["receipt_no", "reason"])
    payment.save()
    spread_over_instalments(subscription)
    record_event(
        by=by,
        verb="deals.refund_recorded" if amount < 0 else "deals.payment_recorded",
        target=subscription,
        subject=subscription.customer,
        details={"payment": payment.pk, "amount": str(amount), "method": method},
    )
    return payment


def paid_total(subscription):
    """What was paid on the deal, refunds deducted (one SUM)."""
    total = (
        Payment.objects.unscoped("the payments of the locked subscription")
        .filter(subscription=subscription)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or 0


def spread_over_instalments(subscription) -> None:
    """Spread what was paid over the contract's instalments in due order (partial payments,
    one payment covering two instalments and refunds all end consistent)."""
    instalments = list(
        Instalment.objects.filter(contract__subscription=subscription).order_by(
            "due_date", "position"
        )
    )
    left = paid_total(subscription)
    for instalment in instalments:
        covered = min(max(left, 0), instalment.amount)
        left -= covered
        if instalment.paid != covered:
            instalment.paid = covered
            instalment.save(update_fields=["paid"])


def _check_payable(subscription, amount, paid) -> None:
    if subscription.status not in PAYABLE:
        raise Conflict(
            _("Payments are recorded on a subscribed or signed deal."), code="not_payable"
        )
    balance = subscription.final_price - paid
    if amount > balance:
        raise Conflict(  # 409: the stored balance, not the request, says no
            _("The payment is more than the balance (%(balance)s yuan).")
            % {"balance": f"{balance:,}"},
            field="amount",
            code="more_than_balance",
        )


def _paid_on(value):
    today = timezone.localdate()
    if value in (None, ""):
        return today
    if not isinstance(value, datetime.date):
        raise ApplicationError(_("Enter a date."), field="paid_on")
    if value > today:
        raise ApplicationError(_("A payment cannot be dated in the future."), field="paid_on")
    return value
