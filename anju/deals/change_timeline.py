"""Sales changes on the customer 360° timeline (CUS-6, SUB-5): asked, applied, rejected,
withdrawn, and becoming the buyer by a rename — from the event rows about the customer,
titled in words and linked to the change where the viewer may open it (two queries)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from anju.customers.timeline import TimelineEntry, merged_ids

VERBS = (
    "deals.change_requested",
    "deals.change_applied",
    "deals.change_rejected",
    "deals.change_withdrawn",
    "deals.buyer_changed",
)
COVERS = ("deals.change_", "deals.buyer_changed")


def _titles():
    return {
        "deals.change_requested": _("Sales change asked: %(kind)s"),
        "deals.change_applied": _("Sales change applied: %(kind)s"),
        "deals.change_rejected": _("Sales change rejected: %(kind)s"),
        "deals.change_withdrawn": _("Sales change withdrawn: %(kind)s"),
        "deals.buyer_changed": _("Became the buyer of %(number)s"),
    }


def changes_timeline(user, customer, limit):
    from anju.core.models import Event, content_type_of

    from .models import ChangeKind, SalesChange
    from .services.changes import change_what

    events = list(
        Event.objects.unscoped("timeline_for checked the customer")
        .filter(
            subject_type=content_type_of(customer),
            subject_id__in=merged_ids(customer),
            verb__in=VERBS,
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    change_type = content_type_of(SalesChange)
    change_ids = {e.target_id for e in events if e.target_type_id == change_type.pk}
    change_ids |= {(e.details or {}).get("change") for e in events} - {None}
    changes = (
        {
            c.pk: c
            for c in SalesChange.objects.visible_to(user)
            .select_related("subscription")
            .filter(pk__in=change_ids)
        }
        if change_ids
        else {}  # most customers: no change asked, nothing to compile
    )
    kinds = dict(ChangeKind.choices)
    titles = _titles()
    for event in events:
        details = event.details or {}
        change_id = event.target_id if event.target_type_id == change_type.pk else None
        change = changes.get(change_id or details.get("change"))
        number = f"RG{details['number']:06d}" if isinstance(details.get("number"), int) else ""
        title = titles[event.verb] % {
            "kind": kinds.get(details.get("kind"), details.get("kind", "")),
            "number": number,
        }
        # read through visible_to: the viewer may open it
        url = reverse("deals:change_detail", args=[change.pk]) if change is not None else ""
        body = change_what(change) if change is not None else ""
        if event.verb == "deals.change_rejected" and details.get("comment"):
            body = f"{body} — {details['comment']}" if body else details["comment"]
        yield TimelineEntry(
            when=event.created_at,
            kind="sales_change",
            title=title,
            body=body,
            url=url,
            actor=str(event.actor) if event.actor else "",
            extra={"verb": event.verb, "change": change.pk if change else None},
            record_id=event.pk,
        )
