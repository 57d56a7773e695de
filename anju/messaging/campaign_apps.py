"""What campaigns (MSG-2) register when the messaging app is ready: the approval kind, the
menu entry and the job links."""

from django.utils.translation import gettext_lazy as _


def campaigns_ready() -> None:
    from anju.core.jobs import register_job_links
    from anju.core.navigation import NavItem, register_nav
    from anju.core.roles import ROLE_PERMS, Perm

    from .campaign_services import GENERATE_JOB, SEND_JOB, register_campaign_approval

    register_campaign_approval()
    runners = frozenset(
        role
        for role, perms in ROLE_PERMS.items()
        if Perm.RUN_CAMPAIGNS in perms or Perm.APPROVE_CAMPAIGN in perms
    )
    register_nav(NavItem(_("Campaigns"), "campaigns:list", runners))
    for kind in (GENERATE_JOB, SEND_JOB):
        register_job_links(kind, _campaign_link)

    from anju.customers.merging import register_merge_handler
    from anju.customers.privacy import register_erasure_handler

    register_merge_handler(move_campaign_recipients)
    register_erasure_handler(erase_campaign_recipients)


def move_campaign_recipients(*, duplicate, survivor) -> dict:
    """A merged duplicate's rows on campaign lists now name the survivor."""
    from .campaigns import CampaignRecipient

    moved = CampaignRecipient.objects.filter(customer=duplicate).update(customer=survivor)
    return {"campaign_recipients": moved}


def erase_campaign_recipients(erasure) -> None:
    """PIPL erasure: the rows keep their counts, lose the number, the name and the text; a
    row not yet released is left out (nobody may contact an erased person)."""
    from .campaigns import CampaignRecipient, Exclusion, RecipientStatus

    rows = list(CampaignRecipient.objects.filter(customer_id__in=erasure.customer_ids))
    erasure.touch(CampaignRecipient, [r.pk for r in rows], {"address", "name", "body"})
    for row in rows:
        row.address, row.name, row.body = "", "", ""
        if row.status == RecipientStatus.PENDING:
            row.status, row.reason = RecipientStatus.EXCLUDED, Exclusion.NO_ADDRESS
    CampaignRecipient.objects.bulk_update(
        rows, ["address", "name", "body", "status", "reason"], batch_size=500
    )
    erasure.count("campaign_recipients", len(rows))


def _campaign_link(user, job) -> dict:
    from django.urls import reverse

    campaign = (job.params or {}).get("campaign")
    return {"campaign_url": reverse("campaigns:detail", args=[campaign])} if campaign else {}
