"""Organisation reads, scoped to the user (ORG-2)."""

from django.db.models import Exists, OuterRef, Prefetch, Q

from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404

from .models import Company, Project, RoleAssignment, User


def companies_visible_to(user):
    return Company.objects.visible_to(user).filter(is_active=True).order_by("code")


def projects_visible_to(user, *, company=None):
    qs = Project.objects.visible_to(user).filter(is_active=True).select_related("company")
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("company__code", "code")


def staff_visible_to(user, *, company=None):
    qs = User.objects.visible_to(user).filter(is_active=True).select_related("company")
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("username")


def staff_list(user, *, company_id=None, project_id=None, role=None, active=None, q=None):
    """Staff accounts the user may see (ORG-2), for the staff API; inactive ones included
    unless ``active`` says otherwise. ``project_id``/``role``: holds a role there / that role.
    Administrators only (``Perm.MANAGE_ORG``): everyone else gets ``NotPermitted``.
    """
    require_perm(user, Perm.MANAGE_ORG)
    qs = User.objects.visible_to(user).select_related("company", "department")
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    if project_id is not None or role is not None:
        held = RoleAssignment.objects.filter(user=OuterRef("pk"))
        if project_id is not None:
            held = held.filter(project_id=project_id)
        if role is not None:
            held = held.filter(role=role)
        qs = qs.filter(Exists(held))
    if active is not None:
        qs = qs.filter(is_active=active)
    if q:
        qs = qs.filter(
            Q(username__icontains=q)
            | Q(display_name__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
        )
    return qs.prefetch_related(_assignments()).order_by("username", "pk")


def _assignments():
    return Prefetch(
        "role_assignments",
        queryset=RoleAssignment.objects.unscoped("the roles of staff the user sees").order_by(
            "company_id", "project_id", "role", "pk"
        ),
    )


def staff_detail(user, staff_id) -> User:
    """One staff account the user may see, active or not, with its role assignments.

    Out of the user's scope: 404; in scope but not an administrator there: ``NotPermitted``.
    """
    staff = get_visible_or_404(
        User.objects.select_related("company", "department").prefetch_related(_assignments()),
        user,
        pk=staff_id,
    )
    require_perm(user, Perm.MANAGE_ORG, company=staff.company_id)
    return staff


def role_assignments_of(staff: User):
    """The roles of a staff member the caller already read through ``staff_detail``."""
    return (
        RoleAssignment.objects.unscoped("the roles of a staff member the caller sees")
        .filter(user=staff)
        .order_by("company_id", "project_id", "role", "pk")
    )


def role_assignment_of(user, staff_id, assignment_id) -> RoleAssignment:
    """One role assignment of ``staff_id`` the user may see, or 404."""
    return get_visible_or_404(
        RoleAssignment.objects.select_related("user", "company", "project"),
        user,
        pk=assignment_id,
        user_id=staff_id,
    )
