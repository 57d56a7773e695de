"""What the deals app plugs into the kernel and the other apps at start-up."""

from django.utils.translation import gettext_lazy as _

from .exports import register_export_kinds


def wire() -> None:
    _register_approval_kinds()
    _register_nav()
    _register_contracts_and_payments()
    _register_panels()
    register_export_kinds()  # the deals lists as export jobs (issue 12 item 10)
    _register_kernel_hooks()
    _register_message_sources()


def _register_message_sources() -> None:
    """The outbox's words for the payment reminders (services/reminders.py)."""
    from django.utils.translation import pgettext_lazy

    from anju.messaging.sources import register_message_source

    from .services.reminders import BEFORE, OVERDUE

    register_message_source(
        "deals:reminder",
        pgettext_lazy("message source", "Payment reminder"),
        {
            BEFORE: pgettext_lazy("message source", "before the due date"),
            OVERDUE: pgettext_lazy("message source", "overdue"),
        },
    )


def _register_panels() -> None:
    from anju.customers.panels import register_customer_panel
    from anju.inventory.hooks import register_unit_deal_provider

    from .panels import customer_deals_panel
    from .selectors import unit_deals

    register_customer_panel(customer_deals_panel)
    register_unit_deal_provider(unit_deals)


def _register_nav() -> None:
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role

    sales = frozenset({Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP, Role.SALES_MANAGER})
    deals = sales | {Role.COMPANY_MANAGEMENT}
    register_nav(NavItem(_("Queue numbers"), "deals:queue", deals))
    register_nav(NavItem(_("Subscriptions"), "deals:subscriptions", deals))
    register_nav(NavItem(_("Launch day"), "deals:launch_index", sales))
    _register_sales_change_approval()
    _register_sales_change_nav()
    _register_sales_change_timeline()


def _register_approval_kinds() -> None:
    from anju.approvals.registry import ApprovalKind, register_approval_kind
    from anju.core.roles import Perm

    from .services import PRICE_APPROVAL_KIND, apply_approved_price, back_to_draft

    register_approval_kind(
        ApprovalKind(
            name=PRICE_APPROVAL_KIND,
            label=_("Subscription price"),
            perm=Perm.APPROVE_DISCOUNT,
            on_approved=apply_approved_price,
            on_rejected=back_to_draft,
            on_withdrawn=back_to_draft,
        )
    )


# --- signing and payments (SUB-4) ---------------------------------------------------------------


def _register_contracts_and_payments() -> None:
    """The overdue list in the menu, the reminders' message fields, the 360° timeline."""
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider
    from anju.messaging.templating import TemplateField, register_template_field

    from .models import QueueTicket, Subscription
    from .timeline import deals_timeline

    managers = frozenset(
        {Role.SALES_MANAGER, Role.COMPANY_MANAGEMENT, Role.GROUP_CENTRE, Role.ADMINISTRATOR}
    )
    register_nav(NavItem(_("Overdue payments"), "deals:overdue", managers))

    # Filled in by the payment reminder itself (deals/services/reminders.py), not per customer.
    for field in (
        TemplateField("金额", _("Amount due (given by the payment reminder)"), "300,000.00"),
        TemplateField("到期日", _("Due date (given by the payment reminder)"), "2026年6月1日"),
        TemplateField("合同号", _("Contract number (given by the payment reminder)"), "HT000012"),
        TemplateField("款项", _("What is due (given by the payment reminder)"), "首付款"),
    ):
        register_template_field(field)

    register_timeline_kind("queue", _("Queue number"))
    register_timeline_kind("subscription", _("Subscription"))
    register_timeline_kind("contract", _("Contract"))
    register_timeline_kind("payment", _("Payment"))
    # contracts and payments hang off a subscription of the customer
    register_timeline_provider(
        deals_timeline, covers=("deals.",), sources=(QueueTicket, Subscription)
    )


# --- sales changes (SUB-5) ----------------------------------------------------------------------


def _register_sales_change_approval() -> None:
    """Every sales change is approved by a second person (APPROVE_SALES_CHANGE)."""
    from anju.approvals.registry import ApprovalKind, register_approval_kind
    from anju.core.roles import Perm

    from .services import changes

    register_approval_kind(
        ApprovalKind(
            name=changes.CHANGE_APPROVAL_KIND,
            label=_("Sales change"),
            perm=Perm.APPROVE_SALES_CHANGE,
            on_approved=changes.apply_approved_change,
            on_rejected=changes.mark_change_rejected,
            on_withdrawn=changes.mark_change_withdrawn,
            describe=changes.describe_change_request,
            target_url=changes.change_request_url,
        )
    )


def _register_sales_change_nav() -> None:
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role

    sales = frozenset(
        {
            Role.SALES_CONSULTANT,
            Role.KEY_ACCOUNT_REP,
            Role.SALES_MANAGER,
            Role.COMPANY_MANAGEMENT,
        }
    )
    register_nav(NavItem(_("Sales changes"), "deals:change_list", sales))


def _register_sales_change_timeline() -> None:
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider

    from .change_timeline import COVERS, changes_timeline

    register_timeline_kind("sales_change", _("Sales change"))
    register_timeline_provider(changes_timeline, covers=COVERS)


# --- the kernel's customer hooks, audit log, webhooks -----------------------------------------


def _register_kernel_hooks() -> None:
    """Merge, hand-over, PIPL, audit log, webhooks (integration.py)."""
    from . import integration

    integration.register()
