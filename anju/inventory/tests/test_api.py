"""Units API: scoped reads with constant query counts, and the price write with clear 4xx."""

import pytest

from anju.core.services import api_token_create
from anju.inventory.models import Unit, UnitStatus
from anju.inventory.services import building_create


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_unit_list_query_count_is_constant(world, client, django_assert_max_num_queries):
    auth = bearer(world.users["admin"])
    client.get("/api/v1/units", **auth)  # first use stamps the token's last_used_at
    with django_assert_max_num_queries(10) as small:
        client.get("/api/v1/units?page_size=100", **auth)
    building_create(
        by=None,
        project=world.projects["binhai"],
        code="88",
        name="88栋",
        floors=30,
        units_per_floor=4,
        layouts=[("两室", 90, "S")] * 4,
        price_per_m2=50000,
    )
    with django_assert_max_num_queries(10) as big:
        client.get("/api/v1/units?page_size=100", **auth)
    assert len(big.captured_queries) == len(small.captured_queries)


def test_units_filter_by_status_and_pagination(world, client):
    auth = bearer(world.users["manager"])
    body = client.get("/api/v1/units?status=available&page_size=10", **auth).json()
    assert (
        body["count"]
        == Unit.objects.filter(
            project=world.projects["binhai"], status=UnitStatus.AVAILABLE
        ).count()
    )
    assert len(body["items"]) == 10 and all(u["status"] == "available" for u in body["items"])
    assert client.get("/api/v1/units?status=bogus", **auth).status_code == 422


def test_price_change_via_api(world, client):
    unit = Unit.objects.filter(project=world.projects["binhai"], status="available").first()
    url = f"/api/v1/units/{unit.pk}/price"
    denied = client.post(
        url,
        {"list_price": "1", "reason": "x"},
        content_type="application/json",
        **bearer(world.users["consultant"]),
    )
    assert denied.status_code == 403 and denied.json()["detail"]
    manager = bearer(world.users["manager"])
    bad = client.post(
        url, {"list_price": "1", "reason": ""}, content_type="application/json", **manager
    )
    assert bad.status_code == 422 and bad.json()["field"] == "reason"
    malformed = client.post(url, "{not json", content_type="application/json", **manager)
    assert 400 <= malformed.status_code < 500
    ok = client.post(
        url,
        {"list_price": "2888888.00", "reason": "开盘调价"},
        content_type="application/json",
        **manager,
    )
    assert ok.status_code == 200 and ok.json()["list_price"] == "2888888.00"
    other = Unit.objects.filter(project=world.projects["haiwan"]).first()
    assert (
        client.post(
            f"/api/v1/units/{other.pk}/price",
            {"list_price": "1", "reason": "x"},
            content_type="application/json",
            **manager,
        ).status_code
        == 404
    )


@pytest.mark.parametrize("price", ["1e20", "1000000000000", "-1", "NaN", "Infinity"])
def test_price_outside_the_column_is_refused_via_api(world, client, login, price):
    """SEC-4: 1e20 used to be saved on SQLite and break the board and unit pages for good."""
    unit = Unit.objects.filter(project=world.projects["binhai"], status="available").first()
    old = unit.list_price
    response = client.post(
        f"/api/v1/units/{unit.pk}/price",
        {"list_price": price, "reason": "x"},
        content_type="application/json",
        **bearer(world.users["manager"]),
    )
    assert 400 <= response.status_code < 500
    assert Unit.objects.get(pk=unit.pk).list_price == old
    manager = login(world.users["manager"])
    assert manager.get(f"/inventory/buildings/{unit.building_id}/board/").status_code == 200
    assert manager.get(f"/inventory/units/{unit.pk}/").status_code == 200
    assert manager.get(f"/api/v1/units/{unit.pk}").status_code == 200


def test_price_change_via_token_is_audited_with_the_tokens_user(world, client):
    """SEC-3: the audit entry names the token's owner, not an anonymous actor."""
    from auditlog.models import LogEntry

    manager = world.users["manager"]
    unit = Unit.objects.filter(project=world.projects["binhai"], status="available").first()
    response = client.post(
        f"/api/v1/units/{unit.pk}/price",
        {"list_price": "2999999.00", "reason": "调价"},
        content_type="application/json",
        **bearer(manager),
    )
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_object(unit).filter(changes__has_key="list_price").get()
    assert entry.actor == manager


def test_revoked_token_is_refused(world, client):
    from anju.core.models import ApiToken
    from anju.core.services import api_token_revoke

    user = world.users["manager"]
    auth = bearer(user)
    assert client.get("/api/v1/projects", **auth).status_code == 200
    api_token_revoke(by=user, token=ApiToken.objects.get(user=user))
    assert client.get("/api/v1/projects", **auth).status_code == 401


def test_openapi_docs_served_locally(world, client):
    docs = client.get("/api/docs", follow=True)
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
    assert client.get("/api/v1/openapi.json").status_code == 200
