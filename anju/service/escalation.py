"""The SLA sweep (SVC-5), every minute: flag and escalate tickets past a limit.

It reads only open tickets not yet flagged whose next due time has passed (a partial index
serves exactly that), in batches, each ticket's row locked with SKIP LOCKED so a sweep never
waits for a person's write nor for another sweep. For each late stage of each loop it writes
one ``TicketEscalation`` (unique: the next minute's sweep finds it and tells nobody again),
raises the level by one (agent → service manager → company management), flags the ticket
and notifies the responsible and the people of the new level. A step that moves the ticket
on clears the flag (``services._save``), so the next late stage is caught again.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from anju.core.events import record_event

from . import notices, sla
from .models import OPEN_STATUSES, Level, Ticket, TicketEscalation

BATCH = 500


def due_tickets(now):
    return (
        Ticket.objects.unscoped("the SLA sweep reads every company's late tickets")
        .filter(status__in=OPEN_STATUSES, overdue=False, next_due_at__lte=now)
        .order_by("next_due_at", "pk")
    )


def sweep(*, now=None, batch: int = BATCH) -> dict:
    """One pass over everything late at ``now``. Returns counts (for the task's log)."""
    now = now or timezone.now()
    counts = {"flagged": 0, "escalated": 0}
    seen_last = None
    while True:
        with transaction.atomic():
            rows = due_tickets(now)
            if seen_last is not None:  # keyset: never the same row twice in one pass
                last_due, last_pk = seen_last
                rows = rows.filter(
                    Q(next_due_at__gt=last_due) | Q(next_due_at=last_due, pk__gt=last_pk)
                )
            tickets = list(
                rows.select_for_update(skip_locked=True, of=("self",)).select_related(
                    "project", "company", "responsible"
                )[:batch]
            )
            for ticket in tickets:
                escalated = _flag(ticket, now)
                counts["flagged"] += 1
                counts["escalated"] += int(escalated)
        if len(tickets) < batch:
            return counts
        seen_last = (tickets[-1].next_due_at, tickets[-1].pk)


def _flag(ticket, now) -> bool:
    late = sla.late_stage(ticket, now)
    if late is None:  # the due time moved meanwhile: put it right, nothing is late
        ticket.next_due_at = sla.next_due(ticket)
        ticket.save(update_fields=["next_due_at"])
        return False
    stage, due_at = late
    step = ticket.revisits.filter(loop=ticket.loops).count() if stage == "revisit" else 0
    _, created = TicketEscalation.objects.get_or_create(
        ticket=ticket,
        stage=stage,
        loop=ticket.loops,
        step=step,
        defaults={"level": min(ticket.level + 1, Level.MANAGEMENT), "due_at": due_at},
    )
    ticket.overdue = True
    if created:
        ticket.level = min(ticket.level + 1, Level.MANAGEMENT)
    ticket.save(update_fields=["overdue", "level", "updated_at"])
    if created:
        record_event(
            by=None,
            verb="service.ticket_escalated",
            target=ticket,
            subject=ticket.customer,
            details={"stage": stage, "level": ticket.level, "due_at": due_at.isoformat()},
        )
        notices.escalated(ticket, stage, due_at=due_at, step=step)
    return created
