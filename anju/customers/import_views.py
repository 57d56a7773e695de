"""Customer import and export pages (CUS-9). Thin: the work is in ``imports`` and
``core.exports``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.exports import csv_response, export_response, xlsx_file
from anju.core.models import Job

from . import imports
from .exports import customer_export_columns
from .filters import CustomerFilter
from .search_tokens import search_data


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))
    company = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Company"))
    project = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("Project for rows without one"),
    )
    all_or_nothing = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("All or nothing: if any row has a problem, import nothing"),
    )
    unknown_source = forms.ChoiceField(
        label=gettext_lazy("A source channel not on the company's list"),
        choices=[
            ("error", gettext_lazy("is a row error")),
            ("other", gettext_lazy("is imported as “Other”")),
        ],
        initial="error",
        required=False,  # left out: an unknown channel is a row error
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, companies, **kwargs):
        super().__init__(*args, **kwargs)
        from anju.org.models import Company, Project

        self.fields["company"].queryset = Company.objects.visible_to(user).filter(
            pk__in=[c.pk for c in companies]
        )
        if len(companies) == 1:
            self.fields["company"].initial = companies[0].pk
            self.fields["company"].widget = forms.HiddenInput()
        self.fields["project"].queryset = Project.objects.visible_to(user).filter(
            company__in=[c.pk for c in companies], is_active=True
        )


@login_required
def upload(request):
    companies = imports.import_companies(request.user)
    if not companies:
        raise NotPermitted(
            _("Only consultants, sales managers and data stewards may import customers.")
        )
    form = UploadForm(
        request.POST or None, request.FILES or None, user=request.user, companies=companies
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.customer_import_prepare(
                by=request.user,
                company=form.cleaned_data["company"],
                upload=form.cleaned_data["file"],
                project=form.cleaned_data["project"],
                all_or_nothing=form.cleaned_data["all_or_nothing"],
                unknown_source=form.cleaned_data["unknown_source"] or "error",
            )
        except ApplicationError as exc:
            form.add_error("file" if exc.field in (None, "file") else exc.field, exc.message)
        else:
            return redirect("customer_import:detail", job_id=job.pk)
    return render(
        request,
        "customers/import/upload.html",
        {
            "form": form,
            "columns": imports.COLUMNS,
            "max_mb": imports.MAX_FILE_BYTES // 1024 // 1024,
            "max_rows": imports.MAX_ROWS,
        },
    )


def _import_job(request, job_id) -> Job:
    """An import job of the user's own, or one he may oversee (its file holds personal data)."""
    return imports.import_job_for(request.user, job_id)


_file_removed = imports.upload_removed
_file_removed_message = imports.upload_removed_message


@login_required
def detail(request, job_id):
    """Preview before start; progress while running; the result when finished."""
    job = _import_job(request, job_id)
    context = {"job": job, "reload": True}
    if job.status == Job.Status.QUEUED and not job.params.get("confirmed"):
        if _file_removed(job):  # nothing to preview: say so, not a server error
            context["file_error"] = _file_removed_message()
            return render(request, "customers/import/detail.html", context)
        try:
            context["preview"] = imports.import_preview(by=request.user, job=job)
        except ApplicationError as exc:
            context["file_error"] = exc.message
    elif job.is_finished:
        context["errors"] = job.errors[:200]
        context["more_errors"] = max(0, len(job.errors) - 200)
        context["file_removed"] = _file_removed(job) and _file_removed_message()
    return render(request, "customers/import/detail.html", context)


@login_required
@require_POST
def start(request, job_id):
    job = _import_job(request, job_id)
    try:  # refused when already started, or when the upload was removed since
        imports.customer_import_start(by=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("customer_import:detail", job_id=job.pk)


@login_required
def errors_csv(request, job_id):
    job = _import_job(request, job_id)
    # the rows hold the file's own values: neutralised like every export (issue 7 item 3)
    return csv_response(imports.error_report_rows(job), f"import-{job.pk}-errors.csv")


def _template_lines():
    return [[c.aliases[0] for c in imports.COLUMNS]]


@login_required
def template_csv(request):
    """An empty sheet with the recognised headers (Chinese), to fill in."""
    return csv_response(_template_lines(), "customers-template.csv")


@login_required
def template_xlsx(request):
    """The same empty sheet as Excel (issue 9 item 15): what most users fill in."""
    return FileResponse(
        xlsx_file(_template_lines(), _("Customers")),
        as_attachment=True,
        filename="customers-template.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- export ---------------------------------------------------------------------------------


@login_required
def export(request, fmt):
    """The customer list as on screen, as .xlsx or .csv: the list's own FilterSet (issue 7
    item 16), so the file holds exactly the rows the page shows; invalid filters refuse."""
    filterset = CustomerFilter(search_data(request), user=request.user)
    rows = filterset.rows_or_error()
    # the access log keeps a phone search masked, as the search log does (issue 7 item 2)
    used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
    return export_response(
        by=request.user,
        rows=rows,
        columns=customer_export_columns(),
        fmt=fmt,
        filename="customers",
        description=used,
        request=request,
    )


def export_url(fmt, params) -> str:
    return reverse("customer_import:export", kwargs={"fmt": fmt}) + (
        f"?{params.urlencode()}" if params else ""
    )
