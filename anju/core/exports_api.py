"""Exports through the API as background jobs (issue 8 item 3, INT-1, CUS-9, SEC-2).

``POST /exports`` checks the request as the page's export would (``Perm.EXPORT_DATA``, or a
role that sees only its own records; the list's own filters) and answers 202 with the job;
poll ``GET /jobs/{id}``; ``GET /exports/{id}/download`` gives the file to its requester only.
The file has the same columns, masking and formula neutralisation as the streamed export
(``core.exports.export_prepare``), and making it is logged in the personal-data access log.
"""

from typing import Literal

from django.http import FileResponse
from ninja import Field, Router
from ninja.responses import Status

from . import export_jobs
from .api_types import ERRORS_EXTENSION, Id, Input, may_answer
from .exports import CONTENT_TYPES
from .jobs_api import JobOut

router = Router(tags=["exports"])

FilterValue = str | int | bool | None


class ExportIn(Input):
    kind: str = Field(
        ...,
        max_length=40,
        description="customers, reception_calls, reception_visits, reception_opportunities, "
        "reception_tasks or access_log",
        examples=["customers"],
    )
    format: Literal["xlsx", "csv"] = "xlsx"
    filters: dict[str, FilterValue] = Field(
        default_factory=dict,
        max_length=20,
        description="the list API's filters by the same names, e.g. customers: q, status, "
        "grade, source, owner_id, project_id, include_archived; reception_calls: project_id, "
        "date_from, date_to. An unknown name is refused (422).",
        examples=[{"status": "visitor", "project_id": 1}],
    )


@router.post("/exports", response={202: JobOut}, openapi_extra=may_answer(404, 429))
def start_export(request, payload: ExportIn):
    """Request an export file; the job writes it in the background (poll ``GET /jobs/{id}``)."""
    job = export_jobs.export_job_start(
        by=request.user,
        kind=payload.kind,
        fmt=payload.format,
        filters=payload.filters,
        ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(202, job)


@router.get(
    "/exports/{job_id}/download",
    url_name="export_download",
    response={200: None},
    openapi_extra={
        ERRORS_EXTENSION: [409],
        "responses": {
            200: {
                "content": {ctype: {} for ctype in CONTENT_TYPES.values()},
                "description": "the export file (.xlsx or .csv)",
            }
        },
    },
)
def download_export(request, job_id: Id):
    """The file of a finished export, for whoever requested it (everyone else: 404).

    409 ``not_ready`` while the job runs, ``failed`` if it failed, ``gone`` after 7 days."""
    path, filename = export_jobs.export_open(by=request.user, job_id=job_id)
    fmt = filename.rsplit(".", 1)[-1]
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
    )
    response["Cache-Control"] = "no-store"
    return response
