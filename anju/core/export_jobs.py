"""Exports as background jobs (issue 8 item 3, INT-1): request → progress → download.

The streamed exports of the pages and these jobs are one piece of code: both go through
``core.exports.export_prepare`` (permission, row cap, the personal-data access log, per-row
masking, ``spreadsheet_cell``); a job only writes the lines into a file instead of a response.

Each app declares what it can export once, in ``AppConfig.ready()``::

    register_export_kind(ExportKind(
        name="customers", filename="customers", columns=customer_export_columns,
        rows=export_rows(CustomerFilter), check=export_check(CustomerFilter),
        filters=export_filter_names(CustomerFilter), filter_schema=...))

``rows(user, filters, params)`` returns ``(scoped rows, description for the log)`` and raises
ApplicationError for invalid filters (the same FilterSet as the list page and list API; the
helpers are in ``customers/filters.py``); ``check`` refuses bad filters when the export is
requested without running them.

The file is written under ``private_root()`` (served by no URL), downloadable only by who
asked for it, and deleted after ``EXPORT_KEEP_DAYS``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .errors import ApplicationError, Conflict
from .exports import FORMATS, export_prepare, export_write, require_export
from .jobs import job_finish, job_for, job_progress, job_running, job_start, private_root
from .models import Job
from .scope import strict_scope

JOB_KIND = "export"
EXPORT_KEEP_DAYS = 7  # the file holds personal data: it does not linger
MAX_FILTER_VALUE = 200


@dataclass(frozen=True)
class ExportKind:
    name: str  # the API's "kind"
    filename: str  # the file's name before its time stamp
    columns: Callable  # () -> list[Column]
    rows: Callable  # (user, filters: dict[str, str], params: dict) -> (rows, description)
    filters: tuple = ()  # the filter names the list API takes
    label: str = ""
    filter_schema: Callable | None = None  # () -> the filters' request schema (OpenAPI)
    # (user, filters, params) -> None: refuse bad filters when the export is requested,
    # without running them (a phone search is run, and logged, once: by the job)
    check: Callable | None = None


_KINDS: dict[str, ExportKind] = {}


def register_export_kind(kind: ExportKind) -> None:
    _KINDS[kind.name] = kind


def export_kinds() -> dict[str, ExportKind]:
    return dict(_KINDS)


def _kind(name) -> ExportKind:
    kind = _KINDS.get(name)
    if kind is None:
        raise ApplicationError(
            _("Unknown export. Choose one of: %(kinds)s.") % {"kinds": ", ".join(sorted(_KINDS))},
            field="kind",
            code="unknown_export",
        )
    return kind


def _clean_filters(kind: ExportKind, filters) -> dict[str, str]:
    """The body's filters as the list API's query parameters (strings); unknown names refused,
    so a misspelt filter never exports the whole list."""
    clean = {}
    for name, value in (filters or {}).items():
        if name not in kind.filters:
            raise ApplicationError(
                _("Unknown filter %(name)s. This export takes: %(names)s.")
                % {"name": str(name)[:50], "names": ", ".join(kind.filters)},
                field=f"filters.{str(name)[:50]}",
                code="unknown_filter",
            )
        if value is None or value == "":
            continue
        if isinstance(value, dict | list):
            raise ApplicationError(
                _("A filter takes one value."), field=f"filters.{name}", code="invalid_filter"
            )
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if len(text) > MAX_FILTER_VALUE:
            raise ApplicationError(
                _("At most %(n)d characters.") % {"n": MAX_FILTER_VALUE},
                field=f"filters.{name}",
                code="invalid_filter",
            )
        clean[name] = text
    return clean


@transaction.atomic
def export_job_start(*, by, kind: str, fmt: str, filters=None, ip: str | None = None) -> Job:
    """Check the request as the page's export would, then queue the job that writes the file.

    A role that may not export gets NotPermitted (nothing created); invalid filters are
    refused now, with the list API's message, not later in the job.
    """
    spec = _kind(kind)
    if fmt not in FORMATS:
        raise ApplicationError(_("Choose .xlsx or .csv."), field="format")
    require_export(by)
    clean = _clean_filters(spec, filters)
    params = {
        "export": spec.name,
        "format": fmt,
        "filters": clean,
        "as_of": timezone.now().isoformat(),  # rows made later (its own log entry) stay out
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "ip": ip,
    }
    (spec.check or spec.rows)(by, clean, params)  # invalid filters raise here: no job
    from .tasks import export_task

    return job_start(
        by=by,
        kind=JOB_KIND,
        company=getattr(by, "company_id", None),
        title=_("Export: %(name)s (.%(fmt)s)") % {"name": spec.label or spec.name, "fmt": fmt},
        params=params,
        # the job page's "Open the result": the download (the API takes the browser's session)
        next_url="api:export_download",
        task=export_task,
    )


def export_job_run(job_id: int) -> Job:
    """The job's work: the rows as the requester sees them, masked and logged, into a file."""
    with job_running(job_id) as job:
        by = job.created_by
        params = job.params or {}
        language = params.get("language") or settings.LANGUAGE_CODE
        try:
            with translation.override(language), strict_scope():
                return _write(job, by, params)
        except ApplicationError as exc:  # the role was withdrawn, too many rows, …
            return job_finish(job=job, failed=True, message=str(exc.message))


def _write(job, by, params) -> Job:
    spec = _kind(params.get("export"))
    rows, description = spec.rows(by, params.get("filters") or {}, params)
    job_progress(job=job, done=0, message=_("Writing the file…"), force=True)
    total = 0

    def progress(done):
        job_progress(job=job, done=done, total=total)

    prepared = export_prepare(
        by=by,
        rows=rows,
        columns=spec.columns(),
        fmt=params["format"],
        filename=spec.filename,
        description=f"{description} (job {job.pk})".strip()[:200],
        ip=params.get("ip"),
        progress=progress,
    )
    total = prepared.count
    job_progress(job=job, done=0, total=total, force=True)
    name = f"exports/{job.pk}-{secrets.token_hex(8)}.{prepared.fmt}"
    path = private_root() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("wb") as out:
            export_write(prepared, out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job_finish(
        job=job,
        result={
            "file": name,
            "filename": prepared.name,
            "format": prepared.fmt,
            "rows": prepared.count,
            "expires_at": (timezone.now() + timedelta(days=EXPORT_KEEP_DAYS)).isoformat(),
        },
        message=_("The file is ready: %(n)s rows.") % {"n": f"{prepared.count:,}"},
    )


def export_available(job) -> bool:
    name = (job.result or {}).get("file") or ""
    return job.status == Job.Status.SUCCEEDED and bool(name) and (private_root() / name).is_file()


EXPORT_DELETED = gettext_noop(
    "The file was deleted (export files are kept for 7 days). Request the export again."
)


def export_job_for(user, job_id) -> Job:
    """An export job of the user's own, or 404 (its file is his, masked for him)."""
    job = job_for(user, job_id)
    if job.kind != JOB_KIND or job.created_by_id != user.pk:
        raise Http404("not found")
    return job


def export_open(*, by, job_id):
    """(path, file name) of a finished export, for its requester only (others: 404)."""
    job = export_job_for(by, job_id)
    require_export(by)  # a role withdrawn since: no more downloads
    if not export_available(job):
        if job.status == Job.Status.SUCCEEDED:
            raise Conflict(_(EXPORT_DELETED), code="gone")
        if job.status == Job.Status.FAILED:
            raise Conflict(job.message or _("The export failed."), code="failed")
        raise Conflict(_("The export is not ready yet."), code="not_ready")
    return private_root() / job.result["file"], job.result.get("filename") or "export"


def purge_export_files(*, now=None, days: int = EXPORT_KEEP_DAYS) -> int:
    """Delete export files older than ``days``; the job row and its counts stay."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = 0
    jobs = Job.objects.unscoped("periodic purge of export files").filter(
        kind=JOB_KIND, finished_at__lt=cutoff
    )
    for job in jobs.iterator():
        name = (job.result or {}).get("file")
        if not name:
            continue
        (private_root() / name).unlink(missing_ok=True)
        with translation.override((job.params or {}).get("language") or settings.LANGUAGE_CODE):
            message = _(EXPORT_DELETED)
        # the job page must no longer offer the download
        params = {k: v for k, v in (job.params or {}).items() if k != "next_url"}
        Job.objects.unscoped("periodic purge of export files").filter(pk=job.pk).update(
            result={**job.result, "file": ""}, params=params, message=message
        )
        purged += 1
    return purged
