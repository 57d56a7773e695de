"""Staff and role assignments API (issue 8 item 3, INT-1, SEC-1): administrators only, the
same services as the admin forms, scope (ORG-2), conflicts as 409, refusals change nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from anju.core import roles as core_roles
from anju.core.models import Event
from anju.core.roles import Perm, Role
from anju.core.services import api_token_create
from anju.customers.models import Customer
from anju.org.models import RoleAssignment, User

STRONG = "Binhai-Garden-2026!"


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def send(client, method, url, auth, data=None):
    return client.generic(
        method, url, "" if data is None else __import__("json").dumps(data),
        content_type="application/json", **auth,
    )  # fmt: skip


def new_staff(world, **overrides):
    return {
        "username": "newmanager",
        "display_name": "销售经理·新人",
        "company_id": world.companies["sz"].pk,
        "password": STRONG,
    } | overrides


def verbs():
    return list(
        Event.objects.filter(verb__startswith="org.").order_by("id").values_list("verb", flat=True)
    )


def snapshot():
    """Everything a staff endpoint could change."""
    return (
        list(User.objects.order_by("pk").values()),
        list(RoleAssignment.objects.order_by("pk").values()),
        Event.objects.count(),
    )


def test_create_assign_then_the_new_user_logs_in_and_sees_the_project(world, client):
    admin = bearer(world.users["admin"])
    before = verbs()
    created = send(client, "POST", "/api/v1/staff", admin, new_staff(world))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["username"] == "newmanager" and body["roles"] == [] and body["is_active"]
    assert "password" not in body and STRONG not in created.content.decode()

    # a project role needs its project: 422 naming the body's field
    url = f"/api/v1/staff/{body['id']}/roles"
    missing = send(client, "POST", url, admin, {"role": "sales_manager"})
    assert missing.status_code == 422 and missing.json()["field"] == "project_id"

    binhai = world.projects["binhai"]
    given = send(client, "POST", url, admin, {"role": "sales_manager", "project_id": binhai.pk})
    assert given.status_code == 201, given.content
    assert given.json() | {"id": 0} == {
        "id": 0,
        "role": "sales_manager",
        "role_label": str(Role.SALES_MANAGER.label),
        "scope_level": "project",
        "company_id": world.companies["sz"].pk,
        "project_id": binhai.pk,
    }
    again = send(client, "POST", url, admin, {"role": "sales_manager", "project_id": binhai.pk})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert verbs()[len(before) :] == ["org.staff_created", "org.role_assigned"]

    # the new colleague logs in through the login page with the password the admin chose
    newcomer = Client()
    login = newcomer.post(reverse("login"), {"username": "newmanager", "password": STRONG})
    assert login.status_code == 302, login.content
    seen = newcomer.get("/api/v1/customers?page_size=500").json()
    expected = Customer.objects.filter(project=binhai, merged_into__isnull=True)
    assert seen["count"] == expected.count() > 0
    assert {c["project_id"] for c in seen["items"]} == {binhai.pk}

    # revoking the role narrows his scope at his next request
    assignment_id = given.json()["id"]
    revoked = send(client, "DELETE", f"{url}/{assignment_id}", admin)
    assert revoked.status_code == 204
    assert newcomer.get("/api/v1/customers").json()["count"] == 0
    assert verbs()[-1] == "org.role_revoked"


def test_create_with_roles_in_one_step(world, client):
    body = new_staff(
        world,
        username="newconsultant",
        roles=[{"role": "sales_consultant", "project_id": world.projects["yunjing"].pk}],
    )
    created = send(client, "POST", "/api/v1/staff", bearer(world.users["admin"]), body)
    assert created.status_code == 201, created.content
    assert [(r["role"], r["project_id"]) for r in created.json()["roles"]] == [
        ("sales_consultant", world.projects["yunjing"].pk)
    ]


def test_a_role_in_one_step_without_its_project_creates_nothing(world, client):
    before = snapshot()
    body = new_staff(world, roles=[{"role": "sales_consultant"}])
    refused = send(client, "POST", "/api/v1/staff", bearer(world.users["admin"]), body)
    assert refused.status_code == 422 and refused.json()["field"] == "project_id"
    assert snapshot() == before


@pytest.mark.parametrize("username", ["consultant", "Consultant"])
def test_a_login_name_taken_is_a_conflict(world, client, username):
    before = snapshot()
    response = send(
        client, "POST", "/api/v1/staff", bearer(world.users["admin"]), new_staff(world, username=username)
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate" and response.json()["field"] == "username"
    assert snapshot() == before


@pytest.mark.parametrize("password", ["password123", "1234567890123", "newmanager1"])
def test_a_weak_password_is_refused_with_its_field(world, client, password):
    """The validators of AUTH_PASSWORD_VALIDATORS: common, numeric, like the login name."""
    before = snapshot()
    body = new_staff(world, password=password)
    response = send(client, "POST", "/api/v1/staff", bearer(world.users["admin"]), body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "password"
    assert password not in response.content.decode()
    assert snapshot() == before


def test_a_short_password_is_refused_by_the_schema_that_documents_it(world, client):
    from anju.api import api

    schema = api.get_openapi_schema()["components"]["schemas"]["StaffIn"]["properties"]
    assert schema["password"]["minLength"] == 10  # MinimumLengthValidator in settings
    assert schema["username"]["maxLength"] == User._meta.get_field("username").max_length
    before = snapshot()
    body = new_staff(world, password="Short-1")
    response = send(client, "POST", "/api/v1/staff", bearer(world.users["admin"]), body)
    assert response.status_code == 422 and snapshot() == before


def test_bad_values_are_422_with_the_field(world, client):
    admin = bearer(world.users["admin"])
    for body, field in [
        (new_staff(world, username="has space"), "username"),
        (new_staff(world, display_name="王\x1b五"), "display_name"),
        (new_staff(world, email="not-an-address"), "email"),
    ]:
        before = snapshot()
        response = send(client, "POST", "/api/v1/staff", admin, body)
        assert response.status_code == 422, (body, response.content)
        assert response.json().get("field") == field, response.json()
        assert snapshot() == before


def test_a_sales_manager_is_refused_everything_and_nothing_changes(world, client):
    manager = bearer(world.users["manager"])
    consultant = world.users["consultant"]  # in the manager's scope
    assignment = consultant.role_assignments.get()
    before = snapshot()
    calls = [
        ("GET", "/api/v1/staff", None),
        ("POST", "/api/v1/staff", new_staff(world)),
        ("GET", f"/api/v1/staff/{consultant.pk}", None),
        ("PATCH", f"/api/v1/staff/{consultant.pk}", {"display_name": "改名"}),
        ("POST", f"/api/v1/staff/{consultant.pk}/deactivate", None),
        ("POST", f"/api/v1/staff/{consultant.pk}/reactivate", None),
        ("GET", f"/api/v1/staff/{consultant.pk}/roles", None),
        (
            "POST",
            f"/api/v1/staff/{consultant.pk}/roles",
            {"role": "service_agent", "company_id": consultant.company_id},
        ),
        ("DELETE", f"/api/v1/staff/{consultant.pk}/roles/{assignment.pk}", None),
    ]
    for method, url, data in calls:
        response = send(client, method, url, manager, data)
        assert response.status_code == 403, (method, url, response.content)
        assert response.json()["code"] == "forbidden"
    assert snapshot() == before
    # the catalogue of roles is for everyone signed in
    assert send(client, "GET", "/api/v1/roles", manager).status_code == 200


def test_staff_of_another_company_is_not_found(world, client):
    """Out of scope is 404, never 403: 珠海's manager knocks on 深圳's staff."""
    outsider = bearer(world.users["manager_zh"])
    consultant = world.users["consultant"]
    assignment = consultant.role_assignments.get()
    before = snapshot()
    for method, url, data in [
        ("GET", f"/api/v1/staff/{consultant.pk}", None),
        ("PATCH", f"/api/v1/staff/{consultant.pk}", {"display_name": "改名"}),
        ("POST", f"/api/v1/staff/{consultant.pk}/deactivate", None),
        ("GET", f"/api/v1/staff/{consultant.pk}/roles", None),
        (
            "POST",
            f"/api/v1/staff/{consultant.pk}/roles",
            {"role": "service_agent", "company_id": consultant.company_id},
        ),
        ("DELETE", f"/api/v1/staff/{consultant.pk}/roles/{assignment.pk}", None),
    ]:
        response = send(client, method, url, outsider, data)
        assert response.status_code == 404, (method, url, response.content)
    assert snapshot() == before


@pytest.fixture
def company_administrator(world, monkeypatch):
    """深圳's company management, given MANAGE_ORG: an administrator of one company only.

    The demo administrator's role sees the whole group (ScopeLevel.ALL), so a company-level
    holder of MANAGE_ORG is made here to show the API keeps him inside his company.
    """
    role = Role.COMPANY_MANAGEMENT
    perms = core_roles.ROLE_PERMS[role] | {Perm.MANAGE_ORG}
    monkeypatch.setitem(core_roles.ROLE_PERMS, role, frozenset(perms))
    return world.users["management"]


def test_a_company_administrator_cannot_see_or_change_another_company(
    world, client, company_administrator
):
    auth = bearer(company_administrator)
    listed = send(client, "GET", "/api/v1/staff?page_size=500", auth).json()["items"]
    assert {s["company_id"] for s in listed} == {world.companies["sz"].pk}
    zh = world.users["consultant_zh"]
    assignment = zh.role_assignments.get()
    before = snapshot()
    for method, url, data in [
        ("GET", f"/api/v1/staff/{zh.pk}", None),
        ("PATCH", f"/api/v1/staff/{zh.pk}", {"display_name": "改名"}),
        ("POST", f"/api/v1/staff/{zh.pk}/deactivate", None),
        (
            "POST",
            f"/api/v1/staff/{zh.pk}/roles",
            {"role": "service_agent", "company_id": zh.company_id},
        ),
        ("DELETE", f"/api/v1/staff/{zh.pk}/roles/{assignment.pk}", None),
    ]:
        assert send(client, method, url, auth, data).status_code == 404, (method, url)
    # nor create staff in, or give a role in, a company he does not see
    in_zh = new_staff(world, company_id=world.companies["zh"].pk)
    assert send(client, "POST", "/api/v1/staff", auth, in_zh).status_code == 404
    consultant = world.users["consultant"]
    haiwan = {"role": "sales_consultant", "project_id": world.projects["haiwan"].pk}
    url = f"/api/v1/staff/{consultant.pk}/roles"
    assert send(client, "POST", url, auth, haiwan).status_code == 404
    assert snapshot() == before
    # inside his company he administers
    ok = send(client, "PATCH", f"/api/v1/staff/{consultant.pk}", auth, {"last_name": "李"})
    assert ok.status_code == 200 and ok.json()["last_name"] == "李"


def test_list_filters_and_constant_queries(world, client, django_assert_num_queries):
    admin = world.users["admin"]
    auth = bearer(admin)
    url = "/api/v1/staff?page_size=500"
    send(client, "GET", url, auth)  # warm the token's last_used_at
    # token, the token user's own roles (read once per request, issue 12's queue bench), page
    # (it fits on page 1: no COUNT, issue 10), the listed staff's roles
    with django_assert_num_queries(4):
        items = send(client, "GET", url, auth).json()["items"]
    assert len(items) == User.objects.count()
    for n in range(4):  # more staff, more roles: the same number of queries
        body = new_staff(
            world,
            username=f"extra{n}",
            roles=[{"role": "sales_consultant", "project_id": world.projects["binhai"].pk}],
        )
        assert send(client, "POST", "/api/v1/staff", auth, body).status_code == 201
    with django_assert_num_queries(4):
        items = send(client, "GET", url, auth).json()["items"]
    assert len(items) == User.objects.count()
    assert all("****" in s["phone"] or not s["phone"] for s in items)

    def usernames(query):
        response = send(client, "GET", f"/api/v1/staff?page_size=500&{query}", auth)
        assert response.status_code == 200, response.content
        return {s["username"] for s in response.json()["items"]}

    binhai, zh = world.projects["binhai"].pk, world.companies["zh"].pk
    assert usernames(f"role=sales_consultant&project_id={binhai}") == {
        "consultant", "extra0", "extra1", "extra2", "extra3",
    }  # fmt: skip
    assert usernames(f"company_id={zh}") == {"manager_zh", "consultant_zh"}
    assert usernames("q=李娜") == {"consultant"}
    assert usernames("q=EXTRA") == {"extra0", "extra1", "extra2", "extra3"}
    assert "service" in usernames("active=true") and not usernames("active=false")
    bad = send(client, "GET", "/api/v1/staff?role=boss", auth)
    assert bad.status_code == 422


def test_update_masks_the_phone_and_records_what_changed(world, client):
    auth = bearer(world.users["admin"])
    consultant = world.users["consultant"]
    url = f"/api/v1/staff/{consultant.pk}"
    response = send(
        client, "PATCH", url, auth, {"phone": "13812345678", "email": "lina@example.com"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "138****5678"
    assert response.json()["email"] == "lina@example.com"
    consultant.refresh_from_db()
    assert consultant.phone == "13812345678"
    event = Event.objects.filter(verb="org.staff_updated").latest("id")
    assert event.details == {"changed": ["email", "phone"]} and event.target_id == consultant.pk
    assert "13812345678" not in str(event.details)
    bad = send(client, "PATCH", url, auth, {"email": "nope"})
    assert bad.status_code == 422 and bad.json()["field"] == "email", bad.content
    for data in ({"display_name": ""}, {"display_name": None}, {"phone": "1" * 21}):
        assert send(client, "PATCH", url, auth, data).status_code == 422, data
    same = Event.objects.count()
    assert send(client, "PATCH", url, auth, {"phone": "13812345678"}).status_code == 200
    assert Event.objects.count() == same  # nothing changed, nothing recorded


def test_deactivate_and_reactivate(world, client):
    admin = world.users["admin"]
    auth = bearer(admin)
    consultant = world.users["consultant"]
    token = bearer(consultant)
    url = f"/api/v1/staff/{consultant.pk}"
    assert send(client, "GET", "/api/v1/customers", token).status_code == 200

    off = send(client, "POST", f"{url}/deactivate", auth)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert off.json()["roles"], "roles stay with a deactivated account"
    assert send(client, "GET", "/api/v1/customers", token).status_code == 401
    again = send(client, "POST", f"{url}/deactivate", auth)
    assert again.status_code == 409 and again.json()["code"] == "already_inactive"
    assert send(client, "GET", url, auth).json()["is_active"] is False  # still readable

    on = send(client, "POST", f"{url}/reactivate", auth)
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert send(client, "GET", "/api/v1/customers", token).status_code == 200
    assert send(client, "POST", f"{url}/reactivate", auth).status_code == 409

    own = send(client, "POST", f"/api/v1/staff/{admin.pk}/deactivate", auth)
    assert own.status_code == 409 and own.json()["code"] == "own_account"
    admin.refresh_from_db()
    assert admin.is_active
    assert verbs()[-2:] == ["org.staff_deactivated", "org.staff_reactivated"]


def test_role_list_and_revoke_belong_to_the_staff_member(world, client):
    auth = bearer(world.users["admin"])
    consultant, manager = world.users["consultant"], world.users["manager"]
    roles = send(client, "GET", f"/api/v1/staff/{consultant.pk}/roles", auth).json()
    assert [r["role"] for r in roles["items"]] == ["sales_consultant"]
    # an assignment of someone else under this staff member's URL: not found, kept
    other = manager.role_assignments.get()
    url = f"/api/v1/staff/{consultant.pk}/roles/{other.pk}"
    assert send(client, "DELETE", url, auth).status_code == 404
    assert RoleAssignment.objects.filter(pk=other.pk).exists()


def test_the_role_catalogue(world, client):
    response = send(client, "GET", "/api/v1/roles", bearer(world.users["consultant"]))
    assert response.status_code == 200
    roles = {r["role"]: r for r in response.json()["items"]}
    assert set(roles) == set(Role.values)
    assert roles["sales_consultant"]["needs_project"] is True
    assert roles["sales_consultant"]["scope_level"] == "own"
    assert roles["group_centre"]["scope_level"] == "all"
    assert roles["service_agent"]["needs_project"] is False
    assert "manage_org" in {p["code"] for p in roles["administrator"]["permissions"]}
    codes = {role: {p["code"] for p in r["permissions"]} for role, r in roles.items()}
    assert codes["sales_consultant"] == {
        "log_calls",
        "log_visits",
        "redeem_points",
        "sell_units",
    }  # issue 9 item 5, 11, 12
    # issue 13: the call centre and engineers work service tickets (HANDLE_TICKETS)
    assert codes["callcentre_agent"] == {"log_calls", "handle_tickets", "take_surveys"}  # SUR-2
    assert codes["engineer"] == {"handle_tickets"}


def test_a_role_in_the_wrong_place_is_422_and_gives_nothing(world, client):
    auth = bearer(world.users["admin"])
    url = f"/api/v1/staff/{world.users['service'].pk}/roles"
    before = snapshot()
    elsewhere = {
        "role": "sales_consultant",
        "company_id": world.companies["zh"].pk,
        "project_id": world.projects["binhai"].pk,
    }
    response = send(client, "POST", url, auth, elsewhere)
    assert response.status_code == 409 and response.json()["field"] == "project_id"
    assert response.json()["code"] == "company_mismatch"
    unknown = send(client, "POST", url, auth, {"role": "boss"})
    assert unknown.status_code == 422
    assert snapshot() == before
    # a company-wide role given with a project is held company-wide
    wide = send(
        client, "POST", url, auth, {"role": "data_steward", "project_id": world.projects["binhai"].pk}
    )  # fmt: skip
    assert wide.status_code == 201 and wide.json()["project_id"] is None
    assert wide.json()["company_id"] == world.companies["sz"].pk
