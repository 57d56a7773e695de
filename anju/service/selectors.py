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
    """每日盘点: a person's open tickets, the most urgent first."""
    return (
        tickets_visible_to(user)
        .filter(responsible=responsible, status__in=OPEN_STATUSES)
        .order_by("next_due_at", "pk")
    )
