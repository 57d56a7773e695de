"""Writing a customer import (CUS-9): the services on the job and the bulk write.

- **All or nothing** (default): every row is checked first; if any row is bad nothing is
  written and the report lists every bad row (row number as Excel shows it, column, reason).
  Unticked, the good rows are imported and the bad ones reported.
- New customers get codes from the numbering service (one block per import), the
  protection period when they have a consultant, and a ``customer.registered`` event each.
- A customer imported with a status other than "lead" gets the ``customer.status_changed``
  event that ``customer_set_status`` would record (issue 7 item 16), in one INSERT per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_events
from anju.core.jobs import (
    UPLOAD_RETENTION_DAYS,
    job_finish,
    job_for,
    job_progress,
    job_running,
    job_start,
)
from anju.core.models import Job
from anju.core.numbering import allocate_number_block

from ..demo import customer_code
from ..models import Customer, CustomerPhone, CustomerStatus
from ..names import name_initials, name_pinyin
from ..quality import completeness_of
from .checking import (
    UNKNOWN_SOURCE_CHOICES,
    CheckedRow,
    RowChecker,
    _require_import,
    may_see_import,
)
from .reading import COLUMN_BY_FIELD, Table, _blank, _read_upload, read_table

JOB_KIND = "customer_import"
MAX_ROWS = 100_000
PREVIEW_ROWS = 10
BATCH = 2000


# --- services ------------------------------------------------------------------------------


@dataclass
class Preview:
    table: Table
    columns: list  # (header, field label or None)
    rows: list  # CheckedRow, the first PREVIEW_ROWS data rows


def customer_import_prepare(
    *,
    by,
    company,
    upload,
    project=None,
    all_or_nothing: bool = True,
    unknown_source: str = "error",
) -> Job:
    """Check the upload (size, type, columns) and keep it with a queued job for the preview.

    Nothing about customers is written; a file-level problem raises ApplicationError.
    ``unknown_source``: a source channel not on the company's list is a row error
    (``error``) or imported as "other" (``other``) (issue 9 item 12).
    """
    _require_import(by, company)
    if unknown_source not in UNKNOWN_SOURCE_CHOICES:
        raise ApplicationError(
            _("Choose what an unknown source channel becomes: error or other."),
            field="unknown_source",
        )
    if project is not None and project.company_id != company.pk:
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )
    data = _read_upload(upload)
    table = read_table(data, upload.name)
    first = next((r for r in table.rows if not _blank(r[1])), None)
    if first is None:
        raise ApplicationError(_("The file has column headers but no customers."), field="file")
    upload.seek(0)
    job = job_start(
        by=by,
        kind=JOB_KIND,
        company=company,
        title=_("Customer import: %(file)s") % {"file": upload.name[:150]},
        input_file=upload,
        params={
            "filename": upload.name,
            "project": project.pk if project else None,
            "all_or_nothing": bool(all_or_nothing),
            "unknown_source": unknown_source,
            "confirmed": False,
        },
        # The job list links here: the import's own page has the preview and the error report.
        next_url="customer_import:detail",
    )
    return job


def _job_upload(job):
    job.input_file.open("rb")
    try:
        return job.input_file.read()
    finally:
        job.input_file.close()


def _default_project(job):
    from anju.org.models import Project

    pid = job.params.get("project")
    return (
        Project.objects.unscoped("import job: checked at upload")
        .filter(pk=pid, company=job.company_id)
        .first()
        if pid
        else None
    )


def import_preview(*, by, job) -> Preview:
    """The mapping and the first rows of a prepared import, checked (read-only)."""
    table = read_table(_job_upload(job), job.params.get("filename", ""))
    checker = RowChecker(
        by=by,
        company=job.company,
        default_project=_default_project(job),
        header=table.header,
        mapping=table.mapping,
        unknown_source=job.params.get("unknown_source", "error"),
    )
    rows = []
    for number, cells in table.rows:
        if _blank(cells):
            continue
        rows.append(checker.check(number, cells))
        if len(rows) >= PREVIEW_ROWS:
            break
    checker.link_existing(rows)
    columns = [
        (h, COLUMN_BY_FIELD[table.mapping[i]].label if i in table.mapping else None)
        for i, h in enumerate(table.header)
        if h
    ]
    return Preview(table, columns, rows)


def preview_row_count(preview: Preview) -> int:
    """Every data row of the file (blank lines aside): the preview's and the rest of them."""
    return len(preview.rows) + sum(1 for _n, cells in preview.table.rows if not _blank(cells))


def import_job_for(user, job_id) -> Job:
    """An import job of the user's own, or one he may oversee (its file holds personal data:
    seeing the job row is not enough, SEC-2); anything else is 404."""
    job = job_for(user, job_id)
    if job.kind != JOB_KIND or not may_see_import(user, job):
        raise Http404("not found")
    return job


def upload_removed(job) -> bool:
    """The upload is gone: purged after 30 days (``core.jobs.purge_old_uploads``) or lost."""
    name = job.input_file.name if job.input_file else ""
    return not name or not job.input_file.storage.exists(name)


def upload_removed_message() -> str:
    return _(
        "The uploaded file was removed (uploaded files are kept for %(days)d days). "
        "Upload the file again."
    ) % {"days": UPLOAD_RETENTION_DAYS}


def customer_import_start(*, by, job) -> Job:
    """The user confirmed the preview: queue the import (runs after this transaction).

    A second start is a Conflict (``already_started``); so is a start after the upload was
    removed (``file_removed``: the worker would find no file).
    """
    from ..tasks_import import customer_import_task

    with transaction.atomic():
        job = (
            Job.objects.unscoped("lock the job the caller passed")
            .select_for_update()
            .get(pk=job.pk)
        )
        if job.kind != JOB_KIND or job.created_by_id != by.pk:
            raise NotPermitted()
        if job.params.get("confirmed") or job.status != Job.Status.QUEUED:
            raise Conflict(_("This import has already been started."), code="already_started")
        if upload_removed(job):
            raise Conflict(upload_removed_message(), code="file_removed")
        job.params = {**job.params, "confirmed": True}
        job.save(update_fields=["params", "updated_at"])
        transaction.on_commit(lambda: customer_import_task.enqueue(job.pk))
    return job


def run_customer_import(*, job_id: int) -> Job:
    """The background part: check every row, then write in one transaction (all or nothing)."""
    with job_running(job_id) as job:
        by = job.created_by
        try:
            return _run(job, by)
        except ApplicationError as exc:
            return job_finish(job=job, failed=True, message=str(exc))


def _run(job, by) -> Job:
    _require_import(by, job.company)
    all_or_nothing = job.params.get("all_or_nothing", True)
    table = read_table(_job_upload(job), job.params.get("filename", ""))
    checker = RowChecker(
        by=by,
        company=job.company,
        default_project=_default_project(job),
        header=table.header,
        mapping=table.mapping,
        unknown_source=job.params.get("unknown_source", "error"),
    )
    job_progress(job=job, done=0, total=0, message=_("Reading the file…"), force=True)
    raw = []
    for number, cells in table.rows:
        if _blank(cells):
            continue
        raw.append((number, cells))
        if len(raw) > MAX_ROWS:
            raise ApplicationError(
                _("The file has more than %(max)s rows. Split it into parts.")
                % {"max": f"{MAX_ROWS:,}"}
            )
    total = len(raw)
    # progress: checking counts as the first half, writing as the second
    job_progress(job=job, done=0, total=2 * total, message=_("Checking rows…"), force=True)
    checked, errors = [], []
    for start in range(0, total, BATCH):
        batch = [checker.check(n, cells) for n, cells in raw[start : start + BATCH]]
        checker.link_existing(batch)
        for r in batch:
            errors.extend(e.as_dict() for e in r.errors)
        checked.extend(batch)
        job_progress(job=job, done=start + len(batch))
    raw = None
    bad_rows = {e["row"] for e in errors}
    existing = [r.existing for r in checked if r.existing is not None]
    new = [r for r in checked if not r.errors and r.existing is None]
    result = {
        "rows": total,
        "bad_rows": len(bad_rows),
        "existing": len(existing),
        "existing_rows": existing[:1000],
        "created": 0,
        "all_or_nothing": all_or_nothing,
        "written": False,
    }
    if errors and all_or_nothing:
        # Nothing was imported: the job failed (issue 9 item 15), with its per-row report.
        return job_finish(
            job=job,
            failed=True,
            result=result,
            errors=errors,
            message=_(
                "%(bad)s of %(rows)s rows have problems, so nothing was imported. "
                "Correct them (see the report) and upload the file again."
            )
            % {"bad": len(bad_rows), "rows": total},
        )
    job_progress(job=job, done=total, message=_("Saving customers…"), force=True)
    try:
        with transaction.atomic():
            created = _write(job, by, new, done_before=total)
    except IntegrityError as exc:
        raise Conflict(
            _(
                "Some numbers were registered by colleagues while the import ran; nothing was "
                "imported. Start the import again."
            ),
            code="concurrent_change",
        ) from exc
    result.update(created=created, written=True)
    message = _("%(created)s customers imported, %(existing)s already existed.") % {
        "created": created,
        "existing": len(existing),
    }
    if errors:
        message += " " + _("%(bad)s rows with problems were skipped.") % {"bad": len(bad_rows)}
    return job_finish(job=job, result=result, errors=errors, message=message)


def _write(job, by, rows: list[CheckedRow], *, done_before: int) -> int:
    """Bulk-create customers, phones and their registration events; inside a transaction."""
    if not rows:
        return 0
    company = job.company
    now = timezone.now()
    first = allocate_number_block(kind="customer_code", scope=company, count=len(rows))
    protect = company.customer_protection_days

    written = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        customers = []
        for k, r in enumerate(batch):
            v = dict(r.values)
            project, owner = v.pop("project"), v.pop("owner")
            c = Customer(
                company=company,
                project=project,
                owner=owner,
                protected_until=now + timedelta(days=protect) if owner else None,
                code=customer_code(company, first + start + k),
                name_pinyin=name_pinyin(v["name"]),
                name_initials=name_initials(v["name"]),
                phone=r.phone,
                phone_last4=r.phone[-4:],
                last_activity_at=now,
                **v,
            )
            c.completeness = completeness_of(c)
            customers.append(c)
        Customer.objects.bulk_create(customers)
        CustomerPhone.objects.bulk_create(
            [CustomerPhone(company=company, customer=c, phone=c.phone) for c in customers]
        )
        record_events(
            by=by,
            verb="customer.registered",
            targets=customers,
            details=lambda c: {"owner": c.owner_id, "source": c.source, "import_job": job.pk},
        )
        # a status beyond "lead" is a move customer_set_status would have recorded
        record_events(
            by=by,
            verb="customer.status_changed",
            targets=[c for c in customers if c.status != CustomerStatus.LEAD],
            details=lambda c: {
                "from": CustomerStatus.LEAD,
                "to": c.status,
                "reason": "import",
                "import_job": job.pk,
            },
        )
        written += len(customers)
        # the second half of the bar: rows written, scaled to the rows checked
        job_progress(job=job, done=done_before + (start + len(batch)) * done_before // len(rows))
    return written


def error_report_rows(job):
    """Rows of the downloadable error report (header first)."""
    yield [_("Row"), _("Column"), _("Reason"), _("Value")]
    for e in job.errors or []:
        yield [e.get("row"), e.get("column"), e.get("reason"), e.get("value", "")]
