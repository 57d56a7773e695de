"""Signing (签约, SUB-4): the contract, its number and its payment plan's instalments.

The rules of a plan, decided here once:

* **The instalments always cover the whole contract price** (``Contract.total``, the
  subscription's agreed final price). What was paid before signing (a deposit recorded with
  ``payment_record`` while subscribed) is *not* deducted from any instalment: like every
  later payment it is spread over the instalments in due order (``spread_over_instalments``),
  so the first instalment shows as partly or fully paid from the start.
* 一次性 one-off: one FULL instalment, due ``due_days`` after signing (default 7).
* 分期 instalments: the (due date, amount) rows given — at least two, due dates strictly
  increasing, none before the signing day nor more than ``MAX_PLAN_YEARS`` after it — that
  add up to the price exactly.
* 按揭 mortgage: a DOWN_PAYMENT (at least ``MIN_DOWN_PAYMENT_RATE`` of the price) due
  ``due_days`` after signing, and the LOAN the bank pays out, due ``loan_due_on`` (default
  ``LOAN_DUE_DAYS`` after signing); the two add up to the price exactly.
* A plan other than the one the price was agreed for is refused when a sales discount of
  the price is given only for the agreed plan (一次性付款折扣 …): the price would no longer be
  explained by its lines. Changing it is a sales change (SUB-5).

Signing locks the unit and the subscription (``lock_subscription``), moves the subscription
SUBSCRIBED → SIGNED and the unit 认购 → 签约, applies the club's tier rules to every buyer
(MEM-3) and schedules the revisit after signing (SAL-5), all in one transaction.
"""

import datetime
from decimal import ROUND_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.numbering import allocate_number
from anju.core.scope import can_see
from anju.core.transitions import check_transition
from anju.core.validation import money_amount
from anju.customers.models import CustomerStatus
from anju.inventory.models import UnitStatus
from anju.inventory.services import unit_change_status

from ..models import (
    SUBSCRIPTION_TRANSITIONS,
    Contract,
    Instalment,
    InstalmentKind,
    PaymentPlan,
    PriceLine,
    SalesDiscount,
    SubscriptionStatus,
)
from ._common import advance_customer, require_seller
from .payments import spread_over_instalments
from .revisits import schedule_deal_revisit
from .subscriptions import _set_status, lock_subscription

CONTRACT_NUMBER_KIND = "contract"
ONE_OFF_DUE_DAYS = 7  # a one-off payment, a mortgage's down payment: due a week after signing
LOAN_DUE_DAYS = 90  # a mortgage loan is paid out by the bank: due three months after signing
MAX_DUE_DAYS = 365
MAX_PLAN_YEARS = 10
MAX_INSTALMENTS = 60
# 首付 at least 20 % of the price unless the installation says otherwise (a national floor
# that local policy raises for second homes): settings.ANJU_MIN_DOWN_PAYMENT_RATE.
DEFAULT_MIN_DOWN_PAYMENT_RATE = Decimal("0.20")


def min_down_payment_rate() -> Decimal:
    return Decimal(str(getattr(settings, "ANJU_MIN_DOWN_PAYMENT_RATE", "0.20")))


def min_down_payment(total: Decimal) -> Decimal:
    """The smallest down payment of a mortgage on ``total``, rounded up to the fen."""
    return (total * min_down_payment_rate()).quantize(Decimal("0.01"), rounding=ROUND_UP)


@transaction.atomic
def contract_sign(
    *,
    by,
    subscription,
    payment_plan: str,
    signed_on=None,
    down_payment=0,
    loan_amount=0,
    instalments=None,
    due_days=None,
    loan_due_on=None,
) -> Contract:
    """签约 Sign the subscribed deal: a contract numbered per project, its instalments.

    ``instalments``: for the instalments plan, (due date, amount) pairs in due order.
    ``due_days``: days after signing a one-off payment or a down payment is due (default
    7). ``loan_due_on``: when the bank pays out a mortgage (default 90 days after signing).
    """
    subscription = lock_subscription(subscription)
    require_seller(by, subscription.project)
    _check_signable(subscription)
    if payment_plan not in PaymentPlan.values:
        raise ApplicationError(_("Choose a payment plan."), field="payment_plan", code="required")
    _check_plan_fits_price(subscription, payment_plan)
    signed_on = _signed_on(signed_on, subscription)
    total = subscription.final_price
    rows = plan_rows(
        payment_plan,
        total=total,
        signed_on=signed_on,
        down_payment=down_payment,
        loan_amount=loan_amount,
        instalments=instalments,
        due_days=due_days,
        loan_due_on=loan_due_on,
    )
    project = subscription.project
    contract = Contract(
        company_id=subscription.company_id,
        project=project,
        subscription=subscription,
        consultant_id=subscription.consultant_id,  # the deal's consultant, as its scope
        payment_plan=payment_plan,
        total=total,
        down_payment=next((a for k, _d, a in rows if k == InstalmentKind.DOWN_PAYMENT), 0),
        loan_amount=next((a for k, _d, a in rows if k == InstalmentKind.LOAN), 0),
        signed_at=_signed_at(signed_on),
    )
    # Last, so nothing refused above takes a number (the counter row stays locked to commit).
    contract.number = allocate_number(kind=CONTRACT_NUMBER_KIND, scope=project)
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:  # one contract per subscription, whatever the services do
        raise Conflict(_("This deal is signed already."), code="already_signed") from exc
    Instalment.objects.bulk_create(
        Instalment(contract=contract, position=n, kind=kind, due_date=due, amount=amount)
        for n, (kind, due, amount) in enumerate(rows, start=1)
    )
    _set_status(by, subscription, SubscriptionStatus.SIGNED, contract=contract.number)
    subscription.signed_at = contract.signed_at
    subscription.save(update_fields=["signed_at", "updated_at"])
    unit_change_status(
        by=by,
        unit=subscription.unit,
        to=UnitStatus.SIGNED,
        reason=str(contract),
        subject=subscription.customer,
    )
    spread_over_instalments(subscription)
    record_event(
        by=by,
        verb="deals.contract_signed",
        target=contract,
        subject=subscription.customer,
        details={
            "number": contract.number,
            "subscription": subscription.pk,
            "payment_plan": payment_plan,
            "total": str(total),
            "instalments": [[str(due), str(amount)] for _k, due, amount in rows],
        },
    )
    apply_tier_rules(by=by, contract=contract, subscription=subscription)
    advance_customer(subscription.customer, CustomerStatus.SIGNED)
    schedule_deal_revisit(
        by=by, subscription=subscription, after="signing", source=contract, when=contract.signed_at
    )
    return contract


# --- the payment plan ---------------------------------------------------------------------------


def plan_rows(
    payment_plan,
    *,
    total: Decimal,
    signed_on: datetime.date,
    down_payment=0,
    loan_amount=0,
    instalments=None,
    due_days=None,
    loan_due_on=None,
) -> list[tuple[str, datetime.date, Decimal]]:
    """The plan's instalments as (kind, due date, amount), in due order; refuses a plan that
    does not add up, naming the field. Pure: no query."""
    if payment_plan != PaymentPlan.INSTALMENTS and instalments:
        raise ApplicationError(
            _("Instalment rows are only for the instalments plan."), field="instalments"
        )
    if payment_plan != PaymentPlan.MORTGAGE:
        for field, value in (("down_payment", down_payment), ("loan_amount", loan_amount)):
            if value not in (None, "") and money_amount(value, field=field) != 0:
                raise ApplicationError(
                    _("A down payment and a loan are only for the mortgage plan."), field=field
                )
    if payment_plan == PaymentPlan.ONE_OFF:
        due = signed_on + datetime.timedelta(days=_due_days(due_days))
        return [(InstalmentKind.FULL, due, total)]
    if payment_plan == PaymentPlan.MORTGAGE:
        return _mortgage(total, signed_on, down_payment, loan_amount, due_days, loan_due_on)
    if due_days not in (None, ""):
        raise ApplicationError(
            _("The instalments plan gives every due date itself."), field="due_days"
        )
    return _instalments(total, signed_on, instalments)


def _due_days(value) -> int:
    if value in (None, ""):
        return ONE_OFF_DUE_DAYS
    try:
        days = int(value)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter a number of days."), field="due_days") from exc
    if isinstance(value, bool) or not 0 <= days <= MAX_DUE_DAYS:
        raise ApplicationError(
            _("Enter a number of days from 0 to %(max)s.") % {"max": MAX_DUE_DAYS},
            field="due_days",
        )
    return days


def _latest_due(signed_on):
    try:
        return signed_on.replace(year=signed_on.year + MAX_PLAN_YEARS)
    except ValueError:  # 29 February
        return signed_on.replace(year=signed_on.year + MAX_PLAN_YEARS, day=28)


def _check_due(due, signed_on, field) -> datetime.date:
    if not isinstance(due, datetime.date) or isinstance(due, datetime.datetime):
        raise ApplicationError(_("Enter a date."), field=field)
    if due < signed_on:
        raise ApplicationError(_("The due date is before the signing day."), field=field)
    if due > _latest_due(signed_on):
        raise ApplicationError(
            _("The due date is more than %(years)s years after signing.")
            % {"years": MAX_PLAN_YEARS},
            field=field,
        )
    return due


def _mortgage(total, signed_on, down_payment, loan_amount, due_days, loan_due_on):
    down = money_amount(down_payment or 0, field="down_payment")
    loan = money_amount(loan_amount or 0, field="loan_amount")
    floor = min_down_payment(total)
    if down < floor:
        raise ApplicationError(
            _("The down payment must be at least %(rate)s%% of the price: %(floor)s yuan.")
            % {"rate": f"{min_down_payment_rate() * 100:g}", "floor": f"{floor:,}"},
            field="down_payment",
            code="down_payment_too_small",
        )
    if loan <= 0:
        raise ApplicationError(
            _("Enter the loan amount (without a loan, choose the one-off plan)."),
            field="loan_amount",
            code="required",
        )
    if down + loan != total:
        raise ApplicationError(
            _(
                "The down payment and the loan must add up to the price (%(total)s yuan); "
                "they add up to %(sum)s."
            )
            % {"total": f"{total:,}", "sum": f"{down + loan:,}"},
            field="loan_amount",
            code="plan_sum_mismatch",
        )
    down_due = signed_on + datetime.timedelta(days=_due_days(due_days))
    if loan_due_on in (None, ""):
        loan_due = signed_on + datetime.timedelta(days=LOAN_DUE_DAYS)
    else:
        loan_due = _check_due(loan_due_on, signed_on, "loan_due_on")
    if loan_due < down_due:
        raise ApplicationError(
            _("The loan is paid out after the down payment is due (%(date)s).")
            % {"date": down_due.isoformat()},
            field="loan_due_on",
        )
    return [(InstalmentKind.DOWN_PAYMENT, down_due, down), (InstalmentKind.LOAN, loan_due, loan)]


def _instalment_pairs(instalments):
    for n, row in enumerate(instalments):
        if isinstance(row, dict):
            yield n, row.get("due_date"), row.get("amount")
        elif isinstance(row, list | tuple) and len(row) == 2:
            yield n, row[0], row[1]
        else:
            raise ApplicationError(
                _("Give each instalment a due date and an amount."), field=f"instalments.{n}"
            )


def _instalments(total, signed_on, instalments):
    rows = list(instalments or ())
    if len(rows) < 2:
        raise ApplicationError(
            _("Give at least two instalments (a single payment is the one-off plan)."),
            field="instalments",
            code="required",
        )
    if len(rows) > MAX_INSTALMENTS:
        raise ApplicationError(
            _("At most %(max)s instalments.") % {"max": MAX_INSTALMENTS}, field="instalments"
        )
    result, previous = [], None
    for n, due, amount in _instalment_pairs(rows):
        due = _check_due(due, signed_on, f"instalments.{n}.due_date")
        if previous is not None and due <= previous:
            raise ApplicationError(
                _("Each instalment is due after the one before."),
                field=f"instalments.{n}.due_date",
            )
        amount = money_amount(amount if amount is not None else "", field=f"instalments.{n}.amount")
        if amount <= 0:
            raise ApplicationError(_("Enter an amount above 0."), field=f"instalments.{n}.amount")
        result.append((InstalmentKind.INSTALMENT, due, amount))
        previous = due
    paid = sum(amount for _k, _d, amount in result)
    if paid != total:
        raise ApplicationError(
            _("The instalments must add up to the price (%(total)s yuan); they add up to %(sum)s.")
            % {"total": f"{total:,}", "sum": f"{paid:,}"},
            field="instalments",
            code="plan_sum_mismatch",
        )
    return result


# --- checks -------------------------------------------------------------------------------------


def _check_signable(subscription) -> None:
    if subscription.status == SubscriptionStatus.SIGNED:
        raise Conflict(_("This deal is signed already."), code="already_signed")
    if subscription.status in (SubscriptionStatus.DRAFT, SubscriptionStatus.PENDING):
        raise Conflict(
            _("Only a confirmed subscription is signed; this one is %(status)s.")
            % {"status": subscription.get_status_display()},
            code="not_subscribed",
        )
    check_transition(
        allowed=SUBSCRIPTION_TRANSITIONS,
        current=SubscriptionStatus(subscription.status),
        to=SubscriptionStatus.SIGNED,
        label=_("The subscription"),
    )


def _check_plan_fits_price(subscription, payment_plan) -> None:
    """A discount the price was agreed with that needs another plan refuses this one."""
    if payment_plan == subscription.payment_plan:
        return
    codes = [
        code
        for code in PriceLine.objects.filter(subscription=subscription, step="sales")
        .values_list("code", flat=True)
        .order_by("position")
        if code
    ]
    if not codes:
        return
    bound = [
        d.name
        for d in SalesDiscount.objects.unscoped("the discounts the agreed price used")
        .filter(project_id=subscription.project_id, code__in=codes)
        .order_by("order", "code")
        if d.payment_plans and payment_plan not in d.payment_plans
    ]
    if bound:
        raise Conflict(  # the stored price stands in the way, not the input's form
            _(
                "The price includes %(discounts)s, given for the %(plan)s plan: sign with that "
                "plan, or adjust the price through a sales change."
            )
            % {
                "discounts": "、".join(bound),
                "plan": PaymentPlan(subscription.payment_plan).label,
            },
            field="payment_plan",
            code="plan_changes_price",
        )


def _signed_on(value, subscription) -> datetime.date:
    today = timezone.localdate()
    if value in (None, ""):
        return today
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise ApplicationError(_("Enter a date."), field="signed_on")
    if value > today:
        raise ApplicationError(_("A contract cannot be dated in the future."), field="signed_on")
    if subscription.subscribed_at and value < timezone.localdate(subscription.subscribed_at):
        raise ApplicationError(
            _("A contract cannot be dated before the subscription (%(date)s).")
            % {"date": timezone.localdate(subscription.subscribed_at).isoformat()},
            field="signed_on",
        )
    return value


def _signed_at(signed_on) -> datetime.datetime:
    """Now when signed today; the start of that local day when recorded afterwards."""
    now = timezone.now()
    if signed_on == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.datetime.combine(signed_on, datetime.time.min))


# --- the club's tier rules (MEM-3) --------------------------------------------------------------


def apply_tier_rules(*, by, contract, subscription) -> None:
    """签约 raises every buyer (main and co-buyers) to the signing rule's tier; a buyer who
    already holds another signed contract (any project) also gets the second-purchase rule.

    Each fact has its own reference, so applying one never hides the other
    (``tier_apply_rule`` is idempotent per reference)."""
    from anju.membership.models import TierTrigger
    from anju.membership.services import tier_apply_rule

    buyers = [subscription.customer]
    buyers += [c.customer for c in subscription.co_buyers.select_related("customer")]
    reference = f"contract:{contract.pk}"
    for customer in buyers:
        # A co-buyer the signer does not see himself is still raised: the rule is the system's.
        actor = by if by is None or can_see(by, customer) else None
        tier_apply_rule(
            by=actor, customer=customer, trigger=TierTrigger.SIGNED, reference=reference
        )
        if has_other_signed_contract(customer, contract):
            tier_apply_rule(
                by=actor,
                customer=customer,
                trigger=TierTrigger.SECOND_PURCHASE,
                reference=f"{reference}:second_purchase",
            )


def has_other_signed_contract(customer, contract) -> bool:
    """Is ``customer`` (or a record merged into him) a buyer of another live contract?"""
    from anju.customers.services import merged_customer_ids

    ids = merged_customer_ids(customer)
    return (
        Contract.objects.unscoped("second purchase: the buyer's other signed contracts")
        .filter(cancelled_at__isnull=True, subscription__status=SubscriptionStatus.SIGNED)
        .filter(
            Q(subscription__customer_id__in=ids) | Q(subscription__co_buyers__customer_id__in=ids)
        )
        .exclude(pk=contract.pk)
        .exists()
    )
