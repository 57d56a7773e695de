"""The survey link's page (SUR-2): no login — the token in the link is the key to one
response. It shows the company and the questions, never the customer's data."""

from django.http import Http404
from django.shortcuts import render

from anju.core.errors import ApplicationError, NotFound

from . import services
from .forms import AnswerForm
from .models import ResponseStatus, SurveyStatus


def answer(request, token):
    try:
        response = services.response_for_token(token)
    except NotFound as exc:
        raise Http404("not found") from exc
    survey = response.survey
    context = {"survey": survey, "company": survey.company}
    if response.status == ResponseStatus.ANSWERED:
        return render(request, "surveys/public/thanks.html", {**context, "already": True})
    if survey.status != SurveyStatus.OPEN:
        return render(request, "surveys/public/closed.html", context, status=410)
    form = AnswerForm(
        request.POST if request.method == "POST" else None,
        questions=survey.template.questions.all(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(response=response, answers=form.answers())
        except ApplicationError as exc:
            if exc.code == "already_answered":  # a second tap that lost the race
                return render(request, "surveys/public/thanks.html", {**context, "already": True})
            if exc.code == "survey_closed":
                return render(request, "surveys/public/closed.html", context, status=410)
            form.add_service_error(exc)
        else:
            return render(request, "surveys/public/thanks.html", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/public/answer.html", {**context, "form": form}, status=status)
