"""Customer import through the API (CUS-9, issue 8 item 3): the page's flow, the same services.

1. ``POST /customer-imports`` (multipart: ``file`` .xlsx/.csv, ``company_id``, ``project_id``,
   ``all_or_nothing``) checks the file as the upload page does and answers 201 with the job
   id and a preview: the column mapping, the number of rows and the first rows as the
   checking step finds them (the page's preview: same rows, same reasons).
2. ``POST /customer-imports/{id}/start`` queues the import (202); a second start is 409
   ``already_started``.
3. ``GET /jobs/{id}`` shows the progress; ``GET /customer-imports/{id}/errors`` (paged JSON)
   or ``…/errors.csv`` the rows with problems.

A file the import cannot read is 422 with ``field: "file"``; a file over 20 MB is 422 with
``code: "file_too_large"`` (the body is read to the end first, so not 413).
"""

from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from anju.core.api_types import FormFlag, Id, Pagination, may_answer
from anju.core.errors import ApplicationError, NotFound, NotPermitted
from anju.core.exports import csv_response
from anju.core.jobs_api import JobOut
from anju.core.models import Job
from anju.core.scope import get_visible_or_404
from anju.org.models import Company, Project

from . import imports

router = Router(tags=["customer import"])


class ImportUploadIn(Schema):
    # A form has no null: leave project_id out instead (the schema says integer, not null).
    company_id: Id = Field(..., description="the company to import into")
    project_id: Id = Field(None, description="the project for rows without one")
    all_or_nothing: FormFlag = Field(
        True,
        description="true or false: if any row has a problem, import nothing (the page's default)",
    )
    unknown_source: Literal["error", "other"] = Field(
        "error",
        description=(
            "a source channel not on the company's list: a row error (error, the default) "
            "or imported as other (other)"
        ),
    )


class RowErrorOut(Schema):
    row: int = Field(description="the row number as Excel shows it")
    column: str
    field: str
    reason: str
    value: str = ""


class PreviewColumnOut(Schema):
    header: str = Field(description="the file's column header")
    label: str | None = Field(description="the customer field it fills; null: ignored")


class PreviewRowOut(Schema):
    row: int
    name: str
    phone: str
    project: str
    consultant: str
    existing_code: str | None = Field(
        description="already a customer (this code): linked, not changed"
    )
    errors: list[RowErrorOut]


class PreviewOut(Schema):
    rows: int = Field(description="data rows in the file (blank lines aside)")
    columns: list[PreviewColumnOut]
    first_rows: list[PreviewRowOut] = Field(
        description=f"the first {imports.PREVIEW_ROWS} rows, checked"
    )
    errors: list[RowErrorOut] = Field(description="the problems of those first rows")


class ImportOut(Schema):
    job: JobOut
    filename: str
    company_id: int | None
    project_id: int | None
    all_or_nothing: bool
    unknown_source: Literal["error", "other"]
    preview: PreviewOut | None = Field(description="until the import is started")
    preview_error: str | None = Field(description="why there is no preview (file removed …)")


def import_job_links(user, job) -> dict:
    """The jobs API's links for an import: its error report (empty when none), for who may
    read the file. Reads no errors: the job list leaves them in the database."""
    if not (job.is_finished and imports.may_see_import(user, job)):
        return {}
    return {"errors_url": reverse("api:customer_import_errors", args=[job.pk])}


def _text(value) -> str:
    return "" if value is None else str(value)


def _preview(request, job) -> dict:
    preview = imports.import_preview(by=request.user, job=job)
    first = [
        {
            "row": r.row,
            "name": _text(r.values.get("name")),
            "phone": r.phone,
            "project": _text(r.values.get("project")),
            "consultant": _text(r.values.get("owner")),
            "existing_code": (r.existing or {}).get("code") if r.existing else None,
            "errors": [e.as_dict() for e in r.errors],
        }
        for r in preview.rows
    ]
    return {
        "rows": imports.preview_row_count(preview),
        "columns": [
            {"header": header, "label": None if label is None else str(label)}
            for header, label in preview.columns
        ],
        "first_rows": first,
        "errors": [e for r in first for e in r["errors"]],
    }


def _import_out(request, job, *, preview=True) -> dict:
    params = job.params or {}
    out = {
        "job": job,
        "filename": params.get("filename", ""),
        "company_id": job.company_id,
        "project_id": params.get("project"),
        "all_or_nothing": bool(params.get("all_or_nothing", True)),
        "unknown_source": params.get("unknown_source", "error"),
        "preview": None,
        "preview_error": None,
    }
    if preview and job.status == Job.Status.QUEUED and not params.get("confirmed"):
        if imports.upload_removed(job):
            out["preview_error"] = imports.upload_removed_message()
        else:
            try:
                out["preview"] = _preview(request, job)
            except ApplicationError as exc:
                out["preview_error"] = str(exc.message)
    return out


def _refuse_unknown_fields(request) -> None:
    """A misspelt form field never silently does nothing (as for JSON bodies, ``Input``)."""
    known = set(ImportUploadIn.model_fields) | {"file"}
    for name in [*request.POST, *request.FILES]:
        if name not in known:
            raise ApplicationError(
                _("Unknown field: check its name against the API documentation."),
                field=name[:50],
                code="unknown_field",
            )


def _company(request, company_id):
    """The company as the upload page offers it: one the user may import into (one he cannot
    see is not found; one he sees but may not import into is refused)."""
    companies = imports.import_companies(request.user)
    if not companies:
        raise NotPermitted(
            _("Only consultants, sales managers and data stewards may import customers.")
        )
    company = next((c for c in companies if c.pk == company_id), None)
    if company is None:
        get_visible_or_404(Company, request.user, pk=company_id)
        raise NotPermitted(_("You may not import customers into this company."))
    return company


def _project(request, company, project_id):
    """A default project as the upload page offers it: active, visible, in the company."""
    if project_id is None:
        return None
    project = (
        Project.objects.visible_to(request.user)
        .filter(pk=project_id, company=company, is_active=True)
        .first()
    )
    if project is None:
        raise NotFound(_("No such active project in this company."), field="project_id")
    return project


@router.post(
    "/customer-imports",
    response={201: ImportOut},
    # unknown form fields are refused (_refuse_unknown_fields): say so in the document
    openapi_extra={
        "requestBody": {
            "content": {"multipart/form-data": {"schema": {"additionalProperties": False}}}
        },
        **may_answer(409),  # a project of another company
    },
)
def upload_customer_import(request, file: File[UploadedFile], payload: Form[ImportUploadIn]):
    """Upload a customer sheet (.xlsx or .csv, at most 20 MB) and get its preview.

    Nothing about customers is written until ``POST /customer-imports/{job_id}/start``. A file
    the import cannot read is 422 with ``field: "file"``; a larger file is 422 with
    ``code: "file_too_large"`` (not 413: the size is checked once the upload is received)."""
    _refuse_unknown_fields(request)
    company = _company(request, payload.company_id)
    project = _project(request, company, payload.project_id)
    try:
        job = imports.customer_import_prepare(
            by=request.user,
            company=company,
            upload=file,
            project=project,
            all_or_nothing=payload.all_or_nothing,
            unknown_source=payload.unknown_source,
        )
    except ApplicationError as exc:
        if exc.field is None:  # every file-level problem names the file, as on the page
            exc.field = "file"
        raise
    return Status(201, _import_out(request, job))


@router.get("/customer-imports/{int:job_id}", response=ImportOut)
def get_customer_import(request, job_id: Id):
    """An import: its job, and its preview until it is started."""
    return _import_out(request, imports.import_job_for(request.user, job_id))


@router.post(
    "/customer-imports/{int:job_id}/start", response={202: ImportOut}, openapi_extra=may_answer(409)
)
def start_customer_import(request, job_id: Id):
    """Check every row and import (in the background); poll ``GET /jobs/{job_id}``.

    409 ``already_started`` for a second start, ``file_removed`` after 30 days."""
    job = imports.import_job_for(request.user, job_id)
    job = imports.customer_import_start(by=request.user, job=job)
    return Status(202, _import_out(request, job, preview=False))


@router.get(
    "/customer-imports/{int:job_id}/errors",
    url_name="customer_import_errors",
    response=list[RowErrorOut],
)
@paginate(Pagination, page_size=100)
def list_customer_import_errors(request, job_id: Id):
    """The rows with problems, in file order (after the import has run)."""
    job = imports.import_job_for(request.user, job_id)
    return [
        {
            "row": e.get("row") or 0,
            "column": _text(e.get("column")),
            "field": _text(e.get("field")),
            "reason": _text(e.get("reason")),
            "value": _text(e.get("value")),
        }
        for e in job.errors or []
    ]


@router.get(
    "/customer-imports/{int:job_id}/errors.csv",
    url_name="customer_import_errors_csv",
    response={200: None},
    openapi_extra={
        "responses": {200: {"content": {"text/csv": {}}, "description": "the error report"}}
    },
)
def download_customer_import_errors(request, job_id: Id):
    """The error report as the page gives it (CSV: row, column, reason, value)."""
    job = imports.import_job_for(request.user, job_id)
    return csv_response(imports.error_report_rows(job), f"import-{job.pk}-errors.csv")
