"""Time limits and desk settings (SVC-5, MANAGE_SERVICE) and group cases (群诉, SVC-3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.api_types import MAX_ID
from anju.core.errors import ApplicationError, NotPermitted
from anju.core.pagination import paginate
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import companies_visible_to

from . import page_selectors, services, settings_services
from .forms import CaseOpenForm, ServiceSettingsForm, SlaForm

# --- time limits and the desk's settings ---------------------------------------------------------


def _managed_company(request):
    """The company whose settings the page shows (``?company=``), among those the user
    manages; refused (403) for who manages none."""
    companies = [
        c
        for c in companies_visible_to(request.user)
        if has_perm(request.user, Perm.MANAGE_SERVICE, company=c.pk)
    ]
    if not companies:
        raise NotPermitted()
    raw = (request.POST.get("company") or request.GET.get("company") or "").strip()
    if not raw:
        return companies[0], companies
    company = next((c for c in companies if str(c.pk) == raw), None)
    if company is None:
        raise Http404("not found")
    return company, companies


def _settings_form(request, company, data=None):
    row = page_selectors.service_settings_of(company)
    current = row.intake_user if row is not None else None
    form = ServiceSettingsForm(
        data,
        prefix="desk",
        candidates=page_selectors.intake_candidates(request.user, company),
        current=current,
        initial={
            "intake_user": current.pk if current else "",
            "revisit_working_days": row.revisit_working_days if row else 5,
        },
    )
    return form, row


def _sla_page(request, company, companies, form, settings_form, row, status=200):
    return render(
        request,
        "service/sla.html",
        {
            "company": company,
            "companies": companies,
            "form": form,
            "settings_form": settings_form,
            "settings_row": row,
        },
        status=status,
    )


def _back_to(company):
    return redirect(reverse("service:sla") + f"?company={company.pk}")


@login_required
def sla_settings(request):
    """The company's time limits per type × severity (the defaults where none is set)."""
    company, companies = _managed_company(request)
    table = page_selectors.sla_table(company)
    form = SlaForm(request.POST or None, table=table)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                changed = settings_services.sla_policies_set(
                    by=request.user, company=company, limits=form.limits()
                )
            except NotPermitted:
                raise
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                messages.success(request, _("Time limits saved (%(n)s changed).") % {"n": changed})
                return _back_to(company)
    settings_form, row = _settings_form(request, company)
    return _sla_page(request, company, companies, form, settings_form, row, status)


@login_required
@require_POST
def desk_settings(request):
    """Who takes unassigned tickets, and within how many working days a revisit is due."""
    company, companies = _managed_company(request)
    settings_form, row = _settings_form(request, company, request.POST)
    if settings_form.is_valid():
        data = settings_form.cleaned_data
        try:
            settings_services.service_settings_update(
                by=request.user,
                company=company,
                intake_user=data["intake_user"],
                revisit_working_days=data["revisit_working_days"],
            )
        except NotPermitted:
            raise
        except ApplicationError as exc:
            settings_form.add_service_error(exc)
        else:
            messages.success(request, _("Desk settings saved."))
            return _back_to(company)
    form = SlaForm(table=page_selectors.sla_table(company))
    return _sla_page(request, company, companies, form, settings_form, row, 400)


# --- group cases (群诉) --------------------------------------------------------------------------


@login_required
def case_list(request):
    page = paginate(page_selectors.cases_visible_to(request.user), request.GET.get("page"))
    return render(request, "service/case_list.html", {"page": page, "extra_query": ""})


@login_required
def case_detail(request, service_case_id):
    case = page_selectors.case_detail(request.user, service_case_id)
    return render(
        request,
        "service/case_detail.html",
        {"case": case, "tickets": page_selectors.case_tickets(request.user, case)},
    )


def _ticket_ids(request) -> list[int]:
    ids = []
    for raw in request.POST.getlist("tickets")[:200]:
        text = str(raw).strip()
        if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
            ids.append(int(text))
    return ids


@login_required
@require_POST
def case_open(request):
    """群诉 from the ticket list: the ticked tickets (one project) under one new case; each
    becomes sensitive and goes to management at once."""
    if not has_perm(request.user, Perm.HANDLE_TICKETS):
        raise NotPermitted()
    form = CaseOpenForm(request.POST, prefix="case")
    back = request.POST.get("back") or ""
    back = reverse("service:tickets") + (f"?{back}" if back and "//" not in back else "")
    tickets = page_selectors.tickets_to_link(request.user, _ticket_ids(request))
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    if not tickets:
        messages.error(request, _("Tick the open tickets that belong to the case."))
        return redirect(back)
    projects = {t.project_id for t in tickets}
    if len(projects) > 1:
        messages.error(request, _("A group case gathers tickets of one project."))
        return redirect(back)
    try:
        case = services.case_open(
            by=request.user,
            project=tickets[0].project,
            title=form.cleaned_data["title"],
            tickets=tickets,
        )
    except NotPermitted:
        raise
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    messages.success(request, _("Group case opened with %(n)s ticket(s).") % {"n": len(tickets)})
    return redirect("service:case_detail", service_case_id=case.pk)
