"""Follow-up tasks (SAL-2, SAL-5): create them from ``followup_rules``, complete, cancel,
schedule a revisit.

Not to be confused with ``anju/reception/tasks.py``, the background jobs (sending an SMS).
"""

from datetime import datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.settings_rows import company_settings_update
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields
from anju.customers.services import customer_record_activity

from .. import followup_rules, hooks
from ..models import TASK_TRANSITIONS, FollowUpSettings, FollowUpTask, TaskKind, TaskStatus
from ._common import _aware, _count, _require_handler

# --- follow-up tasks (SAL-2, SAL-5) ------------------------------------------------------------

# The company's day counts: ``FollowUpSettings`` and ``followup_rules.Timing`` share the names.
TIMING_FIELDS = (
    "invitation_days",
    "confirmation_days_before",
    "no_intent_days",
    "post_visit_days",
    "subscription_revisit_days",
    "signing_revisit_days",
)


def timing_for(company_id) -> followup_rules.Timing:
    """The company's day counts for the follow-up rules; the defaults until it sets its own."""
    row = (
        FollowUpSettings.objects.unscoped("the rules' timing of the record's company")
        .filter(company_id=company_id)
        .first()
    )
    if row is None:
        return followup_rules.DEFAULT_TIMING
    return followup_rules.Timing(**{name: getattr(row, name) for name in TIMING_FIELDS})


def _local_day_bounds(moment):
    day = timezone.localtime(moment).date()
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _open_task_of_the_day(*, customer, kind, call):
    """The customer's open task of this kind made by a call the same local day, if any."""
    start, end = _local_day_bounds(call.called_at)
    found = (
        FollowUpTask.objects.unscoped("fold repeated calls of the customer's day")
        .filter(
            customer=customer,
            kind=kind,
            status=TaskStatus.OPEN,
            calls__called_at__gte=start,
            calls__called_at__lt=end,
        )
        .exclude(calls=call)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        return None
    return _lock_task(FollowUpTask(pk=found))


def _fold_into(*, by, task, spec, call):
    """A repeated call the same day: linked to the open task, not a new one (issue 9 item 2).

    The latest booking wins for a confirmation call (the customer moved his visit).
    """
    task.calls.add(call)
    changed = []
    if task.kind == TaskKind.VISIT_CONFIRMATION and (
        task.due_date != spec.due_date or task.title != spec.title
    ):
        task.due_date, task.title = spec.due_date, spec.title
        changed = ["due_date", "title"]
        task.save(update_fields=[*changed, "updated_at"])
    record_event(
        by=by,
        verb="reception.task_folded",
        target=task,
        subject=task.customer,
        details={"call": call.pk, "rule": spec.rule, "changed": changed},
    )
    return task


def _create_or_fold_call_tasks(*, by, specs, project, assignee, customer, call):
    """The tasks of a call: new ones, or the same day's open ones the call folds into.

    Returns (created, folded). Two calls of one customer at once are serialised by the
    customer row the call has just updated (``customer_record_activity``).
    """
    created, folded = [], []
    for spec in specs:
        task = _open_task_of_the_day(customer=customer, kind=spec.kind, call=call)
        if task is not None:
            folded.append(_fold_into(by=by, task=task, spec=spec, call=call))
        else:
            created += _create_tasks(
                by=by,
                specs=[spec],
                project=project,
                assignee=assignee,
                customer=customer,
                source=call,
            )
    return created, folded


def _create_tasks(*, by, specs, project, assignee, customer, source=None):
    from ..models import PhoneCall

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
        if isinstance(source, PhoneCall):
            task.calls.add(source)
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
    *,
    by,
    customer,
    after: str,
    days: int | None = None,
    when=None,
    project=None,
    assignee=None,
    source=None,
) -> FollowUpTask:
    """A revisit ``days`` after subscription or signing (SAL-5), as a follow-up task.

    Deals call this when a subscription/signing is recorded (``source`` = that record); a
    second call for the same source and moment returns the task already scheduled.
    ``days`` None: the company's timing (``FollowUpSettings``, the rules page).
    """
    if after not in followup_rules.REVISIT_AFTER:
        raise ApplicationError(_("A revisit follows a subscription or a signing."), field="after")
    if days is None:
        days = timing_for(customer.company_id).revisit_days(after)
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


SURVEY_RULE = "survey_very_dissatisfied"  # SUR-4


@transaction.atomic
def task_visit_in_person(
    *, by, customer, project, assignee, title: str, due_date, source
) -> FollowUpTask:
    """SUR-4: a very dissatisfied answer (``source``, another app's row) — the responsible
    person visits the customer in person and records the outcome on the task. One per
    source. ``by`` may be None (the customer answered on his own)."""
    existing = (
        FollowUpTask.objects.unscoped("idempotent task per source")
        .filter(
            rule=SURVEY_RULE,
            source_type=ContentType.objects.get_for_model(source),
            source_id=source.pk,
        )
        .first()
    )
    if existing is not None:
        return existing
    spec = followup_rules.TaskSpec(
        kind=TaskKind.IN_PERSON, rule=SURVEY_RULE, due_date=due_date, title=title[:200]
    )
    (task,) = _create_tasks(
        by=by, specs=[spec], project=project, assignee=assignee, customer=customer, source=source
    )
    return task


# --- rules driven by visits and opportunities (issue 9 item 7) ---------------------------------


def _close_open(*, by, tasks, status, outcome, verb, details):
    """Close open tasks as the system does (no handler check: a rule closes them)."""
    now = timezone.now()
    closed = []
    for task in tasks:
        task.status = status
        task.done_at = now
        task.outcome = outcome
        validate_fields(task, ["outcome"])
        task.save(update_fields=["status", "done_at", "outcome", "updated_at"])
        record_event(by=by, verb=verb, target=task, subject=task.customer, details=details)
        closed.append(task)
    return closed


def _open_tasks(**filters):
    return list(
        FollowUpTask.objects.unscoped("a rule closes the customer's open tasks")
        .select_for_update()
        .select_related("customer")
        .filter(status=TaskStatus.OPEN, **filters)
        .order_by("id")
    )


def tasks_after_visit(*, by, visit, follow_up: bool = True):
    """A visit closes the customer's open invitation/confirmation/follow-up calls and makes
    the post-visit follow-up (issue 9 item 7), unless ``follow_up`` is False (the caller
    makes another). Returns (closed, created)."""
    customer = visit.customer
    arrived = timezone.localtime(visit.arrived_at)
    closed = _close_open(
        by=by,
        tasks=_open_tasks(customer=customer, rule__in=followup_rules.CLOSED_BY_VISIT),
        status=TaskStatus.DONE,
        outcome=_("The customer visited on %(when)s.") % {"when": f"{arrived:%Y-%m-%d %H:%M}"},
        verb="reception.task_closed_by_visit",
        details={"visit": visit.pk},
    )
    if not follow_up:
        return closed, []
    spec = followup_rules.post_visit_spec(visit, timing=timing_for(visit.company_id))
    created = _create_tasks(
        by=by,
        specs=[spec],
        project=visit.project,
        assignee=customer.owner or visit.consultant,
        customer=customer,
        source=visit,
    )
    return closed, created


def tasks_after_loss(*, by, opportunity, reason_name: str):
    """An opportunity lost: the customer's open tasks in its project are cancelled with the
    reason, unless another open opportunity there still needs them (issue 9 item 7)."""
    from ..models import OPEN_STAGES, Opportunity

    still_open = (
        Opportunity.objects.unscoped("other open opportunities of the customer")
        .filter(customer_id=opportunity.customer_id, project_id=opportunity.project_id)
        .filter(stage__in=OPEN_STAGES)
        .exclude(pk=opportunity.pk)
        .exists()
    )
    if still_open:
        return []
    return _close_open(
        by=by,
        tasks=_open_tasks(customer_id=opportunity.customer_id, project_id=opportunity.project_id),
        status=TaskStatus.CANCELLED,
        outcome=_("Opportunity lost: %(reason)s") % {"reason": reason_name},
        verb="reception.task_cancelled",
        details={"reason": reason_name, "opportunity": opportunity.pk},
    )


@transaction.atomic
def followup_settings_update(*, by, company, **values) -> FollowUpSettings:
    """Change a company's timings of the follow-up rules (managers, management)."""
    from anju.core.roles import Perm

    return company_settings_update(
        by=by,
        company=company,
        model=FollowUpSettings,
        perm=Perm.VIEW_REPORTS,
        fields=TIMING_FIELDS,
        values=values,
        clean=lambda name, value: _count(value, field_name=name, maximum=999),
        verb="reception.followup_settings_changed",
        describe=lambda name, old, new: {"from": old, "to": new},
    )
