"""Satisfaction surveys (SUR-1 … SUR-5): questionnaires, populations by owner stage, links by
SMS, answers once, the visit in person after a very dissatisfied answer, and the figures."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.deals.models import Contract
from anju.messaging.models import Message
from anju.reception.models import FollowUpTask, TaskKind
from anju.service.delivery_models import KeyHandover
from anju.surveys import defaults, figures, population, services
from anju.surveys.models import (
    Population,
    ResponseStatus,
    SurveyChannel,
    SurveyResponse,
    SurveyTemplate,
    Touchpoint,
)

pytestmark = pytest.mark.django_db

YEAR = 2031  # apart from the demo's surveys


def _survey(world, *, touchpoint=Touchpoint.SALES, channel=SurveyChannel.PHONE, year=YEAR, **kw):
    kw.setdefault("population", Population.ALL_OWNERS)
    return services.survey_create(
        by=world.users["servicemgr"],
        company=world.companies["sz"],
        touchpoint=touchpoint,
        channel=channel,
        year=year,
        **kw,
    )


def _opened(world, **kw):
    survey = _survey(world, **kw)
    services.survey_open(by=world.users["servicemgr"], survey=survey, site_url="https://crm.test")
    return survey


def _answers(survey, score=5, again=1, recommend=1, nps=10):
    by_measure = {"indicator": score, "satisfaction": score, "buy_again": again}
    by_measure |= {"recommend": recommend, "nps": nps}
    return {
        q.pk: by_measure[q.measure]
        for q in survey.template.questions.all()
        if q.measure in by_measure
    }


def _responses(survey):
    return list(SurveyResponse.objects.unscoped("test").filter(survey=survey).order_by("pk"))


# --- SUR-1: the questionnaires ---------------------------------------------------------------


def test_every_touchpoint_has_its_questionnaire_and_sales_carries_the_ten_indicators(world):
    current = {t.touchpoint: t for t in SurveyTemplate.objects.filter(is_current=True)}
    assert set(current) == set(Touchpoint.values)
    sales = [q.text for q in current["sales"].questions.filter(measure="indicator")]
    assert sales == defaults.SALES_INDICATORS and len(sales) == 10
    for template in current.values():
        measures = set(template.questions.values_list("measure", flat=True))
        assert {"satisfaction", "nps"} <= measures, template.touchpoint


# --- SUR-2: populations by owner stage -----------------------------------------------------------


@pytest.mark.parametrize(
    ("delivered", "stage"),
    [
        (None, Population.PRE_OWNERS),
        (datetime.date(2026, 1, 10), Population.SETTLING),
        (datetime.date(2025, 11, 28), Population.SETTLING),  # a year tomorrow
        (datetime.date(2025, 11, 27), Population.STABLE),
        (datetime.date(2024, 11, 28), Population.STABLE),
        (datetime.date(2024, 11, 27), Population.ESTABLISHED),
        (datetime.date(2019, 5, 1), Population.ESTABLISHED),
    ],
)
def test_owner_stage_by_years_since_delivery(delivered, stage):
    today = datetime.date(2026, 11, 27)
    moment = None
    if delivered is not None:
        moment = timezone.make_aware(datetime.datetime.combine(delivered, datetime.time(10)))
    assert population.stage_of(moment, today) == stage


def test_a_population_is_the_company_s_owners_in_that_stage(world):
    signed = list(
        Contract.objects.unscoped("test").filter(
            company=world.companies["sz"], cancelled_at__isnull=True
        )
    )
    assert len(signed) >= 3
    handover = KeyHandover.objects.unscoped("test").filter(company=world.companies["sz"]).first()
    delivered_unit = handover.unit_id
    owner = handover.customer_id
    KeyHandover.objects.unscoped("test").filter(pk=handover.pk).update(
        handed_at=timezone.now() - datetime.timedelta(days=500)
    )
    stable = _survey(world, population=Population.STABLE)
    assert [p.customer_id for p in population.people_of(stable)] == [owner]
    pre = _survey(world, population=Population.PRE_OWNERS)
    pre_owners = {p.customer_id for p in population.people_of(pre)}
    assert owner not in pre_owners or any(
        c.subscription.unit_id != delivered_unit and c.subscription.customer_id == owner
        for c in signed
    )
    assert pre_owners and pre_owners <= {c.subscription.customer_id for c in signed}
    everyone = population.people_of(_survey(world))
    assert len(everyone) == len({c.subscription.customer_id for c in signed})  # once each
    assert not population.people_of(_survey(world, population=Population.ESTABLISHED))


def test_the_employee_survey_asks_the_staff_and_only_it(world):
    with pytest.raises(ApplicationError):
        _survey(world, touchpoint=Touchpoint.INTERNAL, channel=SurveyChannel.SMS)
    with pytest.raises(ApplicationError):
        _survey(world, population=Population.STAFF)
    engineer = world.users["engineer"]
    engineer.phone = "13800138111"
    engineer.save(update_fields=["phone"])
    internal = _opened(
        world,
        touchpoint=Touchpoint.INTERNAL,
        population=Population.STAFF,
        channel=SurveyChannel.SMS,
    )
    asked = {r.staff_id for r in _responses(internal)}
    assert engineer.pk in asked and world.users["consultant_zh"].pk not in asked
    services.send_links(internal.pk, "https://crm.test")  # the employee's link, by SMS
    sms = Message.objects.unscoped("test").get(source=f"survey:{internal.pk}", to=engineer.phone)
    assert "/q/" in sms.body and sms.customer_id is None


# --- opening: the links --------------------------------------------------------------------------


def test_opening_sends_each_owner_his_own_link_by_sms(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        survey = _opened(world, channel=SurveyChannel.SMS)
    responses = _responses(survey)
    messages = Message.objects.unscoped("test").filter(source=f"survey:{survey.pk}")
    with_phone = [r for r in responses if r.customer.phone]
    assert messages.count() == len(with_phone) > 0
    first = messages.get(idempotency_key=f"survey:{survey.pk}:{with_phone[0].pk}")
    link = re.search(r"https://crm\.test(/q/\S+/)", first.body)[1]
    assert with_phone[0].token in link
    assert with_phone[0].customer.name not in first.body  # the SMS says who asks, not who he is
    # the customer answers on his phone, without logging in
    page = client.get(link)
    assert page.status_code == 200 and "深圳公司" in page.content.decode()
    assert with_phone[0].customer.name not in page.content.decode()
    form = {f"q{k}": v for k, v in _answers(survey).items()}
    done = client.post(link, form)
    assert 'data-testid="survey-thanks"' in done.content.decode()
    again = client.post(link, form)
    assert "already" in again.content.decode() or "已" in again.content.decode()
    services.send_links(survey.pk, "https://crm.test")
    assert messages.count() == len(with_phone)  # a rerun sends nobody twice


def test_a_link_of_a_closed_survey_says_it_ended_and_a_wrong_one_is_404(world, client):
    survey = _opened(world)
    response = _responses(survey)[0]
    services.survey_close(by=world.users["servicemgr"], survey=survey)
    assert client.get(f"/q/{response.token}/").status_code == 410
    assert client.get("/q/not-a-token-at-all-but-long-enough/").status_code == 404


def test_a_survey_opens_once_and_closes_once(world):
    survey = _opened(world)
    with pytest.raises(Conflict):
        services.survey_open(by=world.users["servicemgr"], survey=survey)
    services.survey_close(by=world.users["servicemgr"], survey=survey)
    with pytest.raises(Conflict):
        services.survey_close(by=world.users["servicemgr"], survey=survey)


def test_who_may_run_and_who_may_take_surveys(world):
    for who in ("consultant", "engineer", "service"):  # the agent asks; he does not prepare
        with pytest.raises(NotPermitted):
            services.survey_create(
                by=world.users[who],
                company=world.companies["sz"],
                touchpoint=Touchpoint.SALES,
                population=Population.ALL_OWNERS,
                channel=SurveyChannel.PHONE,
                year=YEAR,
            )
    survey = _opened(world)
    response = _responses(survey)[0]
    with pytest.raises(NotPermitted):
        services.response_submit(
            response=response, answers=_answers(survey), by=world.users["consultant"]
        )
    services.response_submit(response=response, answers=_answers(survey), by=world.users["service"])


# --- answers -------------------------------------------------------------------------------------


def test_a_bad_answer_is_refused_with_its_question_and_nothing_is_written(world):
    survey = _opened(world)
    response = _responses(survey)[0]
    answers = _answers(survey)
    overall = survey.template.questions.get(measure="satisfaction")
    answers[overall.pk] = 6  # of 5
    with pytest.raises(ApplicationError) as refused:
        services.response_submit(response=response, answers=answers, by=world.users["service"])
    assert refused.value.field == f"q{overall.pk}"
    del answers[overall.pk]
    with pytest.raises(ApplicationError) as missing:
        services.response_submit(response=response, answers=answers, by=world.users["service"])
    assert missing.value.field == f"q{overall.pk}"
    response.refresh_from_db()
    assert response.status == ResponseStatus.INVITED and not response.answers.exists()


# --- SUR-4: a very dissatisfied answer is visited in person ----------------------------------------


def test_very_dissatisfied_sales_answer_sends_the_consultant_to_the_customer(world):
    survey = _opened(world)
    response = next(r for r in _responses(survey) if r.customer.owner_id)
    services.response_submit(
        response=response, answers=_answers(survey, score=1), by=world.users["service"]
    )
    task = FollowUpTask.objects.unscoped("test").get(pk=response_task(response))
    assert task.kind == TaskKind.IN_PERSON and task.customer_id == response.customer_id
    assert task.assignee_id == response.customer.owner_id
    assert task.due_date == timezone.localdate() + datetime.timedelta(days=3)


def test_very_dissatisfied_repair_answer_goes_to_the_person_the_survey_names(world):
    engineer = world.users["engineer"]
    survey = _survey(world, touchpoint=Touchpoint.REPAIR, follow_up_by=engineer)
    services.survey_open(by=world.users["servicemgr"], survey=survey)
    happy, unhappy = _responses(survey)[:2]
    services.response_submit(response=happy, answers=_answers(survey, score=3), by=None)
    services.response_submit(response=unhappy, answers=_answers(survey, score=1), by=None)
    assert response_task(happy) is None
    assert FollowUpTask.objects.unscoped("test").get(pk=response_task(unhappy)).assignee == engineer


def response_task(response):
    response.refresh_from_db()
    return response.follow_up_task_id


# --- SUR-3: the figures --------------------------------------------------------------------------


def test_the_figures_count_top_two_loyalty_and_nps_year_on_year_and_rank(world):
    group = world.users["group"]
    last = _opened(world, year=YEAR - 1)
    for response, score in zip(_responses(last), [5, 2, 2, 2], strict=False):
        services.response_submit(response=response, answers=_answers(last, score=score), by=group)
    this = _opened(world)
    rows = [(5, 1, 1, 10), (4, 1, 0, 9), (3, 0, 1, 5), (5, 1, 1, 8)]
    for response, (score, again, rec, nps) in zip(_responses(this), rows, strict=False):
        services.response_submit(
            response=response,
            answers=_answers(this, score=score, again=again, recommend=rec, nps=nps),
            by=group,
        )
    answered = min(len(rows), len(_responses(this)))
    assert answered == 4, "the demo's 深圳 company has at least four buyers"
    (sales,) = [f for f in figures.yearly_figures(group, year=YEAR) if f.touchpoint == "sales"]
    counts = sales.group
    assert counts.answered == 4 and counts.asked == len(_responses(this))
    assert counts.satisfaction_rate == 75  # 5, 4, 5 of 5, 4, 3, 5
    assert counts.loyalty_rate == 50  # both yes: the first and the last
    assert counts.nps == 25  # promoters 10, 9 (50%), detractor 5 (25%)
    assert sales.change == 50  # 75 against 25 last year
    (sz,) = sales.companies
    assert sz.rank == 1 and sz.change == 50
    rates = dict(
        (text, rate)
        for text, _n, rate in figures.indicator_rates(group, year=YEAR, touchpoint="sales")
    )
    assert rates[defaults.SALES_INDICATORS[0]] == 75


def test_a_company_sees_its_own_line_and_its_rank_among_all(world):
    group = world.users["group"]
    sz = _opened(world)
    zh = services.survey_create(
        by=group,
        company=world.companies["zh"],
        touchpoint=Touchpoint.SALES,
        population=Population.ALL_OWNERS,
        channel=SurveyChannel.PHONE,
        year=YEAR,
    )
    services.survey_open(by=group, survey=zh)
    for response in _responses(sz):
        services.response_submit(response=response, answers=_answers(sz, score=3), by=group)
    for response in _responses(zh):
        services.response_submit(response=response, answers=_answers(zh, score=5), by=group)
    management = world.users["management"]  # 深圳's
    (sales,) = [f for f in figures.yearly_figures(management, year=YEAR) if f.touchpoint == "sales"]
    assert [line.name for line in sales.companies] == ["深圳公司"]
    assert sales.companies[0].rank == 2  # 珠海 is first, unnamed here
    assert sales.group.satisfaction_rate == 0  # what he sees: 深圳 only


# --- found by review ---------------------------------------------------------------------------


def test_the_agent_may_reveal_the_number_of_a_customer_he_is_to_call(world, login):
    """Without it no phone survey could be made: agents see numbers masked."""
    from anju.customers.services import may_reveal
    from anju.surveys.models import Survey

    agent = world.users["service"]
    for other in Survey.objects.unscoped("test").filter(status="open"):  # the demo's calls
        services.survey_close(by=world.users["group"], survey=other)
    survey = _opened(world)
    response = _responses(survey)[0]
    assert may_reveal(agent, response.customer)
    shown = login(agent).post(f"/customers/{response.customer_id}/reveal/phone/")
    assert response.customer.phone in shown.content.decode()
    services.response_submit(response=response, answers=_answers(survey), by=agent)
    assert not may_reveal(agent, response.customer)  # answered: nothing more to call about


def test_nps_is_rounded_once():
    counts = figures.Counts(nps_total=3, promoters=2, detractors=1)
    assert counts.nps == Decimal("33.3")


def test_one_project_s_figures_count_the_company_wide_survey_s_answers_there(world):
    group = world.users["group"]
    survey = _opened(world)  # 深圳, the whole company
    for response in _responses(survey):
        services.response_submit(response=response, answers=_answers(survey), by=group)
    binhai = world.projects["binhai"]
    in_binhai = [r for r in _responses(survey) if r.project_id == binhai.pk]
    assert in_binhai
    (sales,) = [
        f
        for f in figures.yearly_figures(group, year=YEAR, project=binhai)
        if f.touchpoint == "sales"
    ]
    assert sales.group.answered == len(in_binhai) and sales.companies[0].rank is None
    # a project's sales manager sees his project's answers of the company-wide survey
    (mine,) = [
        f
        for f in figures.yearly_figures(world.users["manager"], year=YEAR)
        if f.touchpoint == "sales"
    ]
    assert mine.group.answered == len(in_binhai)


def test_employees_are_not_asked_on_the_phone(world):
    with pytest.raises(ApplicationError) as refused:
        _survey(world, touchpoint=Touchpoint.INTERNAL, population=Population.STAFF)
    assert refused.value.field == "channel"


def test_when_the_person_named_has_left_the_visit_goes_to_who_prepared_the_survey(world):
    engineer = world.users["engineer"]
    survey = _survey(world, touchpoint=Touchpoint.REPAIR, follow_up_by=engineer)
    services.survey_open(by=world.users["servicemgr"], survey=survey)
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    response = _responses(survey)[0]
    services.response_submit(response=response, answers=_answers(survey, score=1), by=None)
    task = FollowUpTask.objects.unscoped("test").get(pk=response_task(response))
    assert task.assignee == world.users["servicemgr"]


def test_calls_without_answers_keep_the_customer_on_the_list_until_he_declines(world, login):
    from anju.surveys import selectors

    agent = world.users["service"]
    survey = _opened(world)
    first, second = _responses(survey)[:2]
    services.response_call_outcome(by=agent, response=first, outcome="no_answer")
    listed = list(selectors.phone_list(agent, survey))
    assert listed[-1] == first and first in listed  # called already: after the others
    assert listed[-1].calls == 1 and listed[-1].last_call_at is not None
    client = login(agent)
    client.post(f"/surveys/responses/{second.pk}/outcome/", {"outcome": "declined"})
    second.refresh_from_db()
    assert second.status == ResponseStatus.DECLINED
    assert second not in list(selectors.phone_list(agent, survey))
    with pytest.raises(Conflict):  # declined already: no second refusal to record
        services.response_call_outcome(by=agent, response=second, outcome="declined")
    with pytest.raises(ApplicationError):
        services.response_call_outcome(by=agent, response=first, outcome="busy")
    with pytest.raises(NotPermitted):
        services.response_call_outcome(
            by=world.users["consultant"], response=first, outcome="no_answer"
        )
    (sales,) = [
        f
        for f in figures.yearly_figures(world.users["group"], year=YEAR)
        if f.touchpoint == "sales"
    ]
    assert sales.group.asked == len(_responses(survey)) and sales.group.answered == 0
    # he calls back and agrees after all: his answers are taken
    services.response_submit(response=second, answers=_answers(survey), by=agent)
    second.refresh_from_db()
    assert second.status == ResponseStatus.ANSWERED
