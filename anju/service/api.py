"""Service tickets through the API (issue 13 item 8, SVC-1 … SVC-5): receive, search, read,
move along the loop, revisit, the SLA status, the company's time limits.

The same selectors and services as the pages, the same scope: a ticket outside the caller's
scope is 404, a step his role may not take 403, a step the ticket's state does not allow
409 (``invalid_transition``, ``revisits_required``, ``not_implemented``, ``not_a_complaint``).
A complaint's solution is approved or rejected with ``POST /approvals/{approval_id}/approve``
(``reject``), the ``approval_id`` of the solution in the ticket's answer.
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal, Union

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Body, Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus
from pydantic import ConfigDict, Discriminator, Tag

from anju.core.api_errors import PATTERN_MESSAGES
from anju.core.api_types import (
    Count,
    Flag,
    Id,
    Input,
    IsoDate,
    Money,
    Pagination,
    RefId,
    Text,
    may_answer,
    model_text,
)
from anju.core.errors import ApplicationError, NotFound
from anju.core.masking import mask_phone
from anju.core.scope import get_visible_or_404
from anju.core.validation import CONTROL_CHARS_SINGLE_LINE
from anju.customers.refs import HIDDEN_ID, customer_id_for, customer_name_for
from anju.customers.selectors import about_visible_customer
from anju.org.selectors import companies_visible_to, projects_visible_to, staff_visible_to

from . import selectors, services, sla, sla_status
from .models import (
    OPEN_STATUSES,
    Category,
    Channel,
    ComplainantType,
    EscalationStage,
    Level,
    Satisfaction,
    SensitiveReason,
    ServiceCase,
    Severity,
    SlaPolicy,
    SolutionKind,
    Status,
    Ticket,
    TicketRevisit,
    TicketSolution,
    TicketType,
)
from .settings_services import sla_policy_set

router = Router(tags=["service"])

# As literals, not the models' enums: other apps have enums of the same class names
# (messaging's Channel and Status …), and the OpenAPI document keeps one component per name.
TicketTypeValue = Literal[tuple(TicketType.values)]
TicketChannelValue = Literal[tuple(Channel.values)]
TicketCategoryValue = Literal[tuple(Category.values)]
TicketSeverityValue = Literal[tuple(Severity.values)]
TicketStatusValue = Literal[tuple(Status.values)]
SensitiveReasonValue = Literal[tuple(SensitiveReason.values)]
ComplainantTypeValue = Literal[tuple(ComplainantType.values)]
SatisfactionValue = Literal[tuple(Satisfaction.values)]
SolutionKindValue = Literal[tuple(SolutionKind.values)]
SolutionDecisionValue = Literal[tuple(TicketSolution.Decision.values)]
EscalationStageValue = Literal[tuple(EscalationStage.values)]
ClockValue = Literal[sla_status.CLOCKS]
ClockStateValue = Literal[sla_status.STATES]
ActionValue = Literal[
    "judge", "assign", "analyse", "propose", "implement", "revisit", "close", "reclassify"
]

LEVEL_HELP = "0 service agent, 1 service manager, 2 company management (raised, never lowered)"


# --- answers -----------------------------------------------------------------------------------


class TicketRowOut(Schema):
    id: int
    number: str = Field(description="KF000012, numbered per company")
    ticket_type: TicketTypeValue
    channel: TicketChannelValue
    category: TicketCategoryValue
    severity: TicketSeverityValue
    status: TicketStatusValue
    level: int = Field(description=LEVEL_HELP)
    project_id: int
    unit_id: int | None
    customer_id: int | None = Field(description=f"{HIDDEN_ID}; null for a contact not on file")
    customer_name: str = Field(
        description="the customer's name (masked where you do not see his record), else the "
        "contact's"
    )
    phone: str = Field(description="the customer's or the contact's phone, masked")
    subject: str
    responsible_id: int
    responsible_name: str
    received_at: datetime
    next_due_at: datetime | None = Field(description="the earliest limit still running")
    overdue: bool = Field(description="open and past its next due time")
    closed_at: datetime | None

    @staticmethod
    def resolve_number(obj):
        return str(obj)

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer) if obj.customer_id else None

    @staticmethod
    def resolve_customer_name(obj, context):
        if obj.customer_id is None:
            return obj.contact_name
        return customer_name_for(context, obj.customer)

    @staticmethod
    def resolve_phone(obj):
        phone = obj.customer.phone if obj.customer_id else obj.contact_phone
        return mask_phone(phone) if phone else ""

    @staticmethod
    def resolve_responsible_name(obj):
        return str(obj.responsible)

    @staticmethod
    def resolve_overdue(obj):
        return sla_status.is_late(obj)


class TicketClockOut(Schema):
    clock: ClockValue
    due_at: datetime | None
    done_at: datetime | None
    state: ClockStateValue = Field(
        description="met (done in time), missed (done late), running, late (not done, past "
        "due), skipped (closed without this step)"
    )
    late: bool


class TicketSolutionOut(Schema):
    id: int
    kind: SolutionKindValue
    description: str
    compensation: Decimal = Field(description="yuan")
    proposed_by_id: int
    decision: SolutionDecisionValue
    approval_id: int | None = Field(
        description="decide it with POST /approvals/{approval_id}/approve or /reject"
    )
    created_at: datetime


class TicketRevisitOut(Schema):
    id: int
    loop: int = Field(description="the ticket's loop it belongs to (0, then 1 after 不满意 …)")
    satisfaction: SatisfactionValue
    comment: str
    revisited_at: datetime
    due_on: date | None
    by_id: int


class TicketAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    created_at: datetime


class TicketDetailOut(TicketRowOut):
    sensitive_reason: SensitiveReasonValue | Literal[""]
    complainant_type: ComplainantTypeValue | Literal[""]
    contact_name: str
    description: str
    demand: str
    case_id: int | None
    department_id: int | None
    received_by_id: int | None
    loops: int = Field(description="unsatisfied revisits that sent the ticket back")
    cause: str
    reply: str
    summary: str
    outcome: str
    handling: str
    satisfaction: SatisfactionValue | Literal[""]
    revisits_required: int
    revisits_done: int = Field(description="revisits in the present loop")
    revisit_due_on: date | None
    clocks: list[TicketClockOut]
    next_actions: list[ActionValue] = Field(
        description="what the ticket's state allows next; your role is checked when you act"
    )
    solutions: list[TicketSolutionOut]
    revisits: list[TicketRevisitOut]
    attachments: list[TicketAttachmentOut]

    @staticmethod
    def resolve_revisits_done(obj):
        return _revisits_done(obj)

    @staticmethod
    def resolve_clocks(obj):
        return sla_status.clocks(obj)

    @staticmethod
    def resolve_next_actions(obj):
        return next_actions(obj)

    @staticmethod
    def resolve_solutions(obj):
        return list(obj.solutions.all())

    @staticmethod
    def resolve_revisits(obj):
        return list(obj.revisits.all())

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


def _revisits_done(ticket) -> int:
    return sum(1 for r in ticket.revisits.all() if r.loop == ticket.loops)  # prefetched


def next_actions(ticket) -> list[str]:
    """The steps the ticket's flow allows from its status (``models.FLOWS``)."""
    if not ticket.is_open:
        return []
    status, complaint = ticket.status, ticket.ticket_type == TicketType.COMPLAINT
    actions = []
    if status == Status.RECEIVED:
        if complaint:
            actions.append("judge")
        elif Status.ASSIGNED in ticket.flow[status]:
            actions += ["assign", "close"]
        else:
            actions.append("close")  # praise: thanked, passed on, closed
    elif status == Status.ACCEPTED:
        actions.append("assign")
    else:
        step = {
            Status.ASSIGNED: "analyse" if complaint else "implement",
            Status.ANALYSED: "propose",
            Status.SOLUTION_APPROVED: "implement",
            Status.IMPLEMENTED: "revisit",
        }.get(status)
        if step:
            actions.append(step)
        if status == Status.IMPLEMENTED and _revisits_done(ticket) >= ticket.revisits_required:
            actions.append("close")
        actions.append("assign")  # a new responsible; the status stays
    actions.append("reclassify")
    return actions


# --- receive -----------------------------------------------------------------------------------


class TicketReceiveIn(Input):
    """受理 A customer's matter (SVC-1/2/3). Rules beyond the schema: ``customer_id``,
    ``unit_id`` and ``case_id`` belong to the project (a customer of another company is
    409 ``other_company``); a ticket linked to a group case (群诉) is sensitive; a sensitive one needs its
    ``sensitive_reason`` and goes to company management at once. The responsible person
    (default: you) must see the project's tickets. The customer is told by SMS."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "ticket_type": "complaint",
                    "channel": "hotline",
                    "category": "quality",
                    "subject": "卫生间渗水",
                    "description": "主卫天花板渗水。",
                    "customer_id": 1,
                }
            ]
        }
    )

    project_id: RefId
    ticket_type: TicketTypeValue
    channel: TicketChannelValue
    subject: model_text(Ticket, "subject", required=True)
    description: model_text(Ticket, "description", required=True)
    demand: model_text(Ticket, "demand") = Field("", description="what the customer asks for")
    category: TicketCategoryValue = "other"
    severity: TicketSeverityValue = "normal"
    sensitive_reason: SensitiveReasonValue | None = Field(None, description="sensitive only")
    complainant_type: ComplainantTypeValue | None = None
    customer_id: RefId | None = None
    contact_name: model_text(Ticket, "contact_name") = Field(
        "", description="who called, when no customer record is named"
    )
    contact_phone: Text(20) = ""
    unit_id: RefId | None = None
    case_id: RefId | None = Field(None, description="a group case (群诉) of the project")
    responsible_id: RefId | None = Field(None, description="default: you")


def _visible(rows, pk, field):
    found = rows.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Not found, or outside your scope."), field=field)
    return found


def _project(user, pk):
    return _visible(projects_visible_to(user).select_related(None).order_by(), pk, "project_id")


def _staff(user, pk, field="responsible_id"):
    return _visible(staff_visible_to(user).select_related(None).order_by(), pk, field)


def _customer(user, pk):
    from anju.customers.models import Customer

    return _visible(Customer.objects.visible_to(user), pk, "customer_id")


def _unit(user, pk):
    from anju.inventory.models import Unit

    return _visible(Unit.objects.visible_to(user), pk, "unit_id")


def _department(user, pk):
    from anju.org.models import Department

    return _visible(Department.objects.visible_to(user), pk, "department_id")


def _detail(request, ticket_id):
    return selectors.ticket_detail(request.user, ticket_id)


def _ticket(request, ticket_id):
    """The ticket's row if the caller sees it (404 otherwise); the service locks it."""
    return get_visible_or_404(Ticket.objects.select_related(None), request.user, pk=ticket_id)


@router.post(
    "/service/tickets",
    response={201: TicketDetailOut},
    openapi_extra=may_answer(409),
)
def receive_ticket(request, payload: TicketReceiveIn):
    """Receive a ticket: numbered per company, its clocks started (409 ``no_intake_person``
    when nobody of the company may take it)."""
    user = request.user
    data = payload
    ticket = services.ticket_receive(
        by=user,
        project=_project(user, data.project_id),
        ticket_type=data.ticket_type,
        channel=data.channel,
        subject=data.subject,
        description=data.description,
        demand=data.demand,
        category=data.category,
        severity=data.severity,
        sensitive_reason=data.sensitive_reason or "",
        complainant_type=data.complainant_type or "",
        customer=_customer(user, data.customer_id) if data.customer_id else None,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        unit=_unit(user, data.unit_id) if data.unit_id else None,
        case=_visible(ServiceCase.objects.visible_to(user), data.case_id, "case_id")
        if data.case_id
        else None,
        responsible=_staff(user, data.responsible_id) if data.responsible_id else None,
    )
    return HttpStatus(201, _detail(request, ticket.pk))


# --- search ------------------------------------------------------------------------------------


# SEC-2: a phone number never travels in a URL. The search holds a character besides digits
# and the separators people type in numbers, or at most 9 of them (a ticket number): stated
# in the schema, so a client knows before it asks (10+ digits are refused with 422).
_CTRL = CONTROL_CHARS_SINGLE_LINE
_TICKET_SEARCH = rf"^(?:[0-9 ()+\-]{{0,9}}|[^{_CTRL}]*[^0-9\s()+\-{_CTRL}][^{_CTRL}]*)$"
PATTERN_MESSAGES[_TICKET_SEARCH] = gettext_lazy(
    "Search by ticket number or subject; phone numbers are not searched here."
)
TicketSearch = Annotated[str, Field(max_length=50, pattern=_TICKET_SEARCH)]


class ServiceTicketQuery(Schema):
    """The ticket list's filters (all optional, combined with AND)."""

    status: TicketStatusValue | None = None
    open: bool | None = Field(None, description="true: not closed; false: closed")
    ticket_type: TicketTypeValue | None = None
    category: TicketCategoryValue | None = None
    severity: TicketSeverityValue | None = None
    project_id: Id | None = None
    responsible_id: Id | None = Field(None, description="whose tickets")
    customer_id: Id | None = None
    overdue: bool | None = Field(None, description="true: open and past the next due time")
    received_from: IsoDate | None = Field(None, description="local day, included")
    received_to: IsoDate | None = Field(None, description="local day, included")
    q: TicketSearch | None = Field(
        None,
        description="a ticket number (KF000012 or 12) or words of the subject; not a phone "
        "number (10 or more digits, SEC-2: no phone numbers in a URL)",
    )
    order: Literal["-received_at", "next_due_at"] = Field(
        "-received_at", description="newest first, or the most urgent first"
    )


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # no time arithmetic overflows
_NUMBER = re.compile(r"^(?:KF)?0*([0-9]{1,9})$", re.I)
_DIGITS = re.compile(r"^[0-9\s()+\-]{10,}$")


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_tickets(user, filters: ServiceTicketQuery, *, now=None):
    """The tickets ``user`` sees, filtered; a bad filter is 422 ``invalid_filter``, a
    project out of scope 404."""
    now = now or timezone.now()
    rows = selectors.tickets_visible_to(user)
    f = filters
    if f.project_id is not None:
        rows = rows.filter(project=_project(user, f.project_id))
    for name in ("status", "ticket_type", "category", "severity", "responsible_id"):
        value = getattr(f, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    if f.customer_id is not None:
        rows = about_visible_customer(rows, user, f.customer_id)
    if f.open is not None:
        rows = rows.filter(status__in=OPEN_STATUSES) if f.open else rows.filter(status="closed")
    late = Q(status__in=OPEN_STATUSES) & (Q(overdue=True) | Q(next_due_at__lte=now))
    if f.overdue is not None:
        rows = rows.filter(late) if f.overdue else rows.exclude(late)
    # Any day is a valid bound (no ticket is older than 2000 or newer than 2999: clamped so
    # the arithmetic never overflows); a first day after the last simply matches nothing.
    if f.received_from:
        day = min(max(f.received_from, FIRST_DAY), LAST_DAY)
        rows = rows.filter(received_at__gte=_day_start(day))
    if f.received_to:
        day = min(max(f.received_to, FIRST_DAY), LAST_DAY)
        rows = rows.filter(received_at__lt=_day_start(day + timedelta(days=1)))
    q = (f.q or "").strip()
    if q:
        if _DIGITS.match(q):  # SEC-2: no phone numbers in a URL
            raise ApplicationError(
                _("Search by ticket number or subject; phone numbers are not searched here."),
                field="q",
                code="invalid_filter",
            )
        number = _NUMBER.match(q)
        match = Q(subject__icontains=q)
        if number:
            match |= Q(number=int(number.group(1)))
        rows = rows.filter(match)
    if f.order == "next_due_at":
        return rows.order_by(F("next_due_at").asc(nulls_last=True), "pk")
    return rows.order_by("-received_at", "-pk")


@router.get("/service/tickets", response=list[TicketRowOut], openapi_extra=may_answer(404))
@paginate(Pagination)
def list_tickets(request, filters: Query[ServiceTicketQuery]):
    """Tickets you see (the responsible: his own), newest first or most urgent first."""
    return filter_tickets(request.user, filters)


@router.get("/service/tickets/{int:service_ticket_id}", response=TicketDetailOut)
def get_ticket(request, service_ticket_id: Id):
    """A ticket with its solutions, revisits, photos, clocks and escalation level."""
    return _detail(request, service_ticket_id)


# --- the loop: one endpoint, one body per action ------------------------------------------------


class TicketJudgeIn(Input):
    """判定 (complaints, SVC-4 step 2): valid → to assign; not valid → the ``explanation``
    is the reply to the customer and the ticket closes."""

    action: Literal["judge"]
    valid: Flag
    explanation: model_text(Ticket, "reply") = Field("", description="required when not valid")


class TicketAssignIn(Input):
    """派单 (step 3): the responsible person (who must see the project's tickets) and his
    department; on a ticket already assigned, a new responsible (the status stays)."""

    action: Literal["assign"]
    responsible_id: RefId
    department_id: RefId | None = Field(
        None,
        description="only for a person in no department: otherwise his own is taken, and "
        "another is refused (422, field department_id)",
    )


class TicketAnalyseIn(Input):
    """原因分析 (step 4), by the responsible person or the desk."""

    action: Literal["analyse"]
    cause: model_text(Ticket, "cause", required=True)


class TicketProposeIn(Input):
    """处理方案 (step 5): a solution for a manager to approve (``POST
    /approvals/{approval_id}/approve``; never by its proposer). Compensation needs an
    amount above 0."""

    action: Literal["propose"]
    kind: SolutionKindValue
    description: model_text(TicketSolution, "description", required=True)
    compensation: Money(description="yuan; above 0 for kind compensate") = Decimal("0")


class TicketImplementIn(Input):
    """实施 (step 7; requests: answered or done): the customer is told; revisits fall due
    within the company's working days. A request needs the ``note`` (the answer)."""

    action: Literal["implement"]
    note: model_text(Ticket, "reply") = Field("", description="the answer; required for requests")


class TicketCloseIn(Input):
    """结案 (step 9): with a summary, after the revisits the ticket needs (409
    ``revisits_required``); a request or praise may close at receipt (answered at once)."""

    action: Literal["close"]
    summary: model_text(Ticket, "summary", required=True)


class TicketReclassifyIn(Input):
    """Correct the category or complainant type, or rate the ticket sensitive (media, group
    complaint: company management is told at once). Fields left out stay as they are."""

    action: Literal["reclassify"]
    category: TicketCategoryValue | None = None
    severity: TicketSeverityValue | None = None
    sensitive_reason: SensitiveReasonValue | None = Field(None, description="sensitive only")
    complainant_type: ComplainantTypeValue | Literal[""] | None = Field(
        None, description='"" clears it'
    )


_ACTIONS = (
    TicketJudgeIn,
    TicketAssignIn,
    TicketAnalyseIn,
    TicketProposeIn,
    TicketImplementIn,
    TicketCloseIn,
    TicketReclassifyIn,
)
_ACTION_NAMES = [v.model_fields["action"].annotation.__args__[0] for v in _ACTIONS]


def _action_of(value):
    # Without a valid "action" the body is checked as a judgement's, so that every problem
    # in it is named (see core/exports_api.py); the tag is not a field name.
    action = value.get("action") if isinstance(value, dict) else getattr(value, "action", None)
    return f"action={action if action in _ACTION_NAMES else 'judge'}"


TicketTransitionIn = Annotated[
    Union[  # noqa: UP007 — tagged members
        tuple(
            Annotated[v, Tag(f"action={name}")]
            for v, name in zip(_ACTIONS, _ACTION_NAMES, strict=True)
        )
    ],
    Discriminator(_action_of),
]


def _transition_document() -> dict:
    mapping = {
        name: f"#/components/schemas/{v.__name__}"
        for v, name in zip(_ACTIONS, _ACTION_NAMES, strict=True)
    }
    body = {
        "discriminator": {"propertyName": "action", "mapping": mapping},
        "examples": [
            {"action": "judge", "valid": True},
            {"action": "assign", "responsible_id": 12},
            {"action": "analyse", "cause": "楼上防水层破损。"},
            {
                "action": "propose",
                "kind": "compensate",
                "description": "修复防水层，赔偿吊顶损失。",
                "compensation": "1500.00",
            },
            {"action": "implement", "note": "已修复并赔付。"},
            {"action": "close", "summary": "两次回访均满意。"},
        ],
    }
    return {"requestBody": {"content": {"application/json": {"schema": body}}}}


@router.post(
    "/service/tickets/{int:service_ticket_id}/transitions",
    response=TicketDetailOut,
    openapi_extra=may_answer(409) | _transition_document(),
)
def transition_ticket(request, service_ticket_id: Id, payload: Body[TicketTransitionIn]):
    """Move the ticket along its flow, one ``action`` per call (the ticket answers with
    ``next_actions``). Judge, assign, revisit, close and reclassify are the desk's (service
    staff of the project); analyse, propose and implement also its responsible person.
    409 ``invalid_transition`` (not from this status), ``not_a_complaint`` (judging a
    request), ``revisits_required`` (closing too early)."""
    user = request.user
    ticket = _ticket(request, service_ticket_id)
    action = payload.action
    if action == "judge":
        services.ticket_judge(
            by=user, ticket=ticket, valid=payload.valid, explanation=payload.explanation
        )
    elif action == "assign":
        services.ticket_assign(
            by=user,
            ticket=ticket,
            responsible=_staff(user, payload.responsible_id),
            department=_department(user, payload.department_id) if payload.department_id else None,
        )
    elif action == "analyse":
        services.ticket_analyse(by=user, ticket=ticket, cause=payload.cause)
    elif action == "propose":
        services.solution_propose(
            by=user,
            ticket=ticket,
            kind=payload.kind,
            description=payload.description,
            compensation=payload.compensation,
        )
    elif action == "implement":
        services.ticket_implement(by=user, ticket=ticket, note=payload.note)
    elif action == "close":
        services.ticket_close(by=user, ticket=ticket, summary=payload.summary)
    else:
        services.ticket_reclassify(
            by=user,
            ticket=ticket,
            category=payload.category,
            severity=payload.severity,
            sensitive_reason=payload.sensitive_reason or "",
            complainant_type=payload.complainant_type,
        )
    return _detail(request, ticket.pk)


class TicketRevisitIn(Input):
    """回访 (step 8), once the solution was carried out (409 ``not_implemented`` before).
    不满意 sends the ticket back to cause analysis, one level up."""

    satisfaction: SatisfactionValue
    comment: model_text(TicketRevisit, "comment") = Field("", description="what the customer said")


@router.post(
    "/service/tickets/{int:service_ticket_id}/revisits",
    response={201: TicketDetailOut},
    openapi_extra=may_answer(409),
)
def record_revisit(request, service_ticket_id: Id, payload: TicketRevisitIn):
    """Record a revisit; the answer is the ticket, its ``revisits`` ending with this one."""
    ticket = _ticket(request, service_ticket_id)
    services.revisit_record(
        by=request.user, ticket=ticket, satisfaction=payload.satisfaction, comment=payload.comment
    )
    return HttpStatus(201, _detail(request, ticket.pk))


# --- SLA status (SVC-5) --------------------------------------------------------------------------


class TicketEscalationOut(Schema):
    stage: EscalationStageValue
    loop: int
    step: int = Field(description="which revisit was late (stage revisit)")
    level: int = Field(description="the level it raised the ticket to")
    due_at: datetime | None
    created_at: datetime


class TicketSlaOut(Schema):
    ticket_id: int
    number: str
    status: TicketStatusValue
    level: int = Field(description=LEVEL_HELP)
    level_label: str
    loops: int
    next_due_at: datetime | None
    next_clock: ClockValue | None = Field(description="which clock is due next")
    overdue: bool = Field(description="open and past its next due time")
    flagged: bool = Field(description="flagged by the every-minute sweep")
    clocks: list[TicketClockOut]
    escalations: list[TicketEscalationOut] = Field(description="each late stage once, oldest first")


@router.get("/service/tickets/{int:service_ticket_id}/sla", response=TicketSlaOut)
def ticket_sla(request, service_ticket_id: Id):
    """Where the ticket stands against its time limits (24/7) and what was escalated."""
    ticket = _detail(request, service_ticket_id)
    return {
        "ticket_id": ticket.pk,
        "number": str(ticket),
        "status": ticket.status,
        "level": ticket.level,
        "level_label": str(Level(ticket.level).label),
        "loops": ticket.loops,
        "next_due_at": ticket.next_due_at,
        "next_clock": sla_status.next_clock(ticket),
        "overdue": sla_status.is_late(ticket),
        "flagged": ticket.overdue,
        "clocks": sla_status.clocks(ticket),
        "escalations": list(ticket.escalations.order_by("created_at", "pk")),
    }


# --- the company's time limits -------------------------------------------------------------------


class ServiceSlaPolicyOut(Schema):
    ticket_type: TicketTypeValue
    severity: TicketSeverityValue
    first_response_minutes: int
    solution_minutes: int
    closure_minutes: int
    configured: bool = Field(description="false: the product's default applies")


class ServiceSlaPoliciesOut(Schema):
    company_id: int
    policies: list[ServiceSlaPolicyOut] = Field(description="every type × severity")


def _policies(company) -> dict:
    stored = {
        (p.ticket_type, p.severity): p
        for p in SlaPolicy.objects.unscoped("the visible company's own limits").filter(
            company=company
        )
    }
    rows = []
    for ticket_type in TicketType.values:
        for severity in Severity.values:
            row = stored.get((ticket_type, severity))
            limits = sla.default_limits(ticket_type, severity)
            rows.append(
                {
                    "ticket_type": ticket_type,
                    "severity": severity,
                    "first_response_minutes": row.first_response_minutes
                    if row
                    else limits.first_response,
                    "solution_minutes": row.solution_minutes if row else limits.solution,
                    "closure_minutes": row.closure_minutes if row else limits.closure,
                    "configured": row is not None,
                }
            )
    return {"company_id": company.pk, "policies": rows}


def _company(user, pk):
    return _visible(companies_visible_to(user), pk, "company_id")


@router.get("/service/sla-policies", response=ServiceSlaPoliciesOut)
def list_sla_policies(request, company_id: Id):
    """The company's time limits in minutes, counted 24/7 (revisits: working days)."""
    return _policies(_company(request.user, company_id))


class ServiceSlaPolicyIn(Input):
    """One type and severity's limits in minutes, first response ≤ solution ≤ closure. They
    apply to tickets received from now on."""

    company_id: RefId
    ticket_type: TicketTypeValue
    severity: TicketSeverityValue
    first_response_minutes: Count(1, 43200)
    solution_minutes: Count(1, 259200)
    closure_minutes: Count(1, 525600)


@router.put("/service/sla-policies", response=ServiceSlaPoliciesOut)
def set_sla_policy(request, payload: ServiceSlaPolicyIn):
    """Set one limit (service managers, company management: MANAGE_SERVICE)."""
    company = _company(request.user, payload.company_id)
    sla_policy_set(
        by=request.user,
        company=company,
        ticket_type=payload.ticket_type,
        severity=payload.severity,
        first_response_minutes=payload.first_response_minutes,
        solution_minutes=payload.solution_minutes,
        closure_minutes=payload.closure_minutes,
    )
    return _policies(company)


# --- the monthly complaint report (SVC-6) --------------------------------------------------------


class ReportLineOut(Schema):
    key: str
    label: str
    count: int


class ReportScopeOut(Schema):
    kind: Literal["group", "company", "project"]
    id: int | None
    label: str


class ReportTrendClassOut(Schema):
    key: str
    label: str
    counts: list[int] = Field(description="one per month of ``trend.months``")


class ReportTrendOut(Schema):
    months: list[str] = Field(description="YYYY-MM, the 12 months before and the month itself")
    received: list[int]
    by_class: list[ReportTrendClassOut]
    closed: list[int]
    revisits: list[int]
    satisfaction_rate: list[float | None]
    in_time_rate: list[float | None]


class ServiceReportOut(Schema):
    month: str = Field(description="YYYY-MM")
    scope: ReportScopeOut
    received: int = Field(description="complaints received in the month")
    closed: int
    open_at_end: int
    revisits: int
    satisfaction_rate: float | None = Field(description="percent; null when nothing counted")
    in_time_rate: float | None = Field(description="percent handled within the limit")
    by_class: list[ReportLineOut] = Field(description="customer class A/B/C/D")
    by_category: list[ReportLineOut]
    by_handling: list[ReportLineOut] = Field(
        description="resolved at once / within the limit / after repeated loops"
    )
    by_satisfaction: list[ReportLineOut]
    trend: ReportTrendOut
    labels: dict[str, str] = Field(description="captions in the caller's language")


_REPORT_MONTH = r"^(?:20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])$"  # report.FIRST_MONTH … LAST_MONTH
PATTERN_MESSAGES[_REPORT_MONTH] = gettext_lazy("Give the month as YYYY-MM, e.g. 2026-10.")


class ServiceReportQuery(Schema):
    month: str | None = Field(
        None,
        pattern=_REPORT_MONTH,
        description=(
            "YYYY-MM from 2000-01 to 2100-12, not a month that has not begun "
            "(default: the last complete month)"
        ),
    )
    company_id: Id | None = Field(None, description="one company (default: all you report on)")
    project_id: Id | None = Field(None, description="one project (wins over company_id)")


@router.get("/service/report", response=ServiceReportOut)
def service_report(request, filters: Query[ServiceReportQuery]):
    """客户投诉处理统计分析报告: the month's figures and the 12 months' trend, as the report
    page (VIEW_REPORTS over the group, company or project chosen; 404 one you do not see)."""
    from . import report

    scope, _options = report.resolve_scope(
        request.user, company=filters.company_id, project=filters.project_id
    )
    month = report.parse_month(filters.month)
    return report.report_data(report.monthly_report(request.user, month=month, scope=scope))
