"""The company's list of source channels (issue 9 item 12): managers add and retire them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.forms import CleanTextMixin
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.org.selectors import companies_visible_to

from . import sources


class SourceForm(CleanTextMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Channel"), max_length=50)
    code = forms.CharField(
        label=gettext_lazy("Code (optional)"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Used by the API and imports; made from the name if left empty."),
    )


def _company(request):
    if not has_perm(request.user, Perm.VIEW_REPORTS):
        raise NotPermitted(_("This page is for sales managers."))
    companies = list(companies_visible_to(request.user))
    raw = request.POST.get("company") or request.GET.get("company")
    company = next((c for c in companies if str(c.pk) == str(raw)), None) if raw else None
    if (raw and company is None) or not companies:
        raise Http404("not found")
    return company or companies[0], companies


@login_required
def source_list(request):
    company, companies = _company(request)
    form = SourceForm(request.POST or None)
    back = f"{request.path}?company={company.pk}"
    if request.method == "POST":
        try:
            if "toggle" in request.POST:
                active = request.POST.get("active") == "1"
                sources.source_set_active(
                    by=request.user,
                    company=company,
                    code=str(request.POST.get("toggle", ""))[:20],
                    active=active,
                )
                return redirect(back)
            if form.is_valid():
                sources.source_create(by=request.user, company=company, **form.cleaned_data)
                messages.success(request, _("Source channel added."))
                return redirect(back)
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(
        request,
        "customers/sources.html",
        {
            "form": form,
            "company": company,
            "companies": companies,
            "rows": sources.source_table(company.pk),
        },
        status=400 if request.method == "POST" else 200,
    )
