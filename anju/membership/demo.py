"""Demo club data (issue 11): the group's tiers and rules, a gift catalogue per company with
stock, members in every tier and of every type, and a year of points — credits (看房积分,
purchase, 老带新, event attendance), redemptions, a price offset, an expiry — all through
the services, recorded at past moments with ``services.recorded_at``.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.customers.models import CustomerStatus, RelationKind
from anju.org.models import Holding

from . import services
from .models import MemberType, PointsReason, TierTrigger
from .services.members import BOUGHT
from .services.referral import referral_credit_for_visit

GIFTS = (
    ("定制雨伞", "万客会 logo 折叠伞", 300, 40),
    ("儿童绘本套装", "6 册精装", 600, 30),
    ("家居收纳礼盒", "收纳箱三件套", 800, 25),
    ("装修讲座 VIP 席位", "含设计师一对一咨询 30 分钟", 1500, 10),
    ("物业费抵用券 200 元", "交付后可用", 2000, 15),
    ("空气净化器", "小米 4 Pro", 6000, 0),  # out of stock: the form says so
)
OWNERS_PER_COMPANY = 5
OTHERS_PER_COMPANY = 9


def _at(days_ago, hour=10):
    moment = timezone.localtime() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(moment.date(), time(hour, moment.minute % 60)))


def seed(world):
    holding = Holding.objects.order_by("pk").first()
    if holding is None or not world.data.get("customers"):
        return
    services.ensure_club(holding)
    staff = world["users"]["group"]  # 集团客户关系中心: the club desk of every company
    counts = {"members": 0, "entries": 0, "gifts": 0, "expired": 0}
    gifts = {}
    for company in world["companies"].values():
        gifts[company.pk] = [
            services.gift_create(
                by=staff,
                company=company,
                name=name,
                description=text,
                points_cost=cost,
                stock=stock,
            )
            for name, text, cost, stock in GIFTS
        ]
        counts["gifts"] += len(GIFTS)
    by_company: dict = {}
    for customer in sorted(world["customers"], key=lambda c: c.pk):
        if customer.status != CustomerStatus.LEAD and not customer.merged_into_id:
            by_company.setdefault(customer.company_id, []).append(customer)
    for company_id, customers in by_company.items():
        bought = [c for c in customers if c.status in BOUGHT][:OWNERS_PER_COMPANY]
        others = [c for c in customers if c.status not in BOUGHT][:OTHERS_PER_COMPANY]
        spare = [c for c in customers if c not in bought and c not in others]
        _seed_company(world, staff, bought, others, spare, gifts[company_id], counts)
        _seed_referrals(world, staff, spare[1:], (bought + others)[:3], counts)
    _seed_manual_change(world)
    world.log(
        "    {members} club members, {entries} points movements, {gifts} gifts, "
        "{expired} expiry rows".format(**counts)
    )
    from .events_demo import seed as seed_events  # MEM-4: club events

    seed_events(world)


def _join(staff, customer, days_ago, **kwargs):
    with services.recorded_at(_at(days_ago)):
        return services.membership_join(by=staff, customer=customer, **kwargs)


def _credit(staff, customer, days_ago, points, reason, reference, note=""):
    with services.recorded_at(_at(days_ago, 15)):
        services.points_credit(
            by=staff,
            customer=customer,
            points=points,
            reason=reason,
            reference=reference,
            note=note,
        )


def _seed_company(world, staff, bought, others, spare, gifts, counts):
    """Blue members who came to events; silver who signed; gold who bought twice; a family
    member and an employee; one member whose old points partly expired."""
    rng = world.rng
    _seed_expiry(staff, others[:1], counts)  # first: history in the order it happened
    for n, customer in enumerate(others):
        member_type = MemberType.EMPLOYEE if n == len(others) - 1 else MemberType.CUSTOMER
        _join(staff, customer, 330 - n * 10, member_type=member_type)
        counts["members"] += 1
        for k in range(rng.randint(2, 4)):
            _credit(
                staff,
                customer,
                300 - n * 10 - k * 40,
                200,
                PointsReason.EVENT_ATTENDANCE,
                f"demo-event:{customer.pk}:{k}",
                "社区活动签到",
            )
            counts["entries"] += 1
    for n, customer in enumerate(bought):
        _join(staff, customer, 360 - n * 7, member_type=MemberType.OWNER)
        counts["members"] += 1
        with services.recorded_at(_at(300 - n * 7)):
            services.tier_apply_rule(
                by=staff,
                customer=customer,
                trigger=TierTrigger.SIGNED,
                reference=f"demo-contract:{customer.pk}",
            )
        _credit(
            staff,
            customer,
            299 - n * 7,
            5000,
            PointsReason.PURCHASE,
            f"demo-contract:{customer.pk}",
            "签约积分",
        )
        counts["entries"] += 1
        if n % 3 == 0:  # a second purchase: 金卡, and points for it
            with services.recorded_at(_at(120 - n)):
                services.tier_apply_rule(
                    by=staff,
                    customer=customer,
                    trigger=TierTrigger.SECOND_PURCHASE,
                    reference=f"demo-contract2:{customer.pk}",
                )
            _credit(
                staff,
                customer,
                119 - n,
                8000,
                PointsReason.PURCHASE,
                f"demo-contract2:{customer.pk}",
                "二次置业积分",
            )
            _credit(
                staff,
                customer,
                60 - n,
                2000,
                PointsReason.REFERRAL_PURCHASE,
                f"demo-referral:{customer.pk}",
                "老带新成交",
            )
            counts["entries"] += 2
    members = others + bought
    for n, customer in enumerate(members[:5]):  # redemptions: gifts in stock, in the past
        gift = gifts[n % 3]
        if services.account_for(customer).balance < gift.points_cost:
            continue
        try:
            with services.recorded_at(_at(90 - n * 11, 16)):
                services.points_redeem_gift(by=staff, customer=customer, gift=gift)
            counts["entries"] += 1
        except ApplicationError:
            continue
    if bought:
        with services.recorded_at(_at(45, 11)):
            services.points_redeem_offset(
                by=staff,
                customer=bought[0],
                points=1000,
                reference=f"demo-subscription:{bought[0].pk}",
            )
        counts["entries"] += 1
    _seed_family(staff, members, spare, counts)


def _seed_family(staff, members, spare, counts):
    """The spouse of the first owner joins as his family member (CUS-7 relation)."""
    from anju.customers.services import relation_add

    owners = [m for m in members if m.status in BOUGHT]
    if not owners or not spare:
        return
    spouse = spare[0]
    relation_add(by=staff, customer=owners[0], related=spouse, kind=RelationKind.SPOUSE)
    _join(staff, spouse, 200, member_type=MemberType.FAMILY, family_of=owners[0])
    counts["members"] += 1


def _seed_expiry(staff, members, counts):
    """Points credited three years ago expire at the end of last year (the group's rule: the
    second calendar year after the credit); the part spent before stays spent (FIFO)."""
    if not members:
        return
    member = members[0]
    today = timezone.localdate()
    credited = timezone.make_aware(datetime(today.year - 3, 6, 15, 10))
    with services.recorded_at(credited):
        services.points_credit(
            by=staff,
            customer=member,
            points=500,
            reason=PointsReason.EVENT_ATTENDANCE,
            reference=f"demo-old-event:{member.pk}",
            note="业主答谢会",
        )
    with services.recorded_at(credited + timedelta(days=200)):
        services.points_redeem_offset(
            by=staff, customer=member, points=200, reference=f"demo-old-parking:{member.pk}"
        )
    counts["entries"] += 2
    new_year = timezone.make_aware(datetime(today.year, 1, 1, 1, 30))
    if new_year < timezone.now():
        account = services.account_for(member)
        with services.recorded_at(new_year):
            counts["expired"] += services.points_expire_account(
                account=account, today=date(today.year, 1, 1)
            )


def _seed_referrals(world, staff, referred, referrers, counts):
    """A few visitors were referred by members: their first visit credits 看房积分."""
    from anju.customers.services import customer_update
    from anju.reception.models import Visit

    for friend, referrer in zip(referred[:3], referrers, strict=False):
        customer_update(by=staff, customer=friend, referrer=referrer)
        friend.referrer = referrer
        first = (
            Visit.objects.unscoped("demo: the friend's first visit")
            .filter(customer=friend)
            .order_by("arrived_at", "pk")
            .first()
        )
        if first is None:
            continue
        first.customer = friend
        with services.recorded_at(min(first.arrived_at, timezone.now())):
            if referral_credit_for_visit(visit=first) is not None:
                counts["entries"] += 1


def _seed_manual_change(world):
    """One manual change through the approvals queue: requested by the service agent,
    approved by the service manager (深圳)."""
    from anju.approvals.services import approval_decide

    from .models import Membership, Tier

    users = world["users"]
    agent, manager = users.get("service"), users.get("servicemgr")
    if agent is None or manager is None:
        return
    member = (
        Membership.objects.unscoped("demo: a blue member in 深圳")
        .filter(company__code="sz", tier__code="blue", member_type=MemberType.CUSTOMER)
        .select_related("customer")
        .order_by("pk")
        .first()
    )
    if member is None:
        return
    silver = {t.code: t for t in Tier.objects.filter(holding=member.company.holding)}["silver"]
    request = services.tier_change_request(
        by=agent, customer=member.customer, tier=silver, reason="长期参加社区活动的热心会员"
    )
    approval_decide(by=manager, request=request, approve=True, comment="同意")
