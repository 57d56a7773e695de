"""One approval mechanism for the whole product (issue 12 item 6, issue 11 MEM-3).

An ``ApprovalRequest`` is a question one person asks and another answers: a manual tier
change, a discount beyond a consultant's authority, a relative's tier, a sales change, later
a complaint solution. What the request is about lives in the app that asked (``kind`` names
its registered ``ApprovalKind``, ``target_id`` its row, ``payload`` what to apply); this app
only keeps who asked, who decided, when and why, and runs the kind's handler inside the
deciding transaction (``anju/approvals/registry.py``, ``services.py``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned
from anju.core.scope import ScopedQuerySet, ScopeSpec
from anju.core.validation import NOTE_LENGTH, NOTE_MAX_LENGTH

SUMMARY_MAX_LENGTH = 300
KIND_MAX_LENGTH = 60


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The workflow (core/transitions.py): only a pending request moves, and only once.
STATUS_TRANSITIONS = {
    ApprovalStatus.PENDING: {
        ApprovalStatus.APPROVED,
        ApprovalStatus.REJECTED,
        ApprovalStatus.WITHDRAWN,
    },
}


class ApprovalRequest(CompanyOwned):
    """A request waiting for (or having had) someone's approval.

    Scoped like the business it is about: the company, and the project when there is one.
    The requester always sees his own requests (``owner``); a decider sees them through his
    company/project roles and needs the kind's permission there to decide.
    """

    Status = ApprovalStatus

    project = models.ForeignKey(
        "org.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=KIND_MAX_LENGTH)
    target_id = models.BigIntegerField(_("target"))
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=SUMMARY_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
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
    comment = models.TextField(
        _("comment"), max_length=NOTE_MAX_LENGTH, blank=True, validators=NOTE_LENGTH
    )

    scope = ScopeSpec(company="company", project="project", owner="requested_by")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open question per thing: a second request waits for the first answer.
            models.UniqueConstraint(
                fields=["kind", "target_id"],
                condition=models.Q(status="pending"),
                name="uniq_pending_approval_per_target",
            )
        ]
        indexes = [
            # The approver's queue and the navigation count: pending, newest first, by place.
            models.Index(fields=["status", "company", "-created_at"], name="approval_queue_idx"),
            # "My requests".
            models.Index(fields=["requested_by", "-created_at"], name="approval_mine_idx"),
            # An app asking "is there a pending request for this row?".
            models.Index(fields=["kind", "target_id", "status"], name="approval_target_idx"),
        ]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING
