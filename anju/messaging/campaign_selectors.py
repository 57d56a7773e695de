"""Campaign reads (MSG-2), scoped: the list, one campaign, its pending-send rows and its
messages. Rows and messages are read only through a campaign the user sees."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count

from anju.core.scope import get_visible_or_404

from .campaign_services import segment_price
from .campaigns import Campaign, CampaignRecipient, RecipientStatus
from .models import Message, Status

SAMPLE_SIZE = 5
# The per-message statuses a campaign page reports (HELD counts as queued: it waits).
SHOWN_STATUSES = ("queued", "sent", "delivered", "failed", "uncertain", "suppressed", "cancelled")


def campaign_list(user, *, status: str = ""):
    qs = Campaign.objects.visible_to(user).select_related("project", "prepared_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def campaign_for(user, campaign_id) -> Campaign:
    """One campaign the user may see, or 404."""
    return get_visible_or_404(
        Campaign.objects.select_related(
            "company",
            "project",
            "template",
            "prepared_by",
            "generated_by",
            "approved_by",
            "sent_by",
            "generate_job",
            "send_job",
            "approval",
        ),
        user,
        pk=campaign_id,
    )


def _rows(campaign):
    return CampaignRecipient.objects.filter(campaign=campaign)


def campaign_sample(campaign, size: int = SAMPLE_SIZE) -> list[CampaignRecipient]:
    """The first rows to send, with their final texts (the review's sample)."""
    return list(
        _rows(campaign)
        .filter(status__in=[RecipientStatus.PENDING, RecipientStatus.RELEASED])
        .order_by("id")[:size]
    )


def campaign_recipients(campaign, *, status: str = "", reason: str = ""):
    """The list's rows (the page pages them), in list order."""
    qs = _rows(campaign).order_by("id")
    if status:
        qs = qs.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    return qs


def campaign_cost(campaign):
    """The estimated price of the list: its segments × the price of one (Decimal, yuan)."""
    return (segment_price() * campaign.segments).quantize(Decimal("0.01"))


def campaign_messages(user, campaign, *, status: str = ""):
    """The campaign's outbox rows the user sees, newest first."""
    qs = (
        Message.objects.visible_to(user)
        .filter(source=campaign.source_name)
        .select_related("customer")
        .order_by("-id")
    )
    if status == "queued":
        qs = qs.filter(status__in=[Status.QUEUED, Status.HELD, Status.SENDING])
    elif status:
        qs = qs.filter(status=status)
    return qs


def campaign_message_counts(user, campaign) -> dict:
    """Messages per status (queued/sent/delivered/failed …), one GROUP BY on the outbox's
    (source, status) index."""
    rows = (
        Message.objects.visible_to(user)
        .filter(source=campaign.source_name)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(SHOWN_STATUSES, 0)
    for row in rows:
        key = "queued" if row["status"] in ("held", "sending") else row["status"]
        counts[key] = counts.get(key, 0) + row["n"]
    counts["total"] = sum(counts[s] for s in SHOWN_STATUSES)
    return counts
