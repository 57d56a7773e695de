"""Every write of the approval mechanism (SEAMS.md: these signatures are a contract).

    approval_request(*, by, kind, company, project=None, target_id, payload, summary)
    approval_decide(*, by, request, approve, comment="")
    approval_withdraw(*, by, request)

The rules, each with a test in ``tests/test_services.py``:

- a decider needs the kind's permission where the request is (its company/project) and must
  see it (scope);
- nobody decides his own request (four eyes) — a refusal, nothing changes;
- only a pending request moves, once (``STATUS_TRANSITIONS``): the row is locked
  (``select_for_update``), so of two concurrent decisions exactly one wins;
- only the requester withdraws;
- the kind's handler runs inside the deciding transaction: when it raises, the decision is
  rolled back with everything it wrote;
- every change is an event (who, when, comment).
"""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.permissions import has_perm
from anju.core.scope import can_see
from anju.core.transitions import check_transition
from anju.core.validation import validate_fields

from .models import STATUS_TRANSITIONS, ApprovalRequest, ApprovalStatus
from .registry import ApprovalKind, approval_kind

PAYLOAD_MAX_CHARS = 10_000


@transaction.atomic
def approval_request(
    *,
    by,
    kind: str,
    company,
    project=None,
    target_id: int,
    payload: dict,
    summary: str,
) -> ApprovalRequest:
    """Ask for an approval of ``kind`` about the row ``target_id``.

    The calling app has already checked that ``by`` may ask (its own permission, the
    target's scope). A second pending request for the same kind and target is refused
    (``already_requested``): the first one is answered, or withdrawn, first.
    """
    registered = _kind_or_error(kind)
    company_id = getattr(company, "pk", company)
    project_id = getattr(project, "pk", project)
    _check_project_in_company(project, project_id, company_id)
    request = ApprovalRequest(
        company_id=company_id,
        project_id=project_id,
        kind=registered.name,
        target_id=target_id,
        payload=_checked_payload(payload),
        summary=(summary or "").strip(),
        requested_by=by if getattr(by, "pk", None) else None,
    )
    if not request.summary:
        raise ApplicationError(_("Say what is to be approved."), field="summary", code="required")
    validate_fields(request, ["summary", "kind"])
    if _pending_exists(registered.name, target_id):
        raise _already_requested()
    try:
        with transaction.atomic():  # a concurrent twin loses on the unique constraint
            request.save()
    except IntegrityError as exc:
        raise _already_requested() from exc
    record_event(
        by=by,
        verb="approvals.requested",
        target=request,
        details={"kind": request.kind, "target_id": request.target_id, "summary": request.summary},
    )
    return request


@transaction.atomic
def approval_decide(*, by, request, approve: bool, comment: str = "") -> ApprovalRequest:
    """Approve or reject a pending request; the kind's handler runs in this transaction.

    A rejection needs a comment (the requester is told why); an approval may have one.
    """
    request = _lock(request)
    kind = _kind_or_error(request.kind, conflict=True)
    _require_decider(by, request, kind)
    to = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    check_transition(
        allowed=STATUS_TRANSITIONS,
        current=ApprovalStatus(request.status),
        to=to,
        label=_("The approval request"),
    )
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ApplicationError(_("Say why it is rejected."), field="comment", code="required")
    request.status = to
    request.decided_by = by
    request.decided_at = timezone.now()
    request.comment = comment
    validate_fields(request, ["comment"])
    request.save(update_fields=["status", "decided_by", "decided_at", "comment", "updated_at"])
    record_event(
        by=by,
        verb="approvals.approved" if approve else "approvals.rejected",
        target=request,
        details={"kind": request.kind, "target_id": request.target_id, "comment": comment},
    )
    handler = kind.on_approved if approve else kind.on_rejected
    if handler is not None:
        handler(by=by, request=request)  # raises → the whole decision rolls back
    return request


@transaction.atomic
def approval_withdraw(*, by, request) -> ApprovalRequest:
    """The requester takes back his pending request (nobody else may)."""
    request = _lock(request)
    if by is None or request.requested_by_id != by.pk:
        raise NotPermitted(_("Only the person who asked may withdraw a request."))
    check_transition(
        allowed=STATUS_TRANSITIONS,
        current=ApprovalStatus(request.status),
        to=ApprovalStatus.WITHDRAWN,
        label=_("The approval request"),
    )
    request.status = ApprovalStatus.WITHDRAWN
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    record_event(
        by=by,
        verb="approvals.withdrawn",
        target=request,
        details={"kind": request.kind, "target_id": request.target_id},
    )
    kind = approval_kind(request.kind)
    if kind is not None and kind.on_withdrawn is not None:
        kind.on_withdrawn(by=by, request=request)
    return request


def approvals_withdraw_for_target(*, by, kind: str, target_id: int) -> int:
    """The requesting app withdraws what is pending about a target that no longer needs it
    (a released subscription): each request marked withdrawn with its event, no handler run
    (the app is already changing the target itself). Returns how many were pending."""
    pending = list(
        ApprovalRequest.objects.unscoped("the pending requests about a target its app closes")
        .select_for_update()
        .filter(kind=kind, target_id=target_id, status=ApprovalStatus.PENDING)
    )
    for request in pending:
        request.status = ApprovalStatus.WITHDRAWN
        request.decided_by = by
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        record_event(
            by=by,
            verb="approvals.withdrawn",
            target=request,
            details={"kind": request.kind, "target_id": request.target_id},
        )
    return len(pending)


# --- rules ------------------------------------------------------------------------------------


def may_decide(user, request, kind: ApprovalKind | None = None) -> bool:
    """Could ``user`` decide ``request`` (loaded, visible to him)? For buttons and the API's
    ``may_decide`` flag; the service checks again under the lock."""
    kind = kind or approval_kind(request.kind)
    return (
        kind is not None
        and request.is_pending
        and getattr(user, "pk", None) is not None
        and request.requested_by_id != user.pk
        and has_perm(user, kind.perm, company=request.company_id, project=request.project_id)
    )


def _require_decider(by, request, kind: ApprovalKind) -> None:
    if by is None or not can_see(by, request):  # asked afresh: a write, not a page
        raise NotPermitted()
    if request.requested_by_id == by.pk:
        raise NotPermitted(
            _("Someone other than the requester must decide this request."), code="four_eyes"
        )
    if not has_perm(by, kind.perm, company=request.company_id, project=request.project_id):
        raise NotPermitted()


def _lock(request) -> ApprovalRequest:
    return (
        ApprovalRequest.objects.unscoped("lock a request its caller already scoped")
        .select_for_update()
        .get(pk=request.pk)
    )


def _pending_exists(kind: str, target_id: int) -> bool:
    return (
        ApprovalRequest.objects.unscoped("one pending request per target, whoever asked")
        .filter(kind=kind, target_id=target_id, status=ApprovalStatus.PENDING)
        .exists()
    )


def _already_requested() -> Conflict:
    return Conflict(
        _("A request for this is already waiting for approval."), code="already_requested"
    )


def _kind_or_error(name: str, *, conflict: bool = False) -> ApprovalKind:
    kind = approval_kind(name)
    if kind is None:
        cls = Conflict if conflict else ApplicationError
        raise cls(
            _("Unknown kind of approval: %(kind)s.") % {"kind": name},
            field="kind",
            code="unknown_approval_kind",
        )
    return kind


def _check_project_in_company(project, project_id, company_id) -> None:
    if project_id is None:
        return
    project_company = getattr(project, "company_id", None)
    if project_company is None:
        from anju.org.models import Project

        project_company = (
            Project.objects.unscoped("the company of the project a request names")
            .filter(pk=project_id)
            .values_list("company_id", flat=True)
            .first()
        )
    if project_company != company_id:
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )


def _checked_payload(payload) -> dict:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ApplicationError(_("The payload must be an object."), field="payload")
    try:
        text = json.dumps(payload, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(
            _("The payload must be plain JSON (text, numbers, lists, objects)."), field="payload"
        ) from exc
    if len(text) > PAYLOAD_MAX_CHARS:
        raise ApplicationError(_("The payload is too large."), field="payload")
    return json.loads(text)
