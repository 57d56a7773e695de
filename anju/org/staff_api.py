"""Staff and role assignments API (issue 8 item 3, INT-1): what an administrator does in the
Django admin's forms, through the same services (``org.services``) and scope (ORG-2).

Administrators only (``Perm.MANAGE_ORG``): other roles get 403 for staff they can see and
404 for staff they cannot. The role catalogue (``GET /roles``) is readable by every
signed-in user: it is the table in ``core/roles.py``, shown on every profile page anyway.

Passwords: ``POST /staff`` takes the initial password the administrator chose; it is
checked by the same validators as every password (``AUTH_PASSWORD_VALIDATORS``: a weak one
is a 422 with ``field: "password"``), stored hashed and never returned. The new colleague
changes it on his profile page.
"""

from datetime import datetime
from typing import Literal

from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from anju.core.api_types import Email, Id, Input, Pagination, RefId, Text, may_answer
from anju.core.errors import ApplicationError
from anju.core.masking import mask_phone
from anju.core.roles import PROJECT_BOUND_ROLES, ROLE_PERMS, ROLE_SCOPE, Perm, Role, ScopeLevel
from anju.core.scope import get_visible_or_404

from . import selectors, services
from .models import Company, Department, Project, User

router = Router(tags=["staff"])


def _max(model, name) -> int:
    """The model field's own length limit, so the schema and the service agree."""
    return model._meta.get_field(name).max_length


USERNAME_MAX = _max(User, "username")
DISPLAY_NAME_MAX = _max(User, "display_name")
FIRST_NAME_MAX = _max(User, "first_name")
LAST_NAME_MAX = _max(User, "last_name")
EMAIL_MAX = _max(User, "email")
PHONE_MAX = _max(User, "phone")
PASSWORD_MAX = 128  # Django's password forms accept no more either


def _password_min_length() -> int:
    """The configured MinimumLengthValidator's length (AUTH_PASSWORD_VALIDATORS)."""
    lengths = [
        v.min_length
        for v in get_default_password_validators()
        if isinstance(v, MinimumLengthValidator)
    ]
    return max(lengths, default=1)


PASSWORD_MIN = _password_min_length()
SEARCH_MAX = 50
MAX_ROLES_AT_CREATION = 20

Search = Text(SEARCH_MAX, description="part of a login, display or first/last name")


def _level(role) -> str:
    return ScopeLevel(ROLE_SCOPE[Role(role)]).name.lower()


# --- schemas --------------------------------------------------------------------------------


class RoleAssignmentOut(Schema):
    id: int
    role: Role
    role_label: str
    scope_level: str = Field(description="how far the role sees: own, project, company or all")
    company_id: int
    project_id: int | None = Field(description="set for project roles; null: company-wide")

    @staticmethod
    def resolve_role_label(obj):
        return str(obj.get_role_display())

    @staticmethod
    def resolve_scope_level(obj):
        return _level(obj.role)


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    phone: str = Field(description="masked (138****5678)")
    company_id: int | None
    department_id: int | None
    is_active: bool
    date_joined: datetime
    last_login: datetime | None
    roles: list[RoleAssignmentOut]

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_roles(obj):
        return list(obj.role_assignments.all())  # prefetched by the selector


class RoleIn(Input):
    # A project role needs its project: said in JSON Schema's own words (if/then), from the
    # same table the service checks (core/roles.py).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {"role": {"enum": sorted(str(r) for r in PROJECT_BOUND_ROLES)}},
                "required": ["role"],
            },
            "then": {"properties": {"project_id": {"type": "integer"}}, "required": ["project_id"]},
            # Where the role is held: a project, or a company for company-wide roles.
            "anyOf": [
                {"properties": {"project_id": {"type": "integer"}}, "required": ["project_id"]},
                {"properties": {"company_id": {"type": "integer"}}, "required": ["company_id"]},
            ],
        }
    )

    role: Role
    project_id: RefId | None = Field(
        None, description="required for project roles (scope level own or project)"
    )
    company_id: RefId | None = Field(
        None, description="required without project_id; default: the project's company"
    )


# Django's UnicodeUsernameValidator, the model's own rule for login names.
USERNAME_PATTERN = r"^[\w.@+-]+$"


class StaffIn(Input):
    username: str = Field(
        min_length=1,
        max_length=USERNAME_MAX,
        pattern=USERNAME_PATTERN,
        description="login name: letters, digits and @.+-_ only; unique in any letter case",
    )
    display_name: Text(DISPLAY_NAME_MAX, required=True)
    company_id: RefId
    department_id: RefId | None = None
    email: Email | Literal[""] = ""
    phone: Text(PHONE_MAX) = ""
    password: str = Field(
        min_length=PASSWORD_MIN,
        max_length=PASSWORD_MAX,
        description="the initial password, stored hashed and never returned; checked by "
        f"the password validators: at least {PASSWORD_MIN} characters, not only digits, "
        "not a common password, not too like the login name, names, e-mail or phone "
        '(else 422, field "password")',
        json_schema_extra={"writeOnly": True, "format": "password"},
    )
    roles: list[RoleIn] = Field(
        default_factory=list,
        max_length=MAX_ROLES_AT_CREATION,
        description="roles to give at once (all or nothing with the account)",
    )


class StaffPatch(Input):
    display_name: Text(DISPLAY_NAME_MAX, required=True) = Field(None)
    first_name: Text(FIRST_NAME_MAX) | None = None
    last_name: Text(LAST_NAME_MAX) | None = None
    email: Email | Literal[""] | None = None
    phone: Text(PHONE_MAX) | None = None


class PermissionOut(Schema):
    code: Perm
    label: str


class RoleOut(Schema):
    role: Role
    label: str
    scope_level: str = Field(description="own, project, company or all")
    needs_project: bool = Field(description="an assignment must name a project")
    permissions: list[PermissionOut]


# --- helpers --------------------------------------------------------------------------------


class _FieldNames:
    """Services name model fields (``project``); the API names body fields (``project_id``)."""

    BODY = {"project": "project_id", "company": "company_id", "department": "department_id"}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, ApplicationError) and exc.field in self.BODY:
            exc.field = self.BODY[exc.field]
        return False


def _place(request, staff: User, payload: RoleIn):
    """(company, project) of a role to give: both visible to the caller, else 404."""
    project = None
    if payload.project_id is not None:
        project = get_visible_or_404(Project, request.user, pk=payload.project_id)
    if payload.company_id is not None:
        company = get_visible_or_404(Company, request.user, pk=payload.company_id)
    elif project is not None:
        company = project.company
    elif payload.role in PROJECT_BOUND_ROLES:
        raise ApplicationError(
            _("This role needs the project it is held in."), field="project_id", code="required"
        )
    else:  # the schema's anyOf: a place is always named, whatever the staff member's company
        raise ApplicationError(
            _("Name the company this role is held in."), field="company_id", code="required"
        )
    return company, project


def _reread(request, staff_id):
    return selectors.staff_detail(request.user, staff_id)


# --- staff ----------------------------------------------------------------------------------


@router.get("/staff", response=list[StaffOut])
@paginate(Pagination, page_size=50)
def list_staff(
    request,
    company_id: Id | None = None,
    project_id: Id | None = None,
    role: Role | None = None,
    active: bool | None = None,
    q: Search | None = None,
):
    """Staff accounts you administer, by login name. ``project_id``: holds a role in that
    project; ``role``: holds that role anywhere; ``active``: true/false (default: both);
    ``q``: part of the login name, display name or first/last name."""
    return selectors.staff_list(
        request.user,
        company_id=company_id,
        project_id=project_id,
        role=role,
        active=active,
        q=q,
    )


@router.post("/staff", response={201: StaffOut}, openapi_extra=may_answer(409))
def create_staff(request, payload: StaffIn):
    """Create a staff account (and optionally its roles) in one step. A login name already
    taken is 409 ``duplicate``; a weak password is 422 with ``field: "password"``."""
    company = get_visible_or_404(Company, request.user, pk=payload.company_id)
    department = None
    if payload.department_id is not None:
        department = get_visible_or_404(Department, request.user, pk=payload.department_id)
    roles = []
    with _FieldNames():
        for role in payload.roles:
            project = None
            if role.project_id is not None:
                project = get_visible_or_404(Project, request.user, pk=role.project_id)
            if role.company_id not in (None, company.pk):
                raise ApplicationError(
                    _("Roles given at creation are held in the staff member's company."),
                    field="company_id",
                )
            roles.append((role.role, project))
        staff = services.staff_create(
            by=request.user,
            username=payload.username,
            password=payload.password,
            display_name=payload.display_name,
            company=company,
            department=department,
            email=payload.email,
            phone=payload.phone,
            roles=roles,
        )
    return Status(201, _reread(request, staff.pk))


@router.get("/staff/{int:staff_id}", response=StaffOut)
def get_staff(request, staff_id: Id):
    """One staff account with its role assignments (inactive accounts too)."""
    return selectors.staff_detail(request.user, staff_id)


@router.patch("/staff/{int:staff_id}", response=StaffOut)
def update_staff(request, staff_id: Id, payload: StaffPatch):
    """Change names and contact details; only the fields sent change (null clears text)."""
    staff = selectors.staff_detail(request.user, staff_id)
    changes = {k: ("" if v is None else v) for k, v in payload.dict(exclude_unset=True).items()}
    if changes.get("display_name") == "":
        raise ApplicationError(_("A display name is required."), field="display_name")
    services.staff_update(by=request.user, user=staff, **changes)
    return _reread(request, staff_id)


@router.post("/staff/{int:staff_id}/deactivate", response=StaffOut, openapi_extra=may_answer(409))
def deactivate_staff(request, staff_id: Id):
    """A leaver: he can no longer log in (sessions and API tokens stop working); his
    records and roles stay. Already inactive, or your own account: 409."""
    staff = selectors.staff_detail(request.user, staff_id)
    services.staff_deactivate(by=request.user, user=staff)
    return _reread(request, staff_id)


@router.post("/staff/{int:staff_id}/reactivate", response=StaffOut, openapi_extra=may_answer(409))
def reactivate_staff(request, staff_id: Id):
    """Let a deactivated account log in again, with the roles it still holds. Active: 409."""
    staff = selectors.staff_detail(request.user, staff_id)
    services.staff_reactivate(by=request.user, user=staff)
    return _reread(request, staff_id)


# --- role assignments -----------------------------------------------------------------------


@router.get("/staff/{int:staff_id}/roles", response=list[RoleAssignmentOut])
@paginate(Pagination, page_size=50)
def list_staff_roles(request, staff_id: Id):
    """The roles a staff member holds, and where."""
    staff = selectors.staff_detail(request.user, staff_id)
    return selectors.role_assignments_of(staff)


@router.post(
    "/staff/{int:staff_id}/roles", response={201: RoleAssignmentOut}, openapi_extra=may_answer(409)
)
def assign_role(request, staff_id: Id, payload: RoleIn):
    """Give a role. Project roles (scope level own or project) need ``project_id`` (else 422,
    ``field: "project_id"``); a company-wide role given with a project is held company-wide.
    Held there already: 409 ``duplicate``."""
    staff = selectors.staff_detail(request.user, staff_id)
    with _FieldNames():
        company, project = _place(request, staff, payload)
        assignment = services.role_assign(
            by=request.user, user=staff, role=payload.role, company=company, project=project
        )
    return Status(201, assignment)


@router.delete(
    "/staff/{int:staff_id}/roles/{int:assignment_id}",
    response={204: None},
    openapi_extra=may_answer(409),
)
def revoke_role(request, staff_id: Id, assignment_id: Id):
    """Take a role away; the staff member's scope narrows at his next request."""
    assignment = selectors.role_assignment_of(request.user, staff_id, assignment_id)
    services.role_revoke(by=request.user, assignment=assignment)
    return Status(204, None)


# --- the role catalogue ---------------------------------------------------------------------


@router.get("/roles", response=list[RoleOut])
@paginate(Pagination, page_size=50)
def list_roles(request):
    """Every role, how far it sees and what it may do (``core/roles.py``); any signed-in user
    may read it."""
    return [
        {
            "role": role,
            "label": str(role.label),
            "scope_level": _level(role),
            "needs_project": role in PROJECT_BOUND_ROLES,
            "permissions": [
                {"code": perm, "label": str(perm.label)}
                for perm in Perm
                if perm in ROLE_PERMS[role]
            ],
        }
        for role in Role
    ]
