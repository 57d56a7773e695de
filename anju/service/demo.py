"""Demo service desk (issue 13): tickets at every step of the loop in 深圳 and 珠海.

Everything goes through the services, so numbers, clocks, events, messages and
notifications agree as in real use. 珠海 has no service staff of its own in the demo: the
group's relations centre (集团 400 hotline) takes its tickets and is its intake person.
"""

import functools
import math
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from anju.approvals.services import approval_decide
from anju.core.models import Event, content_type_of
from anju.core.numbering import allocate_number_block
from anju.core.workdays import add_working_days
from anju.customers.models import Customer
from anju.inventory.models import Unit

from . import services, sla
from .models import (
    Level,
    Outcome,
    Satisfaction,
    ServiceSettings,
    Severity,
    Status,
    Ticket,
    TicketEscalation,
    TicketRevisit,
    TicketSolution,
)

COMPLAINTS = [
    # subject, description, demand, category, how far
    ("卫生间渗水", "主卫天花板渗水，怀疑楼上防水层破损。", "尽快维修并赔偿", "quality", "closed"),
    ("园林绿化与宣传不符", "小区中庭绿化面积比楼书少。", "按宣传补种", "design", "implemented"),
    ("销售承诺车位未兑现", "认购时承诺的车位优惠未落实。", "兑现承诺", "sales_promise", "pending"),
    ("客服态度差", "电话咨询时客服不耐烦。", "道歉", "service", "assigned"),
    ("外墙开裂", "北侧外墙出现裂缝。", "检查安全并修复", "quality", "received"),
]


def seed(world):
    users, projects = world["users"], world["projects"]
    if not world.data.get("customers"):
        return
    zh = world["companies"].get("zh")
    if zh is not None:
        ServiceSettings.objects.update_or_create(
            company=zh, defaults={"intake_user": users["group"]}
        )
    counts = {"tickets": 0}
    for code, agent, manager, worker in (
        ("binhai", users["service"], users["servicemgr"], users["engineer"]),
        ("haiwan", users["group"], users["group"], users["group"]),
    ):
        project = projects.get(code)
        if project is None:
            continue
        customers = list(
            Customer.objects.unscoped("demo data")
            .filter(project=project, merged_into=None, anonymised_at=None)
            .order_by("pk")[: len(COMPLAINTS) + 2]
        )
        for (subject, text, demand, category, step), customer in zip(
            COMPLAINTS, customers, strict=False
        ):
            ticket = services.ticket_receive(
                by=agent,
                project=project,
                customer=customer,
                ticket_type="complaint",
                channel="hotline",
                category=category,
                subject=subject,
                description=text,
                demand=demand,
            )
            _advance(ticket, step, agent, manager, worker)
            counts["tickets"] += 1
        if len(customers) > len(COMPLAINTS):
            question = services.ticket_receive(
                by=agent,
                project=project,
                customer=customers[len(COMPLAINTS)],
                ticket_type="consultation",
                channel="hotline",
                subject="交房时间咨询",
                description="业主询问交房时间与流程。",
            )
            services.ticket_close(by=agent, ticket=question, summary="已告知交房安排。")
            counts["tickets"] += 1
    world.log(f"    service: {counts}")
    seed_delivery(world)
    seed_year(world)  # SVC-6: a year of history for the monthly report (svcreport)


def _advance(ticket, step, agent, manager, worker):
    if step == "received":
        return
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=worker)
    if step == "assigned":
        return
    services.ticket_analyse(by=worker, ticket=ticket, cause="经现场核查，问题属实。")
    solution = services.solution_propose(
        by=worker,
        ticket=ticket,
        kind="compensate" if ticket.category == "quality" else "repair",
        description="维修并给予补偿。",
        compensation=Decimal("800.00") if ticket.category == "quality" else Decimal("0"),
    )
    if step == "pending":
        return
    if manager.pk == worker.pk:  # 珠海: the centre proposes, nobody else there approves
        return
    approval_decide(by=manager, request=solution.approval, approve=True, comment="同意")
    services.ticket_implement(by=worker, ticket=ticket, note="已按方案处理完毕。")
    if step == "implemented":
        return
    for _ in range(ticket.revisits_required):
        services.revisit_record(by=agent, ticket=ticket, satisfaction="satisfied")
    services.ticket_close(by=agent, ticket=ticket, summary="业主满意，结案。")


# --- delivery and repairs (SVC-7) ----------------------------------------------------------------

DEFECTS = [
    # room, description, how far its repair got
    ("kitchen", "橱柜台面与墙面接缝处开裂约30厘米。", "signed_off"),
    ("bathroom", "主卫地漏排水缓慢，淋浴区有积水。", "rejected"),
    ("master_bedroom", "主卧窗框密封条脱落，关窗漏风。", "repaired"),
    ("living", "客厅东墙乳胶漆有明显色差和流坠。", "assigned"),
    ("balcony", "阳台栏杆一处焊点锈蚀。", "open"),
]


def seed_delivery(world):
    """滨海花园's first delivery batch: the units the deals demo signed,
    two booked for tomorrow, one booking cancelled, one inspected with defects whose repair
    orders stand at every step, accepted by its owner and handed its keys: 交付."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from anju.inventory.models import Building, Unit, UnitStatus

    from . import delivery

    users, project = world["users"], world["projects"].get("binhai")
    if project is None or not world.data.get("customers"):
        return
    desk, manager, engineer = (
        users["service"],
        users["servicemgr"],
        users["engineer"],
    )
    # The units the deals demo signed in 滨海花园 (its buyers visited, chose, paid): their
    # owners are the ones called to inspect and take their keys; no second set of deals.
    from anju.deals.models import Contract

    with_contracts = Contract.objects.unscoped("demo data").filter(
        project=project, cancelled_at=None
    )
    signed = list(
        Unit.objects.filter(
            project=project,
            status=UnitStatus.SIGNED,
            pk__in=with_contracts.values("subscription__unit_id"),
        )
        .select_related("project", "building")
        .order_by("building__code", "floor", "position")[:4]
    )
    if not signed:
        return
    buildings = sorted({u.building_id for u in signed})
    today = timezone.localdate()
    batch = delivery.batch_create(
        by=manager,
        project=project,
        name="一期1栋交付",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=13),
        buildings=list(Building.objects.filter(pk__in=buildings)),
        note="请业主携带身份证、购房合同及缴费凭证到场验房。",
    )
    hour = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    current = delivery.slot_add(  # the slot under way now: today's inspections
        by=manager,
        batch=batch,
        starts_at=min(hour - timedelta(hours=1), hour.replace(hour=8)),
        ends_at=max(hour + timedelta(hours=2), hour.replace(hour=18)),
        capacity=4,
    )
    later = []
    for days in (1, 2):
        for start, end in ((time(9), time(12)), (time(14), time(17))):
            day = today + timedelta(days=days)
            later.append(
                delivery.slot_add(
                    by=manager,
                    batch=batch,
                    starts_at=timezone.make_aware(datetime.combine(day, start)),
                    ends_at=timezone.make_aware(datetime.combine(day, end)),
                    capacity=4,
                )
            )
    if len(signed) < 4:
        return
    inspected = delivery.appointment_book(by=desk, slot=current, unit=signed[0])
    delivery.appointment_book(by=desk, slot=later[0], unit=signed[1], note="业主委托家人到场")
    delivery.appointment_book(by=desk, slot=later[1], unit=signed[2])
    gone = delivery.appointment_book(by=desk, slot=later[0], unit=signed[3])
    delivery.appointment_cancel(by=desk, appointment=gone, reason="业主出差，改约下周")
    _inspect(inspected, engineer, desk)
    world.log(f"    delivery: batch {batch}, {len(later) + 1} slots, 4 appointments")


def _inspect(appointment, engineer, desk):
    from . import delivery

    inspection = delivery.inspection_start(by=engineer, appointment=appointment)
    repairs = [
        (
            delivery.defect_record(by=engineer, inspection=inspection, room=room, description=text),
            step,
        )
        for room, text, step in DEFECTS
    ]
    delivery.inspection_finish(
        by=engineer, inspection=inspection, result="accepted", owner_present=True
    )
    for repair, step in repairs:
        if step == "open":
            continue
        delivery.repair_assign(
            by=engineer,
            repair=repair,
            contractor="深圳建安装饰工程有限公司",
            contractor_phone="0755-86001234",
        )
        if step == "assigned":
            continue
        delivery.repair_complete(by=engineer, repair=repair, note="已按规范返修完成。")
        if step == "repaired":
            continue
        if step == "rejected":
            delivery.repair_reject(by=desk, repair=repair, reason="业主复查仍有积水，需重新找坡。")
            continue
        delivery.repair_sign_off(by=desk, repair=repair, note="业主确认满意")
    delivery.key_handover_record(
        by=desk,
        unit=appointment.unit,
        received_by=appointment.customer.name,
        keys=3,
        smart_cards=2,
        door_cards=2,
        mailbox_keys=1,
    )


# --- a year of history (SVC-6: the monthly report and its charts) -------------------------------
#
# Hundreds of tickets over the last 12 months, written in bulk (the services would take
# minutes): each ticket's life is simulated step by step on the clock — receipt, response,
# assignment, cause, solution, implementation, revisits, closure — and cut at "now", so the
# recent ones are still open at the step they reached. Every field the services set is set
# the same way: numbers from ``allocate_number_block``, the SLA clocks (``sla.set_deadlines``,
# ``sla.next_due``), handling (``services.handling_of``), loops and level, satisfaction, the
# revisits with their due dates in Chinese working days, the approved solutions, the
# escalations the sweep would have written (and its flag on open late tickets), and the
# events for the timeline. History is not announced to event listeners: nothing is sent.
#
# Volume follows the year: a wave of complaints (mostly quality and repairs) after each
# project's delivery, more leaks in the rainy season, dips over 国庆 and 春节 (from the
# holiday calendar, not a hand list) and at weekends.

YEAR_PROJECTS = {
    # project: tickets a day on an ordinary weekday, delivered how many days ago
    "binhai": (0.75, 270),
    "yunjing": (0.5, 120),
    "haiwan": (0.55, 190),
}
TYPE_WEIGHTS = {
    "complaint": 42,
    "repair": 24,
    "consultation": 14,
    "suggestion": 5,
    "praise": 4,
    "decoration": 3,
    "legal": 2,
    "custody": 2,
    "pre_inspection": 2,
    "expert": 2,
}
CATEGORY_WEIGHTS = {
    "quality": 30,
    "repairs": 14,
    "property": 16,
    "service": 12,
    "sales_promise": 10,
    "design": 12,
    "other": 6,
}
CHANNEL_WEIGHTS = {
    "hotline": 55,
    "on_site": 15,
    "web_form": 10,
    "email": 5,
    "forum": 7,
    "transferred": 6,
    "media": 2,
}
# When people call: mostly 8:00–22:00, a few at night (the desk answers 24/7).
HOUR_WEIGHTS = [1, 1, 0, 0, 0, 0, 1, 3, 8, 12, 12, 10, 6, 8, 11, 11, 10, 8, 6, 7, 6, 4, 3, 2]
# Minutes a history clock may show: never x:29 … x:01 (see _tidy).
MINUTES = [m for m in range(60) if m % 30 not in (29, 0, 1)]
COMPLAINT_TEXTS = {
    "quality": [
        ("卫生间渗水", "主卫天花板渗水，怀疑楼上防水层破损。", "尽快维修并赔偿"),
        ("外墙开裂", "北侧外墙出现细小裂缝。", "检查安全并修复"),
        ("窗户漏水", "主卧窗户密封条脱落，雨天渗水。", "更换密封条"),
        ("地板起拱", "客厅木地板大面积起拱。", "重新铺设"),
        ("墙面空鼓", "次卧墙面空鼓开裂。", "铲除重做"),
    ],
    "repairs": [
        ("报修迟迟未处理", "报修的厨房下水堵塞一周未处理。", "尽快处理"),
        ("维修质量差", "维修后的水管再次漏水。", "彻底修好"),
        ("维修人员爽约", "约定上门时间维修人员未到。", "道歉并重新预约"),
    ],
    "property": [
        ("车库停车混乱", "地下车库常有外来车辆占位。", "加强管理"),
        ("垃圾清运不及时", "楼道垃圾两天未清运。", "按时清运"),
        ("电梯频繁故障", "3号楼电梯本周停运两次。", "彻底检修"),
        ("物业费明细不透明", "物业费收支未公示。", "公示收支"),
    ],
    "service": [
        ("客服态度差", "电话咨询时客服不耐烦。", "道歉"),
        ("回复不及时", "提交问题三天无人回复。", "及时回复"),
        ("交房排队过久", "交房当天排队四小时。", "优化流程"),
    ],
    "sales_promise": [
        ("车位优惠未兑现", "认购时承诺的车位优惠未落实。", "兑现承诺"),
        ("赠送面积缩水", "销售承诺的赠送露台面积缩水。", "按承诺补偿"),
        ("学位承诺落空", "销售宣传的学校学位无法落实。", "给出说法"),
    ],
    "design": [
        ("园林绿化与宣传不符", "小区中庭绿化面积比楼书少。", "按宣传补种"),
        ("低层采光不足", "楼间距过近，低层采光不足。", "给出解决方案"),
        ("会所迟迟未开放", "楼书中的会所至今未开放。", "尽快开放"),
    ],
    "other": [
        ("快递柜不足", "小区快递柜数量不足。", "增加快递柜"),
        ("临街噪音扰民", "临街一侧噪音过大。", "加装隔音设施"),
    ],
}
REQUEST_TEXTS = {
    "repair": [
        ("厨房下水堵塞", "厨房水槽下水不畅。"),
        ("门锁故障", "入户门智能锁无法识别指纹。"),
        ("阳台墙角发霉", "阳台墙角发霉渗水。"),
        ("插座无电", "客厅两个插座无电。"),
    ],
    "consultation": [
        ("交房时间咨询", "业主询问交房时间与流程。"),
        ("产权证办理进度", "咨询房产证办理进度。"),
        ("物业费标准", "咨询物业费收费标准。"),
    ],
    "suggestion": [
        ("增设儿童游乐设施", "建议在中庭增设儿童游乐设施。"),
        ("增加充电桩", "建议地库增加新能源车充电桩。"),
    ],
    "praise": [
        ("表扬维修师傅", "维修师傅上门及时、态度好。"),
        ("表扬管家服务", "管家协助处理快递，服务周到。"),
    ],
    "decoration": [("装修方案咨询", "咨询承重墙能否改动。")],
    "legal": [("购房合同条款咨询", "咨询合同中逾期交房违约金条款。")],
    "custody": [("委托出租", "业主希望委托出租房屋。")],
    "pre_inspection": [("预约预先验房", "希望交房前预约验房。")],
    "expert": [("地暖保养答疑", "咨询地暖保养方式，转工程部答复。")],
}
# The events written for the history: what the customer's timeline shows (receipt, the work
# done, each revisit, the closure); the steps in between are left out to keep seeding fast.
TIMELINE_VERBS = frozenset(
    {
        "service.ticket_received",
        "service.ticket_implemented",
        "service.revisited",
        "service.revisit_unsatisfied",
        "service.ticket_closed",
        "service.ticket_judged",
    }
)
SATISFACTION_WEIGHTS = {"very_satisfied": 32, "satisfied": 50, "average": 18}
SATISFACTION_WHEN_LATE = {"very_satisfied": 12, "satisfied": 50, "average": 38}


def seed_year(world, *, days: int = 365) -> dict:
    """A realistic year of tickets in the demo's projects (SVC-6), written in bulk."""
    rng = world.rng
    now, today = timezone.now(), timezone.localdate()
    staff = _year_staff(world["users"])
    limits: dict = {}
    lives = []
    for code, (per_day, delivered_ago) in YEAR_PROJECTS.items():
        project = world["projects"].get(code)
        if project is None:
            continue
        delivered = today - timedelta(days=delivered_ago)
        desk = staff.get(code, staff["default"])
        customers = list(
            Customer.objects.unscoped("demo data")
            .filter(project=project, merged_into=None, anonymised_at=None)
            .only("pk", "grade", "company_id")
            .order_by("pk")
        )
        units = list(
            Unit.objects.unscoped("demo data")
            .filter(project=project, status__in=("delivered", "signed"))
            .values_list("pk", flat=True)
        )
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            busy, quality = _day_weight(day, delivered)
            for _n in range(_poisson(rng, per_day * busy)):
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                received = timezone.make_aware(
                    datetime.combine(day, time(hour, rng.choice(MINUTES)))
                )
                if received < now:
                    ticket = _new_ticket(rng, project, desk, customers, units, received, quality)
                    lives.append(_live(rng, ticket, desk, limits, now))
    with transaction.atomic():
        counts = _write_year(lives, now)
    world.log(f"    service, a year of history: {counts}")
    return counts


def _year_staff(users) -> dict:
    """Who receives, works and revisits each project's tickets (demo logins): 深圳's desk
    (the engineer and the steward work 滨海 only), 珠海's through the group centre."""

    def first(*names):
        return next(users[n] for n in names if n in users)

    sz = {
        "receivers": [users[n] for n in ("service", "callcentre") if n in users],
        "agent": first("service", "group"),
        "workers": {},
    }
    binhai = {
        **sz,
        "workers": {
            "quality": first("engineer", "service"),
            "repairs": first("engineer", "service"),
            "property": first("steward", "service"),
        },
    }
    zh = {"receivers": [first("group")], "agent": first("group"), "workers": {}}
    return {"binhai": binhai, "yunjing": sz, "haiwan": zh, "default": zh}


def _weighted(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _poisson(rng, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _day_weight(day, delivered) -> tuple[float, float]:
    """(how busy the desk is that day, how much more quality/repairs than usual)."""
    from chinese_calendar import get_holiday_detail

    busy = 0.75 if day.weekday() >= 5 else 1.0
    holiday, name = get_holiday_detail(day)
    if holiday and name in ("National Day", "Spring Festival"):
        busy *= 0.3
    elif holiday and name:
        busy *= 0.6
    since = (day - delivered).days
    if since < 0:  # before delivery: sales and design matters only
        busy, quality = busy * 0.6, 0.3
    else:
        wave = math.exp(-since / 50)
        busy, quality = busy * (1 + 2.2 * wave), 1 + 1.5 * wave
    if day.month in (5, 6, 7, 8):  # the rainy season: leaks
        quality *= 1.3
    return busy, quality


def _tidy(moment):
    """Whole minutes off the half-hour marks (x:29 … x:01): a due time of the history never
    falls in the minute an SLA test sweeps, whenever the demo was seeded (limits are whole
    half-hours)."""
    if moment.minute % 30 in (29, 0, 1):
        moment += timedelta(minutes=3)
    return moment.replace(second=0, microsecond=0)


def _desk_hours(moment):
    """A revisit call moved into the desk's day (09:00–19:59 local) if it fell at night."""
    local = timezone.localtime(moment)
    if local.hour < 9:
        local = local.replace(hour=9 + local.hour % 3)
    elif local.hour >= 20:
        local = (local + timedelta(days=1)).replace(hour=10 + local.hour % 4)
    return _tidy(local)


def _after(start, rng, low, high):
    """A moment ``low``…``high`` minutes after ``start``."""
    return _tidy(start + timedelta(minutes=rng.uniform(low, max(high, low + 30))))


def _new_ticket(rng, project, desk, customers, units, received, quality) -> Ticket:
    types = dict(TYPE_WEIGHTS)
    types["repair"] = round(types["repair"] * quality)
    ticket_type = _weighted(rng, types)
    category, demand = ("repairs" if ticket_type == "repair" else "other"), ""
    if ticket_type == "complaint":
        categories = dict(CATEGORY_WEIGHTS)
        for key in ("quality", "repairs"):
            categories[key] = round(categories[key] * quality)
        category = _weighted(rng, categories)
        subject, description, demand = rng.choice(COMPLAINT_TEXTS[category])
    else:
        subject, description = rng.choice(REQUEST_TEXTS[ticket_type])
    channel = _weighted(rng, CHANNEL_WEIGHTS)
    sensitive = ticket_type == "complaint" and channel == "media"
    customer = rng.choice(customers) if customers and rng.random() < 0.93 else None
    receiver = rng.choice(desk["receivers"])
    return Ticket(
        company_id=project.company_id,
        project=project,
        customer=customer,
        customer_class=(customer.grade or "") if customer else "",
        contact_name="" if customer else rng.choice(["陈先生", "林女士", "黄先生", "周女士"]),
        unit_id=rng.choice(units) if units and category in ("quality", "repairs") else None,
        ticket_type=ticket_type,
        channel=channel,
        category=category,
        severity=Severity.SENSITIVE if sensitive else Severity.NORMAL,
        sensitive_reason="media" if sensitive else "",
        complainant_type=rng.choice(["", "", "quality_watcher", "rational", "negotiator"])
        if ticket_type == "complaint"
        else "",
        subject=subject,
        description=description,
        demand=demand,
        received_by=receiver,
        responsible=receiver,
        received_at=received,
        level=Level.MANAGEMENT if sensitive else Level.AGENT,
    )


class _Life:
    """One ticket's life: its steps applied in time order up to now, and what they left —
    revisits, solutions, escalations, events — for the bulk write."""

    def __init__(self, ticket, limits):
        self.t = ticket
        self.limits = limits
        self.revisits = []  # (loop, satisfaction, at, due_on, by)
        self.solutions = []  # (at, by)
        self.escalations = {}  # (stage, loop, step) -> due_at
        self.events = []  # (verb, at, by, details)
        self.loops_up = 0  # levels raised by unsatisfied revisits

    def event(self, verb, at, by, **details):
        if verb in TIMELINE_VERBS:
            self.events.append((verb, at, by, {"status": self.t.status, **details}))

    def respond(self, at):
        if self.t.responded_at is None:
            self.t.responded_at = at

    def revisit_due(self, after):
        """As ``services._revisit_due``: the next revisit of this loop, if one is still
        needed, within 5 Chinese working days."""
        done = sum(1 for r in self.revisits if r[0] == self.t.loops)
        if self.t.revisits_required <= done:
            return None
        return _five_working_days(timezone.localtime(after).date())


@functools.lru_cache(maxsize=1024)
def _five_working_days(day):
    return add_working_days(day, 5)


def _live(rng, ticket, desk, limits, now) -> _Life:
    key = (ticket.company_id, ticket.ticket_type, ticket.severity)
    if key not in limits:
        limits[key] = sla.limits_for(*key)
    sla.set_deadlines(ticket, limits[key])
    life = _Life(ticket, limits[key])
    life.event("service.ticket_received", ticket.received_at, ticket.received_by,
               channel=ticket.channel, type=ticket.ticket_type)  # fmt: skip
    steps = _plan(rng, life, desk)
    stuck = len(steps) // 2 if rng.random() < 0.015 else None  # the odd forgotten one
    for n, (at, step, args) in enumerate(steps):
        if at > now or n == stuck:
            break
        step(life, at, *args)
    _flag_and_finish(life, now)
    return life


def _plan(rng, life, desk) -> list:
    """This ticket's steps and their times, as it would go (cut at now by the caller)."""
    t, agent = life.t, desk["agent"]
    worker = desk["workers"].get(t.category, agent)
    fr, sol = life.limits.first_response, life.limits.solution
    received = t.received_at
    if t.ticket_type == "praise" or (
        t.ticket_type not in ("complaint", "repair") and rng.random() < 0.55
    ):
        return [(_after(received, rng, 5, fr * 0.8), _answer, (agent,))]
    late_answer = rng.random() < 0.08
    answered = _after(received, rng, fr * 1.05, fr * 2) if late_answer else None
    answered = answered or _after(received, rng, 3, fr * 0.9)
    if t.ticket_type == "complaint" and rng.random() < 0.05:
        return [(answered, _judge_invalid, (agent,))]
    steps = [(answered, _accept, (agent,))] if t.ticket_type == "complaint" else []
    assigned = _after(answered, rng, 2, 30)
    steps.append((assigned, _assign, (agent, worker)))
    # how it will be handled: at once / within the limit / late / after a loop
    at_once, late, looped = {"complaint": (0.12, 0.12, 0.14), "repair": (0.05, 0.12, 0.07)}.get(
        t.ticket_type, (0.0, 0.1, 0.0)
    )
    draw = rng.random()
    since = (assigned - received).total_seconds() / 60
    if draw < at_once and since + 10 < fr * 0.95:
        done = _after(received, rng, since + 10, fr * 0.95)
    elif at_once <= draw < at_once + late:
        done = _after(received, rng, sol * 1.02, sol + 4 * 1440)
    else:
        done = _after(received, rng, max(fr * 1.1, since + 30), sol * 0.95)
    _work(steps, rng, t, assigned, done, worker)
    if at_once + late <= draw < at_once + late + looped:  # 不满意: back to the cause
        revisit = _desk_hours(done + timedelta(hours=rng.uniform(20, 80)))
        steps.append((revisit, _revisit, (agent, "unsatisfied")))
        done = (
            _after(revisit, rng, sol * 1.02, sol + 3 * 1440)
            if rng.random() < 0.2
            else _after(revisit, rng, sol * 0.2, sol * 0.9)
        )
        _work(steps, rng, t, revisit, done, worker)
    unhappy = at_once <= draw < at_once + late + looped
    weights = SATISFACTION_WHEN_LATE if unhappy else SATISFACTION_WEIGHTS
    last = done
    for _k in range(t.revisits_required):
        last = _desk_hours(last + timedelta(hours=rng.uniform(6, 90)))
        steps.append((last, _revisit, (agent, _weighted(rng, weights))))
    hours = (0.5, 8) if t.revisits_required else (1, 30)
    steps.append((_tidy(last + timedelta(hours=rng.uniform(*hours))), _close, (agent,)))
    return steps


def _work(steps, rng, t, start, done, worker):
    """Cause found, a solution proposed and approved (complaints), carried out at ``done``."""
    if t.ticket_type == "complaint":
        steps.append((_tidy(start + (done - start) * rng.uniform(0.2, 0.5)), _analyse, (worker,)))
    steps.append((done, _implement, (worker,)))


# The steps: each leaves the ticket as its service does.


def _answer(life, at, by):
    """A consultation answered on the phone, a praise passed on (``ticket_close``)."""
    t = life.t
    life.respond(at)
    t.status, t.outcome, t.implemented_at = Status.CLOSED, Outcome.ANSWERED, at
    t.reply = t.summary = "已当场答复客户。"
    _closed(life, at, by, "service.ticket_closed")


def _judge_invalid(life, at, by):
    t = life.t
    life.respond(at)
    t.status, t.outcome = Status.CLOSED, Outcome.INVALID
    t.reply = "经核查，所反映情况不属于开发商责任范围，已向客户解释说明。"
    _closed(life, at, by, "service.ticket_judged", valid=False)


def _accept(life, at, by):
    life.t.status = Status.ACCEPTED
    life.respond(at)


def _assign(life, at, by, worker):
    t = life.t
    before = t.responsible_id
    t.status, t.responsible = Status.ASSIGNED, worker
    life.respond(at)
    life.event("service.ticket_assigned", at, by, to=worker.pk, **{"from": before})


def _analyse(life, at, by):
    life.t.status, life.t.cause = Status.ANALYSED, "经现场核查，问题属实，已查明原因。"
    life.event("service.cause_found", at, by)


def _implement(life, at, by):
    t = life.t
    if t.ticket_type == "complaint":
        life.solutions.append((at, by))
    t.status, t.reply, t.implemented_at = Status.IMPLEMENTED, "已按方案处理完毕。", at
    t.revisit_due_on = life.revisit_due(at)
    life.event("service.ticket_implemented", at, by)


def _revisit(life, at, by, satisfaction):
    t = life.t
    if t.revisit_due_on is not None and timezone.localtime(at).date() > t.revisit_due_on:
        at = _tidy(timezone.make_aware(datetime.combine(t.revisit_due_on, time(16, 10))))
    life.revisits.append((t.loops, satisfaction, at, t.revisit_due_on, by))
    t.satisfaction = satisfaction
    if satisfaction == Satisfaction.UNSATISFIED:
        t.status, t.loops = Status.ASSIGNED, t.loops + 1
        life.loops_up += 1
        t.implemented_at, t.revisit_due_on = None, None
        t.solution_due = at + timedelta(minutes=life.limits.solution)
        life.event("service.revisit_unsatisfied", at, by, loop=t.loops)
    else:
        t.revisit_due_on = life.revisit_due(at)
        life.event("service.revisited", at, by, satisfaction=satisfaction)


def _close(life, at, by):
    t = life.t
    t.status, t.outcome, t.summary = Status.CLOSED, Outcome.RESOLVED, "客户确认问题已解决，结案。"
    _closed(life, at, by, "service.ticket_closed")


def _closed(life, at, by, verb, **details):
    t = life.t
    t.closed_at, t.revisit_due_on, t.overdue = at, None, False
    t.handling = services.handling_of(t)
    life.event(verb, at, by, handling=t.handling, **details)


def _flag_and_finish(life, now):
    """What the every-minute sweep would have done meanwhile (each late stage escalated
    once, one level up; an open late ticket flagged), the level and the clocks."""
    t = life.t
    if (t.responded_at or now) > t.first_response_due:
        life.escalations[("first_response", 0, 0)] = t.first_response_due
    worked = t.outcome not in (Outcome.ANSWERED, Outcome.INVALID)
    if worked and (t.implemented_at or t.closed_at or now) > t.solution_due:
        life.escalations[("solution", t.loops, 0)] = t.solution_due
    if (t.closed_at or now) > t.closure_due:
        life.escalations[("closure", t.loops, 0)] = t.closure_due
    t.next_due_at = sla.next_due(t)
    if t.is_open and t.next_due_at <= now:
        t.overdue = True
        stage, due_at = sla.late_stage(t, now)
        step = sum(1 for r in life.revisits if r[0] == t.loops) if stage == "revisit" else 0
        life.escalations.setdefault((stage, t.loops, step), due_at)
    t.level = min(t.level + life.loops_up + len(life.escalations), Level.MANAGEMENT)
    for (stage, _loop, _step), due_at in life.escalations.items():
        life.event("service.ticket_escalated", min(due_at + timedelta(minutes=1), now), None,
                   stage=stage, level=t.level, due_at=due_at.isoformat())  # fmt: skip
    t.created_at = t.received_at
    moments = [t.received_at, t.responded_at, t.implemented_at, t.closed_at]
    t.updated_at = max(m for m in moments + [r[2] for r in life.revisits] if m is not None)


class _KeepTimestamps:
    """Bulk rows of history keep the times given them: auto_now/auto_now_add are switched
    off on these models' fields for the block (the demo's own process, one thread)."""

    def __init__(self, *models):
        self.fields = [
            f
            for m in models
            for f in m._meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]

    def __enter__(self):
        self.saved = [(f, f.auto_now, f.auto_now_add) for f in self.fields]
        for f in self.fields:
            f.auto_now = f.auto_now_add = False

    def __exit__(self, *exc):
        for f, auto_now, auto_now_add in self.saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _write_year(lives, now) -> dict:
    lives.sort(key=lambda life: (life.t.company_id, life.t.received_at))
    by_company: dict = {}
    for life in lives:
        by_company.setdefault(life.t.company_id, []).append(life.t)
    for company_id, tickets in by_company.items():
        first = allocate_number_block(
            kind=services.TICKET_NUMBER_KIND, scope=f"company:{company_id}", count=len(tickets)
        )
        for k, ticket in enumerate(tickets):
            ticket.number = first + k
    ticket_type, customer_type = content_type_of(Ticket), content_type_of(Customer)
    with _KeepTimestamps(Ticket, TicketRevisit, TicketSolution, TicketEscalation, Event):
        Ticket.objects.bulk_create([life.t for life in lives], batch_size=500)
        TicketRevisit.objects.bulk_create(
            [
                TicketRevisit(
                    ticket=life.t,
                    loop=loop,
                    satisfaction=satisfaction,
                    revisited_at=at,
                    due_on=due_on,
                    by=by,
                    created_at=at,
                    updated_at=at,
                )  # fmt: skip
                for life in lives
                for loop, satisfaction, at, due_on, by in life.revisits
            ],
            batch_size=500,
        )
        TicketSolution.objects.bulk_create(
            [
                TicketSolution(
                    ticket=life.t,
                    kind="repair" if life.t.category in ("quality", "repairs") else "explain",
                    description="维修或向客户说明原因。",
                    proposed_by=by,
                    decision=TicketSolution.Decision.APPROVED,
                    created_at=at,
                    updated_at=at,
                )
                for life in lives
                for at, by in life.solutions
            ],
            batch_size=500,
        )
        TicketEscalation.objects.bulk_create(
            [
                TicketEscalation(
                    ticket=life.t,
                    stage=stage,
                    loop=loop,
                    step=step,
                    level=life.t.level,
                    due_at=due_at,
                    created_at=min(due_at + timedelta(minutes=1), now),
                    updated_at=min(due_at + timedelta(minutes=1), now),
                )  # fmt: skip
                for life in lives
                for (stage, loop, step), due_at in life.escalations.items()
            ],
            batch_size=500,
        )
        Event.objects.bulk_create(
            [
                Event(
                    company_id=life.t.company_id,
                    project_id=life.t.project_id,
                    actor=by,
                    verb=verb,
                    target_type=ticket_type,
                    target_id=life.t.pk,
                    subject_type=customer_type if life.t.customer_id else None,
                    subject_id=life.t.customer_id,
                    details=details,
                    created_at=at,
                )
                for life in lives
                for verb, at, by, details in life.events
            ],
            batch_size=500,
        )
    tickets = [life.t for life in lives]
    return {
        "tickets": len(tickets),
        "open": sum(1 for t in tickets if t.is_open),
        "revisits": sum(len(life.revisits) for life in lives),
        "events": sum(len(life.events) for life in lives),
    }
