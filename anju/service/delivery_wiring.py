"""What delivery and repairs (SVC-7) plug into the kernel and the other apps at start-up:
the menu, the customer's timeline, the unit's panel on the sales-control board, the audit
log."""

from django.utils.translation import gettext_lazy as _


def wire_delivery() -> None:
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import Role
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider
    from anju.inventory.hooks import register_unit_panel

    from .delivery_models import DeliveryAppointment, Inspection, KeyHandover, RepairOrder
    from .delivery_timeline import COVERS, delivery_timeline, unit_panel

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
    register_nav(NavItem(_("Delivery"), "service:delivery_batches", desk))
    register_nav(NavItem(_("Repair orders"), "service:delivery_repairs", desk))
    register_timeline_kind("delivery", _("Delivery"))
    register_timeline_kind("repair", _("Repair"))
    register_timeline_provider(
        delivery_timeline,
        covers=COVERS,
        sources=(DeliveryAppointment, Inspection, RepairOrder, KeyHandover),
    )
    register_unit_panel(unit_panel)
    _register_audit_log()


def _register_audit_log() -> None:
    """SEC-3: who changed what when (the events say why); names and phones kept masked."""
    from auditlog.registry import auditlog

    from . import delivery_models as m

    auditlog.register(m.RepairOrder, mask_fields=["contractor_phone"])
    auditlog.register(m.KeyHandover, mask_fields=["received_by"])
    auditlog.register(m.Inspection, mask_fields=["attended_by"])
    for model in (m.DeliveryBatch, m.DeliverySlot, m.DeliveryAppointment, m.Defect):
        auditlog.register(model)
