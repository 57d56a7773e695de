"""Demo deals (issue 12 item 11): per project a queue with deposits (one cancelled and
refunded), discounts and the authority table, and subscriptions at every step — units held
as drafts, subscribed within authority, one waiting for a manager's approval — and deals
signed in the past weeks with every payment plan: one-off paid in full, instalments and
mortgages with a balance overdue, a refund, a payment due next week (its reminder sent) and a
price adjustment waiting for the manager — all through the services, so units, numbers,
payments and events agree as they would in real use.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import zip_longest

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.customers.models import Customer, CustomerStatus
from anju.inventory.models import Unit, UnitStatus
from anju.messaging import clock
from anju.messaging.demo import before_quiet_hours
from anju.messaging.outbox import run_until_idle
from anju.reception.models import FollowUpTask, TaskStatus
from anju.reception.services import task_complete, timing_for

from . import services
from .models import (
    ChangeKind,
    DiscountAuthority,
    DiscountKind,
    PaymentPlan,
    QueueStatus,
    QueueTicket,
    SalesDiscount,
    Subscription,
)
from .services.changes import sales_change_request

QUEUE_PER_PROJECT = 14
DISCOUNTS = (
    # code, name, kind, value, order, payment plans, exclusive group
    ("one_off", "一次性付款优惠", DiscountKind.RATE, "0.0100", 10, ["one_off"], "payment"),
    ("mortgage", "按揭付款优惠", DiscountKind.RATE, "0.0050", 10, ["mortgage"], "payment"),
    ("launch", "开盘限时优惠", DiscountKind.AMOUNT, "20000", 20, [], ""),
    ("old_owner", "老业主回购优惠", DiscountKind.RATE, "0.0100", 30, [], ""),
)


@dataclass(frozen=True)
class Deal:
    """A deal signed in the past. Days count back from today (negative: days ahead).

    ``dues``: the instalments plan's rows as (due, share of the price), the last row taking
    the rest; ``down``: a mortgage's down payment as a share of the price. ``payments``:
    (day, amount, method, reason) in date order, the amount a Decimal (negative: a refund) or
    ``"first"`` (what the first instalment still lacks) or ``"rest"`` (the whole balance).
    ``revisit``: what the buyer said at the revisit after signing (none: not made yet).
    ``change``: a price adjustment (yuan off) asked by the consultant, waiting for approval.
    """

    plan: str
    subscribed: int
    signed: int
    payments: tuple = ()
    dues: tuple = ()
    down: str = ""
    revisit: str = ""
    change: int = 0


DEPOSIT = Decimal("50000")
DEALS = {
    "binhai": (
        Deal(  # 一次性: paid in full
            PaymentPlan.ONE_OFF,
            75,
            70,
            payments=((75, DEPOSIT, "wechat", ""), (64, "rest", "transfer", "")),
            revisit="客户对签约流程满意，已按期付清全款",
        ),
        Deal(  # 分期: the first instalment paid, the second overdue by three weeks
            PaymentPlan.INSTALMENTS,
            110,
            100,
            dues=((90, "0.30"), (24, "0.30"), (-60, None)),
            payments=((110, DEPOSIT, "wechat", ""), (90, "first", "transfer", "")),
            revisit="客户确认分期付款安排，无其他疑问",
        ),
        Deal(  # 按揭: the down payment partly paid, overdue by five weeks; a card paid twice
            PaymentPlan.MORTGAGE,
            50,
            45,
            down="0.30",
            payments=(
                (50, DEPOSIT, "wechat", ""),
                (37, Decimal("200000"), "card", ""),
                (37, Decimal("200000"), "card", ""),
                (36, Decimal("-200000"), "card", "POS机重复刷卡，原路退回"),
            ),
            revisit="客户表示首付余款需待旧房出售后补齐",
        ),
        Deal(  # signed this week, due next week: the reminder before the due date is sent
            PaymentPlan.ONE_OFF,
            3,
            2,
            payments=((3, DEPOSIT, "wechat", ""),),
            change=20000,
        ),
    ),
    "yunjing": (
        Deal(
            PaymentPlan.ONE_OFF,
            40,
            35,
            payments=((40, DEPOSIT, "alipay", ""), (30, "rest", "transfer", "")),
            revisit="客户对交付时间有疑问，已解释",
        ),
    ),
    "haiwan": (
        Deal(  # 珠海: an overdue instalment the 滨海 manager does not see
            PaymentPlan.INSTALMENTS,
            80,
            75,
            dues=((65, "0.40"), (20, "0.30"), (-100, None)),
            payments=((80, DEPOSIT, "wechat", ""), (65, "first", "transfer", "")),
            revisit="客户满意，第二期将于月底前支付",
        ),
        Deal(
            PaymentPlan.ONE_OFF,
            30,
            28,
            payments=((30, DEPOSIT, "wechat", ""), (22, "rest", "transfer", "")),
            revisit="客户满意",
        ),
    ),
}
# Who records the money of each project (RECORD_PAYMENTS): its sales manager, the company's.
CASHIERS = {"binhai": "manager", "yunjing": "management", "haiwan": "manager_zh"}
PLAN_DISCOUNTS = {PaymentPlan.ONE_OFF: ["one_off"], PaymentPlan.MORTGAGE: ["mortgage"]}
SIGN_WITHIN = 7  # days between subscription and the signing deadline
SUBSCRIPTION_REVISIT = "客户对认购流程满意，已约定签约时间"


def seed(world):
    if not world.data.get("customers"):
        return
    counts = {"numbers": 0, "subscriptions": 0, "contracts": 0, "payments": 0}
    for code, project in world["projects"].items():
        if code not in ("binhai", "yunjing", "haiwan"):
            continue
        _discounts(project)
        sellers = _sellers(world, project)
        if not sellers:
            continue
        tickets = _queue(world, project, sellers, counts)
        _subscriptions(world, project, tickets, counts)
        _signed_deals(world, project, sellers, counts)
        if code in ("binhai", "haiwan"):
            _launch(project, sellers)
    reminders = _payment_reminders(world)
    world.log(
        f"    {counts['numbers']} queue numbers, {counts['subscriptions']} subscriptions, "
        f"{counts['contracts']} contracts, {counts['payments']} payments, "
        f"{reminders} payment reminders"
    )


def _discounts(project):
    today = timezone.localdate()
    for code, name, kind, value, order, plans, group in DISCOUNTS:
        SalesDiscount.objects.get_or_create(
            project=project,
            code=code,
            defaults={
                "company_id": project.company_id,
                "name": name,
                "kind": kind,
                "value": Decimal(value),
                "order": order,
                "payment_plans": plans,
                "exclusive_group": group,
                "valid_from": today - timedelta(days=60),
                "valid_to": today + timedelta(days=90) if code == "launch" else None,
            },
        )
    expired = "summer"  # expired last month: the form refuses it
    SalesDiscount.objects.get_or_create(
        project=project,
        code=expired,
        defaults={
            "company_id": project.company_id,
            "name": "夏季促销(已过期)",
            "kind": DiscountKind.AMOUNT,
            "value": Decimal("30000"),
            "order": 20,
            "valid_from": today - timedelta(days=120),
            "valid_to": today - timedelta(days=30),
        },
    )
    DiscountAuthority.objects.get_or_create(
        project=project,
        role="sales_consultant",
        defaults={"company_id": project.company_id, "max_rate": Decimal("0.0150")},
    )


def _sellers(world, project):
    return [
        u
        for u in world["users"].values()
        if has_perm(u, Perm.SELL_UNITS, company=project.company_id, project=project.pk)
        and not u.is_superuser
    ]


def _queue(world, project, sellers, counts):
    """Numbers for the project's visitors, issued by their own consultants."""
    by_user = {u.pk: u for u in sellers}
    customers = [
        c
        for c in sorted(world["customers"], key=lambda c: c.pk)
        if c.project_id == project.pk and c.owner_id in by_user and not c.merged_into_id
    ][:QUEUE_PER_PROJECT]
    tickets = []
    for i, customer in enumerate(customers):
        paid = i % 3 != 2
        ticket = services.queue_number_issue(
            by=by_user[customer.owner_id],
            project=project,
            customer=customer,
            intention="三房 · 高层" if i % 2 else "四房 · 中层",
            deposit_amount=Decimal("20000") if paid else Decimal("0"),
            deposit_method="wechat" if paid else "",
            deposit_receipt_no=f"SJ{project.pk:02d}{i + 1:04d}" if paid else "",
        )
        tickets.append(ticket)
        counts["numbers"] += 1
    if len(tickets) > 5:  # one customer gave up: refunded, his number never comes back
        services.queue_number_cancel(
            by=by_user[tickets[4].consultant_id],
            ticket=tickets[4],
            reason="客户改买二手房",
            refund_amount=tickets[4].deposit_amount or None,
            refund_method="wechat" if tickets[4].deposit_amount else "",
            refund_receipt_no="TK0001" if tickets[4].deposit_amount else "",
        )
    return [t for t in tickets if t.status != QueueStatus.CANCELLED]


def _launch(project, sellers):
    """Launch day under way: its buildings on sale, the next number called."""
    from anju.inventory.models import Building

    # The last building: the first ones sold through the queue before, and units on sale at
    # a running launch are held only there (by the number being called).
    buildings = list(Building.objects.filter(project=project).order_by("-sort_order", "-code")[:1])
    launch = services.launch_open(
        by=sellers[0], project=project, buildings=buildings, name="首期开盘"
    )
    services.launch_call_next(by=sellers[0], launch=launch)


def _subscriptions(world, project, tickets, counts):
    """The first numbers chose units: two subscribed, one waiting for approval, one held."""
    units = list(
        Unit.objects.filter(project=project, status=UnitStatus.AVAILABLE)
        .select_related("project", "building")
        .order_by("building_id", "floor", "position")[: len(tickets)]
    )
    plan = ["subscribed", "subscribed", "pending", "draft"]
    for step, ticket, unit in zip(plan, tickets, units, strict=False):
        seller = ticket.consultant
        subscription = services.subscription_hold(
            by=seller, unit=unit, customer=ticket.customer, queue_ticket=ticket
        )
        codes = ["one_off", "launch"] if step != "pending" else ["one_off", "launch", "old_owner"]
        services.subscription_set_terms(
            by=seller,
            subscription=subscription,
            payment_plan="one_off",
            discount_codes=codes,
            special_discount=Decimal("50000") if step == "pending" else Decimal("0"),
            deposit=Decimal("50000"),
            sign_by=timezone.localdate() + timedelta(days=7),
        )
        if step in ("subscribed", "pending"):
            services.subscription_confirm(by=seller, subscription=subscription)
        counts["subscriptions"] += 1


# --- deals signed in the past weeks (SUB-4) -----------------------------------------------------


def _day(days_ago):
    return timezone.localdate() - timedelta(days=days_ago)


def _moment(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _signed_deals(world, project, sellers, counts):
    """Deals signed weeks ago, their payments, refunds and revisits (the overdue list's rows)."""
    deals = DEALS.get(project.code, ())
    cashier = world["users"].get(CASHIERS.get(project.code, ""))
    if not deals or cashier is None:
        return
    by_user = {u.pk: u for u in sellers}
    buyers = _deal_buyers(project, by_user)
    # Units of the top floors: the ones the launch and the queue choose from stay for sale.
    units = list(
        Unit.objects.filter(project=project, status=UnitStatus.AVAILABLE)
        .select_related("project", "building")
        .order_by("building_id", "-floor", "position")[: len(deals)]
    )
    for n, (deal, buyer, unit) in enumerate(zip(deals, buyers, units, strict=False), start=1):
        seller = by_user[buyer.owner_id]
        subscription = services.subscription_hold(by=seller, unit=unit, customer=buyer)
        services.subscription_set_terms(
            by=seller,
            subscription=subscription,
            payment_plan=deal.plan,
            discount_codes=PLAN_DISCOUNTS.get(deal.plan, []),
            deposit=DEPOSIT,
            sign_by=timezone.localdate() + timedelta(days=SIGN_WITHIN),
        )
        services.subscription_confirm(by=seller, subscription=subscription)
        _age(subscription, deal.subscribed)
        receipt = f"SK{project.pk:02d}{n:02d}"
        before = [p for p in deal.payments if p[0] > deal.signed]
        after = [p for p in deal.payments if p[0] <= deal.signed]
        for m, payment in enumerate(before, start=1):
            _pay(cashier, subscription, payment, f"{receipt}{m:02d}", counts)
        contract = services.contract_sign(
            by=seller,
            subscription=subscription,
            payment_plan=deal.plan,
            signed_on=_day(deal.signed),
            **_plan(deal, subscription),
        )
        for m, payment in enumerate(after, start=len(before) + 1):
            _pay(cashier, subscription, payment, f"{receipt}{m:02d}", counts)
        if deal.revisit:
            _revisits_done(subscription, contract, deal)
        if deal.change:
            sales_change_request(
                by=seller,
                subscription=subscription,
                kind=ChangeKind.PRICE_ADJUSTMENT,
                reason="客户签约时未享受开盘限时优惠，申请按优惠价补差",
                final_price=subscription.final_price - deal.change,
            )
        counts["subscriptions"] += 1
        counts["contracts"] += 1


def _deal_buyers(project, by_user):
    """Customers who visited and wanted to buy (意向/认购), of the project's sellers, who took
    no queue number: they bought before the launch."""
    queued = QueueTicket.objects.unscoped("demo data").filter(project=project)
    customers = list(
        Customer.objects.unscoped("demo data")
        .filter(
            project=project,
            owner_id__in=by_user,
            merged_into=None,
            anonymised_at=None,
            status__in=(CustomerStatus.INTENTION, CustomerStatus.SUBSCRIBED),
        )
        .exclude(pk__in=queued.values("customer_id"))
        .select_related("company", "project", "owner")
        .order_by("pk")
    )
    # Each seller in turn, so that every consultant of the project has signed deals.
    by_owner = {}
    for customer in customers:
        by_owner.setdefault(customer.owner_id, []).append(customer)
    turns = zip_longest(*(by_owner[pk] for pk in sorted(by_owner)))
    return [c for turn in turns for c in turn if c is not None]


def _age(subscription, days_ago):
    """Back-date a just-confirmed subscription to ``days_ago``.

    The services stamp a subscription with the moment it is confirmed and refuse a contract
    dated before it (and a signing deadline in the past): right in real use, where a deal is
    recorded as it happens. The demo wants deals signed weeks ago whose instalments are now
    overdue, so this one row's dates move back — as the customers demo ages its customers.
    The revisit the confirmation scheduled (SAL-5, counted from that moment) moves with it.
    Everything after goes through the services, which take past dates for what is recorded
    afterwards: the signing day (``signed_on``), each payment's day (``paid_on``), a revisit's
    completion (``when``).
    """
    moment = _moment(_day(days_ago))
    Subscription.objects.unscoped("demo: a deal subscribed weeks ago").filter(
        pk=subscription.pk
    ).update(
        created_at=moment,
        subscribed_at=moment,
        sign_by=moment.date() + timedelta(days=SIGN_WITHIN),
    )
    days = timing_for(subscription.company_id).revisit_days("subscription")
    _revisit_task(subscription).update(
        created_at=moment, due_date=moment.date() + timedelta(days=days)
    )
    subscription.refresh_from_db()


def _revisit_task(source):
    """The open revisit a deal's record (subscription, contract) scheduled, as a queryset."""
    return FollowUpTask.objects.unscoped("demo data").filter(
        source_type=ContentType.objects.get_for_model(type(source)),
        source_id=source.pk,
        status=TaskStatus.OPEN,
    )


def _plan(deal, subscription):
    total = subscription.final_price
    if deal.plan == PaymentPlan.MORTGAGE:
        down = (total * Decimal(deal.down)).quantize(Decimal("1"))
        return {"down_payment": down, "loan_amount": total - down}
    if deal.plan == PaymentPlan.INSTALMENTS:
        rows, left = [], total
        for due, share in deal.dues:
            amount = left if share is None else (total * Decimal(share)).quantize(Decimal("1"))
            rows.append((_day(due), amount))
            left -= amount
        return {"instalments": rows}
    return {}


def _pay(cashier, subscription, payment, receipt_no, counts):
    days_ago, amount, method, reason = payment
    paid = services.paid_total(subscription)
    if amount == "rest":
        amount = subscription.final_price - paid
    elif amount == "first":
        first = subscription.contract.instalments.order_by("due_date", "position").first()
        amount = first.amount - paid
    services.payment_record(
        by=cashier,
        subscription=subscription,
        amount=amount,
        method=method,
        paid_on=_day(days_ago),
        receipt_no=receipt_no,
        reason=reason,
    )
    counts["payments"] += 1


def _revisits_done(subscription, contract, deal):
    """The revisits after the subscription and the signing (SAL-5), made on their due day by
    the deal's consultant — those whose day has passed; ``deal.revisit`` is what the buyer
    said after signing."""
    for source, outcome, satisfaction in (
        (subscription, SUBSCRIPTION_REVISIT, 5),
        (contract, deal.revisit, 4),
    ):
        task = _revisit_task(source).select_related("assignee", "customer").first()
        if task is None or task.due_date >= timezone.localdate():
            continue
        task_complete(
            by=task.assignee,
            task=task,
            outcome=outcome,
            satisfaction=satisfaction,
            when=_moment(task.due_date, hour=15),
        )


def _payment_reminders(world) -> int:
    """Today's payment reminders (the daily task's run), sent by the outbox: service SMS, yet
    the task waits out the quiet hours, so at night it runs as of the evening before."""
    companies = list(world["companies"].values())
    if not companies:
        return 0
    moment = before_quiet_hours(companies[0])
    with clock.override(moment):
        queued = services.send_payment_reminders(now=moment)
        run_until_idle(max_seconds=60)
    return queued
