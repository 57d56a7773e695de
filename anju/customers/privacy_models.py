"""PIPL rows (SEC-2, issue 7 item 14): erasure requests and the per-company retention policy.

Imported at the end of ``customers/models.py`` so Django registers them in this app.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned
from anju.core.scope import ScopedQuerySet, ScopeSpec

# Leads and visitors untouched this long, with no deal, are anonymised by default (3 years).
DEFAULT_LEAD_RETENTION_DAYS = 3 * 365
MIN_RETENTION_DAYS = 180
MAX_RETENTION_DAYS = 20 * 365


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPLIED = "applied", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")


class ErasureSource(models.TextChoices):
    REQUEST = "request", _("On request")
    RETENTION = "retention", _("Retention period ended")


class ErasureRequest(CompanyOwned):
    """A request to anonymise one customer; a second person approves it (four eyes).

    Retention erasures are recorded here too (source ``retention``, no requester), so the
    data steward sees every anonymisation in one list.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="erasure_requests",
    )
    source = models.CharField(
        _("source"), max_length=10, choices=ErasureSource.choices, default=ErasureSource.REQUEST
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    scope = ScopeSpec(company="company", project="customer__project")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="pending"),
                name="uniq_pending_erasure_per_customer",
            )
        ]
        indexes = [models.Index(fields=["company", "status", "-created_at"])]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self):
        return f"erasure #{self.pk} {self.status}"


class RetentionPolicy(CompanyOwned):
    """How long a company keeps customers who never bought (PIPL: no longer than needed).

    A company without a row uses the defaults. Owners (customers with a deal) are never
    anonymised automatically: only leads and visitors are.
    """

    is_enabled = models.BooleanField(_("apply automatically"), default=True)
    lead_retention_days = models.PositiveIntegerField(
        _("anonymise leads and visitors after (days without activity)"),
        default=DEFAULT_LEAD_RETENTION_DAYS,
        validators=[MinValueValidator(MIN_RETENTION_DAYS), MaxValueValidator(MAX_RETENTION_DAYS)],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company"], name="uniq_retention_policy_company")
        ]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self):
        return f"{self.company_id}: {self.lead_retention_days} days"
