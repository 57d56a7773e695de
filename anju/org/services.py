"""Organisation writes: companies, projects, staff and their roles."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
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
    email: str = "",
    roles=(),
) -> User:
    """Create a staff account with its roles: ``roles`` is a list of (role, project-or-None).

    The password must pass every validator in AUTH_PASSWORD_VALIDATORS (issue 7 item 8);
    ``None`` creates the account without a usable password (set later, e.g. by the admin).
    A login name already taken (in any letter case) is a ``Conflict`` (code ``duplicate``).
    """
    _require_admin(by, company)
    if department is not None and department.company_id != getattr(company, "pk", None):
        raise Conflict(
            _("The department belongs to another company."),
            field="department",
            code="company_mismatch",
        )
    _check_username_free(username)
    user = User(
        username=username,
        display_name=display_name,
        company=company,
        department=department,
        phone=phone,
        email=email,
    )
    validate_fields(user, ["username", "display_name", "phone", "email"])
    if password is None:
        user.set_unusable_password()
    else:
        check_password_strength(password, user=user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent request took the name first
        raise _username_taken(username) from exc
    if company is not None:  # group-level accounts (no company) are made by the system only
        record_event(
            by=by, verb="org.staff_created", target=user, details={"username": user.username}
        )
    for role, project in roles:
        role_assign(by=by, user=user, role=role, company=company, project=project)
    return user


def _username_taken(username):
    return Conflict(
        _("The login name %(u)s is taken.") % {"u": username}, field="username", code="duplicate"
    )


def _check_username_free(username: str) -> None:
    if (
        User.objects.unscoped("login names are unique everywhere")
        .filter(username__iexact=username)
        .exists()
    ):
        raise _username_taken(username)


# What an administrator may change on a staff account (staff_update); the login name,
# company and the account's flags are not among them.
STAFF_EDITABLE = ("display_name", "email", "phone", "first_name", "last_name")


@transaction.atomic
def staff_update(*, by, user: User, **changes) -> User:
    """Change a staff member's name and contact details (fields in ``STAFF_EDITABLE``)."""
    _require_admin(by, user.company)
    unknown = set(changes) - set(STAFF_EDITABLE)
    if unknown:
        raise ApplicationError(
            _("This field cannot be changed here."), field=sorted(unknown)[0], code="read_only"
        )
    user = _locked(user)
    changed = [n for n in STAFF_EDITABLE if n in changes and getattr(user, n) != changes[n]]
    for name in changed:
        setattr(user, name, changes[name])
    if not changed:
        return user
    validate_fields(user, changed)
    user.save(update_fields=changed)
    _record_staff_event(by, "org.staff_updated", user, {"changed": changed})
    return user


def _locked(user: User) -> User:
    return (
        User.objects.unscoped("a service locking a row its caller scoped")
        .select_for_update()
        .get(pk=user.pk)
    )


def _record_staff_event(by, verb, user, details=None):
    if user.company_id is not None:  # group-level accounts have no company to file it under
        record_event(by=by, verb=verb, target=user, details=details or {})


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
        raise Conflict(
            _("The project belongs to another company."), field="project", code="company_mismatch"
        )


@transaction.atomic
def role_assign(*, by, user: User, role: str, company: Company, project: Project | None = None):
    """Give ``user`` the role in the company (project roles: in the project).

    Holding it there already is a ``Conflict`` (code ``duplicate``); a company-wide role
    given with a project is held company-wide (it sees the whole company anyway).
    """
    _require_admin(by, company)
    check_role_place(role=role, company=company, project=project)
    if role not in PROJECT_BOUND_ROLES:
        project = None  # company-wide roles see the whole company anyway
    held = RoleAssignment.objects.unscoped("a grant is unique per user, role and place").filter(
        user=user, role=role, company=company, project=project
    )
    if held.exists():
        raise _role_held(role)
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, role=role, company=company, project=project
            )
    except IntegrityError as exc:  # a concurrent request gave it first
        raise _role_held(role) from exc
    record_event(
        by=by,
        verb="org.role_assigned",
        target=assignment,
        details={"user": user.pk, "role": role, "project": getattr(project, "pk", None)},
    )
    forget_grants(user)
    return assignment


def _role_held(role):
    return Conflict(
        _("This person already holds the role %(role)s there.") % {"role": Role(role).label},
        field="role",
        code="duplicate",
    )


@transaction.atomic
def role_revoke(*, by, assignment: RoleAssignment) -> None:
    _require_admin(by, assignment.company)
    user = assignment.user
    record_event(
        by=by,
        verb="org.role_revoked",
        target=assignment,
        details={"user": user.pk, "role": assignment.role, "project": assignment.project_id},
    )
    assignment.delete()
    forget_grants(user)


@transaction.atomic
def staff_deactivate(*, by, user: User) -> None:
    """A leaver can no longer log in; his records stay (CUS-5 reassigns his customers).

    His sessions end at their next request and his API tokens are refused (core.services).
    """
    _require_admin(by, user.company)
    if by is not None and by.pk == user.pk:
        raise Conflict(_("You cannot deactivate your own account."), code="own_account")
    locked = _locked(user)
    if not locked.is_active:
        raise Conflict(_("This account is already deactivated."), code="already_inactive")
    user.is_active = False
    user.save(update_fields=["is_active"])
    _record_staff_event(by, "org.staff_deactivated", user)


@transaction.atomic
def staff_reactivate(*, by, user: User) -> None:
    """Let a deactivated account log in again (with the roles it still holds)."""
    _require_admin(by, user.company)
    locked = _locked(user)
    if locked.is_active:
        raise Conflict(_("This account is active."), code="already_active")
    user.is_active = True
    user.save(update_fields=["is_active"])
    _record_staff_event(by, "org.staff_reactivated", user)
