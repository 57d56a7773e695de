"""The deals panel on the customer's 360° page: his queue numbers and subscriptions, each
subscription's price lines (the price explained), and the button to issue a number."""

from django.template.loader import render_to_string

from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.customers.timeline import has_rows_in

from . import selectors
from .models import QueueTicket, Subscription


def customer_deals_panel(request, customer) -> str:
    user = request.user
    tickets, subscriptions = [], []
    if has_rows_in(customer, QueueTicket):
        tickets = list(selectors.queue_tickets_visible_to(user).filter(customer=customer)[:20])
    if has_rows_in(customer, Subscription):
        subscriptions = list(
            selectors.subscriptions_visible_to(user)
            .filter(customer=customer)
            .prefetch_related("price_lines")
            .order_by("-created_at")[:20]
        )
    may_issue = customer.anonymised_at is None and has_perm(
        user, Perm.SELL_UNITS, company=customer.company_id
    )
    if not (tickets or subscriptions or may_issue):
        return ""
    return render_to_string(
        "deals/_customer_panel.html",
        {
            "customer": customer,
            "tickets": tickets,
            "subscriptions": subscriptions,
            "may_issue": may_issue,
        },
        request=request,
    )
