"""What the service app plugs into the kernel and the other apps at start-up."""

from django.utils.translation import gettext_lazy as _

from .delivery_wiring import wire_delivery


def wire() -> None:
    _register_approval_kind()
    _register_nav()
    _register_audit_log()
    _register_customer_links()
    _register_pages()  # svcpages: the customer's tickets on his 360° page
    wire_delivery()  # SVC-7: delivery and repairs (delivery_wiring.py)
    _register_report()  # SVC-6: the monthly report in the menu
    _register_responsibility()  # who must call the customer may reveal his number
    _register_message_sources()


def _register_message_sources() -> None:
    """The outbox's words for what the desk sends (notices.py, daily.py, public.py)."""
    from django.utils.translation import pgettext_lazy

    from anju.messaging.sources import register_message_source

    register_message_source(
        "service",
        pgettext_lazy("message source", "Customer service"),
        {
            "received": pgettext_lazy("message source", "complaint received"),
            "done": pgettext_lazy("message source", "solution carried out"),
            "closed": pgettext_lazy("message source", "ticket closed"),
            "daily": pgettext_lazy("message source", "daily open-ticket list"),
        },
    )
    register_message_source(
        "service:public_code", pgettext_lazy("message source", "Verification code")
    )


def _register_audit_log() -> None:
    """SEC-3: every change to tickets keeps who/when/before/after (the events say why)."""
    from auditlog.registry import auditlog

    from . import models

    auditlog.register(models.Ticket, mask_fields=["contact_phone"])
    for model in (
        models.TicketSolution,
        models.TicketRevisit,
        models.ServiceCase,
        models.SlaPolicy,
        models.ServiceSettings,
    ):
        auditlog.register(model)


def _register_responsibility() -> None:
    from anju.customers.responsibility import register_responsibility_provider

    from .selectors import owes_a_call

    register_responsibility_provider(owes_a_call)


def _register_report() -> None:
    from .report_views import register_report_nav

    register_report_nav()


def _register_approval_kind() -> None:
    """SVC-4 step 6: a complaint's solution is approved by a manager (APPROVE_SOLUTION),
    never by whoever proposed it (the approvals kernel refuses that)."""
    from django.urls import reverse

    from anju.approvals.registry import ApprovalKind, register_approval_kind
    from anju.core.roles import Perm

    from . import services

    def ticket_url(request):
        ticket_id = (request.payload or {}).get("ticket")
        return reverse("service:ticket_detail", args=[ticket_id]) if ticket_id else ""

    register_approval_kind(
        ApprovalKind(
            name=services.SOLUTION_APPROVAL_KIND,
            label=_("Complaint solution"),
            perm=Perm.APPROVE_SOLUTION,
            on_approved=services.apply_approved_solution,
            on_rejected=services.back_to_analysis,
            on_withdrawn=services.solution_withdrawn,
            target_url=ticket_url,
        )
    )


def _register_nav() -> None:
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role

    desk = frozenset(
        {
            Role.SERVICE_AGENT,
            Role.SERVICE_MANAGER,
            Role.CALLCENTRE_AGENT,
            Role.ENGINEER,
            Role.PROPERTY_STEWARD,
            Role.COMPANY_MANAGEMENT,
            Role.GROUP_CENTRE,
        }
    )
    register_nav(NavItem(_("Service tickets"), "service:tickets", desk))


def _register_customer_links() -> None:
    """The 360° timeline, customer merge, PIPL (integration.py) and the daily list's menu
    entry (每日盘点, daily.py). A hand-over moves no ticket: see integration.py."""
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role

    from . import integration

    integration.register()
    desk = frozenset(
        {
            Role.SERVICE_AGENT,
            Role.SERVICE_MANAGER,
            Role.CALLCENTRE_AGENT,
            Role.ENGINEER,
            Role.PROPERTY_STEWARD,
            Role.COMPANY_MANAGEMENT,
            Role.GROUP_CENTRE,
        }
    )
    register_nav(NavItem(_("Daily list"), "service:daily", desk), after="service:tickets")


def _register_pages() -> None:
    """The customer's 360° page lists his tickets, with the button to receive one (SVC-1)."""
    from anju.customers.panels import register_customer_panel

    from .panels import customer_tickets_panel

    register_customer_panel(customer_tickets_panel)
