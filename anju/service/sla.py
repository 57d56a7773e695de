"""Time limits (SVC-5): per company, ticket type and severity; clocks run 24/7.

A complaint received at 23:30 on a Saturday with a one-hour first-response limit is due at
00:30 on Sunday: limits are plain minutes on the clock, never office hours. A company sets
its own on /service/sla/ (``SlaPolicy`` rows); without a row the defaults below apply.
Revisits are the exception: they are due within N *working* days (``core.workdays``).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from anju.core.workdays import add_working_days

from .models import Severity, SlaPolicy, Status, TicketType

HOUR, DAY = 60, 24 * 60


@dataclass(frozen=True)
class Limits:
    first_response: int  # minutes
    solution: int
    closure: int


# 投诉 normal: answer within 2 h, a solution within 3 days, closed within 15 days; sensitive
# (媒体/群诉): 30 min, 1 day, 7 days. Requests: 4 h, 5 days, 15 days; praise: thanked in a day.
DEFAULTS = {
    (TicketType.COMPLAINT, Severity.NORMAL): Limits(2 * HOUR, 3 * DAY, 15 * DAY),
    (TicketType.COMPLAINT, Severity.SENSITIVE): Limits(30, 1 * DAY, 7 * DAY),
    (TicketType.PRAISE, Severity.NORMAL): Limits(1 * DAY, 1 * DAY, 3 * DAY),
    (TicketType.REPAIR, Severity.NORMAL): Limits(2 * HOUR, 3 * DAY, 15 * DAY),
}
REQUEST_DEFAULT = Limits(4 * HOUR, 5 * DAY, 15 * DAY)
SENSITIVE_REQUEST_DEFAULT = Limits(1 * HOUR, 2 * DAY, 7 * DAY)


def default_limits(ticket_type: str, severity: str) -> Limits:
    found = DEFAULTS.get((ticket_type, severity))
    if found:
        return found
    if severity == Severity.SENSITIVE:
        return DEFAULTS.get((ticket_type, Severity.NORMAL), SENSITIVE_REQUEST_DEFAULT)
    return REQUEST_DEFAULT


def limits_for(company_id: int, ticket_type: str, severity: str) -> Limits:
    row = (
        SlaPolicy.objects.unscoped("the company's time limits, for its own ticket")
        .filter(company_id=company_id, ticket_type=ticket_type, severity=severity)
        .first()
    )
    if row:
        return Limits(row.first_response_minutes, row.solution_minutes, row.closure_minutes)
    return default_limits(ticket_type, severity)


def set_deadlines(ticket, limits: Limits) -> None:
    """The three limits from the moment of receipt (a sensitive re-rating restarts none)."""
    start = ticket.received_at
    ticket.first_response_due = start + timedelta(minutes=limits.first_response)
    ticket.solution_due = start + timedelta(minutes=limits.solution)
    ticket.closure_due = start + timedelta(minutes=limits.closure)


def revisit_due(after: datetime, working_days: int):
    """The date a revisit is due: ``working_days`` Chinese working days after ``after``."""
    return add_working_days(timezone.localtime(after).date(), working_days)


def end_of_day(day) -> datetime:
    """A due date as a moment: its last minute (local time)."""
    return timezone.make_aware(datetime.combine(day, datetime.max.time().replace(microsecond=0)))


def next_due(ticket) -> datetime | None:
    """The earliest limit still running — what the responsible must do next, and when."""
    if ticket.status == Status.CLOSED:
        return None
    if ticket.responded_at is None:
        return ticket.first_response_due
    if ticket.implemented_at is None:
        return ticket.solution_due
    if ticket.revisit_due_on is not None:
        return min(end_of_day(ticket.revisit_due_on), ticket.closure_due)
    return ticket.closure_due


def late_stage(ticket, now: datetime) -> tuple[str, datetime] | None:
    """Which running limit has passed at ``now`` (the stage's name and when it was due)."""
    from .models import EscalationStage

    if ticket.status == Status.CLOSED:
        return None
    if ticket.responded_at is None and ticket.first_response_due <= now:
        return EscalationStage.FIRST_RESPONSE, ticket.first_response_due
    if ticket.implemented_at is None and ticket.solution_due <= now:
        return EscalationStage.SOLUTION, ticket.solution_due
    if ticket.revisit_due_on is not None and end_of_day(ticket.revisit_due_on) <= now:
        return EscalationStage.REVISIT, end_of_day(ticket.revisit_due_on)
    if ticket.closure_due <= now:
        return EscalationStage.CLOSURE, ticket.closure_due
    return None
