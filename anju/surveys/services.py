"""Every write of the surveys app: create, open and close a survey; record a response.

A survey is prepared (draft), opened — its population becomes responses, each with a link
token, and the links go out by SMS or e-mail in the background (``tasks.py``), or the
responses wait for a call — and closed. An answer is recorded once, by the customer on his
link's page or by an agent on the phone. A very dissatisfied answer gives the responsible
person a visit to make in person (SUR-4).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import record_event
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields

from . import defaults
from . import population as populations
from .models import (
    SALES_TOUCHPOINTS,
    SCALE_TOP,
    SURVEY_TRANSITIONS,
    CallOutcome,
    Measure,
    Population,
    QuestionKind,
    ResponseStatus,
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
    SurveyTemplate,
    Touchpoint,
)

FOLLOW_UP_DAYS = 3  # SUR-4: the visit in person is due within three days of the answer
TEXT_MAX = 500


def current_template(touchpoint) -> SurveyTemplate:
    """The touchpoint's current questionnaire; the default one if it has none (the data
    migration installs them, but a database emptied by hand or by a test has none).
    Not a scoped read: questionnaires are the group's configuration (no company, no personal
    data), the same for every company so that their figures compare."""
    template = SurveyTemplate.objects.filter(touchpoint=touchpoint, is_current=True).first()
    if template is None and touchpoint in defaults.NAMES:
        defaults.install(SurveyTemplate, SurveyQuestion)
        template = SurveyTemplate.objects.filter(touchpoint=touchpoint, is_current=True).first()
    if template is None:
        raise ApplicationError(_("This touchpoint has no questionnaire."), field="touchpoint")
    return template


@transaction.atomic
def survey_create(
    *,
    by,
    company,
    touchpoint: str,
    population: str,
    channel: str,
    year: int,
    project=None,
    name: str = "",
    follow_up_by=None,
) -> Survey:
    """A draft survey of one company (or one of its projects) with the touchpoint's current
    questionnaire. Who runs surveys there (RUN_SURVEYS) prepares it."""
    require_perm(by, Perm.RUN_SURVEYS, company=company, project=project)
    if project is not None and project.company_id != company.pk:
        raise Conflict(_("The project belongs to another company."), field="project_id")
    if touchpoint not in Touchpoint.values:
        raise ApplicationError(_("Unknown touchpoint."), field="touchpoint")
    if population not in Population.values:
        raise ApplicationError(_("Unknown population."), field="population")
    if (touchpoint == Touchpoint.INTERNAL) != (population == Population.STAFF):
        raise ApplicationError(
            _("The employee survey asks the staff, and only it does."), field="population"
        )
    if channel not in SurveyChannel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    if touchpoint == Touchpoint.INTERNAL and channel == SurveyChannel.PHONE:
        raise ApplicationError(
            _("Employees answer on their own link, not to a colleague on the phone."),
            field="channel",
        )
    follow_up_by = follow_up_by or by
    if not follow_up_by.is_active or follow_up_by.company_id not in (None, company.pk):
        raise ApplicationError(
            _("Choose someone of this company to follow up."), field="follow_up_by_id"
        )
    template = current_template(touchpoint)
    survey = Survey(
        company=company,
        project=project,
        name=(name or "").strip() or f"{year} {template.name}",
        template=template,
        touchpoint=touchpoint,
        population=population,
        channel=channel,
        year=year,
        created_by=by,
        follow_up_by=follow_up_by,
    )
    validate_fields(survey, ["name", "year"])
    survey.save()
    record_event(
        by=by,
        verb="surveys.survey_created",
        target=survey,
        details={"touchpoint": touchpoint, "population": population, "year": year},
    )
    return survey


def _locked(survey) -> Survey:
    return (
        Survey.objects.unscoped("locking a survey already read")
        .select_for_update()
        .get(pk=survey.pk)
    )


def _require_runner(by, survey) -> None:
    require_perm(by, Perm.RUN_SURVEYS, company=survey.company_id, project=survey.project_id)


@transaction.atomic
def survey_open(*, by, survey, site_url: str = "") -> int:
    """Open the survey: everyone of its population gets a response with a link token; the
    links go out after the commit (SMS/e-mail). Returns how many were asked."""
    _require_runner(by, survey)
    survey = _locked(survey)
    check_transition(allowed=SURVEY_TRANSITIONS, current=survey.status, to=SurveyStatus.OPEN)
    people = populations.people_of(survey)
    if not people:
        raise Conflict(_("Nobody is in this population yet."), code="empty_population")
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            company_id=survey.company_id,
            project_id=person.project_id,
            survey=survey,
            customer_id=person.customer_id,
            staff_id=person.staff_id,
            token=secrets.token_urlsafe(32),
        )
        for person in people
    )
    survey.status, survey.opened_at = SurveyStatus.OPEN, timezone.now()
    survey.save(update_fields=["status", "opened_at", "updated_at"])
    record_event(by=by, verb="surveys.survey_opened", target=survey, details={"asked": len(people)})
    if survey.channel != SurveyChannel.PHONE:
        from .tasks import send_survey_links

        base = settings.ANJU_SITE_URL or site_url
        transaction.on_commit(lambda: send_survey_links.enqueue(survey.pk, base))
    return len(people)


@transaction.atomic
def survey_close(*, by, survey) -> Survey:
    """No more answers: the links say the survey has ended."""
    _require_runner(by, survey)
    survey = _locked(survey)
    check_transition(allowed=SURVEY_TRANSITIONS, current=survey.status, to=SurveyStatus.CLOSED)
    survey.status, survey.closed_at = SurveyStatus.CLOSED, timezone.now()
    survey.save(update_fields=["status", "closed_at", "updated_at"])
    record_event(by=by, verb="surveys.survey_closed", target=survey)
    return survey


# --- questionnaires (SUR-1) --------------------------------------------------------------------

QUESTIONS_MAX = 40
# The measures a questionnaire has at most once, and the kind of question each needs.
SINGLE_MEASURES = {
    Measure.SATISFACTION: (QuestionKind.SCALE_5, QuestionKind.SCALE_10),
    Measure.BUY_AGAIN: (QuestionKind.YES_NO,),
    Measure.RECOMMEND: (QuestionKind.YES_NO,),
    Measure.NPS: (QuestionKind.SCALE_10,),
}


def _question(n, raw) -> SurveyQuestion:
    field = f"questions.{n}"
    text = str(raw.get("text") or "").strip()
    kind, measure = raw.get("kind"), raw.get("measure") or ""
    if not text:
        raise ApplicationError(_("Write the question."), field=f"{field}.text")
    if kind not in QuestionKind.values:
        raise ApplicationError(_("Unknown kind of question."), field=f"{field}.kind")
    if measure not in Measure.values:
        raise ApplicationError(_("Unknown measure."), field=f"{field}.measure")
    kinds = SINGLE_MEASURES.get(measure, (QuestionKind.SCALE_5, QuestionKind.SCALE_10))
    if measure and kind not in kinds:
        raise ApplicationError(
            _("“%(measure)s” needs a question of the kind %(kinds)s.")
            % {
                "measure": Measure(measure).label,
                "kinds": " / ".join(str(QuestionKind(k).label) for k in kinds),
            },
            field=f"{field}.kind",
        )
    choices = [str(c).strip() for c in raw.get("choices") or [] if str(c).strip()]
    if kind == QuestionKind.CHOICE and len(choices) < 2:
        raise ApplicationError(_("Give at least two choices."), field=f"{field}.choices")
    question = SurveyQuestion(
        position=n + 1,
        text=text,
        kind=kind,
        measure=measure,
        required=bool(raw.get("required", True)),
        choices=choices if kind == QuestionKind.CHOICE else [],
    )
    validate_fields(question, ["text"])
    return question


@transaction.atomic
def template_revise(*, by, template, questions: list[dict]) -> SurveyTemplate:
    """A new version of the touchpoint's questionnaire (the group's relations centre): the
    surveys already made keep the version they asked, the next ones ask this one. Each
    measure that makes a figure is on one question at most, of a kind that can give it."""
    require_perm(by, Perm.MANAGE_QUESTIONNAIRES)
    current = (
        SurveyTemplate.objects.select_for_update().filter(pk=template.pk, is_current=True).first()
    )
    if current is None:
        raise Conflict(_("Revise the current version."), code="not_current")
    if not questions or len(questions) > QUESTIONS_MAX:
        raise ApplicationError(
            _("A questionnaire has 1 to %(n)s questions.") % {"n": QUESTIONS_MAX},
            field="questions",
        )
    rows = [_question(n, raw) for n, raw in enumerate(questions)]
    for measure in SINGLE_MEASURES:
        if sum(row.measure == measure for row in rows) > 1:
            raise ApplicationError(
                _("Only one question measures “%(measure)s”.")
                % {"measure": Measure(measure).label},
                field="questions",
            )
    current.is_current = False
    current.save(update_fields=["is_current"])
    revised = SurveyTemplate.objects.create(
        touchpoint=current.touchpoint,
        name=current.name,
        version=current.version + 1,
        previous=current,
    )
    for row in rows:
        row.template = revised
    SurveyQuestion.objects.bulk_create(rows)
    return revised


# --- the links (tasks.py sends them) -----------------------------------------------------------

LINK_TEXT = "【{company}】您好，诚邀您参加{survey}，约 3 分钟：{link} 感谢您的支持！"


def link_for(response, site_url: str) -> str:
    return site_url.rstrip("/") + reverse("survey_public:answer", args=[response.token])


def send_links(survey_id: int, site_url: str) -> int:
    """Queue one message per invited customer (idempotent per response: a rerun sends
    nobody twice; consent and quiet hours are the outbox's)."""
    from anju.messaging.models import Channel, Kind
    from anju.messaging.services import message_enqueue

    survey = (
        Survey.objects.unscoped("sending a survey's links")
        .select_related("company")
        .get(pk=survey_id)
    )
    responses = (
        SurveyResponse.objects.unscoped("sending a survey's links")
        .filter(survey=survey, status=ResponseStatus.INVITED)
        .select_related("customer", "staff")
    )
    sent = 0
    for response in responses.iterator(chunk_size=500):
        customer = response.customer  # None for an employee (SUR-5): his staff account's
        person = customer or response.staff
        to = person.phone if survey.channel == SurveyChannel.SMS else person.email
        if not to or getattr(customer, "anonymised_at", None) is not None:
            continue
        body = LINK_TEXT.format(
            company=survey.company.name,
            survey=survey.template.name,
            link=link_for(response, site_url),
        )
        with transaction.atomic():
            message_enqueue(
                by=None,
                company=survey.company,
                project=response.project,
                channel=Channel.SMS if survey.channel == SurveyChannel.SMS else Channel.EMAIL,
                kind=Kind.SERVICE,
                to=to,
                subject=survey.template.name if survey.channel == SurveyChannel.EMAIL else "",
                body=body,
                idempotency_key=f"survey:{survey.pk}:{response.pk}",
                customer=customer,
                source=f"survey:{survey.pk}",
            )
        sent += 1
    return sent


# --- answers -----------------------------------------------------------------------------------


def _score(question, raw):
    text = str(raw if raw is not None else "").strip()
    if question.kind in SCALE_TOP:
        top = SCALE_TOP[question.kind]
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= top:
            raise ApplicationError(
                _("Choose from 1 to %(top)s.") % {"top": top}, field=f"q{question.pk}"
            )
        return int(text), ""
    if question.kind == QuestionKind.YES_NO:
        if text not in ("0", "1"):
            raise ApplicationError(_("Answer yes or no."), field=f"q{question.pk}")
        return int(text), ""
    if question.kind == QuestionKind.CHOICE:
        if text not in [str(c) for c in question.choices]:
            raise ApplicationError(_("Choose one of the answers."), field=f"q{question.pk}")
        return None, text
    if len(text) > TEXT_MAX:
        raise ApplicationError(
            _("Write at most %(n)s characters.") % {"n": TEXT_MAX}, field=f"q{question.pk}"
        )
    return None, text


def _answers(questions, raw: dict) -> list[SurveyAnswer]:
    answers = []
    for question in questions:
        value = raw.get(question.pk, raw.get(str(question.pk)))
        if value in (None, ""):
            if question.required:
                raise ApplicationError(_("Please answer this question."), field=f"q{question.pk}")
            continue
        score, text = _score(question, value)
        if score is None and not text:
            continue
        answers.append(SurveyAnswer(question=question, score=score, text=text))
    return answers


def very_dissatisfied(question, score) -> bool:
    """SUR-4: the lowest answer of a scale (1 of 5; 1 or 2 of 10)."""
    if score is None or question.kind not in SCALE_TOP:
        return False
    return score <= (1 if question.kind == QuestionKind.SCALE_5 else 2)


@transaction.atomic
def response_submit(*, response, answers: dict, by=None) -> SurveyResponse:
    """Record the answers (question id → value), once. ``by``: the agent asking on the phone
    (TAKE_SURVEYS where the response is); none: the customer on his link's page."""
    response = (
        SurveyResponse.objects.unscoped("locking a response already read")
        .select_for_update(of=("self",))  # the customer is an outer join: not lockable
        .select_related("survey", "customer")
        .get(pk=response.pk)
    )
    survey = response.survey
    if by is not None:
        require_perm(
            by, Perm.TAKE_SURVEYS, company=response.company_id, project=response.project_id
        )
    if survey.status != SurveyStatus.OPEN:
        raise Conflict(_("This survey has ended."), code="survey_closed")
    if response.status == ResponseStatus.ANSWERED:
        raise Conflict(_("These answers were already given. Thank you!"), code="already_answered")
    questions = list(survey.template.questions.all())
    rows = _answers(questions, answers)
    for row in rows:
        row.response = response
    try:
        with transaction.atomic():
            SurveyAnswer.objects.bulk_create(rows)
    except IntegrityError as exc:  # pragma: no cover – the lock above serialises answers
        raise Conflict(_("These answers were already given. Thank you!")) from exc
    response.status, response.answered_at = ResponseStatus.ANSWERED, timezone.now()
    response.answered_via = SurveyChannel.PHONE if by is not None else survey.channel
    response.taken_by = by
    unhappy = [row for row in rows if very_dissatisfied(row.question, row.score)]
    if unhappy and response.customer_id is not None:
        task = _visit_in_person(response, survey, unhappy, by=by)
        response.follow_up_task_id = task.pk if task is not None else None
    response.save()
    record_event(
        by=by,
        verb="surveys.response_recorded",
        target=response,
        subject=response.customer,
        details={"survey": survey.pk, "answers": len(rows), "very_dissatisfied": len(unhappy)},
    )
    return response


@transaction.atomic
def response_call_outcome(*, by, response, outcome: str) -> SurveyResponse:
    """A call that brought no answers: nobody answered (the customer stays on the list, the
    ones called least and longest ago first) or he declined (off the list, counted as asked
    and not answered)."""
    if outcome not in CallOutcome.values:
        raise ApplicationError(_("Unknown call outcome."), field="outcome")
    response = (
        SurveyResponse.objects.unscoped("locking a response already read")
        .select_for_update(of=("self",))
        .select_related("survey")
        .get(pk=response.pk)
    )
    require_perm(by, Perm.TAKE_SURVEYS, company=response.company_id, project=response.project_id)
    if response.survey.status != SurveyStatus.OPEN:
        raise Conflict(_("This survey has ended."), code="survey_closed")
    if response.status != ResponseStatus.INVITED:
        raise Conflict(_("These answers were already given. Thank you!"), code="already_answered")
    response.calls += 1
    response.last_call_at = timezone.now()
    if outcome == CallOutcome.DECLINED:
        response.status = ResponseStatus.DECLINED
    response.save(update_fields=["calls", "last_call_at", "status", "updated_at"])
    record_event(
        by=by,
        verb="surveys.call_recorded",
        target=response,
        subject=response.customer,
        details={"survey": response.survey_id, "outcome": outcome, "calls": response.calls},
    )
    return response


def _responsible(response, survey):
    """SUR-4: the customer's consultant for the sales touchpoints (if he still works here);
    otherwise, and for service touchpoints, the person the survey names."""
    owner = response.customer.owner if response.customer.owner_id else None
    if survey.touchpoint in SALES_TOUCHPOINTS and owner is not None and owner.is_active:
        return owner
    if survey.follow_up_by.is_active:
        return survey.follow_up_by
    return survey.created_by  # the person named has left: who prepared the survey


def _visit_in_person(response, survey, unhappy, *, by):
    from anju.reception.services import task_visit_in_person

    project = response.project or response.customer.project
    if project is None:
        return None
    questions = "；".join(row.question.text for row in unhappy[:3])
    return task_visit_in_person(
        by=by,
        customer=response.customer,
        project=project,
        assignee=_responsible(response, survey),
        title=(
            _("Very dissatisfied in the survey: visit in person (%(what)s)") % {"what": questions}
        )[:150],
        due_date=timezone.localdate() + timedelta(days=FOLLOW_UP_DAYS),
        source=response,
    )


def response_for_token(token: str) -> SurveyResponse:
    """The response behind a link (404 for any other text)."""
    token = (token or "").strip()
    response = None
    if 20 <= len(token) <= 43 and token.replace("-", "").replace("_", "").isalnum():
        response = (
            SurveyResponse.objects.unscoped("a survey link: its token is the key")
            .select_related("survey__template", "survey__company")
            .filter(token=token)
            .first()
        )
    if response is None:
        raise NotFound(_("This link is not valid."))
    return response


def may_take(user, response) -> bool:
    return has_perm(
        user, Perm.TAKE_SURVEYS, company=response.company_id, project=response.project_id
    )


def require_take(user, response) -> None:
    if not may_take(user, response):
        raise NotPermitted()
