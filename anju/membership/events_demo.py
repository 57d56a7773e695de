"""Demo club events (MEM-4): two past events with attendance and satisfaction, upcoming ones.

Recorded through the services (``now=`` the day things happened), so the lists, points,
events and timelines are what running them would have produced.
"""

from datetime import timedelta

from django.utils import timezone

from anju.customers.models import Customer

from . import events_satisfaction, events_services
from .events_models import AnswerChannel, EventKind

COMMENTS = ["讲得很实用，管线布置讲得清楚", "希望多讲讲防水", "时间有点短", "", "孩子们玩得很开心"]


def _at(days, hour, minute=0):
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _customers(project, n):
    return list(
        Customer.objects.unscoped("demo data: the project's customers")
        .filter(project=project, merged_into__isnull=True)
        .order_by("pk")[:n]
    )


def _run(
    world, *, by, project, title, kind, days, capacity, points, yes, no, attend, walk_in=0, cancel=0
):
    """An event ``days`` from today with ``yes`` registrations (more than the capacity wait),
    ``attend`` of them checked in, ``walk_in`` more at the door and ``cancel`` cancellations."""
    starts = _at(days, 14, 30)
    people = _customers(project, yes + no + walk_in + 3)
    event = events_services.event_create(
        by=by,
        project=project,
        title=title,
        kind=kind,
        venue=f"{project.name}销售中心二楼",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=capacity,
        attendance_points=points,
        description="置业顾问邀请，客服与工程设计经理讲解、答疑。",
    )
    invited_on = starts - timedelta(days=14)
    events_services.event_invite(
        by=by, event=event, customers=people[: yes + no + 3], now=invited_on
    )
    for n, customer in enumerate(people[:yes]):
        events_services.event_rsvp(
            by=by,
            event=event,
            customer=customer,
            attending=True,
            via=AnswerChannel.CALL,
            now=invited_on + timedelta(days=1, minutes=10 * n),
        )
    for n, customer in enumerate(people[yes : yes + no]):
        events_services.event_rsvp(
            by=by,
            event=event,
            customer=customer,
            attending=False,
            now=invited_on + timedelta(days=2, minutes=n),
        )
    registrations = list(event.registrations.order_by("pk"))
    for registration in [r for r in registrations if r.status == "registered"][:cancel]:
        events_services.registration_cancel(
            by=by, registration=registration, now=min(starts - timedelta(days=3), timezone.now())
        )
    if days > 0:
        return event
    seated = [r for r in event.registrations.order_by("pk") if r.status == "registered"]
    for n, registration in enumerate(seated[:attend]):
        done = events_services.event_check_in(
            by=by, registration=registration, now=starts - timedelta(minutes=20 - n)
        )
        if n % 3 != 2:
            events_satisfaction.feedback_record(
                by=by,
                registration=done,
                overall=5 - n % 3,
                usefulness=4 + (n % 2),
                comment=COMMENTS[n % len(COMMENTS)],
            )
    for customer in people[yes + no : yes + no + walk_in]:
        events_services.event_check_in_walk_in(
            by=by, event=event, customer=customer, now=starts + timedelta(minutes=5)
        )
    return event


def seed(world):
    users, projects = world["users"], world["projects"]
    staff = users["service"]
    binhai = projects.get("binhai")
    if binhai is None:
        return
    events = [
        _run(
            world,
            by=staff,
            project=binhai,
            title="装修知识讲座：管线布置与防水",
            kind=EventKind.LECTURE,
            days=-60,
            capacity=30,
            points=50,
            yes=12,
            no=3,
            attend=10,
            walk_in=1,
        ),
        _run(
            world,
            by=staff,
            project=binhai,
            title="业主亲子手工活动",
            kind=EventKind.COMMUNITY,
            days=-25,
            capacity=10,
            points=30,
            yes=12,
            no=1,
            attend=8,
            cancel=1,
        ),
        _run(
            world,
            by=staff,
            project=binhai,
            title="装修知识讲座（第二期）：收纳与软装",
            kind=EventKind.LECTURE,
            days=10,
            capacity=8,
            points=50,
            yes=10,
            no=2,
            attend=0,
            cancel=1,
        ),
    ]
    haiwan = projects.get("haiwan")
    if haiwan is not None and "manager_zh" in users:
        events.append(
            _run(
                world,
                by=users["manager_zh"],
                project=haiwan,
                title="社区中秋游园会",
                kind=EventKind.COMMUNITY,
                days=20,
                capacity=50,
                points=20,
                yes=4,
                no=1,
                attend=0,
            )
        )
    world["club_events"] = events
