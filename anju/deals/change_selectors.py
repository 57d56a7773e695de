"""Every read of the sales changes (SUB-5) a user sees, scoped with ``visible_to``.

Kept apart from ``selectors.py`` (the deals' other reads) so the two grow without
stepping on each other."""

from django.db.models import Prefetch

from anju.approvals.models import ApprovalRequest
from anju.core.scope import get_visible_or_404

from .models import CoBuyer, SalesChange
from .services.changes import CHANGE_APPROVAL_KIND


def sales_changes_visible_to(user):
    """The changes of the deals the user sees, newest first, each with the id of its
    approval request (``approval_id``): one query with the page."""
    return _with_approval(
        SalesChange.objects.visible_to(user)
        .select_related(
            "project", "requested_by", "subscription__customer", "subscription__unit__building"
        )
        .order_by("-created_at", "-id")
    )


def _with_approval(rows):
    from django.db.models import OuterRef, Subquery

    approvals = (
        ApprovalRequest.objects.unscoped("the approval request of a change the user sees")
        .filter(kind=CHANGE_APPROVAL_KIND, target_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return rows.annotate(approval_id=Subquery(approvals))


def sales_change_detail(user, pk) -> SalesChange:
    return get_visible_or_404(
        _with_approval(SalesChange.objects.all())
        .select_related(
            "project",
            "requested_by",
            "subscription__customer",
            "subscription__consultant",
            "subscription__unit__building",
        )
        .prefetch_related(
            Prefetch("subscription__co_buyers", queryset=CoBuyer.objects.select_related("customer"))
        ),
        user,
        pk=pk,
    )


def approval_of_change(user, change):
    """The change's approval request, if the user sees it (the requester, the approvers)."""
    return (
        ApprovalRequest.objects.visible_to(user)
        .select_related("decided_by")
        .filter(kind=CHANGE_APPROVAL_KIND, target_id=change.pk)
        .order_by("-created_at")
        .first()
    )


def approvals_of_changes(user, changes) -> dict:
    """{change id: approval request} for a page of changes, in one query."""
    ids = [c.pk for c in changes]
    if not ids:
        return {}
    rows = ApprovalRequest.objects.visible_to(user).filter(
        kind=CHANGE_APPROVAL_KIND, target_id__in=ids
    )
    return {r.target_id: r for r in rows}


def change_candidates(user, subscription, kind):
    """Whom a change of ``kind`` may name, among the customers the user sees: the buyer's
    co-buyers and recorded relations (CUS-7) for a rename, relations not yet co-buyers to
    add, the co-buyers to remove. The service checks again; this only fills the form."""
    from django.db.models import Q

    from anju.customers.models import Customer, CustomerRelation

    from .models import ChangeKind

    buyer_id = subscription.customer_id
    co_buyers = set(subscription.co_buyers.values_list("customer_id", flat=True))
    if kind == ChangeKind.REMOVE_CO_BUYER:
        ids = co_buyers
    else:
        pairs = (
            CustomerRelation.objects.unscoped("the relations of a buyer the user sees")
            .filter(Q(customer_id=buyer_id) | Q(related_id=buyer_id))
            .values_list("customer_id", "related_id")
        )
        related = {a if b == buyer_id else b for a, b in pairs} - {buyer_id}
        ids = (related | co_buyers) if kind == ChangeKind.RENAME else related - co_buyers
    return (
        Customer.objects.visible_to(user)
        .filter(pk__in=ids, merged_into__isnull=True, anonymised_at__isnull=True)
        .order_by("name", "pk")
    )


def available_units_for(user, subscription):
    """The units of the deal's project a change of unit may move it to."""
    from anju.inventory.models import Unit, UnitStatus

    return (
        Unit.objects.visible_to(user)
        .filter(project_id=subscription.project_id, status=UnitStatus.AVAILABLE)
        .select_related("building")
        .order_by("building__name", "floor", "position")
    )
