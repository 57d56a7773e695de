"""The SLA sweep (SVC-5), every minute: flag and escalate tickets past a limit.

It reads only open tickets not yet flagged whose next due time has passed (a partial index
serves exactly that), in batches, each ticket's row locked with SKIP LOCKED so a sweep never
waits for a person's write nor for another sweep; each batch is written at once (a dozen
queries for 500 tickets, not a dozen per ticket). For each late stage of each loop it writes
one ``TicketEscalation`` (unique: the next minute's sweep finds it and tells nobody again),
raises the level by one (agent → service manager → company management), flags the ticket
and notifies the responsible and the people of the new level. A step that moves the ticket
on clears the flag (``services._save``), so the next late stage is caught again.
"""

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from anju.core.audit import before_change, log_bulk_update
from anju.core.events import record_events

from . import notices, sla
from .models import (
    OPEN_STATUSES,
    EscalationStage,
    Level,
    Ticket,
    TicketEscalation,
    TicketRevisit,
)

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
                    "project", "company", "responsible", "customer"
                )[:batch]
            )
            counts["escalated"] += _flag_all(tickets, now)
            counts["flagged"] += len(tickets)
        if len(tickets) < batch:
            return counts
        seen_last = (tickets[-1].next_due_at, tickets[-1].pk)


def _flag_all(tickets, now) -> int:
    """Flag a batch of locked tickets; escalate each late stage not escalated before.

    A write of each kind for the whole batch (escalations, tickets, their audit entries,
    events, notifications), not one per ticket: 500 late tickets cost a dozen queries.
    Returns how many were escalated now.
    """
    late = {t.pk: sla.late_stage(t, now) for t in tickets}
    for ticket in tickets:
        if late[ticket.pk] is None:  # the due time moved meanwhile: put it right
            ticket.next_due_at = sla.next_due(ticket)
            ticket.save(update_fields=["next_due_at"])
    tickets = [t for t in tickets if late[t.pk] is not None]
    if not tickets:
        return 0
    steps = _revisit_steps([t for t in tickets if late[t.pk][0] == EscalationStage.REVISIT])
    known = _escalated_before(tickets)
    before = before_change(tickets)
    raised = []
    for ticket in tickets:
        stage, due_at = late[ticket.pk]
        step = steps.get(ticket.pk, 0)
        ticket.overdue = True
        ticket.updated_at = now
        if (ticket.pk, stage, ticket.loops, step) in known:
            continue
        ticket.level = min(ticket.level + 1, Level.MANAGEMENT)
        raised.append(
            TicketEscalation(
                ticket=ticket,
                stage=stage,
                loop=ticket.loops,
                step=step,
                level=ticket.level,
                due_at=due_at,
            )
        )
    TicketEscalation.objects.bulk_create(raised)
    Ticket.objects.unscoped("the sweep's locked tickets").bulk_update(
        tickets, ["overdue", "level", "updated_at"]
    )
    log_bulk_update(tickets, before, ["overdue", "level"])
    escalated = {e.ticket_id: e for e in raised}
    record_events(
        by=None,
        verb="service.ticket_escalated",
        targets=[t for t in tickets if t.pk in escalated],
        subject_of=lambda t: t.customer,
        details=lambda t: {
            "stage": escalated[t.pk].stage,
            "level": t.level,
            "due_at": escalated[t.pk].due_at.isoformat(),
        },
    )
    notices.escalated_all(raised)
    return len(raised)


def _revisit_steps(tickets) -> dict:
    """For tickets late on a revisit: which revisit of the present loop (one query)."""
    if not tickets:
        return {}
    loops = {t.pk: t.loops for t in tickets}
    rows = (
        TicketRevisit.objects.unscoped("the sweep's locked tickets' revisits")
        .filter(ticket_id__in=loops)
        .values_list("ticket_id", "loop")
        .annotate(n=Count("pk"))
    )
    return {ticket_id: n for ticket_id, loop, n in rows if loops[ticket_id] == loop}


def _escalated_before(tickets) -> set:
    """(ticket, stage, loop, step) of the escalations the tickets already have."""
    return set(
        TicketEscalation.objects.unscoped("the sweep's locked tickets' escalations")
        .filter(ticket__in=tickets)
        .values_list("ticket_id", "stage", "loop", "step")
    )
