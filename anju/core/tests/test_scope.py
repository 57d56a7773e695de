"""ORG-2 / SEC-1: every role sees exactly its part of the business, on pages and API alike.

The expected visibility below is written out by hand from SPEC §0 / ORG-2, independently of
the role table in code, so a wrong entry in either shows up here.
"""

import pytest

from anju.core.services import api_token_create
from anju.inventory.models import Building, Unit

SZ = {"binhai", "yunjing"}
ALL = {"binhai", "yunjing", "haiwan"}
EXPECTED_PROJECTS = {
    "admin": ALL,
    "group": ALL,
    "management": SZ,
    "service": SZ,
    "servicemgr": SZ,
    "callcentre": SZ,
    "datasteward": SZ,
    "manager": {"binhai"},
    "consultant": {"binhai"},
    "engineer": {"binhai"},
    "steward": {"binhai"},
    "keyaccount": {"binhai"},
    "consultant2": {"yunjing"},
    "manager_zh": {"haiwan"},
    "consultant_zh": {"haiwan"},
}


@pytest.fixture
def probes(world):
    """One building and one unit per project, to knock on every door."""
    result = {}
    for code, project in world.projects.items():
        building = Building.objects.filter(project=project).first()
        unit = Unit.objects.filter(building=building).first()
        result[code] = (project, building, unit)
    return result


def test_every_demo_user_is_covered(world):
    assert set(world.users) == set(EXPECTED_PROJECTS)


@pytest.mark.parametrize("username", sorted(EXPECTED_PROJECTS))
def test_pages_show_only_the_users_projects(username, world, probes, client):
    client.force_login(world.users[username])
    for code, (_project, building, unit) in probes.items():
        expected = 200 if code in EXPECTED_PROJECTS[username] else 404
        assert client.get(f"/inventory/buildings/{building.pk}/board/").status_code == expected
        assert client.get(f"/inventory/units/{unit.pk}/").status_code == expected
    index = client.get("/inventory/").content.decode()
    for code, (project, _b, _u) in probes.items():
        assert (project.name in index) == (code in EXPECTED_PROJECTS[username]), code


@pytest.mark.parametrize("username", sorted(EXPECTED_PROJECTS))
def test_api_shows_only_the_users_projects(username, world, probes, client):
    _token, secret = api_token_create(by=world.users[username], name="test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    listed = client.get("/api/v1/projects", **auth).json()["items"]
    assert {p["code"] for p in listed} == EXPECTED_PROJECTS[username]
    unit_projects = {
        u["project_id"] for u in client.get("/api/v1/units?page_size=500", **auth).json()["items"]
    }
    assert unit_projects <= {world.projects[c].pk for c in EXPECTED_PROJECTS[username]}
    for code, (project, building, unit) in probes.items():
        expected = 200 if code in EXPECTED_PROJECTS[username] else 404
        assert client.get(f"/api/v1/projects/{project.pk}", **auth).status_code == expected
        assert client.get(f"/api/v1/units/{unit.pk}", **auth).status_code == expected
        board = client.get(f"/api/v1/buildings/{building.pk}/board", **auth)
        assert board.status_code == expected
        company = client.get(f"/api/v1/companies/{project.company_id}", **auth)
        if expected == 200:
            assert company.status_code == 200
    # another company's projects and units never appear through the API, by list or by id
    visible_companies = {c["id"] for c in client.get("/api/v1/companies", **auth).json()["items"]}
    for code, (project, _building, unit) in probes.items():
        if project.company_id not in visible_companies:
            assert client.get(f"/api/v1/companies/{project.company_id}", **auth).status_code == 404
            assert client.get(f"/api/v1/units/{unit.pk}", **auth).status_code == 404, code


def test_anonymous_gets_login_redirect_and_401(world, probes, client):
    _project, building, unit = probes["binhai"]
    page = client.get(f"/inventory/buildings/{building.pk}/board/")
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.get(f"/api/v1/units/{unit.pk}").status_code == 401


def test_unknown_and_malformed_ids_are_404(world, client):
    client.force_login(world.users["admin"])
    assert client.get("/inventory/buildings/999999/board/").status_code == 404
    assert client.get("/api/v1/units/999999").status_code == 404
    assert client.get("/api/v1/units/abc").status_code in (404, 422)


def test_deactivated_user_sees_nothing(world, probes, client):
    user = world.users["manager"]
    _token, secret = api_token_create(by=user, name="t")
    user.is_active = False
    user.save()
    assert client.get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
