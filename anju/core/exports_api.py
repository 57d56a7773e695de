"""Exports through the API as background jobs (issue 8 item 3, INT-1, CUS-9, SEC-2).

``POST /exports`` checks the request as the page's export would (``Perm.EXPORT_DATA``, or a
role that sees only its own records; the list's own filters) and answers 202 with the job;
poll ``GET /jobs/{id}``; ``GET /exports/{id}/download`` gives the file to its requester only.
The file has the same columns, masking and formula neutralisation as the streamed export
(``core.exports.export_prepare``), and making it is logged in the personal-data access log.
"""

from typing import Annotated, Literal, Union

from django.http import FileResponse
from django.utils import translation
from ninja import Body, Field, Router
from ninja.responses import Status
from pydantic import Discriminator, Tag, create_model

from . import export_jobs
from .api_types import ERRORS_EXTENSION, Id, Input, may_answer
from .exports import CONTENT_TYPES
from .jobs_api import JobOut

router = Router(tags=["exports"])

FilterValue = str | int | bool | None
Format = Literal["xlsx", "csv"]


def _request_schema():
    """One request body per export kind, told apart by ``kind`` (a discriminated union), so
    the document states each kind's filters with the list API's names and constraints; an
    unknown filter name is refused (422)."""
    variants = []
    for name, kind in sorted(export_jobs.export_kinds().items()):
        camel = "".join(part.title() for part in name.split("_"))
        schema = kind.filter_schema() if kind.filter_schema else None
        if schema is None:
            filters = (dict[str, FilterValue], Field(default_factory=dict, max_length=20))
        else:
            filters = (schema, Field(default_factory=schema))
        with translation.override("en"):  # the API document speaks English
            label = str(kind.label or name)
        variants.append(
            create_model(
                f"Export{camel}In",
                __base__=Input,
                __doc__=f"An export of: {label}.",
                kind=(Literal[name], Field(..., description=label)),
                format=(Format, Field("xlsx", description="the file's format")),
                filters=filters,
            )
        )
    if len(variants) == 1:
        return variants[0]
    first = min(export_jobs.export_kinds())

    def kind_of(value):
        # A body without "kind" is checked as the first kind's, so that every problem in it
        # is named (the missing kind, an unknown field), not only "which kind?". The branch
        # is labelled "kind=…": not a field name, so errors name the fields themselves.
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        return f"kind={kind if isinstance(kind, str) else first}"

    tagged = tuple(
        Annotated[v, Tag(f"kind={v.model_fields['kind'].annotation.__args__[0]}")] for v in variants
    )
    return Annotated[Union[tagged], Discriminator(kind_of)]  # noqa: UP007


ExportIn = _request_schema()


def _discriminator() -> dict:
    """The document names the branch by ``kind`` (an annotation for readers and generators)."""
    kinds = sorted(export_jobs.export_kinds())
    mapping = {
        k: "#/components/schemas/Export{}In".format("".join(p.title() for p in k.split("_")))
        for k in kinds
    }
    if len(kinds) < 2:
        return {}
    body = {
        "discriminator": {"propertyName": "kind", "mapping": mapping},
        "examples": [
            {"kind": "customers", "format": "xlsx", "filters": {"status": "visitor"}},
            {"kind": "reception_calls", "format": "csv", "filters": {"date_from": "2026-01-01"}},
        ],
    }
    return {"requestBody": {"content": {"application/json": {"schema": body}}}}


@router.post(
    "/exports", response={202: JobOut}, openapi_extra=may_answer(404, 429) | _discriminator()
)
def start_export(request, payload: Body[ExportIn]):
    """Request an export file; the job writes it in the background (poll ``GET /jobs/{id}``)."""
    job = export_jobs.export_job_start(
        by=request.user,
        kind=payload.kind,
        fmt=payload.format,
        filters=(
            payload.filters
            if isinstance(payload.filters, dict)
            else payload.filters.dict(exclude_none=True)
        ),
        ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(202, job)


@router.get(
    "/exports/{int:job_id}/download",
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
