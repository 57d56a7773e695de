"""The ticket list's export columns (SVC-1 … SVC-5): one definition for the page's streamed
export (and an export job, should one be registered).

Phones are masked for who may not unmask personal data where the ticket is (``core.exports``
decides per row by its company and project); names are shown as on the page and logged: a
customer the exporter may not open (another project's) is masked, phone and name, as there.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.exports import Column
from anju.core.masking import mask_name, mask_phone

from .templatetags.service_tags import due_text


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _phone(ticket):
    if ticket.customer_id and ticket.customer.phone:
        return ticket.customer.phone
    return ticket.contact_phone


def _who(ticket):
    return ticket.customer.name if ticket.customer_id else ticket.contact_name


def _unit(ticket):
    return f"{ticket.unit.building.name} {ticket.unit.number}" if ticket.unit_id else ""


def ticket_columns() -> list[Column]:
    now = timezone.now()
    return [
        Column(_("Ticket number"), str),
        Column(_("Type"), lambda t: t.get_ticket_type_display()),
        Column(_("Channel"), lambda t: t.get_channel_display()),
        Column(_("Category"), lambda t: t.get_category_display()),
        Column(_("Severity"), lambda t: t.get_severity_display()),
        Column(_("Project"), "project.name"),
        Column(_("Unit"), _unit),
        Column(_("Customer"), _who, personal=True, customer="customer", unseen=mask_name),
        Column(_("Mobile phone"), _phone, mask=mask_phone, customer="customer"),
        Column(_("Subject"), "subject"),
        Column(_("Status"), lambda t: t.get_status_display()),
        Column(_("Escalation level"), lambda t: t.get_level_display()),
        Column(_("Responsible"), lambda t: str(t.responsible)),
        Column(_("Received at"), lambda t: _local(t.received_at)),
        Column(_("Next due"), lambda t: _local(t.next_due_at)),
        Column(_("Time left"), lambda t: due_text(t.next_due_at, now) if t.is_open else ""),
        Column(_("Past due"), lambda t: _("yes") if t.overdue else ""),
        Column(_("Satisfaction"), lambda t: t.get_satisfaction_display()),
        Column(_("Closed at"), lambda t: _local(t.closed_at)),
    ]
