"""The surveys pages: thin — the writes are in services.py, the reads in selectors.py."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import XLSX_CONTENT_TYPE, xlsx_book_file
from anju.core.pagination import paginate
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.org.selectors import companies_visible_to, projects_visible_to, staff_visible_to

from . import figures, selectors, services
from .forms import AnswerForm, QuestionFormSet, SurveyForm
from .models import CallOutcome, SurveyStatus, Touchpoint


def _may_run(user) -> bool:
    return has_perm(user, Perm.RUN_SURVEYS)


def _require_survey_staff(user) -> None:
    if not (has_perm(user, Perm.RUN_SURVEYS) or has_perm(user, Perm.TAKE_SURVEYS)):
        raise NotPermitted()


@login_required
def survey_list(request):
    _require_survey_staff(request.user)
    page = paginate(selectors.surveys_visible_to(request.user), request.GET.get("page"))
    return render(
        request,
        "surveys/list.html",
        {"page": page, "may_run": _may_run(request.user), "extra_query": ""},
    )


def _runnable_companies(user):
    ids = [c.pk for c in companies_visible_to(user) if has_perm(user, Perm.RUN_SURVEYS, company=c)]
    return companies_visible_to(user).filter(pk__in=ids)


@login_required
def survey_new(request):
    user = request.user
    require_perm(user, Perm.RUN_SURVEYS)
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        companies=_runnable_companies(user),
        projects=projects_visible_to(user),
        staff=staff_visible_to(user).filter(is_active=True),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            survey = services.survey_create(
                by=user,
                company=d["company"],
                project=d["project"],
                touchpoint=d["touchpoint"],
                population=d["population"],
                channel=d["channel"],
                year=d["year"],
                name=d["name"],
                follow_up_by=d["follow_up_by"],
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Survey prepared. Open it to ask the customers."))
            return redirect("surveys:detail", survey.pk)
    return render(request, "surveys/new.html", {"form": form})


@login_required
def survey_detail(request, survey_id):
    user = request.user
    survey = selectors.survey_detail(user, survey_id)  # 404 before 403, as for any record
    _require_survey_staff(user)
    to_call = paginate(selectors.phone_list(user, survey), request.GET.get("page"))
    return render(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "counts": selectors.response_counts(survey),
            "to_call": to_call,
            "unhappy": selectors.unhappy_answers(user, survey),
            "questions": survey.template.questions.all(),
            "may_run": has_perm(
                user, Perm.RUN_SURVEYS, company=survey.company_id, project=survey.project_id
            ),
            "may_take": has_perm(user, Perm.TAKE_SURVEYS, company=survey.company_id),
            "statuses": SurveyStatus,
            "outcomes": CallOutcome.choices,
            "extra_query": "",
        },
    )


def _act(request, survey_id, action, done):
    survey = selectors.survey_detail(request.user, survey_id)
    try:
        result = action(survey)
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done(result))
    return redirect("surveys:detail", survey.pk)


@login_required
@require_POST
def survey_open(request, survey_id):
    site = request.build_absolute_uri("/")
    return _act(
        request,
        survey_id,
        lambda s: services.survey_open(by=request.user, survey=s, site_url=site),
        lambda n: _("Survey opened: %(n)s people asked.") % {"n": n},
    )


@login_required
@require_POST
def survey_close(request, survey_id):
    return _act(
        request,
        survey_id,
        lambda s: services.survey_close(by=request.user, survey=s),
        lambda s: _("Survey closed."),
    )


@login_required
def response_take(request, response_id):
    """An agent asks the questions on the phone and records the answers."""
    response = selectors.response_to_take(request.user, response_id)
    services.require_take(request.user, response)
    survey = response.survey
    form = AnswerForm(
        request.POST if request.method == "POST" else None,
        questions=survey.template.questions.all(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(response=response, answers=form.answers(), by=request.user)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Answers recorded."))
            return redirect("surveys:detail", survey.pk)
    from anju.customers.services import may_reveal

    return render(
        request,
        "surveys/take.html",
        {
            "response": response,
            "survey": survey,
            "form": form,
            "may_reveal_phone": response.customer is not None
            and may_reveal(request.user, response.customer),
        },
    )


def _figures_filters(request):
    """The year (this one by default), the project (one the user sees, or all) and the
    touchpoint whose indicators are listed, from the query string; nonsense falls back."""
    require_perm(request.user, Perm.VIEW_REPORTS)
    this_year = timezone.localdate().year
    raw = str(request.GET.get("year") or "")
    year = int(raw) if raw.isascii() and raw.isdigit() else this_year
    year = min(max(year, 2001), 2100)
    raw = str(request.GET.get("project") or "")
    project = None
    if raw.isascii() and raw.isdigit() and int(raw) < 2**53:
        project = projects_visible_to(request.user).filter(pk=int(raw)).first()
    touchpoint = request.GET.get("touchpoint") or Touchpoint.SALES
    if touchpoint not in Touchpoint.values:
        touchpoint = Touchpoint.SALES
    return year, project, touchpoint


@login_required
@require_POST
def response_outcome(request, response_id):
    """未接通 / 拒访 from the call list."""
    response = selectors.response_to_take(request.user, response_id)
    try:
        services.response_call_outcome(
            by=request.user, response=response, outcome=request.POST.get("outcome", "")
        )
    except ApplicationError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Call recorded."))
    return redirect("surveys:detail", response.survey_id)


@login_required
def survey_figures(request):
    """SUR-3: the year's figures per touchpoint and company, year on year, ranked."""
    year, project, touchpoint = _figures_filters(request)
    this_year = timezone.localdate().year
    query = urlencode({"year": year, **({"project": project.pk} if project else {})})
    lines = figures.yearly_figures(request.user, year=year, project=project)
    return render(
        request,
        "surveys/figures.html",
        {
            "year": year,
            "years": range(this_year, this_year - 6, -1),
            "project": project,
            "projects": projects_visible_to(request.user),
            "lines": lines,
            "chart": _chart(lines, year),
            "touchpoint": touchpoint,
            "touchpoints": Touchpoint.choices,
            "indicators": figures.indicator_rates(
                request.user, year=year, touchpoint=touchpoint, project=project
            ),
            "may_export": has_perm(request.user, Perm.EXPORT_DATA),
            "query": query,
        },
    )


def _chart(lines, year) -> dict:
    """The chart's figures (json_script): this year's rate per touchpoint, last year's, the
    group's; numbers, not Decimals, for the page's script."""

    def rate(value):
        return None if value is None else float(value)

    return {
        "touchpoints": [tp.label for tp in lines],
        "this_year": [rate(tp.group.satisfaction_rate) for tp in lines],
        "last_year": [rate(tp.group_last_year.satisfaction_rate) for tp in lines],
        "group": [rate(tp.whole_group.satisfaction_rate) for tp in lines],
        "labels": {
            "this_year": str(year),
            "last_year": str(year - 1),
            "group": _("The group"),
        },
    }


@login_required
def survey_figures_export(request):
    """The figures page as a workbook: one sheet of touchpoints and companies, one of the
    indicators of every touchpoint (counts and rates only: nothing for the access log)."""
    year, project, _touchpoint = _figures_filters(request)
    require_perm(request.user, Perm.EXPORT_DATA)
    sheets = figures.workbook_sheets(request.user, year=year, project=project)
    return FileResponse(
        xlsx_book_file(sheets),
        as_attachment=True,
        filename=f"satisfaction-{year}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


@login_required
def template_list(request):
    _require_survey_staff(request.user)
    return render(
        request,
        "surveys/templates.html",
        {
            "templates": selectors.templates(),
            "may_revise": has_perm(request.user, Perm.MANAGE_QUESTIONNAIRES),
        },
    )


@login_required
def template_revise(request, touchpoint):
    """A new version of a touchpoint's questionnaire: its questions to change, remove, add
    (SUR-1). Group-wide configuration, not a record: the permission is asked first."""
    require_perm(request.user, Perm.MANAGE_QUESTIONNAIRES)
    template = selectors.current_questionnaire(touchpoint)
    initial = [
        {
            "text": q.text,
            "kind": q.kind,
            "measure": q.measure,
            "required": q.required,
            "choices": ", ".join(q.choices),
        }
        for q in template.questions.all()
    ]
    formset = QuestionFormSet(
        request.POST if request.method == "POST" else None, initial=initial, prefix="q"
    )
    if request.method == "POST" and formset.is_valid():
        rows = [(form, form.question()) for form in formset.forms]
        kept = [(form, question) for form, question in rows if question is not None]
        try:
            revised = services.template_revise(
                by=request.user, template=template, questions=[q for _f, q in kept]
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            _show_on_row(formset, kept, exc)
        else:
            messages.success(
                request,
                _("Version %(n)s of the questionnaire: the next surveys ask it.")
                % {"n": revised.version},
            )
            return redirect("surveys:templates")
    return render(request, "surveys/revise.html", {"template": template, "formset": formset})


def _show_on_row(formset, kept, exc) -> None:
    """An error on ``questions.N.field`` shows on the N-th kept row; others above the table."""
    parts = str(exc.field or "").split(".")
    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(kept):
        form = kept[int(parts[1])][0]
        form.add_error(parts[2] if parts[2] in form.fields else None, str(exc.message))
    else:
        formset._non_form_errors = formset.error_class([str(exc.message)])
