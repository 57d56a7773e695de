"""Messaging (MSG-1, MSG-3, MSG-5): templates, the outbox, consent and per-company settings.

The outbox row (``Message``) is written in the same transaction as the business action that
causes it and carries a unique idempotency key; workers claim rows, send them through a
gateway with that key and record the result (see ``outbox.py``). Consent is kept per
address (a mobile number or an e-mail) for the whole group: ``OptOut`` is the current state,
``ConsentChange`` the history that staff may read (masked).
"""

import datetime

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.core.masking import mask_contact_text
from anju.core.models import CompanyOwned
from anju.core.scope import ScopedModel, ScopedQuerySet, ScopeSpec

BODY_MAX_LENGTH = 2000
SUBJECT_MAX_LENGTH = 200
ADDRESS_MAX_LENGTH = 254
KEY_MAX_LENGTH = 120
SIGNATURE_MAX_LENGTH = 20


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class MessageKind(models.TextChoices):
    # "Marketing" alone is the marketing department elsewhere: the context tells them apart.
    MARKETING = "marketing", pgettext_lazy("message kind", "Marketing")
    SERVICE = "service", pgettext_lazy("message kind", "Service")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("message status", "Queued")
    HELD = "held", pgettext_lazy("message status", "Held (quiet hours)")
    SENDING = "sending", pgettext_lazy("message status", "Sending")
    SENT = "sent", pgettext_lazy("message status", "Sent")
    DELIVERED = "delivered", pgettext_lazy("message status", "Delivered")
    FAILED = "failed", pgettext_lazy("message status", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("message status", "Cancelled (opted out)")
    SUPPRESSED = "suppressed", pgettext_lazy("message status", "Not sent (opted out or no address)")
    # The worker's lease ran out mid-send on a gateway that does not deduplicate by key: the
    # provider may or may not have it. Never resent blindly; a person resends or marks it sent.
    UNCERTAIN = "uncertain", pgettext_lazy("message status", "Uncertain (check and decide)")


# The app's short names; the API document names enums by class, and core's jobs have a
# ``Status`` and Department a ``Kind`` of their own.
Kind = MessageKind
Status = MessageStatus


# Rows a worker may still pick up (a SENDING row only once its lease ran out).
PENDING_STATUSES = (Status.QUEUED, Status.HELD, Status.SENDING)
FINAL_STATUSES = (
    Status.SENT,
    Status.DELIVERED,
    Status.FAILED,
    Status.CANCELLED,
    Status.SUPPRESSED,
)


class MessagingSettings(CompanyOwned):
    """A company's messaging settings (MSG-3): quiet hours and the SMS signature.

    No row means the defaults (21:00–08:00 Asia/Shanghai, the company's name as signature);
    the settings page writes one on the first change.
    """

    quiet_start = models.TimeField(_("quiet hours start"), default=datetime.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=datetime.time(8, 0))
    signature = models.CharField(
        _("SMS signature"),
        max_length=SIGNATURE_MAX_LENGTH,
        blank=True,
        help_text=_("Shown as 【signature】 before every SMS; empty: the company's name."),
    )
    email_from_name = models.CharField(_("e-mail sender name"), max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company"], name="uniq_messaging_settings_company")
        ]
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self):
        return f"messaging settings {self.company_id}"


class MessageTemplate(CompanyOwned):
    """短信/邮件模板 A company's message template with personal fields (MSG-1)."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MARKETING)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_LENGTH, blank=True)
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    # The SMS provider's approved template for this text (Aliyun: SMS_…), see
    # gateways/aliyun.py; empty: sent through the provider's free-text template if any.
    provider_template_code = models.CharField(
        _("provider template code"),
        max_length=40,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_]*$", _("Letters, digits and _ only."))],
        help_text=_("The approved template at the SMS provider, e.g. SMS_123456789."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="uniq_template_company_name")
        ]
        indexes = [models.Index(fields=["company", "is_active", "name"])]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self):
        return self.name


class Message(ScopedModel, models.Model):
    """One message in the outbox: to one address, with its final text and idempotency key.

    Company (and project, when the cause has one) give the scope; ``customer`` links it to the
    360° timeline. ``source`` names the cause ("campaign:12", "reception.task:5", "care:…").
    """

    company = models.ForeignKey(
        "org.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "org.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("queued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    to = models.CharField(_("to"), max_length=ADDRESS_MAX_LENGTH)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_LENGTH, blank=True)
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH)
    signature = models.CharField(_("signature"), max_length=SIGNATURE_MAX_LENGTH, blank=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=KEY_MAX_LENGTH)
    source = models.CharField(_("source"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    # Not before this moment: quiet hours (HELD) or the back-off of a retry (QUEUED).
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The claim of the worker sending it: SENDING until lease_until, then any worker may retry
    # it with the same idempotency key (the worker died).
    claim = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    gateway = models.CharField(_("gateway"), max_length=40, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    # Consultants see the messages to their own customers; project and company roles theirs.
    scope = ScopeSpec(company="company", project="project", owner="customer__owner")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="uniq_message_key"),
        ]
        indexes = [
            # the workers' claim: due rows, oldest first (a partial index stays small)
            models.Index(
                fields=["not_before", "id"],
                name="message_due",
                condition=Q(status__in=["queued", "held"]),
            ),
            models.Index(
                fields=["lease_until"], name="message_lease", condition=Q(status="sending")
            ),
            # the outbox page at every scope level, newest first, all or by status
            models.Index(fields=["company", "-created_at", "-id"], name="message_company_new"),
            models.Index(fields=["project", "-created_at", "-id"], name="message_project_new"),
            models.Index(fields=["-created_at", "-id"], name="message_all_new"),
            models.Index(fields=["status", "-created_at", "-id"], name="message_status_new"),
            # the outbox page filtered by status within a company or a project
            models.Index(
                fields=["company", "status", "-created_at", "-id"], name="message_company_status"
            ),
            models.Index(
                fields=["project", "status", "-created_at", "-id"], name="message_project_status"
            ),
            models.Index(fields=["customer", "-created_at"], name="message_customer_new"),
            models.Index(fields=["source", "status"], name="message_source_status"),
            models.Index(fields=["channel", "to"], name="message_address"),
            models.Index(fields=["gateway", "provider_id"], name="message_provider_id"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.get_channel_display()} {self.idempotency_key}"

    @property
    def to_masked(self) -> str:
        """The address as every list, page and API shows it (``services.mask_address``)."""
        from .services import mask_address  # services imports the models

        return mask_address(self.channel, self.to)

    @property
    def error_shown(self) -> str:
        """The provider's error text, addresses and numbers masked (rows recorded before
        the outbox masked them too)."""
        return mask_contact_text(self.error)

    @property
    def full_text(self) -> str:
        """What the recipient reads: 【signature】 then the text (SMS); the text (e-mail)."""
        if self.channel == Channel.SMS and self.signature:
            return f"【{self.signature}】{self.body}"
        return self.body


class OptOut(models.Model):
    """退订 An address that refuses marketing, for the whole group (MSG-3). Present = opted out."""

    holding = models.ForeignKey("org.Holding", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=ADDRESS_MAX_LENGTH)
    created_at = models.DateTimeField(_("opted out at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["holding", "channel", "address"], name="uniq_optout_address"
            )
        ]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")

    def __str__(self):
        return f"opt-out {self.channel}"


class ConsentChange(models.Model):
    """The consent history of an address: every opt-out and opt-in, who or what caused it."""

    class ConsentSource(models.TextChoices):
        REPLY = "reply", _("Reply to a message")
        STAFF = "staff", _("Staff")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        ERASURE = "erasure", _("Erasure")

    Source = ConsentSource  # the API document names enums by class: not customers' Source

    holding = models.ForeignKey("org.Holding", on_delete=models.PROTECT, related_name="+")
    # The company the change came through (the staff member's, or the replied message's).
    via_company = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=ADDRESS_MAX_LENGTH)
    opted_out = models.BooleanField(_("opted out"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["holding", "channel", "address", "-at"])]
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")

    def __str__(self):
        return f"consent {self.channel} {'out' if self.opted_out else 'in'}"


class GatewayThrottle(models.Model):
    """The shared rate limit of one gateway: the next free sending slot, for every worker."""

    gateway = models.CharField(max_length=40, primary_key=True)
    available_at = models.DateTimeField()

    class Meta:
        verbose_name = _("gateway throttle")

    def __str__(self):
        return f"throttle {self.gateway}"


# Campaigns (MSG-2) and scheduled care (MSG-4) keep their models in their own modules.
from .campaigns import Campaign, CampaignRecipient  # noqa: E402, F401
from .care_models import CareRun, CareSettings  # noqa: E402, F401
