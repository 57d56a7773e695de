"""Demo reception data: risk factors, win/loss reasons, calls, visits, tasks, opportunities.

At scale 1 everything goes through the services (so follow-up rules, protection renewal and
events behave as in the product); ``--scale N`` adds N × 200 calls (with their tasks), visits
and opportunities through ``bulk_create``.

Looks real (issue 9 item 14): calls and visits fall in office hours in Asia/Shanghai
(``OFFICE_HOURS``) whatever time the seed runs, never in the future; the units shown and
proposed exist in the project's buildings; a customer's status matches his history (a visit
makes at least 来访, an open opportunity 意向, a won one 认购) and a customer the customers
demo moved along the lifecycle gets the visits and opportunities that stage implies.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.customers.models import Customer, CustomerStatus
from anju.customers.services import customer_set_status
from anju.inventory.models import Unit

from . import followup_rules, services
from .models import (
    OPEN_STAGES,
    DutySlot,
    FollowUpTask,
    LossReason,
    Opportunity,
    PhoneCall,
    RiskFactor,
    Stage,
    TaskStatus,
    Visit,
    WinReason,
)

RISK_FACTORS = {
    "binhai": [
        (
            "东侧紧邻滨海大道（城市快速路），临路单元有交通噪音",
            "临路 1、2 栋东向单元夜间噪音约 55 分贝，已做双层中空玻璃。",
        ),
        ("小区北侧约 300 米有 110kV 变电站", "变电站为规划前已有设施，距最近住宅楼约 300 米。"),
        ("地下车位配比 1:0.8，车位不足", "车位另行销售，数量有限，不保证每户一个。"),
        ("学位以教育局每年公布的学区划分为准", "销售人员不得承诺学位。"),
    ],
    "yunjing": [
        (
            "项目西侧规划地铁 22 号线，施工期约 3 年",
            "施工期间有噪音与扬尘，通车时间以政府公布为准。",
        ),
        ("南侧地块规划为商业综合体，可能遮挡低层视野", "1–8 层南向视野受影响。"),
        ("公摊面积系数约 24%", "高层住宅含避难层与架空层公摊。"),
    ],
    "haiwan": [
        ("海边项目，空气湿度大，金属件易锈蚀", "交付标准已采用不锈钢五金，但业主需定期保养。"),
        ("台风季（7–9 月）可能影响交通与施工进度", "交付日期以合同约定为准。"),
        ("东侧为规划中的游艇码头，节假日人流较多", "码头开放时间以运营方公布为准。"),
    ],
}
WIN_REASONS = ["价格合适", "户型满意", "区位交通便利", "品牌信任", "学区配套", "老业主推荐"]
LOSS_REASONS = [
    "价格超出预算",
    "选择竞品楼盘",
    "户型不满意",
    "贷款未获批",
    "购房资格不足（限购）",
    "暂缓购房计划",
]
QUESTIONS = [
    "询问均价和首付比例",
    "三房户型还有没有，朝向如何",
    "问学区和交付时间",
    "地铁什么时候通，车位怎么卖",
    "公积金贷款能不能用，能贷多少",
    "样板房开放时间",
    "是否限购，外地户口能不能买",
]
# The sales office is open 09:00–21:00 (local): calls start 09:00–19:59, visits arrive
# 09:30–17:59, so a long call or a wait still ends before closing.
OFFICE_HOURS = (9, 21)
CALL_HOURS = range(9, 20)
VISIT_HOURS = range(10, 18)
STATUS_ORDER = list(CustomerStatus.values)
NEXT_STEPS = [
    "周末带家人再来看房",
    "等开盘通知",
    "准备首付，下周认购",
    "比较竞品后回复",
    "约看样板房",
]
OUTCOMES = [
    "已电话联系，客户周六上午来访",
    "客户暂时没空，下周再约",
    "已确认来访时间",
    "短信已发送",
]

SAMPLE_CUSTOMERS = [
    ("13926541108", "陈志强", "M"),
    ("13760283317", "林晓燕", "F"),
    ("13502874461", "黄家豪", "M"),
    ("15013996652", "吴丽萍", "F"),
    ("18620357719", "欧阳振华", "M"),
    ("13828471190", "周慧敏", "F"),
]


def seed(world):
    projects = world["projects"]
    companies = world["companies"]
    now = timezone.now()

    for code, factors in RISK_FACTORS.items():
        project = projects.get(code)
        if project is None:
            continue
        RiskFactor.objects.bulk_create(
            RiskFactor(
                company_id=project.company_id,
                project=project,
                title=title,
                description=text,
                sort_order=n,
            )
            for n, (title, text) in enumerate(factors)
        )
    for company in companies.values():
        WinReason.objects.bulk_create(
            WinReason(company=company, name=name, sort_order=n)
            for n, name in enumerate(WIN_REASONS)
        )
        LossReason.objects.bulk_create(
            LossReason(company=company, name=name, sort_order=n)
            for n, name in enumerate(LOSS_REASONS)
        )

    world["unit_labels"] = _unit_labels()
    customers = _demo_customers(world)
    counts = {"calls": 0, "visits": 0, "tasks_done": 0, "opportunities": 0}
    for n, customer in enumerate(customers):
        _seed_customer(world, customer, n, now, counts)
    # every customer beyond 线索 without a visit yet (a sampled one whose call was refused too)
    counts["backed"] = _back_statuses(world, now, exclude=set())
    if world.scale > 1:
        counts.update(_bulk(world, 200 * world.scale, now))
    counts["desk_turns"] = _seed_desk(world, now)
    world["reception"] = counts
    world.log(
        "    {calls} calls, {visits} visits, {tasks_done} tasks done, "
        "{opportunities} opportunities, {desk_turns} desk turns, {backed} statuses backed".format(
            **counts
        )
    )


def _unit_labels():
    """project id → labels of real units ("1栋 0802 · 三室两厅两卫 98㎡"), for products shown."""
    labels: dict = {}
    units = Unit.objects.select_related("building").order_by("building_id", "floor", "position")
    for unit in units:
        labels.setdefault(unit.building.project_id, []).append(
            f"{unit.building.name} {unit.number} · {unit.layout} {unit.area.normalize():f}㎡"
        )
    return labels


def _products(world, rng, project_id):
    labels = world.data.get("unit_labels", {}).get(project_id)
    if not labels:
        return "样板房参观"
    return rng.choice(labels)


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def office_moment(rng, day, now, hours=CALL_HOURS, margin=timedelta(hours=1)):
    """A local time in office hours on ``day``, or on an earlier day if that is still ahead."""
    moment = _at(day, rng.choice(hours), rng.randrange(60))
    while moment > now - margin:
        moment -= timedelta(days=1)
    return moment


def _raise_status(customer, status, by):
    """Forward only: history may imply a later stage than the customer shows, never earlier."""
    customer.refresh_from_db(fields=["status"])
    if STATUS_ORDER.index(status) > STATUS_ORDER.index(customer.status):
        customer_set_status(by=by, customer=customer, status=status)


def _demo_customers(world, limit=36):
    """Owned customers from the customers demo, or a handful registered here."""
    from anju.customers.services import customer_register

    existing = world.data.get("customers")
    if existing:
        items = existing.values() if isinstance(existing, dict) else existing
        owned = [c for c in items if c.owner_id and c.project_id]
        owned.sort(key=lambda c: c.pk)
        # a few per consultant, so everyone's task list has something
        per_owner: dict = {}
        for c in owned:
            per_owner.setdefault(c.owner_id, [])
            if len(per_owner[c.owner_id]) < limit // 4:
                per_owner[c.owner_id].append(c)
        picked = [c for group in per_owner.values() for c in group]
        if picked:
            return picked[:limit]
    users, projects = world["users"], world["projects"]
    made = []
    for n, (phone, name, gender) in enumerate(SAMPLE_CUSTOMERS):
        code, who = [
            ("binhai", "consultant"),
            ("yunjing", "consultant2"),
            ("haiwan", "consultant_zh"),
        ][n % 3]
        project = projects[code]
        try:
            reg = customer_register(
                by=users[who],
                company=project.company,
                project=project,
                phone=phone,
                name=name,
                gender=gender,
                source="hotline",
            )
        except ApplicationError:
            continue
        made.append(reg.customer)
    return made


def _seed_customer(world, customer, n, now, counts):
    rng = world.rng
    owner, project = customer.owner, customer.project
    today = timezone.localdate(now)
    known_for = (today - timezone.localtime(customer.created_at).date()).days
    days_ago = min(rng.choice([0, 0, 1, 2, 3, 4, 6, 8, 12, 20]), max(known_for, 0))
    called_at = office_moment(rng, today - timedelta(days=days_ago), now)
    call_day = timezone.localtime(called_at).date()
    target = customer.status  # what the customers demo made of him: the history backs it
    booked = None
    wanted = rng.random() < 0.6 or target != CustomerStatus.LEAD
    if wanted and rng.random() < 0.6:
        booked = _at(
            call_day + timedelta(days=rng.choice([1, 2, 3, 5])),
            rng.choice([10, 14, 15]),
            rng.choice([0, 30]),
        )
    try:
        result = services.call_log(
            by=owner,
            project=project,
            called_at=called_at,
            rings=rng.choice([1, 2, 2, 3, 3, 4, 5]),
            answer_seconds=rng.randrange(3, 25),
            duration_seconds=rng.randrange(90, 780),
            phone=customer.phone,
            name=customer.name,
            gender=customer.gender,
            source=customer.source,
            questions=rng.choice(QUESTIONS),
            visit_wanted=wanted,
            visit_booked_for=booked,
        )
    except ApplicationError:
        return
    counts["calls"] += 1
    for task in result.tasks:
        if task.due_date < today and rng.random() < 0.55:
            services.task_complete(
                by=owner,
                task=task,
                outcome=rng.choice(OUTCOMES),
                when=timezone.make_aware(datetime.combine(task.due_date, time(11, 30))),
            )
            counts["tasks_done"] += 1
    if n % 6 == 5:  # now and then a caller who would not leave details
        services.call_log(
            by=owner,
            project=project,
            called_at=office_moment(rng, call_day, now),
            rings=rng.choice([2, 3, 4]),
            answer_seconds=rng.randrange(4, 20),
            duration_seconds=rng.randrange(60, 300),
            details_declined=True,
            questions="只问价格，不愿留电话",
        )
        counts["calls"] += 1
    arrived = booked or _at(
        call_day + timedelta(days=rng.choice([1, 2])), rng.choice(VISIT_HOURS), rng.randrange(60)
    )
    if arrived > now - timedelta(hours=1) and target != CustomerStatus.LEAD:
        arrived = office_moment(rng, call_day, now, VISIT_HOURS)  # his stage needs a visit
    if not wanted or arrived > now - timedelta(hours=1):
        return  # opportunities come after a visit: a lead stays a lead until he has been here
    factors = list(RiskFactor.objects.filter(project=project, is_active=True))
    disclosed = factors if rng.random() < 0.75 else factors[:-1]
    visit = services.visit_register(
        by=owner,
        project=project,
        customer=customer,
        arrived_at=arrived,
        reception_started_at=arrived + timedelta(seconds=rng.choice([15, 25, 40, 50, 75, 130])),
        party_size=rng.choice([1, 2, 2, 3]),
        products_shown=_products(world, rng, project.pk),
        risk_factors=disclosed,
        club_invited=rng.random() < 0.7,
        next_step=rng.choice(NEXT_STEPS),
    )
    counts["visits"] += 1
    _seed_opportunity(world, customer, visit.visit.products_shown, arrived, counts)


def _seed_opportunity(world, customer, products, since, counts):
    """An opportunity the customer's stage allows: won for 认购 and beyond, never lost then;
    the customer moves to 意向 (open) or 认购 (won) if he was behind."""
    rng = world.rng
    owner, project = customer.owner, customer.project
    target = customer.status
    if STATUS_ORDER.index(target) < STATUS_ORDER.index(CustomerStatus.VISITOR) and (
        rng.random() < 0.5
    ):
        return
    opp = services.opportunity_open(
        by=owner,
        customer=customer,
        project=project,
        products_of_interest=products,
        expected_value=Decimal(rng.randrange(250, 900) * 10000),
        stage=rng.choice(OPEN_STAGES),
    )
    counts["opportunities"] += 1
    roll = rng.random()
    must_win = STATUS_ORDER.index(target) >= STATUS_ORDER.index(CustomerStatus.SUBSCRIBED)
    if must_win or (roll < 0.55 and target != CustomerStatus.INTENTION):
        won = must_win or roll < 0.25
        model = WinReason if won else LossReason
        reasons = list(model.objects.filter(company_id=project.company_id))
        services.opportunity_close(
            by=owner,
            opportunity=opp,
            won=won,
            reason=rng.choice(reasons),
            when=min(since + timedelta(days=1), timezone.now()),
        )
        if won:
            _raise_status(customer, CustomerStatus.SUBSCRIBED, owner)
    else:
        _raise_status(customer, CustomerStatus.INTENTION, owner)


def _back_statuses(world, now, exclude):
    """Customers the customers demo moved along the lifecycle get the history their stage
    implies (bulk rows, no events): a visit from 来访 on, an open opportunity at 意向, a won
    one from 认购 on."""
    rng = world.rng
    order = STATUS_ORDER.index
    items = world.data.get("customers") or []
    items = items.values() if isinstance(items, dict) else items
    wanted = [
        c
        for c in items
        if c.pk not in exclude
        and c.owner_id
        and c.project_id
        and order(c.status) >= order(CustomerStatus.VISITOR)
    ]
    if not wanted:
        return 0
    visited = set(
        Visit.objects.filter(customer_id__in=[c.pk for c in wanted]).values_list(
            "customer_id", flat=True
        )
    )
    factors: dict = {}
    for f in RiskFactor.objects.filter(is_active=True):
        factors.setdefault(f.project_id, []).append(f)
    win: dict = {}
    for r in WinReason.objects.all():
        win.setdefault(r.company_id, []).append(r)
    today = timezone.localdate(now)
    visits, opps = [], []
    for c in wanted:
        if c.pk in visited:
            continue
        first_day = timezone.localtime(c.created_at).date()
        span = (today - first_day).days
        day = first_day + timedelta(days=rng.randrange(1, span + 1)) if span >= 1 else today
        arrived = office_moment(rng, day, now, VISIT_HOURS)
        total = len(factors.get(c.project_id, []))
        visit = Visit(
            company_id=c.company_id,
            project_id=c.project_id,
            consultant_id=c.owner_id,
            customer=c,
            arrived_at=arrived,
            reception_started_at=arrived + timedelta(seconds=rng.randrange(10, 80)),
            waiting_seconds=0,
            party_size=rng.choice([1, 2, 2, 3]),
            products_shown=_products(world, rng, c.project_id),
            risk_factors_total=total,
            risk_factors_disclosed_count=total,
            club_invited=rng.random() < 0.7,
            next_step=rng.choice(NEXT_STEPS),
        )
        visit.waiting_seconds = int((visit.reception_started_at - arrived).total_seconds())
        visits.append(visit)
        if order(c.status) < order(CustomerStatus.INTENTION):
            continue
        won = order(c.status) >= order(CustomerStatus.SUBSCRIBED)
        closed_at = min(arrived + timedelta(days=rng.randrange(1, 20)), now)
        opps.append(
            Opportunity(
                company_id=c.company_id,
                project_id=c.project_id,
                consultant_id=c.owner_id,
                customer=c,
                stage=Stage.WON if won else rng.choice(OPEN_STAGES),
                products_of_interest=visit.products_shown,
                expected_value=Decimal(rng.randrange(250, 900) * 10000),
                win_reason=rng.choice(win[c.company_id]) if won else None,
                closed_at=closed_at if won else None,
            )
        )
    Visit.objects.bulk_create(visits, batch_size=2000)
    through = Visit.risk_factors_disclosed.through
    through.objects.bulk_create(
        [
            through(visit_id=v.pk, riskfactor_id=f.pk)
            for v in visits
            for f in factors.get(v.project_id, [])
        ],
        batch_size=5000,
    )
    Opportunity.objects.bulk_create(opps, batch_size=2000)
    return len(visits)


def _bulk(world, count, now):
    """Scale N: rows straight into the tables (no events), for lists and metrics at volume."""
    rng = world.rng
    customers = list(
        Customer.objects.filter(owner__isnull=False, project__isnull=False)
        .select_related("owner", "project")
        .order_by("-id")[: max(count, 1)]
    )
    if not customers:
        return {}
    factors: dict = {}
    for f in RiskFactor.objects.filter(is_active=True):
        factors.setdefault(f.project_id, []).append(f)
    calls, visits = [], []
    today = timezone.localdate(now)
    for i in range(count):
        c = customers[i % len(customers)]
        called_at = office_moment(rng, today - timedelta(days=rng.randrange(0, 365)), now)
        call_day = timezone.localtime(called_at).date()
        booked = None
        if rng.random() < 0.3:
            booked = _at(
                call_day + timedelta(days=rng.randrange(1, 6)), rng.choice([10, 14, 15]), 0
            )
        calls.append(
            PhoneCall(
                company_id=c.company_id,
                project=c.project,
                consultant=c.owner,
                customer=c,
                called_at=called_at,
                rings=rng.choice([1, 2, 2, 3, 3, 4, 5]),
                answer_seconds=rng.randrange(3, 25),
                duration_seconds=rng.randrange(60, 900),
                phone=c.phone,
                caller_name=c.name,
                is_repeat=i >= len(customers),
                questions=rng.choice(QUESTIONS),
                visit_wanted=booked is not None or rng.random() < 0.3,
                visit_booked_for=booked,
            )
        )
        if rng.random() < 0.5:
            arrived = _at(
                call_day + timedelta(days=rng.randrange(1, 4)),
                rng.choice(VISIT_HOURS),
                rng.randrange(60),
            )
            if arrived > now - timedelta(hours=1):
                continue
            total = len(factors.get(c.project_id, []))
            disclosed = total if rng.random() < 0.8 else max(total - 1, 0)
            visits.append(
                Visit(
                    company_id=c.company_id,
                    project=c.project,
                    consultant=c.owner,
                    customer=c,
                    arrived_at=arrived,
                    reception_started_at=arrived + timedelta(seconds=rng.randrange(5, 150)),
                    waiting_seconds=0,
                    products_shown=_products(world, rng, c.project_id),
                    risk_factors_total=total,
                    risk_factors_disclosed_count=disclosed,
                    club_invited=rng.random() < 0.7,
                    next_step=rng.choice(NEXT_STEPS),
                )
            )
    for v in visits:
        v.waiting_seconds = int((v.reception_started_at - v.arrived_at).total_seconds())
    PhoneCall.objects.bulk_create(calls, batch_size=2000)
    Visit.objects.bulk_create(visits, batch_size=2000)
    through = Visit.risk_factors_disclosed.through
    links = [
        through(visit_id=v.pk, riskfactor_id=f.pk)
        for v in visits
        for f in factors.get(v.project_id, [])[: v.risk_factors_disclosed_count]
    ]
    through.objects.bulk_create(links, batch_size=5000)
    tasks, task_calls = [], []
    call_type = ContentType.objects.get_for_model(PhoneCall)
    for call in calls:
        for spec in followup_rules.rules_for_call(call, customer=call.customer):
            task_calls.append(call)
            done = spec.due_date < today and rng.random() < 0.85
            tasks.append(
                FollowUpTask(
                    company_id=call.company_id,
                    project=call.project,
                    kind=spec.kind,
                    rule=spec.rule,
                    due_date=spec.due_date,
                    title=spec.title,
                    message=spec.message,
                    assignee=call.consultant,
                    customer=call.customer,
                    status=TaskStatus.DONE if done else TaskStatus.OPEN,
                    done_at=call.called_at + timedelta(days=1) if done else None,
                    outcome=rng.choice(OUTCOMES) if done else "",
                    source_type=call_type,
                    source_id=call.pk,
                )
            )
    FollowUpTask.objects.bulk_create(tasks, batch_size=2000)
    link = FollowUpTask.calls.through
    link.objects.bulk_create(
        [
            link(followuptask_id=t.pk, phonecall_id=c.pk)
            for t, c in zip(tasks, task_calls, strict=True)
        ],
        batch_size=5000,
    )
    win = {}
    loss = {}
    for r in WinReason.objects.all():
        win.setdefault(r.company_id, []).append(r)
    for r in LossReason.objects.all():
        loss.setdefault(r.company_id, []).append(r)
    opps = []
    for v in visits[: len(visits) // 2]:
        stage = rng.choice([*OPEN_STAGES, Stage.WON, Stage.LOST, Stage.LOST])
        closed = stage in (Stage.WON, Stage.LOST)
        opps.append(
            Opportunity(
                company_id=v.company_id,
                project=v.project,
                consultant=v.consultant,
                customer=v.customer,
                stage=stage,
                products_of_interest=v.products_shown,
                expected_value=Decimal(rng.randrange(250, 900) * 10000),
                win_reason=rng.choice(win[v.company_id]) if stage == Stage.WON else None,
                loss_reason=rng.choice(loss[v.company_id]) if stage == Stage.LOST else None,
                closed_at=v.arrived_at + timedelta(days=rng.randrange(1, 30)) if closed else None,
            )
        )
    Opportunity.objects.bulk_create(opps, batch_size=2000)
    return {
        "bulk_calls": len(calls),
        "bulk_visits": len(visits),
        "bulk_tasks": len(tasks),
        "bulk_opportunities": len(opps),
    }


def _seed_desk(world, now):
    """Two weeks of 滨海花园's reception order (接待顺序, issue 9 item 3), through the
    services: the manager's order each morning, walk-ins in turn, now and then a skip, a
    customer asking for his consultant, a returning customer looked up and handed to his own
    consultant. Past days only: today's order is the manager's to set.
    """
    project = world["projects"].get("binhai")
    users = world["users"]
    team = [users[u] for u in ("consultant", "keyaccount") if u in users]
    if project is None or len(team) < 2 or "manager" not in users:
        return 0
    manager = users["manager"]
    returning = [
        c
        for c in world.data.get("customers", [])
        if c.project_id == project.pk and c.owner_id in {u.pk for u in team}
    ][:5]
    turns = 0
    for days_ago in range(14, 0, -1):
        day = timezone.localdate(now) - timedelta(days=days_ago)
        order = team if days_ago % 2 else list(reversed(team))
        services.desk_set_order(by=manager, project=project, consultants=order, day=day)
        opening = timezone.make_aware(datetime.combine(day, time(9, 30)))
        for n in range(2 + days_ago % 3):
            at = opening + timedelta(minutes=47 * n)
            if n == 1 and days_ago % 4 == 0:  # on the phone: passed over, with the reason
                first = (
                    DutySlot.objects.filter(
                        desk_day__project=project, desk_day__day=day, status="on_duty"
                    )
                    .order_by("queue_key")
                    .first()
                    .consultant
                )
                services.desk_skip(
                    by=manager, project=project, consultant=first, reason="正在接听电话", at=at
                )
                turns += 1
            services.desk_take_next(by=manager, project=project, at=at + timedelta(seconds=30))
            turns += 1
        if days_ago % 3 == 1 and returning:
            # a returning customer, looked up at the desk: he goes to his own consultant
            services.desk_walk_in(
                by=manager,
                project=project,
                customer=returning[days_ago % len(returning)],
                at=opening + timedelta(hours=2),
            )
            turns += 1
        if days_ago % 5 == 0:
            services.desk_asked_for(
                by=manager,
                project=project,
                consultant=order[0],
                received_by=order[1],
                at=opening + timedelta(hours=3),
            )
            turns += 1
    return turns
