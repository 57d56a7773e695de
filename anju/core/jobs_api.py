"""Background jobs through the API (issue 8 item 3, INT-1): imports, exports, data packages.

The same reads as the job pages: ``GET /jobs`` is the caller's own jobs (``jobs_started_by``),
``GET /jobs/{id}`` any job the job page would show (``job_for``: his own; managers: their
company's), else 404. What a job offers (a file to download, an error report) comes from the
app that runs it (``core.jobs.register_job_links``), only to who may use it.
"""

from datetime import datetime

from django.db.models import Func, IntegerField
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from .api_types import Id, Pagination
from .jobs import job_for, job_links, jobs_started_by
from .models import Job

router = Router(tags=["jobs"])

# What a job's result may say through the API: counts and flags, never a stored file's path
# nor lists of rows (an import's existing customers).
_HIDDEN_RESULT_KEYS = {"file"}


class JobProgressOut(Schema):
    done: int = Field(description="units done (rows, steps)")
    total: int = Field(description="units to do; 0 while not yet known")


class JobOut(Schema):
    id: int
    kind: str = Field(description="customer_import, export, customer_data_package, …")
    title: str
    status: Job.Status
    progress: JobProgressOut
    percent: int = Field(ge=0, le=100)
    message: str = Field(description="what the job says now, in the starter's language")
    created_by_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    result: dict[str, int | float | str | bool | None] = Field(
        description="the job's summary when finished (counts, file name, expiry)"
    )
    error_count: int = Field(description="rows or items the job reported as problems")
    download_url: str | None = Field(description="the file the job made, for its requester")
    errors_url: str | None = Field(description="the job's problems, for who may read them")

    @staticmethod
    def resolve_progress(obj):
        return {"done": obj.progress_done, "total": obj.progress_total}

    @staticmethod
    def resolve_result(obj):
        return {
            k: v
            for k, v in (obj.result or {}).items()
            if k not in _HIDDEN_RESULT_KEYS and (v is None or isinstance(v, int | float | str))
        }

    @staticmethod
    def resolve_error_count(obj):
        count = getattr(obj, "error_count", None)
        if count is None:
            count = len(obj.errors or [])
        return count + int((obj.result or {}).get("errors_not_stored") or 0)

    @staticmethod
    def resolve_download_url(obj, context):
        return _links(obj, context).get("download_url")

    @staticmethod
    def resolve_errors_url(obj, context):
        return _links(obj, context).get("errors_url")


def _links(job, context) -> dict:
    request = context["request"]
    cached = getattr(job, "_api_links", None)
    if cached is None:
        cached = job._api_links = job_links(request.user, job)
    return cached


class JsonArrayLength(Func):
    """The length of a JSON array column (SQLite ``json_array_length``, PostgreSQL jsonb)."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


@router.get("/jobs", response=list[JobOut])
@paginate(Pagination, page_size=50)
def list_jobs(request):
    """Your own imports, exports and data packages, newest first."""
    # The errors themselves stay in the database: only their number is read.
    return (
        jobs_started_by(request.user)
        .defer("errors")
        .annotate(error_count=JsonArrayLength("errors"))
    )


@router.get("/jobs/{int:job_id}", response=JobOut)
def get_job(request, job_id: Id):
    """A job's status and progress: poll it until ``status`` is succeeded or failed."""
    return job_for(request.user, job_id)
