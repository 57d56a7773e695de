"""Organisation writes: companies, projects, staff and their roles."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError
from anju.core.permissions import require_perm
from anju.core.roles import PROJECT_BOUND_ROLES, Perm, Role
from anju.core.scope import forget_grants
from anju.core.validation import validate_fields

from .models import Company, Department, Holding, Project, RoleAssignment, User


def _require_admin(by, company=None):
    if by is not None:  # None: the system itself (demo data, migrations)
        require_perm(by, Perm.MANAGE_ORG, company=company)


@transaction.atomic
def company_create(*, by, holding: Holding, code: str, name: str, city: str) -> Company:
    _require_admin(by)
    if Company.objects.unscoped("codes are unique everywhere").filter(code=code).exists():
        raise ApplicationError(
            _("A company with code %(code)s exists.") % {"code": code}, field="code"
        )
    company = Company(holding=holding, code=code, name=name, city=city)
    validate_fields(company, ["code", "name", "city"])
    company.save()
    return company


@transaction.atomic
def project_create(*, by, company: Company, code: str, name: str, address: str = "") -> Project:
    _require_admin(by, company)
    if (
        Project.objects.unscoped("codes are unique in the company")
        .filter(company=company, code=code)
        .exists()
    ):
        raise ApplicationError(
            _("A project with code %(code)s exists.") % {"code": code}, field="code"
        )
    project = Project(company=company, code=code, name=name, address=address)
    validate_fields(project, ["code", "name", "address"])
    project.save()
    return project


@transaction.atomic
def staff_create(
    *,
    by,
    username: str,
    password: str | None,
    display_name: str,
    company: Company | None,
    department: Department | None = None,
    phone: str = "",
    roles=(),
) -> User:
    """Create a staff account with its roles: ``roles`` is a list of (role, project-or-None).

    The password must pass every validator in AUTH_PASSWORD_VALIDATORS (issue 7 item 8);
    ``None`` creates the account without a usable password (set later, e.g. by the admin).
    """
    _require_admin(by, company)
    if (
        User.objects.unscoped("login names are unique everywhere")
        .filter(username=username)
        .exists()
    ):
        raise ApplicationError(
            _("The login name %(u)s is taken.") % {"u": username}, field="username"
        )
    user = User(
        username=username,
        display_name=display_name,
        company=company,
        department=department,
        phone=phone,
    )
    validate_fields(user, ["username", "display_name", "phone"])
    if password is None:
        user.set_unusable_password()
    else:
        check_password_strength(password, user=user)
        user.set_password(password)
    user.save()
    for role, project in roles:
        role_assign(by=by, user=user, role=role, company=company, project=project)
    return user


def check_password_strength(password: str, *, user=None) -> None:
    """ApplicationError(field="password") with every reason a password is refused."""
    try:
        validate_password(password or "", user=user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="password") from exc


@transaction.atomic
def check_role_place(*, role: str, company, project) -> None:
    """Where a role may be held (ORG-2): project roles need a project of that company.

    Shared by ``role_assign`` and the admin's role form, so neither path can grant a
    consultant the whole company by leaving the project empty.
    """
    if role not in Role.values:
        raise ApplicationError(_("Unknown role %(r)s.") % {"r": role}, field="role")
    if role in PROJECT_BOUND_ROLES and project is None:
        raise ApplicationError(_("This role must be given for a project."), field="project")
    if project is not None and company is not None and project.company_id != company.pk:
        raise ApplicationError(_("The project belongs to another company."), field="project")


def role_assign(*, by, user: User, role: str, company: Company, project: Project | None = None):
    _require_admin(by, company)
    check_role_place(role=role, company=company, project=project)
    if role not in PROJECT_BOUND_ROLES:
        project = None  # company-wide roles see the whole company anyway
    assignment, _created = RoleAssignment.objects.unscoped("idempotent grant").get_or_create(
        user=user, role=role, company=company, project=project
    )
    forget_grants(user)
    return assignment


@transaction.atomic
def role_revoke(*, by, assignment: RoleAssignment) -> None:
    _require_admin(by, assignment.company)
    user = assignment.user
    assignment.delete()
    forget_grants(user)


@transaction.atomic
def staff_deactivate(*, by, user: User) -> None:
    """A leaver can no longer log in; his records stay (CUS-5 reassigns his customers)."""
    _require_admin(by, user.company)
    user.is_active = False
    user.save(update_fields=["is_active"])
