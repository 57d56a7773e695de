"""PIPL API (SEC-2, issue 7 items 13–14): data packages and erasure requests, through the
same services and scoped selectors as the pages."""

from datetime import datetime

from django.http import FileResponse
from django.urls import reverse
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from anju.core.api_types import Id, Input, Pagination, Text, may_answer
from anju.core.jobs import job_for

from . import privacy_selectors as selectors
from . import privacy_services as services
from .privacy_models import ErasureSource, ErasureStatus
from .selectors import customer_detail

router = Router(tags=["privacy"])


class PackageJobOut(Schema):
    job_id: int
    status: str
    percent: int
    message: str
    download_url: str | None


class ErasureRequestIn(Input):
    reason: Text(500, required=True, multiline=True)


class DecisionIn(Input):
    note: Text(500, multiline=True) = ""


class ErasureRequestOut(Schema):
    id: int
    customer_id: int
    customer_code: str
    source: ErasureSource
    status: ErasureStatus
    reason: str
    requested_by_id: int | None
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str
    applied_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_customer_code(obj):
        return obj.customer.code


def _package_out(job):
    ready = job.status == job.Status.SUCCEEDED and bool((job.result or {}).get("file"))
    return {
        "job_id": job.pk,
        "status": job.status,
        "percent": job.percent,
        "message": job.message,
        "download_url": reverse("api:privacy_package_download", args=[job.pk]) if ready else None,
    }


def package_job_links(user, job) -> dict:
    """The jobs API's link for a data package: the download, for its requester only."""
    if job.created_by_id != user.pk or not services.package_available(job):
        return {}
    return {"download_url": reverse("api:privacy_package_download", args=[job.pk])}


def _package_job(request, job_id):
    job = job_for(request.user, job_id)
    if job.kind != services.PACKAGE_KIND or job.created_by_id != request.user.pk:
        from django.http import Http404

        raise Http404("not found")
    return job


@router.post(
    "/customers/{int:customer_id}/data-package",
    response={202: PackageJobOut},
    openapi_extra=may_answer(409),
)
def start_data_package(request, customer_id: Id):
    """Start building the customer's data package (.zip of .xlsx + .json); poll the job."""
    customer = customer_detail(request.user, customer_id)
    job = services.data_package_start(
        by=request.user, customer=customer, language=getattr(request, "LANGUAGE_CODE", None)
    )
    return Status(202, _package_out(job))


@router.get("/data-packages/{int:job_id}", response=PackageJobOut)
def data_package_status(request, job_id: Id):
    return _package_out(_package_job(request, job_id))


@router.get(
    "/data-packages/{int:job_id}/download",
    url_name="privacy_package_download",
    response={200: None},
    openapi_extra={
        "responses": {200: {"content": {"application/zip": {}}, "description": "the package"}},
        **may_answer(409),
    },
)
def download_data_package(request, job_id: Id):
    """The package, for whoever started it; every download is logged (export)."""
    path, filename = services.data_package_open(
        by=request.user, job_id=job_id, ip=request.META.get("REMOTE_ADDR")
    )
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/customers/{int:customer_id}/erasure-requests",
    response={201: ErasureRequestOut},
    openapi_extra=may_answer(409),
)
def request_erasure(request, customer_id: Id, payload: ErasureRequestIn):
    customer = customer_detail(request.user, customer_id)
    erasure = services.erasure_request(by=request.user, customer=customer, reason=payload.reason)
    return Status(201, erasure)


@router.get("/erasure-requests", response=list[ErasureRequestOut])
@paginate(Pagination, page_size=50)
def list_erasure_requests(request, status: ErasureStatus | None = None):
    return selectors.erasure_requests(request.user, status=status)


@router.get("/erasure-requests/{int:request_id}", response=ErasureRequestOut)
def get_erasure_request(request, request_id: Id):
    return selectors.erasure_request_detail(request.user, request_id)


@router.post(
    "/erasure-requests/{int:request_id}/approve",
    response=ErasureRequestOut,
    openapi_extra=may_answer(409),
)
def approve_erasure(request, request_id: Id, payload: DecisionIn):
    """Four eyes: someone other than the requester approves; the erasure is applied at once."""
    erasure = selectors.erasure_request_detail(request.user, request_id)
    return services.erasure_approve(by=request.user, request=erasure, note=payload.note)


@router.post(
    "/erasure-requests/{int:request_id}/reject",
    response=ErasureRequestOut,
    openapi_extra=may_answer(409),
)
def reject_erasure(request, request_id: Id, payload: DecisionIn):
    erasure = selectors.erasure_request_detail(request.user, request_id)
    return services.erasure_reject(by=request.user, request=erasure, note=payload.note)
