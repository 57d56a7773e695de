"""Reception writes (SAL-1 … SAL-5). Every function takes the acting user as ``by``.

A call or a visit registers (or finds) the customer through ``customer_register`` and counts
as a logged follow-up (``customer_record_activity``, which renews the owner's protection).
Follow-up tasks come only from ``followup_rules``; each state change writes an event whose
subject is the customer, so the customer's timeline finds it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.events import record_event
from anju.core.masking import mask_name
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields
from anju.customers.models import Customer, CustomerStatus, Gender, Source
from anju.customers.phones import normalise_phone
from anju.customers.services import (
    customer_record_activity,
    customer_register,
    customer_set_status,
)

from . import followup_rules, hooks
from .models import (
    CLOSED_STAGES,
    OPEN_STAGES,
    STAGE_TRANSITIONS,
    TASK_TRANSITIONS,
    FollowUpTask,
    LossReason,
    Opportunity,
    PhoneCall,
    RiskFactor,
    Stage,
    TaskKind,
    TaskStatus,
    Visit,
    WinReason,
)

MAX_RINGS_RECORDED = 99
MAX_CALL_RECORDED = 24 * 3600
MAX_WAIT_RECORDED = 12 * 3600
FUTURE_SLACK = timedelta(minutes=10)
PLAUSIBLE_YEARS = (2000, 2099)
MAX_EXPECTED_VALUE = Decimal("999999999999.99")


@dataclass(frozen=True)
class CallResult:
    call: PhoneCall
    customer: object
    tasks: list = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class VisitResult:
    visit: Visit
    customer: object
    missing_risk_factors: list = field(default_factory=list)
    message: str = ""


# --- helpers ---------------------------------------------------------------------------------


def _aware(value, *, field_name):
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ApplicationError(_("Enter a valid date and time."), field=field_name)
    if not PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1]:
        # A typo like 0001 or 9999 would overflow date arithmetic (the day before, time zones).
        raise ApplicationError(
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": PLAUSIBLE_YEARS[0], "last": PLAUSIBLE_YEARS[1]},
            field=field_name,
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _not_in_future(value, *, field_name, now):
    if value > now + FUTURE_SLACK:
        raise ApplicationError(_("This time is in the future."), field=field_name)


def _count(value, *, field_name, maximum):
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter a whole number."), field=field_name) from exc
    if number < 0 or number > maximum:
        raise ApplicationError(
            _("Enter a number between 0 and %(max)s.") % {"max": maximum}, field=field_name
        )
    return number


def _require_project(by, project):
    """The acting user works on this project (it is in his scope)."""
    from anju.org.models import Project

    if by is not None and not Project.objects.visible_to(by).filter(pk=project.pk).exists():
        raise NotPermitted(_("This project is outside your scope."))


def _consultant_for(by, project, consultant):
    consultant = consultant or by
    if consultant is None:
        raise ApplicationError(_("Choose the consultant."), field="consultant")
    if consultant != by:
        _require_project(consultant, project)
    return consultant


def _require_handler(by, obj, *, owner_id):
    """The consultant who owns the record, or a manager of its project, may change it."""
    if by is None:
        return
    if not can_see(by, obj):
        raise NotPermitted()
    if owner_id != by.pk and not has_perm(
        by, Perm.VIEW_REPORTS, company=obj.company_id, project=obj.project_id
    ):
        raise NotPermitted(_("Only the consultant in charge or a manager can change this."))


def _event_details(**values):
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


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
            from .tasks import offer_sms_task

            transaction.on_commit(lambda pk=task.pk: offer_sms_task.enqueue(pk))
        tasks.append(task)
    return tasks


def _register_customer(*, by, project, consultant, phone, name, gender, source):
    if source and source not in Source.values:
        raise ApplicationError(_("Unknown source channel."), field="source")
    if gender and gender not in Gender.values:
        raise ApplicationError(_("Unknown salutation."), field="gender")
    profile = {"source": source or Source.OTHER}
    if gender in Gender.values:
        profile["gender"] = gender
    registration = customer_register(
        by=by,
        company=project.company,
        phone=phone,
        name=name,
        project=project,
        owner=consultant if consultant != by else None,
        **profile,
    )
    return registration


# --- calls (SAL-1, SAL-2) ----------------------------------------------------------------------


@transaction.atomic
def call_log(
    *,
    by,
    project,
    rings,
    answer_seconds,
    duration_seconds,
    called_at=None,
    phone: str = "",
    name: str = "",
    gender: str = Gender.UNKNOWN,
    source: str = Source.HOTLINE,
    details_declined: bool = False,
    questions: str = "",
    visit_wanted: bool = False,
    visit_booked_for=None,
    consultant=None,
) -> CallResult:
    """Log a phone inquiry (来电, SAL-1) and generate its follow-up tasks (SAL-2).

    The caller becomes (or is found as) a customer unless he declined to give details; the
    call is a repeat call if the same number called this project before.
    """
    now = timezone.now()
    _require_project(by, project)
    consultant = _consultant_for(by, project, consultant)
    called_at = _aware(called_at, field_name="called_at") or now
    _not_in_future(called_at, field_name="called_at", now=now)
    rings = _count(rings, field_name="rings", maximum=MAX_RINGS_RECORDED)
    answer_seconds = _count(answer_seconds, field_name="answer_seconds", maximum=3600)
    duration_seconds = _count(
        duration_seconds, field_name="duration_seconds", maximum=MAX_CALL_RECORDED
    )
    visit_booked_for = _aware(visit_booked_for, field_name="visit_booked_for")
    if visit_booked_for is not None:
        if visit_booked_for <= called_at:
            raise ApplicationError(
                _("The booked visit must be after the call."), field="visit_booked_for"
            )
        if visit_booked_for > called_at + timedelta(days=366):
            raise ApplicationError(
                _("The booked visit is more than a year away."), field="visit_booked_for"
            )
        visit_wanted = True
    name = (name or "").strip()
    phone = (phone or "").strip()
    customer = None
    message = ""
    followed_up_by = consultant
    hidden_from_caller = False
    if details_declined:
        if visit_booked_for is not None:
            raise ApplicationError(
                _("A booked visit needs the caller's name and number."), field="details_declined"
            )
        name = ""
        phone = normalise_phone(phone) if phone else ""
    else:
        if not phone:
            raise ApplicationError(
                _("Enter the caller's number, or tick “declined to give details”."),
                field="phone",
            )
        if not name:
            raise ApplicationError(
                _("Enter the caller's name, or tick “declined to give details”."), field="name"
            )
        try:
            registration = _register_customer(
                by=by,
                project=project,
                consultant=consultant,
                phone=phone,
                name=name,
                gender=gender,
                source=source,
            )
        except ApplicationError as exc:
            if exc.code != "protected":
                raise
            # 撞单: a colleague's protected customer called. The call is still logged (SAL-1),
            # on that customer, and his follow-ups go to his owner; ownership stays (CUS-4).
            # The caller may not see that customer (issue 7 item 1): he learns only that the
            # number is protected, never the customer, the expiry or the owner's tasks.
            customer = _protected_customer_for_owner(exc.extra["customer_id"])
            followed_up_by = customer.owner
            hidden_from_caller = True
            message = protected_call_message(customer.owner)
        else:
            customer = registration.customer
            message = registration.message
        phone = normalise_phone(phone)
    is_repeat = bool(phone) and (
        PhoneCall.objects.unscoped("repeat-call flag")
        .filter(project=project, phone=phone, called_at__lte=called_at)
        .exists()
    )
    call = PhoneCall(
        company_id=project.company_id,
        project=project,
        consultant=consultant,
        customer=customer,
        called_at=called_at,
        rings=rings,
        answer_seconds=answer_seconds,
        duration_seconds=duration_seconds,
        phone=phone,
        caller_name=name,
        details_declined=details_declined,
        is_repeat=is_repeat,
        questions=(questions or "").strip(),
        visit_wanted=bool(visit_wanted),
        visit_booked_for=visit_booked_for,
    )
    validate_fields(call, ["phone", "caller_name", "questions"])
    call.save()
    if customer is not None:
        customer_record_activity(by=consultant, customer=customer, when=called_at)
    record_event(
        by=by,
        verb="reception.call_logged",
        target=call,
        subject=customer,
        details=_event_details(
            consultant=consultant.pk,
            rings=rings,
            duration_seconds=duration_seconds,
            repeat=is_repeat,
            declined=details_declined,
            visit_booked_for=visit_booked_for,
        ),
    )
    specs = followup_rules.rules_for_call(call, customer=customer)
    tasks = _create_tasks(
        by=by,
        specs=specs,
        project=project,
        assignee=followed_up_by,
        customer=customer,
        source=call,
    )
    if hidden_from_caller:
        # The call and the owner's follow-ups are written; the caller gets neither back.
        call.customer_visible = False
        return CallResult(call, None, [], " ".join((_("Call logged."), message)))
    call.customer_visible = customer is not None
    summary = ngettext(
        "Call logged; %(n)d follow-up task created.",
        "Call logged; %(n)d follow-up tasks created.",
        len(tasks),
    ) % {"n": len(tasks)}
    return CallResult(call, customer, tasks, " ".join(m for m in (summary, message) if m))


def _protected_customer_for_owner(customer_id):
    """SYSTEM READ, unscoped on purpose: the customer a colleague's call is logged on.

    Done for the owner's sake only (the call goes on his customer, his follow-ups are
    created); whatever is read here is never returned or shown to the caller, who may not see
    the customer (issue 7 item 1).
    """
    return (
        Customer.objects.unscoped("log the call for the owner; never shown to the caller")
        .select_related("owner")
        .get(pk=customer_id)
    )


def owner_label_for_caller(owner) -> str:
    """The owner as a caller who cannot see the customer may know him: masked (李娜 → 李*).

    A display name carries a title before '·' (置业顾问·李娜): only the person's name is kept.
    """
    name = str(owner or "").split("·")[-1].strip()
    return mask_name(name)


def protected_call_message(owner) -> str:
    return _(
        "This number is protected by another consultant (%(owner)s). The call is logged and "
        "its follow-ups go to that consultant."
    ) % {"owner": owner_label_for_caller(owner)}


# --- visits (SAL-3) ----------------------------------------------------------------------------


def _factor_ids(values):
    ids = set()
    for v in values or ():
        try:
            ids.add(int(getattr(v, "pk", v)))
        except (TypeError, ValueError) as exc:
            raise ApplicationError(_("Unknown risk factor."), field="risk_factors") from exc
    return ids


@transaction.atomic
def visit_register(
    *,
    by,
    project,
    arrived_at,
    reception_started_at,
    phone: str = "",
    name: str = "",
    gender: str = Gender.UNKNOWN,
    source: str = Source.WALK_BY,
    customer=None,
    party_size: int = 1,
    products_shown: str = "",
    risk_factors=(),
    club_invited: bool = False,
    next_step: str = "",
    consultant=None,
) -> VisitResult:
    """Register a visit (来访, SAL-3) with the risk factors disclosed to the customer.

    Every active risk factor of the project should be disclosed; the visit records which
    were, and the result lists the ones that were not, so the page can warn.
    """
    now = timezone.now()
    _require_project(by, project)
    consultant = _consultant_for(by, project, consultant)
    arrived_at = _aware(arrived_at, field_name="arrived_at")
    reception_started_at = _aware(reception_started_at, field_name="reception_started_at")
    if arrived_at is None:
        raise ApplicationError(_("Enter the arrival time."), field="arrived_at")
    if reception_started_at is None:
        raise ApplicationError(
            _("Enter the time the reception started."), field="reception_started_at"
        )
    _not_in_future(arrived_at, field_name="arrived_at", now=now)
    _not_in_future(reception_started_at, field_name="reception_started_at", now=now)
    waiting = (reception_started_at - arrived_at).total_seconds()
    if waiting < 0:
        raise ApplicationError(
            _("Reception cannot start before the customer arrived."),
            field="reception_started_at",
        )
    if waiting > MAX_WAIT_RECORDED:
        raise ApplicationError(
            _("A wait of more than 12 hours is not plausible."), field="reception_started_at"
        )
    party_size = _count(party_size, field_name="party_size", maximum=50) or 1
    active = list(
        RiskFactor.objects.unscoped("checklist of the caller's project").filter(
            project=project, is_active=True
        )
    )
    active_ids = {f.pk for f in active}
    disclosed_ids = _factor_ids(risk_factors)
    if disclosed_ids - active_ids:
        raise ApplicationError(
            _("A chosen risk factor does not belong to this project."), field="risk_factors"
        )
    message = ""
    if customer is None:
        if not (phone or "").strip():
            raise ApplicationError(_("Enter the customer's mobile number."), field="phone")
        registration = _register_customer(
            by=by,
            project=project,
            consultant=consultant,
            phone=phone,
            name=name,
            gender=gender,
            source=source,
        )
        customer = registration.customer
        message = registration.message
    elif by is not None and not can_see(by, customer):
        raise NotPermitted()
    elif customer.company_id != project.company_id:
        raise ApplicationError(_("The customer belongs to another company."), field="customer")
    visit = Visit(
        company_id=project.company_id,
        project=project,
        consultant=consultant,
        customer=customer,
        arrived_at=arrived_at,
        reception_started_at=reception_started_at,
        waiting_seconds=int(waiting),
        party_size=party_size,
        products_shown=(products_shown or "").strip(),
        risk_factors_total=len(active_ids),
        risk_factors_disclosed_count=len(disclosed_ids),
        club_invited=bool(club_invited),
        next_step=(next_step or "").strip(),
    )
    validate_fields(visit, ["products_shown", "next_step"])
    visit.save()
    if disclosed_ids:
        visit.risk_factors_disclosed.set(sorted(disclosed_ids))
    missing = [f for f in active if f.pk not in disclosed_ids]
    customer_record_activity(by=consultant, customer=customer, when=arrived_at)
    if customer.status == CustomerStatus.LEAD:  # the first visit makes a lead a visitor
        customer_set_status(by=by or consultant, customer=customer, status=CustomerStatus.VISITOR)
    record_event(
        by=by,
        verb="reception.visit_registered",
        target=visit,
        subject=customer,
        details={
            "consultant": consultant.pk,
            "waiting_seconds": visit.waiting_seconds,
            "risk_factors_disclosed": sorted(disclosed_ids),
            "risk_factors_missing": [f.pk for f in missing],
            "club_invited": visit.club_invited,
        },
    )
    parts = [_("Visit registered.")]
    if missing:
        parts.append(
            _("Not all risk factors were disclosed: %(list)s.")
            % {"list": "、".join(f.title for f in missing)}
        )
    if message:
        parts.append(message)
    return VisitResult(visit, customer, missing, " ".join(parts))


# --- follow-up tasks (SAL-2, SAL-5) ------------------------------------------------------------


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
        raise ApplicationError(_("The project belongs to another company."), field="project")
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


# --- opportunities (SAL-4) ---------------------------------------------------------------------


def _money(value) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ApplicationError(_("Enter an amount in yuan."), field="expected_value") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_EXPECTED_VALUE:
        raise ApplicationError(_("Enter an amount in yuan."), field="expected_value")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def opportunity_open(
    *,
    by,
    customer,
    products_of_interest: str,
    expected_value,
    project=None,
    stage: str = Stage.CONTACT,
    expected_close=None,
    consultant=None,
) -> Opportunity:
    project = project or customer.project
    if project is None:
        raise ApplicationError(_("Choose the project."), field="project")
    if project.company_id != customer.company_id:
        raise ApplicationError(_("The project belongs to another company."), field="project")
    _require_project(by, project)
    if by is not None and not can_see(by, customer):
        raise NotPermitted()
    consultant = consultant or customer.owner or by
    if consultant is None:
        raise ApplicationError(_("Choose the consultant."), field="consultant")
    if stage not in OPEN_STAGES:
        raise ApplicationError(_("A new opportunity starts in an open stage."), field="stage")
    products = (products_of_interest or "").strip()
    if not products:
        raise ApplicationError(
            _("Describe the units or layouts of interest."), field="products_of_interest"
        )
    opportunity = Opportunity(
        company_id=project.company_id,
        project=project,
        consultant=consultant,
        customer=customer,
        stage=stage,
        products_of_interest=products,
        expected_value=_money(expected_value),
        expected_close=expected_close,
    )
    validate_fields(opportunity, ["products_of_interest", "expected_value"])
    opportunity.save()
    customer_record_activity(by=consultant, customer=customer)
    record_event(
        by=by,
        verb="reception.opportunity_opened",
        target=opportunity,
        subject=customer,
        details={"stage": stage, "expected_value": str(opportunity.expected_value)},
    )
    return opportunity


def _lock_opportunity(opportunity):
    return (
        Opportunity.objects.unscoped("lock the row the caller passed")
        .select_for_update()
        .select_related("customer")
        .get(pk=opportunity.pk)
    )


@transaction.atomic
def opportunity_advance(*, by, opportunity, stage: str) -> Opportunity:
    """Move an open opportunity to another open stage (closing goes through close)."""
    _require_handler(by, opportunity, owner_id=opportunity.consultant_id)
    if stage in CLOSED_STAGES:
        raise ApplicationError(_("Close the opportunity with a reason instead."), field="stage")
    if stage not in Stage.values:
        raise ApplicationError(_("Unknown stage."), field="stage")
    opportunity = _lock_opportunity(opportunity)
    before = opportunity.stage
    check_transition(
        allowed=STAGE_TRANSITIONS,
        current=Stage(before),
        to=Stage(stage),
        label=_("The opportunity"),
    )
    opportunity.stage = stage
    opportunity.save(update_fields=["stage", "updated_at"])
    record_event(
        by=by,
        verb="reception.opportunity_stage_changed",
        target=opportunity,
        subject=opportunity.customer,
        details={"from": before, "to": stage},
    )
    return opportunity


def _reason(model, value, company_id):
    if value in (None, ""):
        return None
    if isinstance(value, WinReason | LossReason) and not isinstance(value, model):
        return None  # a loss reason cannot explain a win, nor the reverse
    pk = getattr(value, "pk", value)
    try:
        return model.objects.unscoped("a reason of the opportunity's company").get(
            pk=int(pk), company_id=company_id, is_active=True
        )
    except (model.DoesNotExist, TypeError, ValueError):
        return None


@transaction.atomic
def opportunity_close(*, by, opportunity, won: bool, reason, note: str = "", when=None):
    """Close as won or lost (SAL-4); the reason from the managed list is required."""
    _require_handler(by, opportunity, owner_id=opportunity.consultant_id)
    model = WinReason if won else LossReason
    chosen = _reason(model, reason, opportunity.company_id)
    if chosen is None:
        raise ApplicationError(
            _("Choose why the opportunity was won.")
            if won
            else _("Choose why the opportunity was lost."),
            field="reason",
        )
    opportunity = _lock_opportunity(opportunity)
    target = Stage.WON if won else Stage.LOST
    check_transition(
        allowed=STAGE_TRANSITIONS,
        current=Stage(opportunity.stage),
        to=target,
        label=_("The opportunity"),
    )
    before = opportunity.stage
    opportunity.stage = target
    opportunity.win_reason = chosen if won else None
    opportunity.loss_reason = None if won else chosen
    opportunity.close_note = (note or "").strip()
    validate_fields(opportunity, ["close_note"])
    opportunity.closed_at = _aware(when, field_name="when") or timezone.now()
    opportunity.save(
        update_fields=[
            "stage",
            "win_reason",
            "loss_reason",
            "close_note",
            "closed_at",
            "updated_at",
        ]
    )
    record_event(
        by=by,
        verb="reception.opportunity_won" if won else "reception.opportunity_lost",
        target=opportunity,
        subject=opportunity.customer,
        details={"from": before, "reason": chosen.pk, "reason_name": chosen.name},
    )
    return opportunity


# --- managed lists -----------------------------------------------------------------------------


@transaction.atomic
def risk_factor_create(*, by, project, title: str, description: str = "", sort_order=0):
    """Add an adverse factor every visitor of the project must be told about (SAL-3)."""
    require_perm(by, Perm.MANAGE_INVENTORY, company=project.company_id, project=project.pk)
    title = (title or "").strip()
    if not title:
        raise ApplicationError(_("Describe the adverse factor."), field="title")
    factor = RiskFactor(
        company_id=project.company_id,
        project=project,
        title=title,
        description=(description or "").strip(),
        sort_order=_count(sort_order or 0, field_name="sort_order", maximum=999),
    )
    validate_fields(factor, ["title", "description"])
    factor.save()
    record_event(by=by, verb="reception.risk_factor_added", target=factor)
    return factor


@transaction.atomic
def risk_factor_set_active(*, by, factor, active: bool):
    require_perm(by, Perm.MANAGE_INVENTORY, company=factor.company_id, project=factor.project_id)
    if factor.is_active != bool(active):
        factor.is_active = bool(active)
        factor.save(update_fields=["is_active", "updated_at"])
        record_event(
            by=by,
            verb="reception.risk_factor_activated" if active else "reception.risk_factor_retired",
            target=factor,
        )
    return factor


@transaction.atomic
def reason_create(*, by, company, won: bool, name: str, sort_order=0):
    """Add a win or loss reason to the company's managed list (SAL-4)."""
    require_perm(by, Perm.VIEW_REPORTS, company=company.pk)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Name the reason."), field="name")
    model = WinReason if won else LossReason
    if (
        model.objects.unscoped("unique name in the company")
        .filter(company=company, name=name[:100])
        .exists()
    ):
        raise ApplicationError(_("This reason is already on the list."), field="name")
    reason = model(
        company=company,
        name=name[:100],
        sort_order=_count(sort_order or 0, field_name="sort_order", maximum=999),
    )
    validate_fields(reason, ["name"])
    reason.save()
    record_event(by=by, verb="reception.reason_added", target=reason, details={"won": won})
    return reason


@transaction.atomic
def reason_set_active(*, by, reason, active: bool):
    """Retire a reason nobody should pick any more; closed opportunities keep it (SAL-4)."""
    require_perm(by, Perm.VIEW_REPORTS, company=reason.company_id)
    if reason.is_active != bool(active):
        reason.is_active = bool(active)
        reason.save(update_fields=["is_active", "updated_at"])
        record_event(
            by=by,
            verb="reception.reason_activated" if active else "reception.reason_retired",
            target=reason,
        )
    return reason
