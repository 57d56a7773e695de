"""PIPL pages (SEC-2, issue 7 items 13–14): the data steward's request list and approvals,
erasure requests, data packages and retention policies. Thin: selectors read, services write.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.pagination import paginate
from anju.core.scope import get_visible_or_404
from anju.org.models import Company

from . import privacy_selectors as selectors
from . import privacy_services as services
from .privacy_models import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, ErasureStatus
from .selectors import customer_detail


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class RetentionForm(forms.Form):
    is_enabled = forms.BooleanField(label=gettext_lazy("Apply automatically"), required=False)
    lead_retention_days = forms.IntegerField(
        label=gettext_lazy("Anonymise leads and visitors after (days without activity)"),
        min_value=MIN_RETENTION_DAYS,
        max_value=MAX_RETENTION_DAYS,
    )


def _ip(request):
    return request.META.get("REMOTE_ADDR")


@login_required
def requests(request):
    user = request.user
    if not selectors.may_use_privacy_pages(user):
        raise Http404("not found")
    status = request.GET.get("status") or ""
    page = paginate(selectors.erasure_requests(user, status=status), request.GET.get("page"))
    return render(
        request,
        "customers/privacy_requests.html",
        {
            "page": page,
            "status": status,
            "statuses": ErasureStatus.choices,
            "packages": selectors.my_data_packages(user),
            "policies": selectors.retention_policies(user),
        },
    )


@login_required
def request_new(request, customer_id):
    customer = customer_detail(request.user, customer_id)
    if not services.may_request_erasure(request.user, customer):
        raise Http404("not found")
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erasure_request(
                by=request.user, customer=customer, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.success(request, _("Erasure requested. Another person must approve it."))
            return redirect("customers:detail", customer.pk)
    return render(
        request, "customers/privacy_request_new.html", {"form": form, "customer": customer}
    )


@login_required
@require_POST
def approve(request, request_id):
    erasure = selectors.erasure_request_detail(request.user, request_id)
    try:
        services.erasure_approve(
            by=request.user, request=erasure, note=request.POST.get("note", "")[:500]
        )
    except NotPermitted:
        raise  # a refusal is a 403, as on every page, not a flash message
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Approved: the customer's personal data was erased."))
    return redirect("privacy:requests")


@login_required
@require_POST
def reject(request, request_id):
    erasure = selectors.erasure_request_detail(request.user, request_id)
    withdrawn = services.is_withdrawal(request.user, erasure)
    try:
        services.erasure_reject(
            by=request.user, request=erasure, note=request.POST.get("note", "")[:500]
        )
    except NotPermitted:
        raise  # a refusal is a 403, as on every page, not a flash message
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request withdrawn.") if withdrawn else _("Request rejected."))
    return redirect("privacy:requests")


@login_required
@require_POST
def package_start(request, customer_id):
    customer = customer_detail(request.user, customer_id)
    try:
        job = services.data_package_start(
            by=request.user, customer=customer, language=request.LANGUAGE_CODE
        )
    except NotPermitted:
        raise  # a refusal is a 403, as on every page, not a flash message
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("customers:detail", customer.pk)
    return redirect("jobs:detail", job.pk)


@login_required
def package_download(request, job_id):
    path, filename = services.data_package_open(by=request.user, job_id=job_id, ip=_ip(request))
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def retention(request, company_id):
    company = get_visible_or_404(Company, request.user, pk=company_id)
    form = RetentionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Between %(low)d and %(high)d days.")
            % {"low": MIN_RETENTION_DAYS, "high": MAX_RETENTION_DAYS},
        )
    else:
        try:
            services.retention_policy_set(by=request.user, company=company, **form.cleaned_data)
        except NotPermitted:
            raise  # 403, as on every page
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Retention policy saved."))
    return redirect("privacy:requests")
