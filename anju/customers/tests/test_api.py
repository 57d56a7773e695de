"""Customers API: dedupe on create (CUS-3), protection (CUS-4), masking (SEC-2), scope."""

from anju.core.models import PersonalDataAccess
from anju.core.services import api_token_create
from anju.customers.models import Customer


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client, url, data, auth):
    return client.post(url, data, content_type="application/json", **auth)


def test_create_then_same_number_returns_existing(world, client):
    auth = bearer(world.users["consultant"])
    body = {"project_id": world.projects["binhai"].pk, "phone": "138 0000 7777", "name": "周九"}
    first = post(client, "/api/v1/customers", body, auth)
    assert first.status_code == 201 and first.json()["created"] is True
    customer = first.json()["customer"]
    assert customer["phone"] == "138****7777"
    again = post(client, "/api/v1/customers", body | {"phone": "+8613800007777"}, auth)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["customer"]["id"] == customer["id"]
    assert Customer.objects.filter(phone="13800007777").count() == 1


def test_other_consultant_inside_protection_gets_4xx_naming_owner(world, client):
    post(
        client,
        "/api/v1/customers",
        {"project_id": world.projects["binhai"].pk, "phone": "13800007777", "name": "周九"},
        bearer(world.users["consultant"]),
    )
    refused = post(
        client,
        "/api/v1/customers",
        {"project_id": world.projects["yunjing"].pk, "phone": "13800007777", "name": "周九"},
        bearer(world.users["consultant2"]),
    )
    assert refused.status_code == 409  # issue 8 item 1: a protection clash is a conflict
    assert refused.json()["code"] == "protected_by_colleague"
    assert refused.json()["field"] == "phone" and "置业顾问·李娜" in refused.json()["detail"]


def test_bad_input_is_4xx(world, client):
    auth = bearer(world.users["consultant"])
    project = world.projects["binhai"].pk
    for body in (
        {"project_id": project, "phone": "123", "name": "x"},
        {"project_id": project, "phone": "13800007777", "name": ""},
        {"project_id": project, "phone": "13800007777", "name": "x" * 200},
        {"project_id": project, "phone": "13800007777", "name": "x", "birth_date": "2999-01-01"},
        {"project_id": project, "phone": "13800007777", "name": "x", "birth_date": "2026-02-30"},
        {"project_id": world.projects["haiwan"].pk, "phone": "13800007777", "name": "x"},
    ):
        response = post(client, "/api/v1/customers", body, auth)
        assert 400 <= response.status_code < 500, (body, response.status_code)
    assert not Customer.objects.filter(phone="13800007777").exists()


def test_list_is_scoped_masked_and_constant_in_queries(
    world, client, django_assert_max_num_queries
):
    auth = bearer(world.users["consultant"])
    client.get("/api/v1/customers", **auth)
    with django_assert_max_num_queries(10):
        items = client.get("/api/v1/customers?page_size=500", **auth).json()["items"]
    assert items and {i["owner_id"] for i in items} == {world.users["consultant"].pk}
    assert all("****" in i["phone"] for i in items)
    zh = client.get("/api/v1/customers?page_size=500", **bearer(world.users["manager_zh"])).json()
    assert {i["company_id"] for i in zh["items"]} == {world.companies["zh"].pk}


def test_lookup_update_and_reveal(world, client):
    customer = Customer.objects.filter(owner=world.users["consultant"]).first()
    manager = bearer(world.users["manager"])

    def lookup(phone, auth):  # a POST: no phone number in the URL (issue 7 item 9)
        return client.post(
            "/api/v1/customers/lookup", {"phone": phone}, content_type="application/json", **auth
        )

    found = lookup(customer.phone, manager)
    assert found.status_code == 200 and found.json()["id"] == customer.pk
    assert lookup("13900000000", manager).status_code == 404
    assert lookup(customer.phone, bearer(world.users["manager_zh"])).status_code == 404
    patched = client.patch(
        f"/api/v1/customers/{customer.pk}",
        {"occupation": "医生"},
        content_type="application/json",
        **manager,
    )
    assert patched.status_code == 200 and patched.json()["occupation"] == "医生"
    shown = client.post(f"/api/v1/customers/{customer.pk}/reveal/phone", **manager)
    assert shown.json()["value"] == customer.phone
    logged = PersonalDataAccess.objects.filter(target_id=customer.pk)
    # the reveal, and the lookup above (which names whom it found)
    assert sorted(logged.values_list("action", flat=True)) == ["search", "view"]
    denied = client.post(  # a colleague on the project who sees the customer but is not his
        f"/api/v1/customers/{customer.pk}/reveal/phone", **bearer(world.users["engineer"])
    )
    assert denied.status_code == 403
    assert (
        client.get(
            f"/api/v1/customers/{customer.pk}", **bearer(world.users["consultant2"])
        ).status_code
        == 404
    )


def test_list_count_is_capped_like_the_pages(world, client, monkeypatch):
    """A million visible rows are not counted on every page request (benchmarks)."""
    monkeypatch.setattr("anju.core.pagination.COUNT_CAP", 3)
    monkeypatch.setattr("anju.core.api_types.COUNT_CAP", 3)
    body = client.get("/api/v1/customers", **bearer(world.users["manager"])).json()
    assert body["count"] == 3 and body["count_capped"] is True
    assert len(body["items"]) > 3  # the page itself is not cut by the cap
