"""The reads of contracts, instalments and payments (SUB-4) a user sees, scoped with
``visible_to``. Instalments have no scope of their own: they are read through the contracts
the user sees (a subquery), never on their own."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, Sum
from django.utils import timezone

from anju.core.scope import get_visible_or_404

from .models import CoBuyer, Contract, Instalment, Payment, SubscriptionStatus


def local_today() -> datetime.date:
    return timezone.localdate()


def contracts_visible_to(user):
    return Contract.objects.visible_to(user).select_related(
        "project", "consultant", "subscription__customer", "subscription__unit__building"
    )


def contract_detail(user, pk) -> Contract:
    """One contract with its deal, buyers and instalments (four queries)."""
    return get_visible_or_404(
        Contract.objects.select_related(
            "project",
            "consultant",
            "subscription__project",
            "subscription__consultant",
            "subscription__customer",
            "subscription__unit__building",
        ).prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("due_date", "position")),
            Prefetch(
                "subscription__co_buyers", queryset=CoBuyer.objects.select_related("customer")
            ),
        ),
        user,
        pk=pk,
    )


def contract_of(subscription) -> Contract | None:
    """The contract of a subscription the caller has read through the user's scope."""
    return (
        Contract.objects.unscoped("the contract of a subscription the user sees")
        .filter(subscription_id=subscription.pk)
        .first()
    )


def payments_of(user, subscription):
    """The deal's payments and refunds, newest first, as the user sees them."""
    return (
        Payment.objects.visible_to(user)
        .filter(subscription_id=subscription.pk)
        .select_related("recorded_by")
        .order_by("-paid_on", "-id")
    )


# --- instalments: their state and the overdue list -------------------------------------------


@dataclass(frozen=True)
class InstalmentState:
    code: str  # paid | partly_paid | due | overdue
    balance: Decimal
    days_overdue: int


def instalment_state(instalment, today=None) -> InstalmentState:
    today = today or local_today()
    balance = instalment.amount - instalment.paid
    if balance <= 0:
        return InstalmentState("paid", Decimal("0.00"), 0)
    if instalment.due_date < today:
        return InstalmentState("overdue", balance, (today - instalment.due_date).days)
    return InstalmentState("partly_paid" if instalment.paid > 0 else "due", balance, 0)


def overdue_instalments(user, *, today=None):
    """Instalments of live signed contracts the user sees, past due with a balance, the most
    overdue first; ``balance`` annotated."""
    today = today or local_today()
    contracts = Contract.objects.visible_to(user).filter(
        cancelled_at__isnull=True, subscription__status=SubscriptionStatus.SIGNED
    )
    return (
        Instalment.objects.filter(
            contract__in=contracts.values("pk"), due_date__lt=today, paid__lt=F("amount")
        )
        .annotate(balance=F("amount") - F("paid"))
        .select_related(
            "contract__project",
            "contract__consultant",
            "contract__subscription__customer",
            "contract__subscription__unit__building",
        )
        .order_by("due_date", "id")
    )


def days_overdue(instalment, today=None) -> int:
    today = today or local_today()
    return max((today - instalment.due_date).days, 0)


def payment_detail(user, pk):
    """One payment (or refund) the user sees, with its deal and buyers, for its receipt;
    out of scope → 404."""
    return get_visible_or_404(
        Payment.objects.select_related(
            "company",
            "project",
            "recorded_by",
            "subscription__customer",
            "subscription__unit__building",
        ).prefetch_related(
            Prefetch("subscription__co_buyers", queryset=CoBuyer.objects.select_related("customer"))
        ),
        user,
        pk=pk,
    )


def paid_up_to(user, payment) -> Decimal:
    """What was paid on the payment's deal once it was recorded (refunds deducted): the
    payments recorded up to it, in the order they were recorded (one SUM)."""
    total = (
        Payment.objects.visible_to(user)
        .filter(subscription_id=payment.subscription_id, pk__lte=payment.pk)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0")
