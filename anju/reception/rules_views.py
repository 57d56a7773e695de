"""The follow-up rules settings page (issue 9 item 7): every rule of a company with its timing.

Managers and management change the configurable timings; the change is stored per company
(``FollowUpSettings``) and recorded as an event by the service.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import companies_visible_to

from . import followup_rules, services
from .forms import FollowUpSettingsForm
from .views import _require_reports


def _company_from(request, companies):
    raw = request.POST.get("company") or request.GET.get("company")
    company = next((c for c in companies if str(c.pk) == str(raw)), None) if raw else None
    if raw and company is None:
        raise Http404("not found")
    company = company or (companies[0] if companies else None)
    if company is None:
        raise Http404("not found")
    return company


@login_required
def followup_rules_page(request):
    _require_reports(request.user)
    companies = list(companies_visible_to(request.user))
    company = _company_from(request, companies)
    timing = services.timing_for(company.pk)
    current = {name: getattr(timing, name) for name in FollowUpSettingsForm.FIELDS}
    form = FollowUpSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_settings_update(by=request.user, company=company, **form.cleaned_data)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_service_error(exc)
        else:
            messages.success(request, _("Follow-up timings saved."))
            return redirect(f"{request.path}?company={company.pk}")
    rows = [
        {
            "rule": rule,
            "days": getattr(timing, rule.timing_field) if rule.timing_field else None,
            "field": form[rule.timing_field] if rule.timing_field else None,
        }
        for rule in followup_rules.rules_table()
    ]
    return render(
        request,
        "reception/followup_rules.html",
        {
            "form": form,
            "rows": rows,
            "company": company,
            "companies": companies,
            "may_edit": has_perm(request.user, Perm.VIEW_REPORTS, company=company.pk),
        },
        status=400 if request.method == "POST" else 200,
    )
