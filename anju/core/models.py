"""Kernel tables shared by every app: numbering, business events, personal-data access, tokens.

No business rules live here; the abstract bases give every business row its company/project
(ORG-1) and timestamps.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scope import ScopedModel, ScopedQuerySet, ScopeSpec


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class CompanyOwned(ScopedModel, TimeStamped):
    """A business record that belongs to one city company (ORG-1)."""

    company = models.ForeignKey(
        "org.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )

    scope = ScopeSpec(company="company")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class ProjectOwned(CompanyOwned):
    """A business record that belongs to one project of one company (ORG-1)."""

    project = models.ForeignKey(
        "org.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="+"
    )

    scope = ScopeSpec(company="company", project="project")

    class Meta:
        abstract = True


class NumberSequence(models.Model):
    """Last number issued per (kind, scope): gap-free counters, see ``core.numbering``."""

    kind = models.CharField(max_length=40)
    scope_key = models.CharField(max_length=80)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope_key"], name="uniq_number_sequence")
        ]
        verbose_name = _("number sequence")

    def __str__(self):
        return f"{self.kind}@{self.scope_key}={self.last_value}"


class Event(ScopedModel, models.Model):
    """A business state change (业务事件): who did what to which record, and for whom.

    ``target`` is the record that changed; ``subject`` is the person it is about (usually a
    customer), which is how timelines find it without each app knowing the others.
    """

    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "org.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=60)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.BigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.BigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    scope = ScopeSpec(company="company", project="project", owner="actor")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["target_type", "target_id", "-created_at"]),
            models.Index(fields=["subject_type", "subject_id", "-created_at"]),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")

    def __str__(self):
        return f"{self.verb} {self.target_type_id}:{self.target_id}"


class PersonalDataAccess(ScopedModel, models.Model):
    """Every full view and every export of personal data (SEC-2): who, what, when."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed in full")
        EXPORT = "export", _("Exported")
        SEARCH = "search", _("Searched by phone")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.BigIntegerField(null=True, blank=True)
    fields = models.CharField(max_length=200, blank=True)
    record_count = models.PositiveIntegerField(default=1)
    description = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    scope = ScopeSpec(company="company", owner="user")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # "How many phone searches did this user make in the last hour" (the search limit).
        indexes = [models.Index(fields=["user", "action", "-created_at"])]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self):
        return f"{self.user_id} {self.action} {self.fields} @ {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for integrations; acts with its owner's roles and scope (SEC-1).

    It expires (chosen at creation: 30, 90 or 365 days), can be revoked, and may be
    read-only: then it may only GET (issue 7 item 12).
    """

    EXPIRY_CHOICES = [(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))]
    DEFAULT_EXPIRY_DAYS = 90

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True)
    read_only = models.BooleanField(_("read-only"), default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    SECRET_START = "anju_"

    def __str__(self):
        return f"{self.name} ({self.shown_prefix}…)"

    @property
    def shown_prefix(self) -> str:
        """How the secret really begins (``anju_H_E2-W1x``): what its owner recognises."""
        return self.SECRET_START + self.prefix

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is None or self.expires_at <= timezone.now()

    @property
    def is_active(self):
        return self.revoked_at is None and not self.is_expired


def content_type_of(obj_or_model) -> ContentType:
    return ContentType.objects.get_for_model(obj_or_model)


class Job(ScopedModel, TimeStamped):
    """A background job with progress (imports, campaigns, reports), see ``core.jobs``.

    The page that started it polls its progress; ``result`` and ``errors`` carry what the
    job's kind reports back (for an import: counts, and the per-row errors).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    company = models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    input_file = models.FileField(_("file"), upload_to="jobs/%Y/%m/", blank=True, max_length=300)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    scope = ScopeSpec(company="company", owner="created_by")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]
        verbose_name = _("background job")

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))


class SchedulerLease(models.Model):
    """Which `run_scheduler` process may enqueue periodic jobs (issue 10 item 5).

    One row per lease name. A process holds it while ``expires_at`` is in the future and
    renews it every few seconds; taking and renewing are one conditional UPDATE, so two
    processes can never both succeed for the same moment. ``renewed_at`` is the scheduler's
    heartbeat (/healthz). ``core.scheduler`` is the only writer.
    """

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduler lease")

    def __str__(self):
        return f"{self.name} held by {self.holder or '-'} until {self.expires_at}"


class PeriodicFiring(models.Model):
    """One cron firing of a periodic job, recorded before its task is enqueued.

    Unique on (job, fire_time): a scheduler that lost its lease without knowing it, or a
    standby looking back after a failover, cannot enqueue the same firing twice (a birthday
    greeting is sent at most once). Pruned with the task results (``core.tasks``).
    """

    job = models.CharField(max_length=200)
    fire_time = models.DateTimeField()
    holder = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "fire_time"], name="uniq_periodic_firing")
        ]
        indexes = [models.Index(fields=["created_at"])]
        verbose_name = _("periodic job firing")

    def __str__(self):
        return f"{self.job} @ {self.fire_time:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A notice to one staff member (issue 13 item 7: assignments, escalations): the in-app
    list behind the bell in the menu. ``key`` makes a notice idempotent per user (the SLA
    sweep runs every minute and must tell each person once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.CharField(_("details"), max_length=500, blank=True)
    url = models.CharField(max_length=200, blank=True)
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_notification_key")
        ]
        indexes = [models.Index(fields=["user", "read_at", "created_at"])]
        verbose_name = _("notification")

    def __str__(self):
        return self.title
