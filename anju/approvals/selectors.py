"""Every read of approval requests a user sees (SEAMS.md: ``approvals_pending_for``,
``approvals_requested_by``).

"Pending for me" is one query: the requests the user sees (``visible_to``), pending, not
his own, of a kind whose permission he holds *where the request is*. The permission part is
built in Python from his role assignments (read once per request by ``ScopeMiddleware``),
so the navigation count costs one cheap COUNT.
"""

from django.db.models import Q

from anju.core.roles import ROLE_PERMS, ROLE_SCOPE, ScopeLevel
from anju.core.scope import get_visible_or_404

from .models import ApprovalRequest, ApprovalStatus
from .registry import approval_kinds

_NOTHING = Q(pk__in=[])


def decidable_q(user) -> Q:
    """Where ``user`` holds each kind's permission, as a filter on ApprovalRequest.

    The same rule as ``core.permissions.has_perm`` for a request's company/project: an
    ALL-level role covers everything, a company-level one its company, a project-level one
    its project (and company-wide requests of its company).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NOTHING
    kinds = approval_kinds()
    if user.is_superuser:
        return Q(kind__in=sorted(k.name for k in kinds)) if kinds else _NOTHING
    q = _NOTHING
    assignments = list(user.role_assignments.all())
    for kind in kinds:
        for a in assignments:
            if kind.perm not in ROLE_PERMS[a.role]:
                continue
            q |= Q(kind=kind.name) & _place_q(a)
    return q


def _place_q(assignment) -> Q:
    level = ROLE_SCOPE[assignment.role]
    if level == ScopeLevel.ALL:
        return Q()
    in_company = Q(company_id=assignment.company_id)
    if level == ScopeLevel.COMPANY or assignment.project_id is None:
        return in_company
    return in_company & (Q(project_id=assignment.project_id) | Q(project__isnull=True))


def approvals_pending_for(user):
    """Pending requests ``user`` may decide: visible, not his own, his permission there."""
    return (
        ApprovalRequest.objects.visible_to(user)
        .filter(status=ApprovalStatus.PENDING)
        .filter(decidable_q(user))
        .exclude(requested_by_id=user.pk)
        .select_related("requested_by", "project", "company")
        .order_by("created_at", "id")  # oldest first: the longest waiting is answered first
    )


def approvals_requested_by(user):
    """The requests ``user`` asked for, newest first."""
    return (
        ApprovalRequest.objects.visible_to(user)
        .filter(requested_by_id=user.pk)
        .select_related("decided_by", "project", "company")
        .order_by("-created_at", "-id")
    )


def pending_count_for(user) -> int:
    """The navigation badge: one COUNT query, none for a user who may decide no kind.

    The menu asks at most once per request (``core.navigation.LazyBadge``).
    """
    if decidable_q(user) == _NOTHING:
        return 0
    return approvals_pending_for(user).count()


def approval_for(user, pk):
    """One request the user may see (requester or a decider in scope); 404 otherwise."""
    return get_visible_or_404(
        ApprovalRequest.objects.select_related("requested_by", "decided_by", "project", "company"),
        user,
        pk=pk,
    )
