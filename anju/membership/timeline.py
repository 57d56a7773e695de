"""The club on the customer 360° timeline (CUS-6): points movements and tier changes
(joining included). Each provider reads one query through ``visible_to``, newest first."""

from django.urls import reverse
from django.utils.translation import gettext as _

from anju.core.scope import sees_loaded
from anju.customers.timeline import TimelineEntry, merged_ids

from .models import PointsEntry, TierChange


def _member_url(user, row):
    return reverse("membership:member", args=[row.customer_id]) if sees_loaded(user, row) else ""


def points_timeline(user, customer, limit):
    entries = (
        PointsEntry.objects.visible_to(user)
        .filter(customer_id__in=merged_ids(customer))
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )
    for entry in entries:
        yield TimelineEntry(
            when=entry.created_at,
            kind="points",
            title=_("%(points)s points · %(reason)s")
            % {"points": f"{entry.points:+,d}", "reason": entry.get_reason_display()},
            body=entry.note,
            url=_member_url(user, entry),
            actor=str(entry.created_by) if entry.created_by else "",
            extra={"points": entry.points, "reason": entry.reason},
            record_id=entry.pk,
        )


def tiers_timeline(user, customer, limit):
    changes = (
        TierChange.objects.visible_to(user)
        .filter(customer_id__in=merged_ids(customer))
        .select_related("from_tier", "to_tier", "changed_by")
        .order_by("-created_at", "-id")[:limit]
    )
    for change in changes:
        if change.kind == TierChange.ChangeKind.JOINED:
            title = _("Joined the club: %(tier)s") % {"tier": change.to_tier.name}
        else:
            title = _("Tier %(from)s → %(to)s (%(kind)s)") % {
                "from": change.from_tier.name if change.from_tier else "—",
                "to": change.to_tier.name,
                "kind": change.get_kind_display(),
            }
        yield TimelineEntry(
            when=change.created_at,
            kind="tier",
            title=title,
            body=change.reason,
            url=_member_url(user, change),
            actor=str(change.changed_by) if change.changed_by else "",
            extra={"tier": change.to_tier.code, "kind": change.kind},
            record_id=change.pk,
        )


PROVIDERS = (points_timeline, tiers_timeline)
# the model each provider shows (the page asks a provider only if it has a row of the customer)
SOURCES = {points_timeline: PointsEntry, tiers_timeline: TierChange}
