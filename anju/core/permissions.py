"""Action permissions: does a user's role, where he holds it, allow this action here?

Services call ``require_perm`` before writing; templates may call ``has_perm`` only to hide
buttons, never as the check itself.
"""

from django.apps import apps

from .errors import NotPermitted
from .roles import ROLE_PERMS, ROLE_SCOPE, Perm, ScopeLevel

# Permissions the superuser flag does not grant: seeing personal data in full needs a role
# that may (SEC-2, issue 7 item 9), so a technical administrator sees 138****5678 like
# everyone else unless he also holds, say, the data steward's role.
NOT_IMPLIED_BY_SUPERUSER = frozenset({Perm.UNMASK_PERSONAL_DATA})


def _assignment_covers(assignment, company_id, project_id) -> bool:
    level = ROLE_SCOPE[assignment.role]
    if level == ScopeLevel.ALL:
        return True
    if company_id is not None and assignment.company_id != company_id:
        return False
    if level == ScopeLevel.COMPANY or project_id is None:
        return True
    return assignment.project_id in (None, project_id)


def has_perm(user, perm, *, company=None, project=None) -> bool:
    """True if one of the user's role assignments grants ``perm`` covering company/project.

    ``company``/``project`` may be model instances or ids; leave both out to ask "anywhere".
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser and perm not in NOT_IMPLIED_BY_SUPERUSER:
        return True
    company_id = getattr(company, "pk", company)
    project_id = getattr(project, "pk", project)
    if project is not None and company_id is None:
        company_id = _company_of(project)
    return any(
        perm in ROLE_PERMS[a.role] and _assignment_covers(a, company_id, project_id)
        for a in user.role_assignments.all()
    )


def _company_of(project):
    """The company a project (instance or id) belongs to, so a company-level role held in
    another company never covers it (ORG-2). An unknown project belongs to no company."""
    company_id = getattr(project, "company_id", None)
    if company_id is None:
        Project = apps.get_model("org", "Project")
        company_id = (
            Project.objects.unscoped("a permission check needs the project's company")
            .filter(pk=getattr(project, "pk", project))
            .values_list("company_id", flat=True)
            .first()
        )
    return _NO_COMPANY if company_id is None else company_id


_NO_COMPANY = object()  # matches no assignment's company


def require_perm(user, perm, *, company=None, project=None) -> None:
    if not has_perm(user, perm, company=company, project=project):
        raise NotPermitted()


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return {a.role for a in user.role_assignments.all()}
