"""Campaigns (MSG-2, 短信群发): the models. Imported by ``models.py``.

A campaign sends one text (a template or its own) to a list of recipients chosen from a
customer filter, an event's list or an uploaded file. The list is *generated* first — one
``CampaignRecipient`` row per candidate with his final text, or the reason he is left out —
reviewed, approved by someone other than the preparer, then *released*: every pending row
goes into the outbox through ``message_enqueue`` with the key ``campaign:<id>:…``, so a
release that stops midway and runs again sends nobody twice.

The flow (``STATUS_TRANSITIONS``)::

    draft → generating → generated → awaiting approval → approved → sending → sent
              ↑  (failed)   ↓ (edit / regenerate)  ↓ rejected → generated
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned
from anju.core.scope import ScopedQuerySet, ScopeSpec

from .models import ADDRESS_MAX_LENGTH, BODY_MAX_LENGTH, Channel, Kind, MessageTemplate

CAMPAIGN_NAME_LENGTH = 100
EXTRA_VALUE_LENGTH = 50  # {活动} {日期} {时间} {地点}: given once for the whole campaign


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    GENERATING = "generating", _("Generating the list")
    GENERATED = "generated", _("Ready for review")
    AWAITING_APPROVAL = "awaiting", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


S = CampaignStatus
STATUS_TRANSITIONS = {
    S.DRAFT: {S.GENERATING},
    S.GENERATING: {S.GENERATED, S.DRAFT},  # DRAFT: the generation failed
    S.GENERATED: {S.GENERATING, S.AWAITING_APPROVAL, S.DRAFT},
    S.AWAITING_APPROVAL: {S.APPROVED, S.GENERATED},  # rejected or withdrawn
    S.APPROVED: {S.SENDING},
    S.SENDING: {S.SENT, S.SENDING},  # a stopped release is started again
}
# Changing what is sent, or to whom, is allowed only before anyone was asked to approve.
EDITABLE = (S.DRAFT, S.GENERATED)


class RecipientSource(models.TextChoices):
    FILTER = "filter", _("Customers matching a filter")
    EVENT = "event", _("An event's list")
    UPLOAD = "upload", _("An uploaded list (.xlsx/.csv)")


class Campaign(CompanyOwned):
    """短信群发 One campaign: what is sent (template or text), to whom (the source), and its
    state. Scoped like the outbox: company, project when it has one, and its preparer."""

    Status = CampaignStatus
    Source = RecipientSource

    project = models.ForeignKey(
        "org.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=CAMPAIGN_NAME_LENGTH)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MARKETING)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    # The text actually sent: the template's, copied when chosen, or typed for this campaign.
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    # Values of the campaign-wide fields ({活动} {日期} {时间} {地点}).
    extra = models.JSONField(_("campaign fields"), default=dict, blank=True)
    source = models.CharField(
        _("recipients"), max_length=10, choices=RecipientSource.choices, default="filter"
    )
    # FILTER: the CustomerFilter's parameters; EVENT: {"event": id}; UPLOAD: {"upload_job": id}
    source_params = models.JSONField(_("recipient parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=S.DRAFT
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    generate_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField(_("list generated at"), null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Counts of the generated list (the review reads these, not a million rows):
    # {"candidates", "to_send", "opted_out", "no_address", "duplicate", "out_of_scope",
    #  "missing_field", "row_errors"}
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    segments = models.PositiveBigIntegerField(_("SMS segments"), default=0)
    approval = models.ForeignKey(
        "approvals.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    send_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    send_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    released_at = models.DateTimeField(_("all released at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="prepared_by")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the list, newest first, at every scope level
            models.Index(fields=["company", "-created_at", "-id"], name="campaign_company_new"),
            models.Index(fields=["project", "-created_at", "-id"], name="campaign_project_new"),
            models.Index(fields=["prepared_by", "-created_at"], name="campaign_preparer_new"),
            models.Index(fields=["-created_at", "-id"], name="campaign_all_new"),
        ]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name

    @property
    def source_name(self) -> str:
        """The outbox rows' ``source``: how the campaign finds its messages (indexed)."""
        return f"campaign:{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    EXCLUDED = "excluded", _("Left out")
    RELEASED = "released", _("In the outbox")


class Exclusion(models.TextChoices):
    OPTED_OUT = "opted_out", _("Opted out")
    NO_ADDRESS = "no_address", _("No number")
    DUPLICATE = "duplicate", _("Duplicate number")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    MISSING_FIELD = "missing_field", _("A field of the text has no value")


class CampaignRecipient(models.Model):
    """One row of the pending-send list: an address, the customer when known, the final text
    (or why the row is left out) and, once released, its outbox message.

    Rows are read only through a campaign the user sees (``campaign_selectors``), so they
    carry no scope of their own. One pending row per address and campaign (a constraint), so
    nobody is on the list twice.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(_("to"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    name = models.CharField(_("name"), max_length=50, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RecipientStatus.choices, default="pending"
    )
    reason = models.CharField(_("reason"), max_length=15, choices=Exclusion.choices, blank=True)
    body = models.TextField(_("final text"), max_length=BODY_MAX_LENGTH, blank=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)
    row = models.PositiveIntegerField(_("row in the file"), null=True, blank=True)
    message = models.OneToOneField(
        "messaging.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            # an erased person's rows keep no address (PIPL): they are outside the rule
            models.UniqueConstraint(
                fields=["campaign", "address"],
                condition=~Q(status="excluded") & ~Q(address=""),
                name="uniq_campaign_recipient_address",
            )
        ]
        indexes = [
            # the release walks the pending rows in id order; the review lists them by status
            models.Index(fields=["campaign", "status", "id"], name="campaign_recipient_status"),
        ]
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")

    def __str__(self):
        return f"campaign {self.campaign_id} recipient {self.pk}"

    def idempotency_key(self) -> str:
        """The outbox key: one message per campaign and customer (or number, without one)."""
        if self.customer_id:
            return f"campaign:{self.campaign_id}:customer:{self.customer_id}"
        return f"campaign:{self.campaign_id}:number:{self.address}"
