"""Webhook subscriptions and their deliveries (INT-2, issue 8 item 4).

A company's subscription names a target URL and the event verbs it wants; each business
event of that company with one of those verbs becomes one ``WebhookDelivery`` (unique per
subscription and event), whose ``uuid`` is the delivery id the receiver sees on every retry.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned

URL_MAX_LENGTH = 500
NAME_MAX_LENGTH = 100
RESPONSE_BODY_MAX = 2048  # bytes of the receiver's answer kept in the delivery log
ERROR_MAX_LENGTH = 300


class WebhookSubscription(CompanyOwned):
    """Where one company's chosen events are POSTed, signed with ``secret``."""

    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH, blank=True)
    target_url = models.CharField(_("target URL"), max_length=URL_MAX_LENGTH)
    verbs = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    may_unmask = models.BooleanField(
        _("may receive personal data in full"),
        default=False,
        help_text=_("Only a user who may see personal data in full in the company may grant it."),
    )
    # HMAC key: kept readable because every delivery is signed with it (like any webhook
    # sender); shown in full only when created or rotated, masked everywhere else.
    secret = models.CharField(max_length=100)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who granted full personal data: the personal-data access log names him for every
    # delivery that carried it (SEC-2).
    unmask_granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["company_id", "-created_at", "-id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.name or self.target_url

    @property
    def masked_secret(self) -> str:
        return mask_secret(self.secret)


def mask_secret(secret: str) -> str:
    """whsec_Ab…9xYz: enough to recognise it, not to use it."""
    if not secret:
        return ""
    return f"{secret[:8]}…{secret[-4:]}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


PING_VERB = "webhook.ping"


class WebhookDelivery(CompanyOwned):
    """One event (or a test ping) for one subscription, and how sending it went.

    ``next_attempt_at`` is when a dispatcher may next try; a dispatcher claiming an attempt
    moves it to the end of its lease (``leased_until``), so no other one sends it meanwhile.
    """

    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        "core.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    verb = models.CharField(_("event"), max_length=60)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    last_response_body = models.TextField(_("last response"), blank=True)
    last_error = models.CharField(_("last error"), max_length=ERROR_MAX_LENGTH, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"],
                condition=Q(event__isnull=False),
                name="webhooks_one_delivery_per_event",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhooks_log"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.verb} {self.uuid} {self.status}"
