"""Every read of the service desk a user sees, scoped with ``visible_to``."""

from django.db.models import Prefetch

from anju.core.scope import get_visible_or_404

from .models import OPEN_STATUSES, Ticket, TicketRevisit, TicketSolution


def tickets_visible_to(user):
    return Ticket.objects.visible_to(user).select_related(
        "project", "customer", "responsible", "unit__building"
    )


def ticket_detail(user, pk) -> Ticket:
    """One ticket with its solutions, revisits and photos (four queries)."""
    return get_visible_or_404(
        Ticket.objects.select_related(
            "project",
            "company",
            "customer",
            "responsible",
            "received_by",
            "department",
            "unit__building",
            "case",
        ).prefetch_related(
            Prefetch(
                "solutions",
                queryset=TicketSolution.objects.unscoped("the visible ticket's own")
                .select_related("proposed_by", "approval")
                .order_by("created_at"),
            ),
            Prefetch(
                "revisits",
                queryset=TicketRevisit.objects.unscoped("the visible ticket's own").select_related(
                    "by"
                ),
            ),
            "attachments",
        ),
        user,
        pk=pk,
    )


def open_tickets_of(user, responsible):
    """每日盘点: a person's open tickets (``None``: everyone's), the most urgent first."""
    tickets = tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    if responsible is not None:
        tickets = tickets.filter(responsible=responsible)
    return tickets.order_by("next_due_at", "pk")


def owes_a_call(user, customer) -> bool:
    """Does the service side owe this customer a call from ``user``? (The customers app's
    responsibility rule, issue 9 item 1: who must call may reveal the number.)

    The responsible of an open ticket about him; the desk (HANDLE_TICKETS where the ticket
    is) once its solution is carried out, since the revisits (回访) are phone calls; the desk
    of an open repair order of his, to arrange and sign off the repair with the owner.
    Tickets and repair orders the user sees; at most two queries."""
    from anju.core.permissions import has_perm
    from anju.core.roles import Perm

    from .delivery_models import RepairOrder, RepairStatus
    from .models import Status

    def desk_of(rows) -> bool:
        return any(
            has_perm(user, Perm.HANDLE_TICKETS, company=company_id, project=project_id)
            for company_id, project_id in rows
        )

    tickets = list(
        Ticket.objects.visible_to(user)
        .filter(customer_id=customer.pk, status__in=OPEN_STATUSES)
        .values_list("responsible_id", "status", "company_id", "project_id")[:50]
    )
    if any(responsible == user.pk for responsible, *_rest in tickets):
        return True
    if desk_of((c, p) for _r, status, c, p in tickets if status == Status.IMPLEMENTED):
        return True
    repairs = (
        RepairOrder.objects.visible_to(user)
        .filter(customer_id=customer.pk)
        .exclude(status=RepairStatus.SIGNED_OFF)
        .values_list("company_id", "project_id")
        .distinct()[:20]
    )
    return desk_of(repairs)
