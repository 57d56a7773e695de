"""Where a ticket stands against its time limits (SVC-5): each clock, due when, done when.

A read of the loaded ticket (no query): the API's ticket detail and ``GET …/sla``, the daily
list (每日盘点). The clocks are the ticket's own deadlines, set at receipt from the company's
policy (``sla.py``); a solution clock starts again after an unsatisfied revisit.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from . import sla
from .models import Status

FIRST_RESPONSE, SOLUTION, REVISIT, CLOSURE = "first_response", "solution", "revisit", "closure"
CLOCKS = (FIRST_RESPONSE, SOLUTION, REVISIT, CLOSURE)

MET, MISSED, RUNNING, LATE, SKIPPED = "met", "missed", "running", "late", "skipped"
STATES = (MET, MISSED, RUNNING, LATE, SKIPPED)


@dataclass(frozen=True)
class Clock:
    clock: str  # first_response | solution | revisit | closure
    due_at: datetime | None
    done_at: datetime | None
    state: str  # met | missed (done late) | running | late (not done, past due) | skipped

    @property
    def late(self) -> bool:
        return self.state in (MISSED, LATE)


def _clock(name, due_at, done_at, *, closed: bool, now) -> Clock:
    if done_at is not None:
        state = MET if due_at is None or done_at <= due_at else MISSED
    elif closed:
        state = SKIPPED  # closed without this step (not valid, answered at once)
    else:
        state = LATE if due_at is not None and due_at <= now else RUNNING
    return Clock(clock=name, due_at=due_at, done_at=done_at, state=state)


def clocks(ticket, now=None) -> list[Clock]:
    """First response, solution, the revisit due now (if one is), closure — in that order."""
    now = now or timezone.now()
    closed = ticket.status == Status.CLOSED
    rows = [
        _clock(
            FIRST_RESPONSE, ticket.first_response_due, ticket.responded_at, closed=closed, now=now
        ),
        _clock(SOLUTION, ticket.solution_due, ticket.implemented_at, closed=closed, now=now),
    ]
    if ticket.revisit_due_on is not None:
        due = sla.end_of_day(ticket.revisit_due_on)
        rows.append(_clock(REVISIT, due, None, closed=closed, now=now))
    rows.append(_clock(CLOSURE, ticket.closure_due, ticket.closed_at, closed=closed, now=now))
    return rows


def next_clock(ticket) -> str | None:
    """Which clock ``next_due_at`` is (the same order as ``sla.next_due``)."""
    if ticket.status == Status.CLOSED:
        return None
    if ticket.responded_at is None:
        return FIRST_RESPONSE
    if ticket.implemented_at is None:
        return SOLUTION
    revisit = ticket.revisit_due_on
    if revisit is not None and sla.end_of_day(revisit) <= ticket.closure_due:
        return REVISIT
    return CLOSURE


def is_late(ticket, now=None) -> bool:
    """Open and past its next due time (flagged by the sweep, or about to be)."""
    if ticket.status == Status.CLOSED:
        return False
    now = now or timezone.now()
    return ticket.overdue or (ticket.next_due_at is not None and ticket.next_due_at <= now)
