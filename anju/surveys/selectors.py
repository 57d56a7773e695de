"""Every read of the surveys app a user sees, scoped with ``visible_to``."""

from django.db.models import Count, F, Q

from anju.core.scope import get_visible_or_404

from .models import ResponseStatus, Survey, SurveyResponse, SurveyTemplate

PHONE_LIST_SIZE = 50


def surveys_visible_to(user):
    """Surveys with their counts (asked, answered), newest year first (one query)."""
    return (
        Survey.objects.visible_to(user)
        .select_related("company", "project", "template")
        .annotate(
            asked=Count("responses"),
            answered=Count("responses", filter=Q(responses__status=ResponseStatus.ANSWERED)),
        )
    )


def survey_detail(user, pk) -> Survey:
    return get_visible_or_404(
        Survey.objects.select_related("company", "project", "template", "follow_up_by"),
        user,
        pk=pk,
    )


def response_counts(survey) -> dict:
    rows = survey.responses.values("status").annotate(n=Count("pk")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    asked = sum(counts.values())
    return {"asked": asked, "answered": counts.get(ResponseStatus.ANSWERED, 0)}


def phone_list(user, survey):
    """The customers still to call (the responses the user sees, not yet answered; not a
    merged-away record or an erased person, whom nobody calls)."""
    return (
        SurveyResponse.objects.visible_to(user)
        .filter(
            survey=survey,
            status=ResponseStatus.INVITED,
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__anonymised_at__isnull=True,
        )
        .select_related("customer", "project")
        .order_by("calls", F("last_call_at").asc(nulls_first=True), "pk")
    )


def owes_a_survey_call(user, customer) -> bool:
    """The customers app's responsibility rule (who may reveal the number to call him): an
    agent who takes surveys on the phone where an open phone survey still waits for his
    answers. One query."""
    from anju.core.permissions import has_perm
    from anju.core.roles import Perm

    from .models import SurveyChannel, SurveyStatus

    waiting = (
        SurveyResponse.objects.visible_to(user)
        .filter(
            customer=customer,
            status=ResponseStatus.INVITED,
            survey__status=SurveyStatus.OPEN,
            survey__channel=SurveyChannel.PHONE,
        )
        .values_list("company_id", "project_id")[:20]
    )
    return any(
        has_perm(user, Perm.TAKE_SURVEYS, company=company, project=project)
        for company, project in waiting
    )


def unhappy_answers(user, survey, *, limit=50):
    """Answered responses that gave their responsible person a visit to make (SUR-4), each
    with ``visit``: the task (who, its status, the outcome recorded) where the user may see
    it. Two queries."""
    from anju.reception.selectors import tasks_visible_to

    rows = list(
        SurveyResponse.objects.visible_to(user)
        .filter(survey=survey, follow_up_task_id__isnull=False)
        .select_related("customer")
        .order_by("-answered_at")[:limit]
    )
    tasks = tasks_visible_to(user).filter(pk__in=[r.follow_up_task_id for r in rows])
    by_id = {task.pk: task for task in tasks}
    for row in rows:
        row.visit = by_id.get(row.follow_up_task_id)
    return rows


def response_to_take(user, pk) -> SurveyResponse:
    return get_visible_or_404(
        SurveyResponse.objects.select_related("survey__template", "customer", "project"),
        user,
        pk=pk,
    )


def templates():
    """The questionnaires, current version first per touchpoint, with their questions."""
    return SurveyTemplate.objects.prefetch_related("questions").order_by("touchpoint", "-version")


def current_questionnaire(touchpoint) -> SurveyTemplate:
    """The touchpoint's current questionnaire (group-wide data, not scoped); 404 for a word
    that is no touchpoint."""
    from django.http import Http404

    from .models import Touchpoint
    from .services import current_template

    if touchpoint not in Touchpoint.values:
        raise Http404("not found")
    return current_template(touchpoint)
