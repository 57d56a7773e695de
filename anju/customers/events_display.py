"""How customer events read on the timeline, in the user's language."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def _verb_titles():
    return {
        "customer.registered": gettext_lazy("Customer registered"),
        "customer.updated": gettext_lazy("Profile updated"),
        "customer.owner_changed": gettext_lazy("Consultant changed"),
        "customer.status_changed": gettext_lazy("Status changed"),
        "customer.phone_added": gettext_lazy("Phone number added"),
        "customer.relation_added": gettext_lazy("Related person added"),
        "customer.relation_removed": gettext_lazy("Related person removed"),
        "customer.merged": gettext_lazy("Duplicate merged into this customer"),
        "customer.merged_into": gettext_lazy("This record was merged into another customer"),
        "customer.archived": gettext_lazy("Archived as a stale lead"),
        "customer.imported": gettext_lazy("Imported"),
        "unit.status_changed": gettext_lazy("Unit status changed"),
        "customers.data_package_made": gettext_lazy("Personal data package made"),
        "customers.erasure_requested": gettext_lazy("Erasure requested"),
        "customers.erasure_approved": gettext_lazy("Erasure approved"),
        "customers.erasure_rejected": gettext_lazy("Erasure rejected"),
        "customers.erasure_withdrawn": gettext_lazy("Erasure request withdrawn"),
        "customers.erasure_applied": gettext_lazy("Personal data erased (anonymised)"),
    }


def describe_event(event) -> str:
    title = _verb_titles().get(event.verb)
    if title is None:
        return event.verb
    details = event.details or {}
    if event.verb in ("customer.merged", "customer.merged_into") and details.get("code"):
        return f"{title}: {details['code']}"
    if event.verb == "customer.updated" and details.get("changed"):
        return f"{title} ({len(details['changed'])})"
    if event.verb in ("customer.owner_changed", "customer.status_changed") and details.get(
        "reason"
    ):
        return f"{title} — {details['reason']}"
    return str(title) if not isinstance(title, str) else title or _("Event")
