"""Approvals API (issue 12 item 6): the same selectors and services as the pages.

``GET /approvals/pending`` the requests waiting for my decision, ``GET /approvals/mine``
what I asked for; approve, reject (with a comment), withdraw (the requester only).
"""

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from anju.core.api_types import Id, Input, Pagination, may_answer, model_text

from . import selectors, services
from .models import ApprovalRequest, ApprovalStatus
from .registry import approval_kind

router = Router(tags=["approvals"])


class ApprovalOut(Schema):
    id: int
    kind: str
    kind_label: str
    summary: str
    description: str
    status: ApprovalStatus
    company_id: int
    project_id: int | None
    target_id: int
    target_url: str | None
    payload: dict
    requested_by_id: int | None
    requested_by_name: str
    created_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    comment: str

    @staticmethod
    def resolve_kind_label(obj):
        kind = approval_kind(obj.kind)
        return str(kind.label) if kind else obj.kind

    @staticmethod
    def resolve_description(obj):
        kind = approval_kind(obj.kind)
        return (kind.describe(obj) if kind and kind.describe else "") or ""

    @staticmethod
    def resolve_target_url(obj):
        kind = approval_kind(obj.kind)
        return kind.target_url(obj) if kind and kind.target_url else None

    @staticmethod
    def resolve_requested_by_name(obj):
        return str(obj.requested_by) if obj.requested_by_id else ""


class ApprovalDetailOut(ApprovalOut):
    may_decide: bool
    may_withdraw: bool


def _detail(request, approval) -> ApprovalDetailOut:
    approval.may_decide = services.may_decide(request.user, approval)
    approval.may_withdraw = approval.is_pending and approval.requested_by_id == request.user.pk
    return approval


@router.get("/approvals/pending", response=list[ApprovalOut])
@paginate(Pagination)
def list_pending_for_me(request):
    """Pending requests I may decide (the kind's permission where each one is; never my
    own), the longest waiting first."""
    return selectors.approvals_pending_for(request.user)


@router.get("/approvals/mine", response=list[ApprovalOut])
@paginate(Pagination)
def list_my_requests(request):
    """The requests I asked for, newest first, whatever their status."""
    return selectors.approvals_requested_by(request.user).select_related("requested_by")


@router.get("/approvals/{int:approval_id}", response=ApprovalDetailOut)
def get_approval(request, approval_id: Id):
    return _detail(request, selectors.approval_for(request.user, approval_id))


class ApproveIn(Input):
    comment: model_text(ApprovalRequest, "comment") = ""


class RejectIn(Input):
    """The comment is required: the requester is told why."""

    comment: model_text(ApprovalRequest, "comment", required=True)


@router.post(
    "/approvals/{int:approval_id}/approve",
    response=ApprovalDetailOut,
    openapi_extra=may_answer(409),
)
def approve(request, approval_id: Id, payload: ApproveIn):
    """Approve a pending request (403 ``four_eyes`` for one's own, 409 when already
    decided); the requesting app applies it in the same transaction."""
    approval = selectors.approval_for(request.user, approval_id)
    decided = services.approval_decide(
        by=request.user, request=approval, approve=True, comment=payload.comment
    )
    return _detail(request, decided)


@router.post(
    "/approvals/{int:approval_id}/reject",
    response=ApprovalDetailOut,
    openapi_extra=may_answer(409),
)
def reject(request, approval_id: Id, payload: RejectIn):
    approval = selectors.approval_for(request.user, approval_id)
    decided = services.approval_decide(
        by=request.user, request=approval, approve=False, comment=payload.comment
    )
    return _detail(request, decided)


@router.post(
    "/approvals/{int:approval_id}/withdraw",
    response=ApprovalDetailOut,
    openapi_extra=may_answer(409),
)
def withdraw(request, approval_id: Id):
    """The requester takes back his pending request (403 for anyone else)."""
    approval = selectors.approval_for(request.user, approval_id)
    return _detail(request, services.approval_withdraw(by=request.user, request=approval))
