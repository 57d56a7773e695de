"""Rows of the public web form (SVC-2 web-form channel, issue 13 item 6).

``PublicVerification``: a one-time code sent to a phone by SMS (only its keyed hash is
kept, with an expiry and a bounded number of tries), or a used captcha (its nonce, so one
solved captcha is never accepted twice). ``PublicThrottle``: the sliding-window counters of
the public pages, one row per bucket (e.g. "submissions from this address"), shared by
every web process through the database and locked while it is counted.

Neither holds a phone number or an address in clear: keys are HMACs (``public.py``). No
company column either: a row is system bookkeeping, never shown to anyone.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PublicVerification(models.Model):
    class Method(models.TextChoices):
        SMS = "sms", _("Code by SMS")
        CAPTCHA = "captcha", _("Captcha")

    class Purpose(models.TextChoices):
        SUBMIT = "submit", _("Submit a ticket")
        LOOKUP = "lookup", _("Look a ticket up")

    method = models.CharField(max_length=8, choices=Method.choices)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    # SMS: HMAC of (company, purpose, phone); captcha: the challenge's nonce.
    key = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64, blank=True)  # HMAC of the code (SMS)
    tries = models.PositiveSmallIntegerField(default=0)  # wrong codes entered
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["key", "-created_at"], name="service_pubverif_key"),
            models.Index(fields=["expires_at"], name="service_pubverif_expiry"),
        ]
        constraints = [
            # A captcha is answered once: two requests with the same solved challenge race
            # for this row and one loses.
            models.UniqueConstraint(
                fields=["key"], condition=Q(method="captcha"), name="uniq_public_captcha_nonce"
            )
        ]
        verbose_name = _("public form verification")

    def __str__(self):
        return f"{self.method}:{self.purpose}:{self.pk}"


class PublicThrottle(models.Model):
    """One bucket's recent hits (epoch seconds within its longest window)."""

    bucket = models.CharField(max_length=100, unique=True)
    hits = models.JSONField(default=list)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("public form rate limit")

    def __str__(self):
        return self.bucket
