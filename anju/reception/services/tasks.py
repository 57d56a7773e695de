"""Follow-up tasks (SAL-2, SAL-5): create them from ``followup_rules``, complete, cancel,
schedule a revisit.

Not to be confused with ``anju/reception/tasks.py``, the background jobs (sending an SMS).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields
from anju.customers.services import customer_record_activity

from .. import followup_rules, hooks
from ..models import TASK_TRANSITIONS, FollowUpTask, TaskKind, TaskStatus
from ._common import _aware, _count, _require_handler

# --- follow-up tasks (SAL-2, SAL-5) ------------------------------------------------------------


def _create_tasks(*, by, specs, project, assignee, customer, source=None):
    source_type = ContentType.objects.get_for_model(source) if source is not None else None
    tasks = []
    for spec in specs:
        task = FollowUpTask.objects.create(
            company_id=project.company_id,
            project=project,
            kind=spec.kind,
            rule=spec.rule,
            due_date=spec.due_date,
            title=spec.title,
            message=spec.message,
            assignee=assignee,
            customer=customer,
            source_type=source_type,
            source_id=source.pk if source is not None else None,
        )
        record_event(
            by=by,
            verb="reception.task_created",
            target=task,
            subject=customer,
            details={"kind": task.kind, "rule": task.rule, "due": task.due_date.isoformat()},
        )
        if task.kind == TaskKind.SMS and hooks.sms_senders():
            from ..tasks import offer_sms_task

            transaction.on_commit(lambda pk=task.pk: offer_sms_task.enqueue(pk))
        tasks.append(task)
    return tasks


def _lock_task(task):
    return (
        FollowUpTask.objects.unscoped("lock the task the caller passed")
        .select_for_update()
        .select_related("customer")
        .get(pk=task.pk)
    )


@transaction.atomic
def task_complete(
    *, by, task, outcome: str = "", satisfaction=None, needs_changed=None, when=None
) -> FollowUpTask:
    """Mark a follow-up done with its outcome; it counts as a logged follow-up (CUS-4)."""
    _require_handler(by, task, owner_id=task.assignee_id)
    task = _lock_task(task)
    check_transition(
        allowed=TASK_TRANSITIONS,
        current=TaskStatus(task.status),
        to=TaskStatus.DONE,
        label=_("The task"),
    )
    outcome = (outcome or "").strip()
    if not outcome:
        if task.kind != TaskKind.SMS:
            raise ApplicationError(_("Describe the outcome of the follow-up."), field="outcome")
        outcome = _("SMS sent")
    if satisfaction not in (None, ""):
        satisfaction = _count(satisfaction, field_name="satisfaction", maximum=5)
        if satisfaction < 1:
            raise ApplicationError(_("Satisfaction is 1 to 5."), field="satisfaction")
    else:
        satisfaction = None
    when = _aware(when, field_name="when") or timezone.now()
    task.status = TaskStatus.DONE
    task.done_at = when
    task.outcome = outcome
    task.satisfaction = satisfaction
    task.needs_changed = needs_changed
    validate_fields(task, ["outcome", "satisfaction"])
    task.save(
        update_fields=[
            "status",
            "done_at",
            "outcome",
            "satisfaction",
            "needs_changed",
            "updated_at",
        ]
    )
    customer_record_activity(by=task.assignee, customer=task.customer, when=when)
    record_event(
        by=by,
        verb="reception.task_completed",
        target=task,
        subject=task.customer,
        details={
            "kind": task.kind,
            "outcome": outcome,
            "satisfaction": satisfaction,
            "needs_changed": needs_changed,
        },
    )
    return task


@transaction.atomic
def task_cancel(*, by, task, reason: str) -> FollowUpTask:
    _require_handler(by, task, owner_id=task.assignee_id)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for cancelling."), field="reason")
    task = _lock_task(task)
    check_transition(
        allowed=TASK_TRANSITIONS,
        current=TaskStatus(task.status),
        to=TaskStatus.CANCELLED,
        label=_("The task"),
    )
    task.status = TaskStatus.CANCELLED
    task.done_at = timezone.now()
    task.outcome = reason
    validate_fields(task, ["outcome"])
    task.save(update_fields=["status", "done_at", "outcome", "updated_at"])
    record_event(
        by=by,
        verb="reception.task_cancelled",
        target=task,
        subject=task.customer,
        details={"reason": reason},
    )
    return task


@transaction.atomic
def schedule_revisit(
    *, by, customer, after: str, days: int, when=None, project=None, assignee=None, source=None
) -> FollowUpTask:
    """A revisit ``days`` after subscription or signing (SAL-5), as a follow-up task.

    Deals call this when a subscription/signing is recorded (``source`` = that record); a
    second call for the same source and moment returns the task already scheduled.
    """
    if after not in followup_rules.REVISIT_AFTER:
        raise ApplicationError(_("A revisit follows a subscription or a signing."), field="after")
    days = _count(days, field_name="days", maximum=3650)
    when = _aware(when, field_name="when") or timezone.now()
    project = project or customer.project
    if project is None:
        raise ApplicationError(_("The customer has no project; choose one."), field="project")
    if project.company_id != customer.company_id:
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )
    assignee = assignee or customer.owner or by
    if assignee is None:
        raise ApplicationError(_("Choose who makes the revisit."), field="assignee")
    spec = followup_rules.revisit_spec(customer=customer, after=after, days=days, when=when)
    if source is not None:
        existing = (
            FollowUpTask.objects.unscoped("idempotent task per source")
            .filter(
                rule=spec.rule,
                due_date=spec.due_date,
                source_type=ContentType.objects.get_for_model(source),
                source_id=source.pk,
            )
            .first()
        )
        if existing is not None:
            return existing
    (task,) = _create_tasks(
        by=by, specs=[spec], project=project, assignee=assignee, customer=customer, source=source
    )
    return task


MANUAL_RULE = "manual"  # a task a consultant added himself, not one of the rules' (SAL-6)


@transaction.atomic
def task_add(
    *, by, customer, title: str, due_date, kind: str = TaskKind.CALL, message: str = ""
) -> FollowUpTask:
    """A follow-up the consultant plans himself from the customer's page (SAL-6).

    It belongs to the customer's project and is assigned to the customer's consultant (the
    acting user if the customer has none); only who may handle the customer adds one.
    """
    from datetime import date

    from anju.core.scope import can_see

    from ._common import _require_project

    if by is not None and not can_see(by, customer):
        raise NotPermitted()
    project = customer.project
    if project is None:
        raise ApplicationError(_("The customer has no project; choose one."), field="project")
    _require_project(by, project)
    if customer.anonymised_at is not None:
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")
    if kind not in TaskKind.values:
        raise ApplicationError(_("Unknown kind of task."), field="kind")
    title = (title or "").strip()
    if not title:
        raise ApplicationError(_("Say what is to be done."), field="title")
    if not isinstance(due_date, date):
        raise ApplicationError(_("Choose the due date."), field="due_date")
    if due_date < timezone.localdate():
        raise ApplicationError(_("The due date is in the past."), field="due_date")
    assignee = customer.owner or by
    if assignee is None:
        raise ApplicationError(_("Choose who makes the follow-up."), field="assignee")
    probe = FollowUpTask(title=title, message=(message or "").strip())
    validate_fields(probe, ["title", "message"])
    spec = followup_rules.TaskSpec(
        kind=kind, rule=MANUAL_RULE, due_date=due_date, title=title, message=probe.message
    )
    (task,) = _create_tasks(
        by=by, specs=[spec], project=project, assignee=assignee, customer=customer
    )
    return task
