"""Surveys on the customer 360° timeline (CUS-6): each survey he answered, how satisfied he
was overall, and whether a visit in person followed (SUR-4). One query through
``visible_to``, newest first; an unanswered invitation is not history."""

from django.urls import reverse
from django.utils.translation import gettext as _

from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import sees_loaded
from anju.customers.timeline import TimelineEntry, merged_ids

from .models import Measure, ResponseStatus, SurveyAnswer, SurveyResponse


def _survey_url(user, survey) -> str:
    if not has_perm(user, Perm.TAKE_SURVEYS, company=survey.company_id):
        return ""
    return reverse("surveys:detail", args=[survey.pk]) if sees_loaded(user, survey) else ""


def surveys_timeline(user, customer, limit):
    from django.db.models import OuterRef, Subquery

    overall = SurveyAnswer.objects.filter(
        response=OuterRef("pk"), question__measure=Measure.SATISFACTION
    ).values("score")[:1]
    responses = (
        SurveyResponse.objects.visible_to(user)
        .filter(customer_id__in=merged_ids(customer), status=ResponseStatus.ANSWERED)
        .select_related("survey", "taken_by")
        .annotate(overall=Subquery(overall))
        .order_by("-answered_at", "-id")[:limit]
    )
    for response in responses:
        survey = response.survey
        title = _("Survey answered: %(name)s") % {"name": survey.name}
        if response.overall is not None:
            title += " · " + _("overall %(score)s of 5") % {"score": response.overall}
        body = (
            _("Very dissatisfied: a visit in person follows.") if response.follow_up_task_id else ""
        )
        yield TimelineEntry(
            when=response.answered_at,
            kind="survey",
            title=title,
            body=body,
            url=_survey_url(user, survey),
            actor=str(response.taken_by) if response.taken_by else "",
            extra={"survey": survey.pk, "via": response.answered_via},
            record_id=response.pk,
        )
