"""Background jobs with progress (imports, campaigns, reports): the kernel side.

A page starts a job and shows its progress; a django-tasks task does the work::

    job = job_start(by=user, kind="customer_import", company=c, input_file=f, params={...})
    transaction.on_commit(lambda: my_task.enqueue(job.pk))        # rule 4

    @task()
    def my_task(job_id):
        with job_running(job_id) as job:                     # queued → running
            for i, row in enumerate(rows):
                job_progress(job=job, done=i + 1, total=len(rows))
            job_finish(job=job, result={...}, errors=[...])   # → succeeded / failed

``job_running`` turns any unexpected exception into a failed job with a generic message (the
traceback goes to the log), so a job never stays "running" forever.

Progress must be visible while the work runs inside one long transaction (all-or-nothing
imports). On PostgreSQL ``job_progress`` therefore writes through a second, autocommit
connection when the caller is inside ``transaction.atomic``; on SQLite (one writer at a
time) it writes through the same connection, so the bar moves when the transaction ends.
The work's transaction must never write the job row itself, or the two would wait on each
other.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Job
from .scope import get_visible_or_404

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5
MAX_STORED_ERRORS = 20_000

_side = threading.local()
_last_write: dict[int, float] = {}


def job_start(
    *,
    by,
    kind: str,
    company=None,
    title: str = "",
    params: dict | None = None,
    input_file=None,
    total: int = 0,
    next_url: str | None = None,
    task=None,
) -> Job:
    """Create a queued job.

    ``next_url``: the name of the URL that opens the job's result, reversed with the job's
    id (the job pages and the API link to it). ``task``: enqueued with the job's id once the
    caller's transaction commits; leave it out when a later step starts the work (an
    import waits for its preview to be confirmed).
    """
    job = Job(
        company_id=getattr(company, "pk", company),
        created_by=by if getattr(by, "pk", None) else None,
        kind=kind,
        title=title[:200],
        params=params or {},
        progress_total=total,
    )
    if input_file is not None:
        job.input_file.save(getattr(input_file, "name", "upload") or "upload", input_file, False)
    job.save()
    if next_url:
        job.params["next_url"] = reverse(next_url, args=[job.pk])
        job.save(update_fields=["params"])
    if task is not None:
        transaction.on_commit(lambda: task.enqueue(job.pk))
    return job


def job_progress(
    *,
    job: Job,
    done: int,
    total: int | None = None,
    message: str | None = None,
    force: bool = False,
) -> None:
    """Report progress (``done`` of ``total``). Cheap to call per row: writes are throttled."""
    job.progress_done = done
    if total is not None:
        job.progress_total = total
    if message is not None:
        job.message = message[:300]
    if job.status == Job.Status.QUEUED:
        job.status = Job.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        force = True
    now = time.monotonic()
    if not force and now - _last_write.get(job.pk, 0.0) < PROGRESS_EVERY_SECONDS:
        return
    _last_write[job.pk] = now
    values = {
        "status": job.status,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "message": job.message,
        "started_at": job.started_at,
        "updated_at": timezone.now(),
    }
    if connection.vendor == "postgresql" and _in_work_transaction():
        _side_update(job.pk, values)
    else:  # SQLite has one writer: inside a transaction the bar moves when it commits
        Job.objects.unscoped("progress of the running job").filter(pk=job.pk).update(**values)


def job_finish(
    *,
    job: Job,
    result: dict | None = None,
    errors: list | None = None,
    failed: bool = False,
    message: str = "",
) -> Job:
    """Mark the job succeeded (or failed) with its result and errors (kept to 20,000)."""
    errors = list(errors or [])
    result = dict(result or {})
    if len(errors) > MAX_STORED_ERRORS:
        result["errors_not_stored"] = len(errors) - MAX_STORED_ERRORS
        errors = errors[:MAX_STORED_ERRORS]
    job.status = Job.Status.FAILED if failed else Job.Status.SUCCEEDED
    job.result = result
    job.errors = errors
    job.message = (message or job.message)[:300]
    job.finished_at = timezone.now()
    job.started_at = job.started_at or job.finished_at
    if not failed and job.progress_total:
        job.progress_done = job.progress_total
    job.save(
        update_fields=[
            "status",
            "result",
            "errors",
            "message",
            "progress_done",
            "progress_total",
            "started_at",
            "finished_at",
            "updated_at",
        ]
    )
    _last_write.pop(job.pk, None)
    _close_side()
    return job


@contextmanager
def job_running(job_or_id):
    """Load the job, mark it running, and fail it cleanly on an unexpected exception."""
    job = (
        job_or_id
        if isinstance(job_or_id, Job)
        else Job.objects.unscoped("the worker loads its job").get(pk=job_or_id)
    )
    if job.is_finished:
        raise RuntimeError(f"job {job.pk} already finished")
    job_progress(job=job, done=job.progress_done, force=True)
    try:
        yield job
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.refresh_from_db(fields=["status"])
        if not job.is_finished:
            job_finish(
                job=job,
                failed=True,
                message=_("The job stopped because of an internal error. Nothing was saved."),
            )
        raise
    finally:
        _close_side()


def private_root() -> Path:
    """Where jobs write the files they make for one user (data packages, exports): not
    MEDIA_ROOT, not static, served by no URL; read only by the download that checks who asks."""
    return Path(getattr(settings, "ANJU_PRIVATE_ROOT", settings.VAR_DIR / "private"))


def jobs_started_by(user):
    """The user's own jobs (scoped like every read), newest first."""
    return Job.objects.visible_to(user).filter(created_by=user).order_by("-created_at", "-id")


_LINKS: dict = {}


def register_job_links(kind: str, fn) -> None:
    """``fn(user, job) -> {"download_url": …, "errors_url": …}``: what the job offers this user
    (the jobs API shows it). An app registers its kinds; links must not query per job."""
    _LINKS[kind] = fn


def job_links(user, job) -> dict:
    fn = _LINKS.get(job.kind)
    return fn(user, job) if fn is not None else {}


def job_for(user, job_id) -> Job:
    """One job the user may see (his own; managers: their company's), or 404."""
    return get_visible_or_404(Job.objects.select_related("created_by"), user, pk=job_id)


def _in_work_transaction() -> bool:
    """Inside transaction.atomic — not counting the one a test case wraps around itself."""
    conn = transaction.get_connection()
    return conn.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks
    )


# --- the second connection for progress inside a long transaction (PostgreSQL) --------------


def _side_update(job_id: int, values: dict) -> None:
    conn = getattr(_side, "conn", None)
    try:
        if conn is None:
            conn = _side.conn = connections.create_connection(DEFAULT_DB_ALIAS)
        sets = ", ".join(f"{connection.ops.quote_name(k)} = %s" for k in values)
        with conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(Job._meta.db_table)} SET {sets} WHERE id = %s",
                [*values.values(), job_id],
            )
    except Exception:  # noqa: BLE001 – progress is best effort, never the job's failure
        log.warning("could not report progress of job %s", job_id, exc_info=True)
        _close_side()


def _close_side() -> None:
    conn = getattr(_side, "conn", None)
    if conn is not None:
        try:
            conn.close()
        finally:
            _side.conn = None


UPLOAD_RETENTION_DAYS = 30


def purge_old_uploads(*, now=None, days=UPLOAD_RETENTION_DAYS) -> int:
    """Delete uploaded files of jobs finished more than ``days`` ago (they hold personal
    data, PIPL), and mask what the job kept of the rows: error values, names, numbers
    (issue 7 item 9). The job row, its counts and its error reasons stay."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import Job

    cutoff = (now or timezone.now()) - timedelta(days=days)
    purged = 0
    old = (
        Job.objects.unscoped("periodic purge")
        .filter(updated_at__lt=cutoff)
        .exclude(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    )
    for job in old.iterator():
        if job.input_file:
            job.input_file.delete(save=False)
            Job.objects.unscoped("periodic purge").filter(pk=job.pk).update(input_file="")
            purged += 1
        if not (job.params or {}).get(PERSONAL_DATA_PURGED):
            Job.objects.unscoped("periodic purge").filter(pk=job.pk).update(
                params={**scrub_personal_data(job.params or {}), PERSONAL_DATA_PURGED: True},
                result=scrub_personal_data(job.result or {}),
                errors=scrub_personal_data(job.errors or []),
            )
    return purged


PERSONAL_DATA_PURGED = "personal_data_purged"


def scrub_personal_data(data):
    """A job's params/result/errors without the personal data of the rows it read.

    A cell's value (``value``) is dropped; names and numbers under their usual keys are
    masked; numbers inside any other text (an error reason) are masked too.
    """
    from .masking import mask_id_number, mask_name, mask_phone, mask_text

    by_key = {
        "value": lambda v: "",
        "name": mask_name,
        "phone": mask_phone,
        "id_number": mask_id_number,
        "email": lambda v: "",
    }
    if isinstance(data, dict):
        return {
            k: by_key[k](v) if k in by_key and isinstance(v, str) else scrub_personal_data(v)
            for k, v in data.items()
        }
    if isinstance(data, list | tuple):
        return [scrub_personal_data(v) for v in data]
    if isinstance(data, str):
        return mask_text(data)
    return data
