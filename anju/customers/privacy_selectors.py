"""PIPL reads (SEC-2): erasure requests, a user's data packages, retention policies — scoped."""

from django.http import Http404

from anju.core.jobs import jobs_started_by
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404

from .privacy_models import ErasureRequest, ErasureStatus
from .privacy_services import PACKAGE_KIND, retention_policy_for


def may_use_privacy_pages(user) -> bool:
    return has_perm(user, Perm.PERSONAL_DATA_REQUESTS) or has_perm(user, Perm.REQUEST_ERASURE)


def erasure_requests(user, *, status=None):
    """Requests in the user's scope, for who handles or may file them (not consultants)."""
    if not may_use_privacy_pages(user):
        return ErasureRequest.objects.none()
    qs = ErasureRequest.objects.visible_to(user).select_related(
        "customer", "company", "requested_by", "decided_by"
    )
    if status in ErasureStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def erasure_request_detail(user, request_id) -> ErasureRequest:
    if not may_use_privacy_pages(user):
        raise Http404("not found")
    return get_visible_or_404(
        ErasureRequest.objects.select_related("customer", "requested_by", "decided_by"),
        user,
        pk=request_id,
    )


def pending_erasure(user, customer) -> ErasureRequest | None:
    """The customer's erasure request waiting for approval, if the user's scope covers it:
    the 360° page says so to whoever sees the customer (issue 7 item 14)."""
    return (
        ErasureRequest.objects.visible_to(user)
        .filter(customer=customer, status=ErasureStatus.PENDING)
        .first()
    )


def my_data_packages(user, *, limit=20):
    return list(jobs_started_by(user).filter(kind=PACKAGE_KIND)[:limit])


def retention_policies(user):
    """(company, policy) for each company whose policy the user may change."""
    from anju.org.models import Company

    return [
        (company, retention_policy_for(company))
        for company in Company.objects.visible_to(user).filter(is_active=True).order_by("code")
        if has_perm(user, Perm.PERSONAL_DATA_REQUESTS, company=company)
    ]
