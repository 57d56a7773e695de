"""Reads of the service desk's pages (lists, detail, group cases, time limits), each scoped
with ``visible_to`` or through a row the caller already read that way."""

from django.db.models import Count, Exists, OuterRef, Q

from anju.core.events import events_for
from anju.core.roles import ROLE_SCOPE, ScopeLevel
from anju.core.scope import get_visible_or_404
from anju.org.models import Department, RoleAssignment, User
from anju.org.selectors import staff_visible_to

from . import selectors, sla
from .models import (
    OPEN_STATUSES,
    ServiceCase,
    ServiceSettings,
    Severity,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketType,
)


def staff_for_filter(user):
    """The list's "responsible" choices: the staff the user sees."""
    return staff_visible_to(user)


def _roles(*levels):
    return [role for role, level in ROLE_SCOPE.items() if level in levels]


def assignable_staff(user, ticket):
    """Who may take the ticket (SVC-4 step 3): active staff the assigning user sees whose
    role covers the ticket's project — company-wide or group-wide roles, a role in the
    project (an engineer, a steward), a consultant of the project (a sales-promise
    complaint)."""
    covers = RoleAssignment.objects.filter(user=OuterRef("pk")).filter(
        Q(role__in=_roles(ScopeLevel.ALL))
        | Q(company_id=ticket.company_id, role__in=_roles(ScopeLevel.COMPANY), project=None)
        | Q(project_id=ticket.project_id, role__in=_roles(ScopeLevel.PROJECT, ScopeLevel.OWN))
    )
    return (
        staff_visible_to(user)
        .filter(Exists(covers))
        .select_related("department")
        .order_by("department__name", "display_name", "username")
    )


def departments_for(user, ticket):
    return (
        Department.objects.visible_to(user)
        .filter(company_id=ticket.company_id)
        .filter(Q(project=None) | Q(project_id=ticket.project_id))
        .order_by("kind", "name")
    )


def ticket_history(ticket):
    """The ticket's events, oldest first, with who did each (the ticket was read through
    ``visible_to``)."""
    return list(events_for(ticket).select_related("actor").order_by("created_at", "id"))


def people_named(user, ids):
    """{pk: user} for the staff a history names (assigned to …), as far as the viewer sees."""
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    return {u.pk: u for u in User.objects.visible_to(user).filter(pk__in=ids)}


def attachment_for(user, token) -> TicketAttachment:
    """One photo of a ticket the user sees (404 otherwise, as for a missing one)."""
    return get_visible_or_404(TicketAttachment.objects.all(), user, token=str(token)[:40])


def customer_tickets(user, customer, limit=20):
    """The customer's tickets the viewer sees, newest first (the 360° page's panel)."""
    return list(
        selectors.tickets_visible_to(user)
        .filter(customer=customer)
        .order_by("-received_at")[:limit]
    )


def tickets_to_link(user, ids):
    """The visible open tickets among ``ids`` (a group case is opened from the list)."""
    return list(
        Ticket.objects.visible_to(user)
        .filter(pk__in=ids, status__in=OPEN_STATUSES)
        .select_related("project")
        .order_by("pk")
    )


def cases_visible_to(user):
    return (
        ServiceCase.objects.visible_to(user)
        .select_related("project", "created_by")
        .annotate(
            ticket_count=Count("tickets"),
            open_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)),
        )
        .order_by("-created_at", "-pk")
    )


def case_detail(user, pk) -> ServiceCase:
    return get_visible_or_404(
        ServiceCase.objects.select_related("project", "created_by"), user, pk=pk
    )


def case_tickets(user, case):
    """The case's tickets the viewer sees (a consultant only his own), oldest first."""
    return list(selectors.tickets_visible_to(user).filter(case=case).order_by("received_at", "pk"))


def sla_table(company):
    """Per type × severity: the company's limits, or the defaults (``sla.DEFAULTS``)."""
    rows = {
        (p.ticket_type, p.severity): p
        for p in SlaPolicy.objects.unscoped("the company's own limits; MANAGE_SERVICE checked")
        .filter(company=company)
        .order_by("pk")
    }
    table = []
    for ticket_type, type_label in TicketType.choices:
        for severity, severity_label in Severity.choices:
            row = rows.get((ticket_type, severity))
            default = sla.default_limits(ticket_type, severity)
            limits = (
                sla.Limits(row.first_response_minutes, row.solution_minutes, row.closure_minutes)
                if row
                else default
            )
            table.append(
                {
                    "ticket_type": ticket_type,
                    "type_label": type_label,
                    "severity": severity,
                    "severity_label": severity_label,
                    "limits": limits,
                    "default": default,
                    "custom": row is not None,
                }
            )
    return table


def service_settings_of(company):
    return (
        ServiceSettings.objects.unscoped("the company's own desk settings; MANAGE_SERVICE checked")
        .filter(company=company)
        .select_related("intake_user")
        .first()
    )


def intake_candidates(user, company):
    """Who may take the company's unassigned tickets: staff the manager sees with a role
    that handles tickets there."""
    from anju.core.roles import ROLE_PERMS, Perm

    desk = [r for r, perms in ROLE_PERMS.items() if Perm.HANDLE_TICKETS in perms]
    held = RoleAssignment.objects.filter(user=OuterRef("pk"), role__in=desk).filter(
        Q(company=company) | Q(role__in=_roles(ScopeLevel.ALL))
    )
    return staff_visible_to(user).filter(Exists(held)).order_by("display_name", "username")
