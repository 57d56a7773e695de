"""Time limits, 24/7 clocks, the every-minute sweep and working-day revisits (SVC-4, SVC-5)."""

import datetime

import pytest

from anju.core.models import Notification
from anju.core.workdays import add_working_days, is_working_day
from anju.service import escalation, services, sla
from anju.service.models import Level, SlaPolicy, Status, Ticket, TicketEscalation

from .conftest import local

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "start, expected",
    [
        # 国庆 2025: 10-01 … 10-08 off; Sunday 09-28 and Saturday 10-11 are worked (调休).
        (datetime.date(2025, 9, 29), datetime.date(2025, 10, 13)),  # 30th, 9th, 10th, 11th, 13th
        (datetime.date(2025, 9, 26), datetime.date(2025, 10, 10)),  # Sun 28th counts
        (datetime.date(2025, 10, 1), datetime.date(2025, 10, 14)),  # from inside the holiday
        (datetime.date(2026, 11, 23), datetime.date(2026, 11, 30)),  # an ordinary week
    ],
)
def test_revisits_are_due_in_chinese_working_days(start, expected):
    assert add_working_days(start, 5) == expected


def test_the_swapped_days_are_the_calendars_not_a_hand_list():
    assert is_working_day(datetime.date(2025, 10, 11))  # a Saturday worked (调休)
    assert not is_working_day(datetime.date(2025, 10, 3))  # a Friday off (国庆)
    # A year the package has no data for yet counts Monday–Friday (and /healthz says so).
    assert is_working_day(datetime.date(2031, 3, 3)) and not is_working_day(
        datetime.date(2031, 3, 1)
    )


def test_a_revisit_due_date_crosses_the_national_day_holiday(receive, desk, monkeypatch):
    """Implemented on Monday 2025-09-29: the first revisit is due on 10-13, not 10-06."""
    from .test_workflow import _to_implemented

    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: local(2025, 9, 29, 16, 0).astimezone(datetime.UTC)
    )
    ticket = _to_implemented(receive(received_at=local(2025, 9, 29, 9, 0)), desk)
    assert ticket.revisit_due_on == datetime.date(2025, 10, 13)
    assert ticket.next_due_at == sla.end_of_day(datetime.date(2025, 10, 13))


def _hour_limit(company):
    SlaPolicy.objects.create(
        company=company,
        ticket_type="complaint",
        severity="normal",
        first_response_minutes=60,
        solution_minutes=24 * 60,
        closure_minutes=7 * 24 * 60,
    )


def test_a_complaint_at_2330_on_saturday_is_due_at_0030_and_escalates_once(receive, desk, world):
    """Clocks run 24/7: nobody answered by 00:30 Sunday → flagged, up one level, the
    service managers told — once, however often the sweep runs."""
    agent, manager, management, _engineer = desk
    _hour_limit(world.companies["sz"])
    ticket = receive(received_at=local(2026, 11, 28, 23, 30))  # a Saturday
    assert ticket.first_response_due == local(2026, 11, 29, 0, 30)
    escalation.sweep(now=local(2026, 11, 29, 0, 29))  # (the demo's older tickets are late)
    ticket.refresh_from_db()
    assert not ticket.overdue and ticket.level == Level.AGENT
    assert escalation.sweep(now=local(2026, 11, 29, 0, 31)) == {"flagged": 1, "escalated": 1}
    ticket.refresh_from_db()
    assert ticket.overdue and ticket.level == Level.SERVICE_MANAGER
    told = Notification.objects.filter(key=f"service:{ticket.pk}:first_response:0:0")
    assert set(told.values_list("user__username", flat=True)) == {"service", "servicemgr"}
    for minute in (32, 33, 34):  # the next minutes' sweeps tell nobody again
        assert escalation.sweep(now=local(2026, 11, 29, 0, minute))["flagged"] == 0
    assert Notification.objects.filter(key__startswith=f"service:{ticket.pk}:").count() == 2
    assert TicketEscalation.objects.unscoped("test").filter(ticket=ticket).count() == 1


def test_each_late_stage_escalates_once_more_up_to_management(receive, desk, world, monkeypatch):
    agent, _manager, management, engineer = desk
    _hour_limit(world.companies["sz"])
    ticket = receive(received_at=local(2026, 11, 28, 23, 30))
    escalation.sweep(now=local(2026, 11, 29, 0, 31))  # first response late → level 1
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: local(2026, 11, 29, 8, 0).astimezone(datetime.UTC)
    )
    services.ticket_judge(by=agent, ticket=ticket, valid=True)  # answered: the flag clears
    ticket.refresh_from_db()
    assert not ticket.overdue and ticket.next_due_at == ticket.solution_due
    escalation.sweep(now=local(2026, 11, 29, 23, 31))  # the solution limit (24 h) passed
    ticket.refresh_from_db()
    assert ticket.level == Level.MANAGEMENT and ticket.overdue
    assert Notification.objects.filter(user=management, key=f"service:{ticket.pk}:solution:0:0")


def test_a_night_or_weekend_ticket_is_never_left_without_a_due_time(receive, world):
    for received in (local(2026, 11, 28, 3, 0), local(2026, 11, 29, 22, 15)):
        ticket = receive(received_at=received)
        assert ticket.responsible_id and ticket.next_due_at is not None
        assert ticket.next_due_at - received == datetime.timedelta(hours=2)  # default limit
    assert (
        not Ticket.objects.unscoped("test")
        .filter(status__in=[s for s in Status.values if s != "closed"], next_due_at=None)
        .exists()
    )


def test_the_sweep_reads_only_late_unflagged_tickets(receive, django_assert_max_num_queries):
    for _ in range(3):
        receive(received_at=local(2026, 11, 28, 9, 0))
    escalation.sweep(now=local(2026, 11, 28, 11, 1))
    with django_assert_max_num_queries(3):  # nothing new: one read (+ the savepoint pair)
        assert escalation.sweep(now=local(2026, 11, 28, 11, 2))["flagged"] == 0


def test_a_batch_of_late_tickets_is_written_at_once(receive, world, make_customer):
    """The sweep writes each kind of row once per batch (SVC-5 at scale: 500 late tickets in
    a few queries): the same number of queries for 2 late tickets as for 8, and for each
    ticket its escalation, its audit entry (SEC-3), its event about the customer and the
    notices, as a row-by-row save would have left them."""
    from auditlog.models import LogEntry
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from anju.core.events import events_for

    _hour_limit(world.companies["sz"])

    def late_batch(n, hour):
        tickets = [receive(received_at=local(2026, 11, 28, hour, 0)) for _ in range(n)]
        escalation.sweep(now=local(2026, 11, 28, hour, 59, 59))  # the demo's, late meanwhile
        with CaptureQueriesContext(connection) as ctx:
            counts = escalation.sweep(now=local(2026, 11, 28, hour + 1, 1))
        assert counts == {"flagged": n, "escalated": n}
        return tickets, len(ctx.captured_queries)

    _few, few_queries = late_batch(2, 10)
    many, many_queries = late_batch(8, 12)
    assert many_queries == few_queries <= 16
    for ticket in many:
        ticket.refresh_from_db()
        assert ticket.overdue and ticket.level == Level.SERVICE_MANAGER
        audit = LogEntry.objects.get_for_object(ticket).filter(action=LogEntry.Action.UPDATE)
        assert any(e.changes.get("level") == [0, 1] for e in audit), [e.changes for e in audit]
        event = events_for(ticket).get(verb="service.ticket_escalated")
        assert event.subject_id == ticket.customer_id and event.details["level"] == 1
        told = Notification.objects.filter(key=f"service:{ticket.pk}:first_response:0:0")
        assert set(told.values_list("user__username", flat=True)) == {"service", "servicemgr"}
