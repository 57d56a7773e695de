"""Satisfaction surveys API (SUR-1 … SUR-4): surveys, phone answers, the figures.

The same selectors and services as the pages (SEC-1): a survey or response outside the
caller's scope is 404; preparing, opening and closing need ``RUN_SURVEYS``, recording
answers on the phone ``TAKE_SURVEYS``, the figures ``VIEW_REPORTS`` (403).
"""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_types import Id, Input, Pagination, RefId, Text, may_answer, model_text
from anju.core.errors import NotFound
from anju.core.masking import mask_phone
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404
from anju.customers.refs import customer_id_for, customer_name_for
from anju.org.models import Company, Project

from . import figures, selectors, services
from .models import (
    CallOutcome,
    Population,
    QuestionKind,
    ResponseStatus,
    Survey,
    SurveyChannel,
    SurveyStatus,
    Touchpoint,
)
from .views import _require_survey_staff

router = Router(tags=["surveys"])


class QuestionOut(Schema):
    id: int
    position: int
    text: str
    kind: QuestionKind
    choices: list[str]
    measure: str = Field(
        description="what it counts toward: satisfaction, indicator, "
        "buy_again, recommend, nps, or empty"
    )
    required: bool


class SurveyOut(Schema):
    id: int
    name: str
    company_id: Id
    project_id: Id | None
    touchpoint: Touchpoint
    population: Population
    channel: SurveyChannel
    year: int
    status: SurveyStatus
    template_id: int
    template_version: int
    follow_up_by_id: Id
    opened_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_template_version(obj):
        return obj.template.version


class SurveyDetailOut(SurveyOut):
    asked: int
    answered: int
    questions: list[QuestionOut]


class SurveyIn(Input):
    """A draft survey. ``population`` ``staff`` goes with ``touchpoint`` ``internal``, and
    only with it, and employees are not asked by ``channel`` ``phone`` (422 otherwise);
    ``follow_up_by_id`` is an active person of the company."""

    company_id: RefId
    project_id: RefId | None = None
    touchpoint: Touchpoint
    population: Population
    channel: SurveyChannel
    year: int = Field(ge=2000, le=2100)
    name: model_text(Survey, "name") = ""
    follow_up_by_id: RefId | None = Field(
        None,
        description="who visits very dissatisfied customers of service touchpoints (default: you)",
    )


class SurveyQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    touchpoint: Touchpoint | None = None
    status: SurveyStatus | None = None


class OpenedOut(Schema):
    asked: int = Field(description="people asked: responses created")


class ToCallOut(Schema):
    id: int = Field(
        description="the response: record its answers with POST /survey-responses/{id}/answers"
    )
    customer_id: int | None = Field(description="null where you may not open the customer")
    customer_name: str = Field(description="masked where you may not open the customer")
    phone: str = Field(
        description="masked; reveal it to call with POST /customers/{customer_id}/reveal/phone"
    )
    project_id: Id | None

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.customer.phone) if obj.customer.phone else ""

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer)

    @staticmethod
    def resolve_customer_name(obj, context):
        return customer_name_for(context, obj.customer)


class AnswerIn(Schema):
    question_id: RefId
    value: Text(
        500,
        required=True,
        multiline=True,
        description="a scale's number, 1/0 for yes/no, a choice as written, or the text",
    )


class AnswersIn(Input):
    answers: list[AnswerIn] = Field(max_length=100)


class ResponseOut(Schema):
    id: int
    survey_id: int
    status: ResponseStatus
    answered_at: datetime | None
    follow_up_task_id: int | None = Field(
        description="the visit in person a very dissatisfied answer gave (SUR-4)"
    )
    calls: int = Field(description="calls that brought no answers")
    last_call_at: datetime | None


class CountsOut(Schema):
    asked: int
    answered: int
    satisfaction_rate: Decimal | None = Field(description="percent: the top two answers")
    loyalty_rate: Decimal | None = Field(description="percent: would buy again and recommend")
    nps: Decimal | None = Field(description="promoters minus detractors, in points")


class CompanyFiguresOut(Schema):
    company_id: int
    name: str
    rank: int | None = Field(description="by satisfaction rate among the group's companies")
    change: Decimal | None = Field(description="satisfaction rate against last year, points")
    figures: CountsOut


class TouchpointFiguresOut(Schema):
    touchpoint: Touchpoint
    label: str
    figures: CountsOut = Field(description="everything you see together")
    change: Decimal | None
    group: CountsOut = Field(description="every company of the group")
    companies: list[CompanyFiguresOut]


class FiguresQuery(Schema):
    year: int | None = Field(None, ge=2001, le=2100, description="default: this year")
    project_id: Id | None = None


def _counts(counts) -> dict:
    return {
        "asked": counts.asked,
        "answered": counts.answered,
        "satisfaction_rate": counts.satisfaction_rate,
        "loyalty_rate": counts.loyalty_rate,
        "nps": counts.nps,
    }


def _detail(user, survey_id):
    """The survey with its counts and questions, as ``SurveyDetailOut`` reads it."""
    survey = selectors.survey_detail(user, survey_id)
    counts = selectors.response_counts(survey)
    survey.asked, survey.answered = counts["asked"], counts["answered"]
    survey.questions = list(survey.template.questions.all())
    return survey


@router.get("/surveys", response=list[SurveyOut])
@paginate(Pagination, page_size=50)
def list_surveys(request, filters: Query[SurveyQuery]):
    """The surveys you may see (who runs or takes surveys), newest year first."""
    _require_survey_staff(request.user)
    rows = selectors.surveys_visible_to(request.user)
    for name in ("year", "touchpoint", "status"):
        value = getattr(filters, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    return rows


@router.post("/surveys", response={201: SurveyDetailOut}, openapi_extra=may_answer(409))
def create_survey(request, payload: SurveyIn):
    user = request.user
    company = get_visible_or_404(Company, user, pk=payload.company_id)
    project = None
    if payload.project_id is not None:
        project = get_visible_or_404(Project, user, pk=payload.project_id)
    follow_up_by = None
    if payload.follow_up_by_id is not None:
        from anju.org.selectors import staff_visible_to

        staff = staff_visible_to(user).filter(company=company, is_active=True)
        follow_up_by = staff.filter(pk=payload.follow_up_by_id).first()
        if follow_up_by is None:  # no one of this company by that id
            raise NotFound(_("Not found."), field="follow_up_by_id")
    survey = services.survey_create(
        by=user,
        company=company,
        project=project,
        touchpoint=payload.touchpoint,
        population=payload.population,
        channel=payload.channel,
        year=payload.year,
        name=payload.name,
        follow_up_by=follow_up_by,
    )
    return Status(201, _detail(user, survey.pk))


@router.get("/surveys/{int:survey_id}", response=SurveyDetailOut)
def get_survey(request, survey_id: Id):
    detail = _detail(request.user, survey_id)
    _require_survey_staff(request.user)
    return detail


@router.post("/surveys/{int:survey_id}/open", response=OpenedOut, openapi_extra=may_answer(409))
def open_survey(request, survey_id: Id):
    """Ask the population: one response each; SMS/e-mail links go out in the background
    (409 ``invalid_transition`` if not a draft, ``empty_population`` if nobody is in it)."""
    survey = selectors.survey_detail(request.user, survey_id)
    asked = services.survey_open(
        by=request.user, survey=survey, site_url=request.build_absolute_uri("/")
    )
    return {"asked": asked}


@router.post(
    "/surveys/{int:survey_id}/close", response=SurveyDetailOut, openapi_extra=may_answer(409)
)
def close_survey(request, survey_id: Id):
    survey = selectors.survey_detail(request.user, survey_id)
    services.survey_close(by=request.user, survey=survey)
    return _detail(request.user, survey_id)


@router.get("/surveys/{int:survey_id}/to-call", response=list[ToCallOut])
@paginate(Pagination, page_size=50)
def to_call(request, survey_id: Id):
    """The customers still to answer whom you may call (TAKE_SURVEYS)."""
    survey = selectors.survey_detail(request.user, survey_id)
    require_perm(request.user, Perm.TAKE_SURVEYS, company=survey.company_id)
    return selectors.phone_list(request.user, survey)


@router.post(
    "/survey-responses/{int:response_id}/answers",
    response=ResponseOut,
    openapi_extra=may_answer(409),
)
def record_answers(request, response_id: Id, payload: AnswersIn):
    """Answers taken on the phone, once (409 ``already_answered``, ``survey_closed``). Every
    required question of the survey's questionnaire (``GET /surveys/{id}``) is answered, in
    its kind: a scale's number (1–5 or 1–10), 1 or 0 for yes/no, a choice as written, or a
    text; anything else is 422 with ``field`` ``q<question id>``."""
    response = selectors.response_to_take(request.user, response_id)
    services.require_take(request.user, response)
    answers = {a.question_id: a.value for a in payload.answers}
    return services.response_submit(response=response, answers=answers, by=request.user)


class CallOutcomeIn(Input):
    outcome: CallOutcome = Field(
        description="no_answer: called, nobody answered (stays on the list); declined: he "
        "declined the survey (off the list)"
    )


@router.post(
    "/survey-responses/{int:response_id}/call-outcome",
    response=ResponseOut,
    openapi_extra=may_answer(409),
)
def record_call_outcome(request, response_id: Id, payload: CallOutcomeIn):
    """A call without answers (409 ``already_answered``, ``survey_closed``)."""
    response = selectors.response_to_take(request.user, response_id)
    return services.response_call_outcome(
        by=request.user, response=response, outcome=payload.outcome
    )


@router.get("/survey-figures", response=list[TouchpointFiguresOut])
def survey_figures(request, filters: Query[FiguresQuery]):
    """SUR-3: per touchpoint, the year's satisfaction rate, loyalty and NPS with last year's
    change, per company you see (ranked among the group's) and for the whole group."""
    require_perm(request.user, Perm.VIEW_REPORTS)
    year = filters.year or timezone.localdate().year
    project = None
    if filters.project_id is not None:
        project = get_visible_or_404(Project, request.user, pk=filters.project_id)
    return [
        {
            "touchpoint": tp.touchpoint,
            "label": tp.label,
            "figures": _counts(tp.group),
            "change": tp.change,
            "group": _counts(tp.whole_group),
            "companies": [
                {
                    "company_id": line.company_id,
                    "name": line.name,
                    "rank": line.rank,
                    "change": line.change,
                    "figures": _counts(line.counts),
                }
                for line in tp.companies
            ],
        }
        for tp in figures.yearly_figures(request.user, year=year, project=project)
    ]
