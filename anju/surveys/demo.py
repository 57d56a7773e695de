"""Demo surveys (SUR-*): last year's and this year's sales-service survey of both companies,
answered on the phone, and an open repair-service survey still being called.

Recorded through the services, so the figures, the follow-up visits of very dissatisfied
answers (SUR-4) and the events are what running them would have produced; only the
timestamps of last year's survey are moved back to last year, in office hours.
"""

from datetime import datetime, time

from django.utils import timezone

from . import services
from .models import Population, ResponseStatus, Survey, SurveyChannel, SurveyResponse, Touchpoint

# Answer patterns: each respondent's score for the indicators and the overall question, and
# his loyalty answers; last year a little lower (the figures show a rise).
THIS_YEAR = [(5, 1, 1, 10), (4, 1, 1, 9), (1, 0, 0, 2), (5, 1, 0, 8), (4, 0, 1, 7), (3, 0, 0, 6)]
LAST_YEAR = [(4, 1, 1, 9), (3, 0, 1, 7), (4, 1, 0, 8), (2, 0, 0, 5), (3, 0, 0, 6), (4, 1, 1, 9)]


def _answers(template, pattern):
    score, again, recommend, nps = pattern
    answers = {}
    for question in template.questions.all():
        if question.measure in ("indicator", "satisfaction"):
            answers[question.pk] = max(1, min(5, score))
        elif question.measure == "buy_again":
            answers[question.pk] = again
        elif question.measure == "recommend":
            answers[question.pk] = recommend
        elif question.measure == "nps":
            answers[question.pk] = nps
    return answers


def _survey(world, *, company, by, agent, touchpoint, year, patterns, answer=True, project=None):
    survey = services.survey_create(
        by=by,
        company=company,
        project=project,
        touchpoint=touchpoint,
        population=Population.ALL_OWNERS,
        channel=SurveyChannel.PHONE,
        year=year,
    )
    services.survey_open(by=by, survey=survey)
    responses = SurveyResponse.objects.unscoped("demo data: the survey's responses").filter(
        survey=survey
    )
    if answer:
        for response, pattern in zip(responses.order_by("pk"), patterns, strict=False):
            services.response_submit(
                response=response, answers=_answers(survey.template, pattern), by=agent
            )
    return survey


def _move_to(survey, year):
    """Last year's survey: opened in March, answered and closed in office hours."""
    opened = timezone.make_aware(datetime.combine(datetime(year, 3, 2), time(9, 30)))
    answered = timezone.make_aware(datetime.combine(datetime(year, 3, 16), time(15, 0)))
    Survey.objects.unscoped("demo data: last year's survey").filter(pk=survey.pk).update(
        opened_at=opened, closed_at=answered, created_at=opened, status="closed"
    )
    SurveyResponse.objects.unscoped("demo data: last year's answers").filter(
        survey=survey, status=ResponseStatus.ANSWERED
    ).update(answered_at=answered, created_at=opened)


def seed(world):
    users, companies = world["users"], world["companies"]
    if not world.data.get("customers") or "zh" not in companies:
        return
    year = timezone.localdate().year
    # 珠海 has no service manager in the demo: the group's relations centre runs its survey.
    # 珠海 surveys its one project, 海湾里.
    for code, runner, asker in (("sz", "servicemgr", "service"), ("zh", "group", "group")):
        company, by, asker = companies[code], users[runner], users[asker]
        project = world["projects"]["haiwan"] if code == "zh" else None
        last = _survey(
            world,
            company=company,
            by=by,
            agent=asker,
            touchpoint=Touchpoint.SALES,
            year=year - 1,
            patterns=LAST_YEAR if code == "sz" else LAST_YEAR[::-1],
            project=project,
        )
        _move_to(last, year - 1)
        _survey(
            world,
            company=company,
            by=by,
            agent=asker,
            touchpoint=Touchpoint.SALES,
            year=year,
            patterns=THIS_YEAR if code == "sz" else THIS_YEAR[3:],
            project=project,
        )
    # being called now: the repair service, nobody answered yet
    for code, runner, project in (("sz", "servicemgr", None), ("zh", "group", "haiwan")):
        _survey(
            world,
            company=companies[code],
            by=users[runner],
            agent=None,
            touchpoint=Touchpoint.REPAIR,
            year=year,
            patterns=[],
            answer=False,
            project=world["projects"][project] if project else None,
        )
    world.log("surveys: 6 surveys (sales service this year and last, repairs being called)")
