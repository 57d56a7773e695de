"""Club API: same services and scope as the pages, error codes from docs/api.md."""

import pytest

from anju.membership import selectors, services
from anju.membership.models import Membership, Tier

pytestmark = pytest.mark.django_db

API = "/api/v1/membership"


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_tiers_in_order(world, login, staff):
    body = login(staff).get(f"{API}/tiers").json()
    assert [t["code"] for t in body] == ["none", "blue", "silver", "gold"]
    assert body[3]["discount_rate"] == "0.0200"


def test_member_of_a_customer_join_and_points(world, login, make_customer, staff):
    customer = make_customer(name="接口会员")
    client = login(staff)
    before = client.get(f"{API}/customers/{customer.pk}").json()
    assert before["is_member"] is False and before["tier"]["code"] == "none"
    assert before["phone"] != customer.phone  # masked
    joined = _post(client, f"{API}/customers/{customer.pk}/join", {})
    assert joined.status_code == 201 and joined.json()["tier"]["code"] == "blue"
    again = _post(client, f"{API}/customers/{customer.pk}/join", {})
    assert again.status_code == 409 and again.json()["code"] == "already_member"
    assert Membership.objects.unscoped("t").filter(customer=customer).count() == 1


def test_redeem_adjust_and_ledger(world, login, member, credit, staff):
    customer = member()
    credit(customer, 300)
    gift = services.gift_create(
        by=staff, company=customer.company, name="接口伞", points_cost=100, stock=1
    )
    client = login(staff)
    url = f"{API}/customers/{customer.pk}"
    done = _post(client, f"{url}/redemptions", {"gift_id": gift.pk})
    assert done.status_code == 201 and done.json()["points_balance"] == 200
    out = _post(client, f"{url}/redemptions", {"gift_id": gift.pk})
    assert out.status_code == 409 and out.json()["code"] == "out_of_stock"
    too_much = _post(client, f"{url}/offsets", {"points": 201, "reference": "sub:1"})
    assert too_much.status_code == 409 and too_much.json()["code"] == "insufficient_points"
    offset = _post(client, f"{url}/offsets", {"points": 100, "reference": "sub:1"})
    assert offset.status_code == 201 and offset.json()["points"] == -100
    adjusted = _post(client, f"{url}/adjustments", {"points": 5, "note": "接口补录"})
    assert adjusted.status_code == 201
    assert (
        client.get(f"{url}/points").json()["points_balance"]
        == 105
        == selectors.points_balance(customer)
    )
    ledger = client.get(f"{url}/points/entries?page_size=2").json()
    assert ledger["count"] == 4 and [e["points"] for e in ledger["items"]] == [5, -100]


def test_bad_input_answers_with_codes(world, login, member, staff):
    customer = member()
    client = login(staff)
    url = f"{API}/customers/{customer.pk}"
    assert _post(client, f"{url}/adjustments", {"points": 0, "note": "x"}).status_code == 422
    assert _post(client, f"{url}/redemptions", {"gift_id": 10**9}).status_code == 404
    unknown = _post(client, f"{url}/tier-change-requests", {"tier_id": 10**9, "reason": "x"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_tier"
    listing = client.get(f"{API}/members?tier=diamond")
    assert listing.status_code == 404 and listing.json()["code"] == "unknown_tier"
    assert _post(client, f"{url}/join", {"member_type": "vip"}).status_code == 422


def test_scope_and_permissions_as_on_the_pages(world, login, member):
    other = member(name="别人的", by="consultant2", project="yunjing")
    consultant = login(world.users["consultant"])
    assert consultant.get(f"{API}/customers/{other.pk}").status_code == 404
    mine = member(name="我的")
    refused = _post(
        consultant, f"{API}/customers/{mine.pk}/adjustments", {"points": 5, "note": "x"}
    )
    assert refused.status_code == 403 and selectors.points_balance(mine) == 0


def test_member_list_is_paged_with_constant_queries(
    world, login, member, staff, django_assert_max_num_queries
):
    client = login(staff)
    with django_assert_max_num_queries(20) as before:
        assert client.get(f"{API}/members").status_code == 200
    for n in range(4):
        member(name=f"接口列表{n}")
    with django_assert_max_num_queries(len(before.captured_queries)):
        body = client.get(f"{API}/members").json()
    assert body["items"] and all(
        len(row["phone"]) == 11 and "*" in row["phone"] for row in body["items"]
    )


def test_tier_change_request_and_history(world, login, member):
    customer = member()
    gold = Tier.objects.get(holding=customer.company.holding, code="gold")
    client = login(world.users["service"])
    asked = _post(
        client,
        f"{API}/customers/{customer.pk}/tier-change-requests",
        {"tier_id": gold.pk, "reason": "贡献大"},
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    history = client.get(f"{API}/customers/{customer.pk}/tier-changes").json()
    assert [h["kind"] for h in history["items"]] == ["joined"]
