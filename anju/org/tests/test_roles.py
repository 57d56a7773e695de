"""SPEC §0 / ORG-2: several roles and several projects per user; role rules."""

import pytest

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.permissions import has_perm
from anju.core.roles import Perm, Role
from anju.inventory.selectors import units_visible_to
from anju.org.services import role_assign, role_revoke, staff_create


def test_consultant_on_two_projects_sees_both(world):
    user = world.users["consultant"]
    role_assign(
        by=world.users["admin"],
        user=user,
        role=Role.SALES_CONSULTANT,
        company=world.companies["sz"],
        project=world.projects["yunjing"],
    )
    projects = set(units_visible_to(user).values_list("project__code", flat=True).distinct())
    assert projects == {"binhai", "yunjing"}


def test_second_role_widens_scope_and_revoking_narrows_it(world):
    user = world.users["engineer"]
    assert not units_visible_to(user).filter(project=world.projects["yunjing"]).exists()
    extra = role_assign(
        by=world.users["admin"], user=user, role=Role.SERVICE_AGENT, company=world.companies["sz"]
    )
    assert units_visible_to(user).filter(project=world.projects["yunjing"]).exists()
    role_revoke(by=world.users["admin"], assignment=extra)
    assert not units_visible_to(user).filter(project=world.projects["yunjing"]).exists()


def test_project_role_needs_a_project_of_the_same_company(world):
    admin = world.users["admin"]
    user = world.users["service"]
    with pytest.raises(ApplicationError):
        role_assign(by=admin, user=user, role=Role.SALES_MANAGER, company=world.companies["sz"])
    with pytest.raises(ApplicationError):
        role_assign(
            by=admin,
            user=user,
            role=Role.SALES_MANAGER,
            company=world.companies["sz"],
            project=world.projects["haiwan"],
        )


def test_only_administrators_manage_staff(world):
    with pytest.raises(NotPermitted):
        staff_create(
            by=world.users["manager"],
            username="x",
            password="p",
            display_name="x",
            company=world.companies["sz"],
        )
    from anju.org.models import User

    assert not User.objects.filter(username="x").exists()


def test_permissions_follow_where_the_role_is_held(world):
    manager = world.users["manager"]
    assert has_perm(manager, Perm.APPROVE_DISCOUNT, project=world.projects["binhai"])
    assert not has_perm(manager, Perm.APPROVE_DISCOUNT, project=world.projects["yunjing"])
    assert not has_perm(world.users["consultant"], Perm.APPROVE_DISCOUNT)
    assert has_perm(
        world.users["management"], Perm.APPROVE_DISCOUNT, project=world.projects["yunjing"]
    )
    assert not has_perm(
        world.users["management"], Perm.APPROVE_DISCOUNT, project=world.projects["haiwan"]
    )


@pytest.mark.parametrize("code", ["shenzhen-south", "S", "1sz", "sz!", "SZ"])
def test_company_code_must_fit_customer_codes(world, code):
    """Customer codes are the company code + 7 digits in 20 characters (CUS-1)."""
    from anju.org.models import Company

    holding = world.companies["sz"].holding
    with pytest.raises(ApplicationError) as exc:
        company_create_as_admin(world, holding, code)
    assert exc.value.field == "code"
    assert not Company.objects.filter(code=code).exists()


def company_create_as_admin(world, holding, code):
    from anju.org.services import company_create

    return company_create(
        by=world.users["admin"], holding=holding, code=code, name="测试公司", city="测试"
    )


def test_a_short_company_code_is_accepted(world):
    company = company_create_as_admin(world, world.companies["sz"].holding, "gz2")
    assert company.code == "gz2"


def test_admin_role_form_refuses_a_consultant_without_project(world):
    """The admin path keeps the same rule as role_assign (ORG-2)."""
    from anju.org.admin import RoleAssignmentForm

    sz, zh = world.companies["sz"], world.companies["zh"]
    no_project = RoleAssignmentForm(data={"role": Role.SALES_CONSULTANT, "company": sz.pk})
    assert not no_project.is_valid() and "project" in no_project.errors
    other_company = RoleAssignmentForm(
        data={
            "role": Role.SALES_CONSULTANT,
            "company": zh.pk,
            "project": world.projects["binhai"].pk,
        }
    )
    assert not other_company.is_valid() and "project" in other_company.errors
    ok = RoleAssignmentForm(
        data={
            "role": Role.SALES_CONSULTANT,
            "company": sz.pk,
            "project": world.projects["binhai"].pk,
        }
    )
    assert ok.is_valid(), ok.errors


@pytest.mark.parametrize(
    "field, value", [("name", "滨海\x00二期"), ("name", "x" * 500), ("address", "路\x07")]
)
def test_project_fields_are_checked_like_every_text_field(world, field, value):
    """Issue 7 item 4: control characters and overlong text refused in org services too."""
    from anju.core.errors import ApplicationError
    from anju.org.models import Project
    from anju.org.services import project_create

    values = {"code": "p2", "name": "二期", "address": ""} | {field: value}
    with pytest.raises(ApplicationError):
        project_create(by=world.users["admin"], company=world.companies["sz"], **values)
    assert not Project.objects.filter(code="p2").exists()


def test_staff_display_name_with_a_control_character_is_refused(world):
    from anju.core.errors import ApplicationError
    from anju.org.models import User
    from anju.org.services import staff_create

    with pytest.raises(ApplicationError):
        staff_create(
            by=world.users["admin"],
            username="newbie",
            password=None,
            display_name="王\x1b五",
            company=world.companies["sz"],
        )
    assert not User.objects.filter(username="newbie").exists()
