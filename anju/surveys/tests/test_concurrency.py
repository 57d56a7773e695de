"""SUR-2 under concurrency (PostgreSQL, real threads, one connection each): the customer on
his link and the agent on the phone answering the same response at once — one set of
answers is kept, the other is told it was given already, and one visit in person at most."""

import pytest

from anju.core.testing import requires_postgres, run_at_once
from anju.reception.models import FollowUpTask
from anju.surveys import services
from anju.surveys.models import Population, SurveyAnswer, SurveyChannel, SurveyResponse, Touchpoint

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_one_response_answered_twice_at_once_keeps_one_set_of_answers(world):
    manager = world.users["servicemgr"]
    survey = services.survey_create(
        by=manager,
        company=world.companies["sz"],
        touchpoint=Touchpoint.SALES,
        population=Population.ALL_OWNERS,
        channel=SurveyChannel.SMS,
        year=2031,
    )
    services.survey_open(by=manager, survey=survey, site_url="https://crm.test")
    response = SurveyResponse.objects.unscoped("test").filter(survey=survey).first()
    answers = {
        q.pk: {"indicator": 1, "satisfaction": 1, "buy_again": 0, "recommend": 0, "nps": 1}[
            q.measure
        ]
        for q in survey.template.questions.all()
        if q.measure
    }
    agent = world.users["service"]

    def answer(by):
        return services.response_submit(response=response, answers=answers, by=by)

    # the customer on his link (by None) and the agent on the phone, at once; the window
    # between reading the response and writing its answers is held open for both
    race = run_at_once(answer, [None, agent], pause_after=[(services, "_answers")])
    assert not race.errors, race.errors
    assert len(race.done) == 1 and [e.code for e in race.refused] == ["already_answered"]
    assert SurveyAnswer.objects.filter(response=response).count() == len(answers)
    tasks = FollowUpTask.objects.unscoped("test").filter(rule="survey_very_dissatisfied")
    assert tasks.filter(source_id=response.pk).count() == 1
