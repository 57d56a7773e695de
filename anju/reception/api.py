"""Reception API (SAL-1 … SAL-5): the same selectors and services as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from anju.core.api_types import (
    Count,
    Flag,
    Id,
    Input,
    IsoDate,
    IsoDateTime,
    Money,
    Pagination,
    RefId,
    Text,
    may_answer,
    model_text,
)
from anju.core.errors import ApplicationError
from anju.core.masking import mask_phone
from anju.core.scope import get_visible_or_404
from anju.customers.api import OptionalPhone
from anju.customers.filters import API_NAMES
from anju.customers.models import Customer, Gender, Source
from anju.customers.refs import viewer
from anju.customers.selectors import customer_detail
from anju.customers.sources import SourceCode
from anju.inventory.models import Unit
from anju.org.models import Project

from . import selectors, services
from .filters import CallFilter, OpportunityFilter, TaskFilter, VisitFilter
from .models import (
    OPEN_STAGES,
    FollowUpTask,
    Opportunity,
    PhoneCall,
    Stage,
    TaskKind,
    TaskStatus,
    Visit,
)
from .services.opportunities import MAX_EXPECTED_VALUE
from .task_rows import customer_shown, title_shown

OpenStage = Literal[tuple(str(stage) for stage in OPEN_STAGES)]

router = Router(tags=["reception"])


class TaskOut(Schema):
    id: int
    kind: TaskKind
    rule: str
    status: TaskStatus
    due_date: date
    title: str
    message: str
    project_id: Id
    customer_id: Id | None = Field(
        description="null where you are not the assignee and may not open the customer's file "
        "(the title then names the customer masked; message and outcome are empty)"
    )
    assignee_id: int
    done_at: datetime | None
    outcome: str
    satisfaction: int | None
    needs_changed: bool | None

    @staticmethod
    def resolve_customer_id(obj, context):
        return obj.customer_id if customer_shown(viewer(context), obj) else None

    @staticmethod
    def resolve_title(obj, context):
        return title_shown(obj, customer_shown(viewer(context), obj))

    @staticmethod
    def resolve_message(obj, context):
        return obj.message if customer_shown(viewer(context), obj) else ""

    @staticmethod
    def resolve_outcome(obj, context):
        return obj.outcome if customer_shown(viewer(context), obj) else ""


# "phone and name, unless …" in JSON Schema's own words (if/then), next to the server's check.
_CALLER_KNOWN = {
    "properties": {
        "phone": {"minLength": 3},
        "name": {"pattern": r"\S"},
    },
    "required": ["phone", "name"],
}


class CallIn(Input):
    """A phone inquiry. Rules beyond the schema: ``phone`` and ``name`` are required unless
    ``details_declined`` (also stated as if/then); a booked visit needs both and is after the
    call, within a year; ``called_at`` is not in the future (years 2000–2099). ``rings``,
    ``answer_seconds`` and ``duration_seconds`` are what was measured: leave them out (or
    null) when not measured — the metrics then count the call as "not recorded", never as
    meeting the 3-ring standard (issue 9 item 6)."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {"details_declined": {"const": True}},
                "required": ["details_declined"],
            },
            "else": _CALLER_KNOWN,
            "examples": [
                {
                    "project_id": 1,
                    "rings": 2,
                    "answer_seconds": 8,
                    "duration_seconds": 240,
                    "phone": "13812345678",
                    "name": "王先生",
                    "source": "advertising",
                    "questions": "三房的价格和交房时间",
                    "visit_wanted": True,
                }
            ],
        }
    )

    project_id: RefId
    called_at: IsoDateTime | None = Field(None, description="default: now; not in the future")
    rings: Count(0, 99) | None = Field(None, description="null: not recorded")
    answer_seconds: Count(0, 3600) | None = Field(None, description="null: not recorded")
    duration_seconds: Count(0, 24 * 3600) | None = Field(None, description="null: not recorded")
    form_opened_at: IsoDateTime | None = Field(
        None, description="when the entry form was opened; not in the future"
    )
    phone: OptionalPhone = ""
    name: model_text(Customer, "name") = ""
    gender: Gender = Gender.UNKNOWN
    source: SourceCode = Source.HOTLINE.value
    details_declined: Flag = False
    questions: model_text(PhoneCall, "questions") = ""
    visit_wanted: Flag = False
    visit_booked_for: IsoDateTime | None = Field(None, description="after the call, within a year")


class CallOut(Schema):
    id: int
    project_id: Id
    consultant_id: int
    customer_id: Id | None
    called_at: datetime
    rings: int | None = Field(description="null: not recorded")
    answer_seconds: int | None = Field(description="null: not recorded")
    duration_seconds: int | None = Field(description="null: not recorded")
    form_opened_at: datetime | None
    phone_masked: str
    caller_name: str
    details_declined: bool
    is_repeat: bool
    questions: str
    visit_wanted: bool
    visit_booked_for: datetime | None

    @staticmethod
    def resolve_phone_masked(obj):
        return mask_phone(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_customer_id(obj):
        # A call on a colleague's protected customer names no customer to its caller
        # (issue 7 item 1); calls come from selectors that say whether he may see it.
        return obj.customer_id if getattr(obj, "customer_visible", False) else None


class CallLogged(Schema):
    call: CallOut
    customer_id: Id | None
    tasks: list[TaskOut]
    message: str


def _project(request, project_id):
    return get_visible_or_404(Project, request.user, pk=project_id)


@router.post("/calls", response={201: CallLogged}, openapi_extra=may_answer(409))
def log_call(request, payload: CallIn):
    """Log a phone inquiry (SAL-1); the follow-up tasks (SAL-2) come back with it."""
    data = payload.dict()
    project = _project(request, data.pop("project_id"))
    result = services.call_log(by=request.user, project=project, **data)
    return Status(
        201,
        {
            "call": result.call,
            "customer_id": result.customer.pk if result.customer else None,
            "tasks": result.tasks,
            "message": result.message,
        },
    )


# The lists' query parameters, built from the FilterSets that parse them for the page, the
# API and the export (issue 7 item 16), so the document states what they accept (issue 8).
# date_from ≤ date_to.
CallQuery = CallFilter.api_schema("CallQuery")
VisitQuery = VisitFilter.api_schema("VisitQuery")
TaskQuery = TaskFilter.api_schema("TaskQuery", exclude=("mine",))
OpportunityQuery = OpportunityFilter.api_schema("OpportunityQuery")


def _rows(request, filter_class, filters, **fixed):
    data = {**filters.dict(exclude_none=True), **fixed}
    return filter_class.from_api(data, user=request.user).rows_or_error(API_NAMES)


@router.get("/calls", response=list[CallOut])
@paginate(Pagination, page_size=50)
def list_calls(request, filters: Query[CallQuery]):
    return _rows(request, CallFilter, filters)


@router.get("/calls/{int:call_id}", response=CallOut)
def get_call(request, call_id: Id):
    return selectors.call_detail(request.user, call_id)


class VisitIn(Input):
    """A visit to the sales office. Rules beyond the schema: a new visitor (no
    ``customer_id``) needs ``phone`` and ``name`` (also stated as if/then); ``arrived_at`` ≤
    ``reception_started_at`` ≤ arrival + 12 h, neither in the future (years 2000–2099); risk
    factors of the visit's project; ``unit_ids`` and ``layouts`` from the project's inventory
    (``products_shown`` is then their names, plus any note sent); ``booked_call_id``: the call
    that booked this visit, a call of this customer that booked one — left out, the call that
    booked a visit for the arrival day is linked if there is one. ``reception_started_at`` may be left out when it was not
    noted: the wait is then "not recorded" in the metrics, never within the 1-minute
    standard (issue 9 item 6)."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"customer_id": {"type": "integer"}}, "required": ["customer_id"]},
            "else": _CALLER_KNOWN,
            "examples": [
                {
                    "project_id": 1,
                    "arrived_at": "2026-11-25T10:02:00+08:00",
                    "reception_started_at": "2026-11-25T10:05:00+08:00",
                    "phone": "13812345678",
                    "name": "王先生",
                    "party_size": 3,
                    "products_shown": "样板房 A 户型",
                    "risk_factor_ids": [],
                }
            ],
        }
    )

    project_id: RefId
    arrived_at: IsoDateTime
    reception_started_at: IsoDateTime | None = Field(None, description="null: not recorded")
    form_opened_at: IsoDateTime | None = Field(
        None, description="when the entry form was opened; not in the future"
    )
    customer_id: RefId | None = None
    phone: OptionalPhone = ""
    name: model_text(Customer, "name") = ""
    gender: Gender = Gender.UNKNOWN
    source: SourceCode = Source.WALK_BY.value
    party_size: Count(1, 50) = 1
    products_shown: model_text(Visit, "products_shown") = ""
    unit_ids: list[RefId] = Field([], max_length=200)
    layouts: list[model_text(Unit, "layout", required=True)] = Field([], max_length=50)
    booked_call_id: RefId | None = None
    risk_factor_ids: list[RefId] = Field([], max_length=200)
    club_invited: Flag = False
    next_step: model_text(Visit, "next_step") = ""


class VisitOut(Schema):
    id: int
    project_id: Id
    consultant_id: int = Field(description="the consultant credited (a protected customer's owner)")
    received_by_id: int | None = Field(description="the consultant who received the visitor")
    customer_id: Id | None = Field(description="null: a colleague's customer you may not see")
    arrived_at: datetime
    reception_started_at: datetime | None = Field(description="null: not recorded")
    waiting_seconds: int | None = Field(description="null: not recorded")
    form_opened_at: datetime | None
    party_size: int
    products_shown: str
    unit_ids: list[int] = Field(description="units shown, from the project's inventory")
    layouts_shown: list[str]
    booked_call_id: int | None = Field(
        description="the call that booked this visit; null too for a customer you may not see"
    )
    risk_factors_total: int
    risk_factors_disclosed_count: int
    club_invited: bool
    next_step: str

    @staticmethod
    def resolve_customer_id(obj):
        return obj.customer_id if getattr(obj, "customer_visible", False) else None

    @staticmethod
    def resolve_booked_call_id(obj):
        # a protected customer's own booking call is his consultant's, not the receiver's
        return obj.booked_call_id if getattr(obj, "customer_visible", False) else None

    @staticmethod
    def resolve_unit_ids(obj):
        return sorted(u.pk for u in obj.units_shown.all())


class VisitRegistered(Schema):
    visit: VisitOut
    protected_elsewhere: bool = Field(
        description="a colleague's protected customer: credited to the owner, who is notified"
    )
    risk_factor_ids_disclosed: list[int]
    risk_factor_ids_missing: list[int]
    message: str


_VISIT_API_FIELDS = {
    "risk_factors": "risk_factor_ids",
    "units_shown": "unit_ids",
    "layouts_shown": "layouts",
    "booked_call": "booked_call_id",
}


@router.post("/visits", response={201: VisitRegistered}, openapi_extra=may_answer(409))
def register_visit(request, payload: VisitIn):
    """Register a visit (SAL-3) with the risk factors disclosed; missing ones are listed."""
    data = payload.dict()
    project = _project(request, data.pop("project_id"))
    customer_id = data.pop("customer_id")
    customer = customer_detail(request.user, customer_id) if customer_id else None
    factor_ids = data.pop("risk_factor_ids")
    call_id = data.pop("booked_call_id")
    booked_call = selectors.call_detail(request.user, call_id) if call_id else None
    try:
        result = services.visit_register(
            by=request.user,
            project=project,
            customer=customer,
            risk_factors=factor_ids,
            units_shown=data.pop("unit_ids"),
            layouts_shown=data.pop("layouts"),
            booked_call=booked_call,
            **data,
        )
    except ApplicationError as exc:
        # the form's fields, by the API's names
        exc.field = _VISIT_API_FIELDS.get(exc.field, exc.field)
        raise
    return Status(
        201,
        {
            "visit": result.visit,
            "risk_factor_ids_disclosed": sorted(set(factor_ids)),
            "risk_factor_ids_missing": [f.pk for f in result.missing_risk_factors],
            "protected_elsewhere": result.protected_elsewhere,
            "message": result.message,
        },
    )


@router.get("/visits", response=list[VisitOut])
@paginate(Pagination, page_size=50)
def list_visits(request, filters: Query[VisitQuery]):
    return _rows(request, VisitFilter, filters)


@router.get("/visits/{int:visit_id}", response=VisitOut)
def get_visit(request, visit_id: Id):
    return selectors.visit_detail(request.user, visit_id)


class RiskFactorOut(Schema):
    id: int
    project_id: Id
    title: str
    description: str
    is_active: bool


@router.get("/risk-factors", response=list[RiskFactorOut])
def list_risk_factors(request, project_id: Id):
    project = _project(request, project_id)
    return list(selectors.risk_factors_of(project))


@router.get("/tasks", response=list[TaskOut])
@paginate(Pagination, page_size=100)
def list_my_tasks(request, filters: Query[TaskQuery]):
    """My follow-up tasks; ``bucket`` = overdue | today | upcoming (open tasks)."""
    # the caller's own tasks; TaskOut shows the task's own columns: no joined rows
    return _rows(request, TaskFilter, filters, mine="true").select_related(None)


class TaskCompleteIn(Input):
    """Rules beyond the schema: ``outcome`` is required except for an SMS task; only an
    open task can be completed (409 otherwise)."""

    outcome: model_text(FollowUpTask, "outcome") = ""
    satisfaction: Count(1, 5) | None = None
    needs_changed: Flag | None = None


@router.post("/tasks/{int:task_id}/complete", response=TaskOut, openapi_extra=may_answer(409))
def complete_task(request, task_id: Id, payload: TaskCompleteIn):
    task = selectors.task_detail(request.user, task_id)
    return services.task_complete(by=request.user, task=task, **payload.dict())


@router.get("/tasks/{int:task_id}", response=TaskOut)
def get_task(request, task_id: Id):
    return selectors.task_detail(request.user, task_id)


class TaskCancelIn(Input):
    reason: Text(500, required=True)


@router.post("/tasks/{int:task_id}/cancel", response=TaskOut, openapi_extra=may_answer(409))
def cancel_task(request, task_id: Id, payload: TaskCancelIn):
    task = selectors.task_detail(request.user, task_id)
    return services.task_cancel(by=request.user, task=task, reason=payload.reason)


class OpportunityIn(Input):
    """Rules beyond the schema: the project (default: the visit's, else the customer's) is of
    the customer's company; a new opportunity starts in an open stage;
    ``products_of_interest`` is required unless ``visit_id`` names a visit of this customer
    that showed products: the opportunity then carries that visit's units and layouts."""

    model_config = ConfigDict(
        json_schema_extra={
            # "products_of_interest is required unless visit_id …" as JSON Schema says it
            "if": {"properties": {"visit_id": {"type": "integer"}}, "required": ["visit_id"]},
            "else": {
                "properties": {"products_of_interest": {"pattern": r"\S"}},
                "required": ["products_of_interest"],
            },
            "examples": [
                {
                    "customer_id": 1,
                    "products_of_interest": "2栋 高层 · 四室两厅 128㎡",
                    "expected_value": "5800000.00",
                    "stage": "needs",
                }
            ],
        }
    )

    customer_id: RefId
    project_id: RefId | None = None
    products_of_interest: model_text(Opportunity, "products_of_interest") = ""
    visit_id: RefId | None = None
    expected_value: Money(MAX_EXPECTED_VALUE)
    stage: OpenStage = Stage.CONTACT
    expected_close: IsoDate | None = None


class OpportunityOut(Schema):
    id: int
    project_id: Id
    consultant_id: int
    customer_id: Id | None = Field(
        description="null when the customer is another project's, out of the caller's sight"
    )
    stage: Stage
    products_of_interest: str
    source_visit_id: int | None = Field(description="the visit it was opened from")
    expected_value: Decimal
    expected_close: date | None
    win_reason_id: int | None
    loss_reason_id: int | None
    close_note: str
    closed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_customer_id(obj):
        return obj.customer_id if getattr(obj, "customer_visible", False) else None


@router.post("/opportunities", response={201: OpportunityOut}, openapi_extra=may_answer(409))
def open_opportunity(request, payload: OpportunityIn):
    customer = customer_detail(request.user, payload.customer_id)
    project = _project(request, payload.project_id) if payload.project_id else None
    visit = selectors.visit_detail(request.user, payload.visit_id) if payload.visit_id else None
    opportunity = services.opportunity_open(
        by=request.user,
        customer=customer,
        project=project,
        visit=visit,
        products_of_interest=payload.products_of_interest,
        expected_value=payload.expected_value,
        stage=payload.stage,
        expected_close=payload.expected_close,
    )
    opportunity.customer_visible = True  # read above through his scope: he sees him
    return Status(201, opportunity)


@router.get("/opportunities", response=list[OpportunityOut])
@paginate(Pagination, page_size=50)
def list_opportunities(request, filters: Query[OpportunityQuery]):
    """Opportunities you may see; open ones unless ``state`` says otherwise (as the page)."""
    return _rows(request, OpportunityFilter, filters)


@router.get("/opportunities/{int:opportunity_id}", response=OpportunityOut)
def get_opportunity(request, opportunity_id: Id):
    return selectors.opportunity_detail(request.user, opportunity_id)


class StageIn(Input):
    stage: OpenStage = Field(description="another open stage; close with /close")


@router.post(
    "/opportunities/{int:opportunity_id}/stage",
    response=OpportunityOut,
    openapi_extra=may_answer(409),
)
def move_opportunity(request, opportunity_id: Id, payload: StageIn):
    """Move an open opportunity to another open stage (SAL-4); closing has its own endpoint."""
    opportunity = selectors.opportunity_detail(request.user, opportunity_id)
    moved = services.opportunity_advance(
        by=request.user, opportunity=opportunity, stage=payload.stage
    )
    moved.customer_visible = opportunity.customer_visible  # the same customer, as seen
    return moved


class CloseIn(Input):
    """``reason_id``: one of the company's win (``won``) or loss reasons, required."""

    won: Flag
    reason_id: RefId
    note: model_text(Opportunity, "close_note") = ""


@router.post(
    "/opportunities/{int:opportunity_id}/close",
    response=OpportunityOut,
    openapi_extra=may_answer(409),
)
def close_opportunity(request, opportunity_id: Id, payload: CloseIn):
    """Close as won or lost; ``reason_id`` from the company's win or loss reasons (SAL-4)."""
    opportunity = selectors.opportunity_detail(request.user, opportunity_id)
    closed = services.opportunity_close(
        by=request.user,
        opportunity=opportunity,
        won=payload.won,
        reason=payload.reason_id,
        note=payload.note,
    )
    closed.customer_visible = opportunity.customer_visible  # the same customer, as seen
    return closed


class ReasonOut(Schema):
    id: int
    name: str


class ReasonsOut(Schema):
    win: list[ReasonOut]
    loss: list[ReasonOut]


@router.get("/opportunity-reasons", response=ReasonsOut)
def list_reasons(request, project_id: Id):
    project = _project(request, project_id)
    return {
        "win": list(selectors.reasons_for(project.company_id, won=True)),
        "loss": list(selectors.reasons_for(project.company_id, won=False)),
    }
