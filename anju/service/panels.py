"""The service panel on the customer's 360° page: his tickets (status, the time left) and
the button to receive a new one for him, customer already chosen (SVC-1)."""

from django.template.loader import render_to_string

from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.customers.timeline import has_rows_in

from . import page_selectors
from .models import Ticket


def customer_tickets_panel(request, customer) -> str:
    user = request.user
    tickets = (
        page_selectors.customer_tickets(user, customer) if has_rows_in(customer, Ticket) else []
    )
    may_receive = (
        customer.anonymised_at is None
        and customer.merged_into_id is None
        and has_perm(user, Perm.HANDLE_TICKETS, company=customer.company_id)
    )
    if not (tickets or may_receive):
        return ""
    return render_to_string(
        "service/_customer_panel.html",
        {"customer": customer, "tickets": tickets, "may_receive": may_receive},
        request=request,
    )
