"""The PIPL buttons on the customer 360° page (SEC-2): shown only to who may use them.

Hiding only; the services check the permission again.
"""

from django import template

from ..privacy_selectors import may_use_privacy_pages, pending_erasure
from ..privacy_services import may_make_package, may_request_erasure

register = template.Library()


@register.inclusion_tag("customers/privacy_actions.html", takes_context=True)
def privacy_actions(context, customer):
    user = context["request"].user
    pending = pending_erasure(user, customer)
    return {
        "customer": customer,
        "pending": pending,
        "may_open_pending": pending is not None and may_use_privacy_pages(user),
        "may_package": customer.anonymised_at is None and may_make_package(user, customer),
        "may_erase": may_request_erasure(user, customer),
        "csrf_token": context.get("csrf_token"),
    }
