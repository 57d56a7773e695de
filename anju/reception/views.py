"""Reception pages (thin): read through selectors, write through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.api_types import MAX_ID
from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import export_response
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.customers.phones import normalise_phone
from anju.customers.selectors import (
    customer_by_phone,
    customer_detail,
    customer_list,
    is_phone_search,
)
from anju.customers.services import may_reveal
from anju.inventory import selectors as inventory_selectors
from anju.org.selectors import companies_visible_to, projects_visible_to

from . import desk_selectors, exports, hooks, list_rows, selectors, services, workbench
from .filters import CallFilter, OpportunityFilter, VisitFilter
from .forms import (
    CallForm,
    CloseForm,
    OpportunityForm,
    PeriodForm,
    ReasonForm,
    RiskFactorForm,
    StageForm,
    TaskAddForm,
    TaskCancelForm,
    TaskCompleteForm,
    VisitForm,
)
from .models import OPEN_STAGES, Stage, TaskKind
from .task_rows import customer_shown, title_shown

PAGE_SIZE = 50


def _page(request, qs):
    return paginate(qs, request.GET.get("page"), per_page=PAGE_SIZE)


def _project_from(request, projects, key="project"):
    raw = request.POST.get(key) or request.GET.get(key)
    projects = list(projects)
    if raw:
        for p in projects:
            if str(p.pk) == str(raw):
                return p, projects
        raise Http404("not found")
    return (projects[0] if projects else None), projects


def _known_customer(request):
    """``?customer=<id>``: the form was opened from that customer's page (SAL-6); a customer
    out of the user's sight is a 404, like any record."""
    raw = request.GET.get("customer")
    if not raw:
        return None
    customer_id = _int_or_none(raw)
    if customer_id is None:
        raise Http404("not found")
    return customer_detail(request.user, customer_id)


def _require_reports(user):
    if not has_perm(user, Perm.VIEW_REPORTS):
        raise NotPermitted(_("This page is for sales managers."))


def _require_anywhere(user, perm):
    """A form page only for who may use it somewhere (issue 9 item 5); the service checks the
    project itself."""
    if not has_perm(user, perm):
        raise NotPermitted()


def index(request):
    return redirect("reception:tasks")


# --- calls -------------------------------------------------------------------------------------


def _filtered_page(request, filterset, columns=None):
    """A list page through its FilterSet: bad filters show the form error and no rows.
    ``columns``: only these are read (what the page's rows show), nothing prefetched."""
    rows = filterset.rows()
    if rows is None:  # never the whole list on bad input
        rows = filterset.queryset.none()
    if columns:
        rows = rows.only(*columns).prefetch_related(None)
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "page": _page(request, rows),
        "form": filterset.form,
        "query": params.urlencode(),
        "extra_query": params.urlencode() + "&" if params else "",
    }


@login_required
def calls(request):
    filterset = CallFilter(request.GET, user=request.user)
    context = _filtered_page(request, filterset, list_rows.CALL_COLUMNS)
    rows = list_rows.call_rows(request.user, context["page"].object_list)
    return render(request, "reception/calls.html", {**context, "rows": rows, "tab": "calls"})


@login_required
def call_new(request):
    _require_anywhere(request.user, Perm.LOG_CALLS)
    projects = projects_visible_to(request.user)
    customer = _known_customer(request)
    initial = {"project": customer.project_id} if customer and customer.project_id else {}
    form = CallForm(request.POST or None, projects=projects, initial=initial)
    if customer is not None:
        form.use_customer(customer)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.call_log(by=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            notify = messages.warning if result.protected_elsewhere else messages.success
            notify(request, result.message)
            return redirect("reception:call_detail", result.call.pk)
    return render(
        request,
        "reception/call_form.html",
        {"form": form, "tab": "calls", "known_customer": customer},
    )


@login_required
def call_detail(request, call_id):
    call = selectors.call_detail(request.user, call_id)
    followups = selectors.call_followups(request.user, call)
    return render(
        request,
        "reception/call_detail.html",
        {"call": call, "tasks": followups.tasks, "followups": followups, "tab": "calls"},
    )


# --- visits ------------------------------------------------------------------------------------


@login_required
def visits(request):
    filterset = VisitFilter(request.GET, user=request.user)
    context = _filtered_page(request, filterset, list_rows.VISIT_COLUMNS)
    rows = list_rows.visit_rows(request.user, context["page"].object_list)
    return render(request, "reception/visits.html", {**context, "rows": rows, "tab": "visits"})


SEARCH_MAX = 50
SEARCH_RESULTS = 10


def _visit_customer(request):
    """The customer the visit form was given (found by the search): visible, or 404."""
    raw = request.POST.get("choose") or request.POST.get("customer") or request.GET.get("customer")
    if not raw:
        return None
    return customer_detail(request.user, _int_or_none(raw) or 0)


def _find_customers(request, project):
    """The visit form's search (issue 9 item 10): name, pinyin, code or phone — full number
    or last 4 digits unless the role may unmask, each phone search logged (customers'
    selectors). Always a POST, so no phone number ends up in a URL (SEC-2)."""
    q = (request.POST.get("q") or "").strip()
    if not q:
        return [], _("Enter a name, pinyin, the full mobile number or its last 4 digits.")
    if len(q) > SEARCH_MAX:
        return [], _("Enter at most %(n)s characters.") % {"n": SEARCH_MAX}
    try:
        found = customer_list(request.user, q=q).filter(company_id=project.company_id)
        return list(found[:SEARCH_RESULTS]), ""
    except ApplicationError as exc:  # a refused prefix search, too many searches
        return [], str(exc.message)


def _opened_at(raw):
    """The form's opening time carried through the search (a datetime), or None."""
    try:
        return VisitForm.base_fields["form_opened_at"].clean(raw) if raw else None
    except ValidationError:
        return None


def _visit_form(request, project, factors, customer, data=None, initial=None):
    booked = []
    if customer is not None:
        booked = [
            c for c in selectors.customer_calls(request.user, customer, 20) if c.visit_booked_for
        ]
    return VisitForm(
        data,
        project=project,
        risk_factors=factors,
        units=inventory_selectors.units_visible_to(request.user, project=project),
        layouts=services.project_layouts(project),
        booked_calls=booked,
        initial=initial,
    )


@login_required
def visit_new(request):
    _require_anywhere(request.user, Perm.LOG_VISITS)
    project, projects = _project_from(request, projects_visible_to(request.user))
    if project is None:
        raise NotPermitted(_("No project is assigned to you."))
    factors = list(selectors.risk_factors_of(project))
    customer = _visit_customer(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and "choose" in request.POST:
        action = "choose"
    results, search_error, searched = [], "", False
    if action in ("find", "choose", "clear"):
        # The search and the choice re-render the form; the time it was opened is kept.
        if action == "find":
            results, search_error = _find_customers(request, project)
            searched = True
        if action == "clear":
            customer = None
        initial = {}
        opened = _opened_at(request.POST.get("form_opened_at"))
        if opened is not None:
            initial["form_opened_at"] = opened
        if customer is not None:
            initial["customer"] = customer.pk
        form = _visit_form(request, project, factors, customer, initial=initial)
    else:
        form = _visit_form(request, project, factors, customer, data=request.POST or None)
    if request.method == "POST" and not action and form.is_valid():
        try:
            result = services.visit_register(
                by=request.user, project=project, customer=customer, **form.service_kwargs()
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            if result.protected_elsewhere:
                # A colleague's customer (issue 9 item 3): the visit is his owner's, which the
                # receiver cannot open; he is told so, and back to the list he goes.
                messages.warning(request, result.message)
                return redirect("reception:visits")
            if result.missing_risk_factors:
                messages.warning(request, result.message)
            else:
                messages.success(request, result.message)
            return redirect("reception:visit_detail", result.visit.pk)
    return render(
        request,
        "reception/visit_form.html",
        {
            "form": form,
            "project": project,
            "projects": projects,
            "factors": factors,
            "customer": customer,
            "results": results,
            "searched": searched,
            "search_error": search_error,
            "tab": "visits",
            "can_manage_factors": has_perm(
                request.user, Perm.MANAGE_INVENTORY, company=project.company_id, project=project
            ),
        },
    )


@login_required
def visit_detail(request, visit_id):
    visit = selectors.visit_detail(request.user, visit_id)
    return render(
        request,
        "reception/visit_detail.html",
        {
            "visit": visit,
            "disclosure": selectors.visit_disclosure(visit),
            "tab": "visits",
            "panels": hooks.visit_panels(request, visit),  # other apps' panels (the club's)
        },
    )


@login_required
def risk_factors(request):
    project, projects = _project_from(request, projects_visible_to(request.user))
    if project is None:
        raise Http404("not found")
    form = RiskFactorForm(request.POST or None)
    if request.method == "POST":
        try:
            if "toggle" in request.POST:
                factor = selectors.risk_factors_of(project, include_inactive=True).filter(
                    pk=request.POST.get("toggle")
                )
                factor = factor.first()
                if factor is None:
                    raise Http404("not found")
                services.risk_factor_set_active(
                    by=request.user, factor=factor, active=not factor.is_active
                )
                return redirect(f"{request.path}?project={project.pk}")
            if form.is_valid():
                services.risk_factor_create(by=request.user, project=project, **form.cleaned_data)
                messages.success(request, _("Risk factor added."))
                return redirect(f"{request.path}?project={project.pk}")
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
    return render(
        request,
        "reception/risk_factors.html",
        {
            "form": form,
            "project": project,
            "projects": projects,
            "factors": selectors.risk_factors_of(project, include_inactive=True),
            "can_manage": has_perm(
                request.user, Perm.MANAGE_INVENTORY, company=project.company_id, project=project
            ),
            "tab": "visits",
        },
    )


# --- tasks -------------------------------------------------------------------------------------


@login_required
def tasks(request):
    buckets = selectors.my_tasks(request.user)
    return render(
        request,
        "reception/tasks.html",
        {
            "buckets": buckets,
            "is_manager": has_perm(request.user, Perm.VIEW_REPORTS),
            "task_tab": "mine",
        },
    )


@login_required
def team_tasks(request):
    _require_reports(request.user)
    overdue = paginate(selectors.team_overdue_tasks(request.user), request.GET.get("page"))
    return render(
        request,
        "reception/team_tasks.html",
        {
            "overdue": overdue,
            "summary": selectors.team_task_summary(request.user),
            "is_manager": True,
            "task_tab": "team",
        },
    )


@login_required
def task_detail(request, task_id):
    task = selectors.task_detail(request.user, task_id)
    shown = customer_shown(request.user, task)
    return render(
        request,
        "reception/task_detail.html",
        {
            "task": task,
            "customer_shown": shown,
            "title": title_shown(task, shown),
            "may_reveal_phone": shown and may_reveal(request.user, task.customer, "phone"),
            "complete_form": TaskCompleteForm(),
            "cancel_form": TaskCancelForm(),
            "kinds": TaskKind,
        },
    )


def _back_to_tasks(request):
    nxt = request.POST.get("next", "")
    if nxt.startswith("/reception/"):
        return redirect(nxt)
    return redirect("reception:tasks")


@login_required
@require_POST
def task_complete(request, task_id):
    task = selectors.task_detail(request.user, task_id)
    form = TaskCompleteForm(request.POST)
    if form.is_valid():
        try:
            services.task_complete(
                by=request.user,
                task=task,
                outcome=form.cleaned_data["outcome"],
                satisfaction=form.cleaned_data["satisfaction"],
                needs_changed=form.cleaned_data["needs_changed"],
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            if request.htmx:  # one-click complete on the workbench: the row says it is done
                return render(request, "reception/_workbench_task.html", {"t": task, "done": True})
            messages.success(request, _("Task done: %(title)s") % {"title": task.title})
            return _back_to_tasks(request)
    if request.htmx:  # the row again, with why it was refused (swapped by workbench.js)
        return render(
            request,
            "reception/_workbench_task.html",
            {"t": task, "errors": form.errors, "outcome": request.POST.get("outcome", "")},
            status=422,
        )
    return render(
        request,
        "reception/task_detail.html",
        {"task": task, "complete_form": form, "cancel_form": TaskCancelForm(), "kinds": TaskKind},
        status=400,
    )


@login_required
@require_POST
def task_cancel(request, task_id):
    task = selectors.task_detail(request.user, task_id)
    form = TaskCancelForm(request.POST)
    if form.is_valid():
        try:
            services.task_cancel(by=request.user, task=task, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Task cancelled."))
            return _back_to_tasks(request)
    return render(
        request,
        "reception/task_detail.html",
        {"task": task, "complete_form": TaskCompleteForm(), "cancel_form": form, "kinds": TaskKind},
        status=400,
    )


# --- opportunities -----------------------------------------------------------------------------


@login_required
def opportunities(request):
    filterset = OpportunityFilter(request.GET, user=request.user)
    context = _filtered_page(request, filterset, list_rows.OPPORTUNITY_COLUMNS)
    context["rows"] = list_rows.opportunity_rows(request.user, context["page"].object_list)
    state = filterset.data.get("state")
    return render(
        request,
        "reception/opportunities.html",
        {**context, "state": state, "stage": filterset.data.get("stage"), "stages": Stage},
    )


@login_required
def opportunity_new(request):
    projects = projects_visible_to(request.user)
    customer = None
    raw_customer = request.GET.get("customer") or request.POST.get("customer")
    if raw_customer:
        customer = customer_detail(request.user, raw_customer)
    initial = {}
    if customer is not None:
        initial = {"customer": customer.pk, "project": customer.project_id}
    # Opened from a visit (issue 9 item 10): it carries the units and layouts shown there.
    visit = None
    raw_visit = request.GET.get("visit") or request.POST.get("visit")
    if raw_visit and customer is not None:
        visit = selectors.visit_detail(request.user, _int_or_none(raw_visit) or 0)
        if visit.customer_id != customer.pk:
            raise Http404("not found")
        initial.update(project=visit.project_id, products_of_interest=visit.products_shown[:300])
    form = OpportunityForm(request.POST or None, projects=projects, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if customer is None:
                if not d["phone"]:
                    raise ApplicationError(_("Enter the customer's mobile number."), field="phone")
                customer = customer_by_phone(request.user, d["project"].company, d["phone"])
                if customer is None:
                    raise ApplicationError(
                        _("No customer of yours has this number. Log a call or a visit first."),
                        field="phone",
                    )
            opportunity = services.opportunity_open(
                by=request.user,
                customer=customer,
                project=d["project"],
                visit=visit,
                products_of_interest=d["products_of_interest"],
                expected_value=d["expected_value"],
                stage=d["stage"],
                expected_close=d["expected_close"],
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Opportunity opened."))
            return redirect("reception:opportunity_detail", opportunity.pk)
    return render(
        request,
        "reception/opportunity_form.html",
        {"form": form, "customer": customer, "visit": visit},
    )


def _close_form(opportunity, data=None):
    return CloseForm(
        data,
        win_reasons=selectors.reasons_for(opportunity.company_id, won=True),
        loss_reasons=selectors.reasons_for(opportunity.company_id, won=False),
    )


def _opportunity_page(request, opportunity, *, stage_form=None, close_form=None, status=200):
    return render(
        request,
        "reception/opportunity_detail.html",
        {
            "opp": opportunity,
            "stage_form": stage_form or StageForm(initial={"stage": opportunity.stage}),
            "close_form": close_form or _close_form(opportunity),
            "open_stages": OPEN_STAGES,
        },
        status=status,
    )


@login_required
def opportunity_detail(request, opportunity_id):
    opportunity = selectors.opportunity_detail(request.user, opportunity_id)
    return _opportunity_page(request, opportunity)


@login_required
@require_POST
def opportunity_stage(request, opportunity_id):
    opportunity = selectors.opportunity_detail(request.user, opportunity_id)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            services.opportunity_advance(
                by=request.user, opportunity=opportunity, stage=form.cleaned_data["stage"]
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Stage updated."))
            return redirect("reception:opportunity_detail", opportunity.pk)
    return _opportunity_page(request, opportunity, stage_form=form, status=400)


@login_required
def opportunity_close(request, opportunity_id):
    opportunity = selectors.opportunity_detail(request.user, opportunity_id)
    if request.method != "POST":
        return redirect("reception:opportunity_detail", opportunity.pk)
    form = _close_form(opportunity, request.POST)
    if form.is_valid():
        try:
            services.opportunity_close(
                by=request.user, opportunity=opportunity, **form.service_kwargs()
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Opportunity closed."))
            return redirect("reception:opportunity_detail", opportunity.pk)
    return _opportunity_page(request, opportunity, close_form=form, status=400)


@login_required
def win_loss(request):
    form = PeriodForm(request.GET or None, projects=projects_visible_to(request.user))
    filters = form.filters() if request.GET else {}
    analysis = selectors.win_loss_analysis(request.user, **filters)
    return render(request, "reception/win_loss.html", {"form": form, "a": analysis})


@login_required
def reasons(request):
    """The company's win and loss reasons (SAL-4): managers add and retire them."""
    _require_reports(request.user)
    companies = list(companies_visible_to(request.user))
    raw = request.POST.get("company") or request.GET.get("company")
    company = next((c for c in companies if str(c.pk) == str(raw)), None) if raw else None
    if raw and company is None:
        raise Http404("not found")
    company = company or (companies[0] if companies else None)
    if company is None:
        raise Http404("not found")
    form = ReasonForm(request.POST or None)
    back = f"{request.path}?company={company.pk}"
    if request.method == "POST":
        try:
            if "toggle" in request.POST:
                won = request.POST.get("kind") == "win"
                reason = (
                    selectors.reasons_to_manage(company.pk, won=won)
                    .filter(pk=_int_or_none(request.POST.get("toggle")))
                    .first()
                )
                if reason is None:
                    raise Http404("not found")
                services.reason_set_active(
                    by=request.user, reason=reason, active=not reason.is_active
                )
                return redirect(back)
            if form.is_valid():
                services.reason_create(by=request.user, company=company, **form.cleaned_data)
                messages.success(request, _("Reason added."))
                return redirect(back)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
    return render(
        request,
        "reception/reasons.html",
        {
            "form": form,
            "company": company,
            "companies": companies,
            "lists": [
                ("win", _("Win reasons"), selectors.reasons_to_manage(company.pk, won=True)),
                ("loss", _("Loss reasons"), selectors.reasons_to_manage(company.pk, won=False)),
            ],
        },
    )


def _int_or_none(value):
    """An id from a form, or None; bounded so no input overflows the database (SEC-4)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


# --- metrics -----------------------------------------------------------------------------------


@login_required
def metrics(request):
    _require_reports(request.user)
    form = PeriodForm(request.GET or None, projects=projects_visible_to(request.user))
    filters = form.filters() if request.GET else {}
    if not request.GET:
        from datetime import timedelta

        filters = {"date_from": selectors.local_today() - timedelta(days=29)}
        form = PeriodForm(initial=filters, projects=projects_visible_to(request.user))
    return render(
        request,
        "reception/metrics.html",
        {
            "form": form,
            "m": selectors.reception_metrics(request.user, **filters),
            "fairness": desk_selectors.desk_fairness(request.user, **filters),
        },
    )


EXPORTS = {what: (f, cols) for what, (f, cols, _label) in exports.list_exports().items()}


def _export_rows(request, what):
    """The rows of list ``what`` through the list's own FilterSet (issue 7 item 16), so the
    file holds what its page and API give for the same filters; bad filters refuse (400)."""
    if what not in EXPORTS:
        raise Http404("not found")
    filter_class, columns = EXPORTS[what]
    filterset = filter_class(request.GET, user=request.user)
    return filterset.rows_or_error(), columns(), filterset


@login_required
def export(request, what, fmt):
    """Any reception list the user can see, as .xlsx or .csv (CUS-9); masked and logged."""
    rows, columns, filterset = _export_rows(request, what)
    used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
    return export_response(
        by=request.user,
        rows=rows,
        columns=columns,
        fmt=fmt,
        filename=what,
        description=used[:200],
        request=request,
    )


# --- the pipeline board (SAL-6, issue 9 item 11) ------------------------------------------------


def _board_consultant(request):
    """``?consultant=<id>``: one of the consultants the user may see (a manager filters his
    team); anything else is a 404, never the whole board by accident."""
    raw = request.GET.get("consultant")
    if not raw:
        return None, []
    consultants = list(workbench.team_consultants(request.user))
    for c in consultants:
        if str(c.pk) == raw:
            return c, consultants
    raise Http404("not found")


@login_required
def pipeline(request):
    """Opportunities by stage (kanban): drag a card to move it through the stage service."""
    consultant, consultants = _board_consultant(request)
    is_manager = has_perm(request.user, Perm.VIEW_REPORTS)
    if is_manager and not consultants:
        consultants = list(workbench.team_consultants(request.user))
    columns = workbench.pipeline_board(request.user, consultant=consultant)
    return render(
        request,
        "reception/pipeline.html",
        {
            "columns": columns,
            "consultant": consultant,
            "consultants": consultants if is_manager else [],
            "closed_days": workbench.CLOSED_DAYS,
        },
    )


@login_required
@require_POST
def pipeline_move(request, opportunity_id):
    """Drop a card on another column: the stage service decides (its transition table, its
    permission check); a refused move answers 422 with the card as it was and why."""
    opportunity = selectors.opportunity_detail(request.user, opportunity_id)
    stage = request.POST.get("stage", "")
    error = None
    if stage in (Stage.WON, Stage.LOST) and opportunity.is_open:
        error = _("Close the opportunity with a reason on its page.")
    else:
        try:
            opportunity = services.opportunity_advance(
                by=request.user, opportunity=opportunity, stage=stage
            )
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            error = str(exc.message)
    context = {"o": selectors.opportunity_detail(request.user, opportunity.pk), "error": error}
    response = render(
        request, "reception/_pipeline_card.html", context, status=422 if error else 200
    )
    if not error:  # the columns' counts and totals follow the move
        response["HX-Trigger"] = "pipeline-moved"
    return response


# --- working from the customer's 360° page (SAL-6, issue 9 item 9) -----------------------------


@login_required
@require_POST
def customer_task_add(request, customer_id):
    """A follow-up planned on the customer's page without retyping the customer."""
    customer = customer_detail(request.user, customer_id)
    form = TaskAddForm(request.POST)
    if form.is_valid():
        try:
            task = services.task_add(by=request.user, customer=customer, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Task added: %(title)s, due %(due)s")
                % {"title": task.title, "due": task.due_date.isoformat()},
            )
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#timeline")
    return render(
        request, "reception/task_add.html", {"customer": customer, "form": form}, status=400
    )


# --- reception order (接待顺序, issue 9 item 3) ---------------------------------------------------


def _desk_choice(queryset, raw):
    """A consultant named by a desk form, among the ones the desk offers; 404 otherwise."""
    chosen = queryset.filter(pk=_int_or_none(raw)).first()
    if chosen is None:
        raise Http404("not found")
    return chosen


def _desk_action(request, project):
    """One desk button: next in order, skip, asked-for, step out/back, set the order."""
    action = request.POST.get("action", "")
    by = request.user
    if action == "next":
        turn = services.desk_take_next(by=by, project=project)
        return _("%(name)s greets the walk-in.") % {"name": turn.consultant}
    if action == "skip":
        consultant = _desk_choice(
            services.desk_consultants(project), request.POST.get("consultant")
        )
        services.desk_skip(
            by=by, project=project, consultant=consultant, reason=request.POST.get("reason", "")
        )
        return _("%(name)s skipped.") % {"name": consultant}
    if action == "returning" or "returning" in request.POST:
        return _desk_walk_in(request, project)
    if action == "asked_for":
        consultant = _desk_choice(
            services.company_consultants(project), request.POST.get("consultant")
        )
        services.desk_asked_for(by=by, project=project, consultant=consultant)
        return _("%(name)s is called to the desk; stay with the customer until the hand-over.") % {
            "name": consultant
        }
    if action == "status":
        consultant = _desk_choice(
            services.desk_consultants(project), request.POST.get("consultant")
        )
        services.desk_set_status(
            by=by, project=project, consultant=consultant, status=request.POST.get("status", "")
        )
        return _("Reception order updated.")
    if action == "order":
        offered = {c.pk: c for c in services.desk_consultants(project)}
        places = []
        for pk, consultant in offered.items():
            place = _int_or_none(request.POST.get(f"place_{pk}"))
            if place is not None:
                places.append((place, consultant.display_name, consultant))
        services.desk_set_order(
            by=by, project=project, consultants=[c for _p, _n, c in sorted(places)]
        )
        return _("Today's reception order is set.")
    raise ApplicationError(_("Unknown desk action."))


def _desk_walk_in(request, project):
    """A looked-up walk-in: a customer found (``returning`` = his id, one the receptionist
    sees) or the full number typed (``q``, POSTed back: it may be a colleague's customer).
    The service decides: his consultant, or the next in order."""
    raw = request.POST.get("returning")
    if raw:
        customer = customer_detail(request.user, _int_or_none(raw) or 0)
        result = services.desk_walk_in(by=request.user, project=project, customer=customer)
    else:
        phone = (request.POST.get("q") or "").strip()[:SEARCH_MAX]
        if not is_phone_search(phone):
            raise ApplicationError(_("Enter the visitor's full mobile number."), field="q")
        result = services.desk_walk_in(by=request.user, project=project, phone=phone)
    return result.message


def _desk_lookup(request, project):
    """The desk's look-up (the visit form's search): the customers found, masked numbers."""
    results, error = _find_customers(request, project)
    q = (request.POST.get("q") or "").strip()[:SEARCH_MAX]
    return {
        "searched": True,
        "q": q,
        "results": results,
        "search_error": error,
        # Not among the customers the receptionist sees: the number may still be a
        # colleague's customer, whom the service hands to his owner (masked).
        "by_number": not results and not error and _full_number(q),
    }


def _full_number(text):
    try:
        return is_phone_search(text) and len(text) > 4 and bool(normalise_phone(text))
    except ApplicationError:
        return False


@login_required
def desk(request):
    """The reception desk (前台): today's order, who greets the next walk-in, the day's book."""
    project, projects = _project_from(request, projects_visible_to(request.user))
    if project is None:
        raise NotPermitted(_("No project is assigned to you."))
    lookup = {}
    if request.method == "POST" and request.POST.get("action") == "find":
        lookup = _desk_lookup(request, project)  # rendered, not redirected: no phone in a URL
    elif request.method == "POST":
        try:
            messages.success(request, _desk_action(request, project))
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            messages.error(request, str(exc.message))
        return redirect(f"{request.path}?project={project.pk}")
    is_manager = has_perm(
        request.user, Perm.VIEW_REPORTS, company=project.company_id, project=project
    )
    board = desk_selectors.desk_board(request.user, project, sees_owners=is_manager)
    places = {s.consultant_id: i for i, s in enumerate(board.slots, 1) if s.status != "off"}
    consultants = list(services.desk_consultants(project))
    for consultant in consultants:
        consultant.desk_place = places.get(consultant.pk)
    return render(
        request,
        "reception/desk.html",
        {
            "board": board,
            "project": project,
            "projects": projects,
            "is_manager": is_manager,
            "consultants": consultants,
            "company_consultants": services.company_consultants(project),
            "skip_reasons": [_("Receiving a customer"), _("On the phone"), _("In a meeting")],
            "tab": "desk",
            **lookup,
        },
    )
