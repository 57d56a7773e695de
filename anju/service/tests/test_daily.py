"""每日盘点, the daily open-ticket list (SVC-5): the page per responsible person and the
08:00 notice and SMS — once per person and day, with a fixed clock."""

import datetime

import pytest
from django.utils import timezone

from anju.core.models import Notification
from anju.core.scheduling import discover_periodic_jobs
from anju.messaging.models import Message
from anju.service import services
from anju.service.daily import send_daily_lists
from anju.service.models import OPEN_STATUSES, Ticket

from .conftest import local

pytestmark = pytest.mark.django_db

MONDAY_8 = local(2026, 11, 30, 8, 0)


def _utc(moment):
    return moment.astimezone(datetime.UTC)


@pytest.fixture
def engineer_with_tickets(world, receive, desk, monkeypatch):
    """The engineer holds three open tickets (one late) and a closed one, received on
    Sunday afternoon; the agent holds one."""
    agent, _manager, _management, engineer = desk
    monkeypatch.setattr("django.utils.timezone.now", lambda: _utc(local(2026, 11, 29, 15, 0)))
    Ticket.objects.unscoped("test").filter(status__in=OPEN_STATUSES).update(
        status="closed", next_due_at=None, closed_at=timezone.now()
    )  # the demo's open tickets out of the way: counts below are this test's
    tickets = []
    for n in range(4):
        ticket = receive(subject=f"盘点工单{n}")
        services.ticket_judge(by=agent, ticket=ticket, valid=True)
        services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
        tickets.append(ticket)
    Ticket.objects.unscoped("test").filter(pk=tickets[0].pk).update(overdue=True)
    services.ticket_analyse(by=engineer, ticket=tickets[3], cause="x")
    Ticket.objects.unscoped("test").filter(pk=tickets[3].pk).update(
        status="closed", next_due_at=None
    )
    receive(subject="客服自己的工单")
    engineer.phone = "13800138000"
    engineer.save(update_fields=["phone"])
    return engineer, tickets


def test_every_responsible_person_is_told_once_a_day(world, engineer_with_tickets, monkeypatch):
    engineer, _tickets = engineer_with_tickets
    agent = world.users["service"]
    monkeypatch.setattr("django.utils.timezone.now", lambda: _utc(MONDAY_8))
    counts = send_daily_lists(now=MONDAY_8)
    assert counts["people"] >= 2 and counts["messages"] >= 1
    notice = Notification.objects.get(user=engineer, key=f"service:daily:{engineer.pk}:2026-11-30")
    assert "3" in notice.title and "1" in notice.title and notice.url == "/service/daily/"
    assert "每日盘点" in notice.title  # in the product's language
    sms = Message.objects.unscoped("test").get(idempotency_key=notice.key)
    assert (sms.to, sms.kind, sms.channel) == ("13800138000", "service", "sms")
    assert "3" in sms.body
    assert Notification.objects.filter(user=agent, key__startswith="service:daily:").count() == 1
    assert (
        not Message.objects.unscoped("test")
        .filter(idempotency_key=f"service:daily:{agent.pk}:2026-11-30")
        .exists()
    )  # no phone, no SMS

    again = send_daily_lists(now=MONDAY_8 + datetime.timedelta(minutes=5))  # a rerun
    assert again["notices"] == 0 and again["messages"] == 0
    assert Notification.objects.filter(user=engineer, key__startswith="service:daily:").count() == 1
    assert Message.objects.unscoped("test").filter(source="service:daily").count() == 1

    tuesday = MONDAY_8 + datetime.timedelta(days=1)
    assert send_daily_lists(now=tuesday)["notices"] >= 2
    assert Notification.objects.filter(user=engineer, key__startswith="service:daily:").count() == 2


def test_the_task_runs_at_eight_every_morning():
    jobs = {job.task.module_path: job.cron for job in discover_periodic_jobs()}
    assert jobs["anju.service.tasks.send_daily_lists"] == "0 8 * * *"


def test_the_page_lists_ones_open_tickets_most_urgent_first(
    world, engineer_with_tickets, login, monkeypatch
):
    engineer, tickets = engineer_with_tickets
    monkeypatch.setattr("django.utils.timezone.now", lambda: _utc(MONDAY_8))
    client = login(engineer)
    page = client.get("/service/daily/").content.decode()
    assert page.count('data-testid="daily-row"') == 3
    order = [page.index(str(t)) for t in tickets[:3]]
    assert order == sorted(order)  # received in this order, due in this order
    assert str(tickets[3]) not in page  # closed
    # only the one flagged is late: the others' solutions are due on Wednesday
    assert page.count('data-late="1"') == 1
    assert page.index('data-late="1"') < page.index(str(tickets[0]))
    assert "每日盘点" in page
    # another person's list is for who oversees the desk
    agent = world.users["service"]
    assert client.get(f"/service/daily/?person={agent.pk}").status_code == 403


def test_a_manager_picks_a_person_of_his_company(world, engineer_with_tickets, login):
    engineer, tickets = engineer_with_tickets
    client = login(world.users["servicemgr"])
    own = client.get("/service/daily/").content.decode()
    assert 'data-testid="daily-person"' in own and str(engineer) in own
    page = client.get(f"/service/daily/?person={engineer.pk}").content.decode()
    assert page.count('data-testid="daily-row"') == 3 and str(tickets[0]) in page
    assert 'data-late="1"' in page  # flagged by the sweep
    other = world.users["consultant_zh"]
    assert client.get(f"/service/daily/?person={other.pk}").status_code == 404
    assert client.get("/service/daily/?person=abc").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries(world, engineer_with_tickets, login, receive):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    engineer, _tickets = engineer_with_tickets
    client = login(world.users["servicemgr"])
    with CaptureQueriesContext(connection) as few:
        client.get(f"/service/daily/?person={engineer.pk}")
    agent = world.users["service"]
    for n in range(5):
        ticket = receive(subject=f"更多{n}")
        services.ticket_judge(by=agent, ticket=ticket, valid=True)
        services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/service/daily/?person={engineer.pk}").content.decode()
    assert page.count('data-testid="daily-row"') == 8
    assert len(many.captured_queries) == len(few.captured_queries) <= 12


def test_a_manager_starts_on_his_teams_open_tickets(world, engineer_with_tickets, login):
    """Found walking the service manager's day: the page opened on his own list, which holds
    nothing (his team holds the tickets), and he had to pick each person to see any."""
    engineer, tickets = engineer_with_tickets
    client = login(world.users["servicemgr"])
    page = client.get("/service/daily/").content.decode()
    assert page.count('data-testid="daily-row"') == 4  # the engineer's three, the agent's one
    assert page.count('data-testid="daily-responsible"') == 4 and str(engineer) in page
    assert 'data-late="1"' in page
    assert client.get("/service/daily/?person=all").content.decode().count("daily-row") == 4
    # "me" is still there: his own list holds nothing
    me = client.get(f"/service/daily/?person={world.users['servicemgr'].pk}").content.decode()
    assert 'data-testid="daily-row"' not in me
    # who oversees no one keeps his own list, and everyone's is not his to see
    engineer_client = login(engineer)
    assert engineer_client.get("/service/daily/").content.decode().count("daily-row") == 3
    assert engineer_client.get("/service/daily/?person=all").status_code == 403
