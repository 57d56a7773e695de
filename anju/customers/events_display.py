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
        "customer.note_added": gettext_lazy("Note added"),
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


def user_names(events) -> dict:
    """{user id: name} of everyone the events name as a consultant before/after, in one
    query, so a timeline of many owner changes stays one query."""
    from anju.org.models import User

    ids = set()
    for event in events:
        if event.verb == "customer.owner_changed":
            details = event.details or {}
            ids.update(i for i in (details.get("from"), details.get("to")) if isinstance(i, int))
    if not ids:
        return {}
    users = User.objects.unscoped("names of consultants in a visible customer's history")
    return {u.pk: str(u) for u in users.filter(pk__in=ids)}


def _field_labels(names) -> str:
    from .models import Customer

    labels = []
    for name in names:
        try:
            labels.append(str(Customer._meta.get_field(name).verbose_name))
        except Exception:  # a field since renamed: its name is still better than nothing
            labels.append(name)
    return "、".join(labels)


def _change(event, names) -> str:
    """What changed, readably: 线索 → 来访, 李娜 → 张伟, which profile fields."""
    from .models import CustomerStatus

    details = event.details or {}
    if event.verb == "customer.status_changed" and details.get("to"):
        labels = dict(CustomerStatus.choices)
        before = labels.get(details.get("from"), details.get("from") or "—")
        return f"{before} → {labels.get(details['to'], details['to'])}"
    if event.verb == "customer.owner_changed":
        before, after = details.get("from"), details.get("to")
        nobody = _("nobody")
        return f"{names.get(before, nobody) if before else nobody} → " + (
            names.get(after, nobody) if after else nobody
        )
    if event.verb == "customer.updated" and details.get("changed"):
        return _field_labels(details["changed"])
    return ""


def describe_event(event, names=None) -> str:
    title = _verb_titles().get(event.verb)
    if title is None:
        return event.verb
    details = event.details or {}
    if event.verb in ("customer.merged", "customer.merged_into") and details.get("code"):
        return f"{title}: {details['code']}"
    change = _change(event, names if names is not None else user_names([event]))
    text = f"{title}: {change}" if change else str(title)
    if event.verb in ("customer.owner_changed", "customer.status_changed") and details.get(
        "reason"
    ):
        text = f"{text} — {details['reason']}"
    return text or _("Event")
