"""Sales changes through the API (SUB-5): one body per kind, the one error shape, lists in
constant queries, decided through /approvals."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.deals.models import ChangeKind, ChangeStatus, SalesChange
from anju.deals.services import payment_record, subscription_hold
from anju.deals.services.changes import sales_change_request
from anju.inventory.models import UnitStatus

from .changes_helpers import approval_of, nothing_asked, reload, subscribe

API = "/api/v1"


@pytest.fixture
def deal(held, consultant):
    return subscribe(held, consultant)


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _ask_url(deal):
    return f"{API}/subscriptions/{deal.pk}/changes"


def test_a_cancellation_is_asked_and_answered_with_the_change(login, consultant, deal, world):
    payment_record(by=world.users["manager"], subscription=deal, amount="3000", method="cash")
    response = _post(
        login(consultant),
        _ask_url(deal),
        {
            "kind": "cancellation",
            "reason": "客户资金问题",
            "refund_amount": "2000.50",
            "refund_method": "cash",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    change = SalesChange.objects.get(subscription=deal)
    assert body["id"] == change.pk and body["status"] == "pending"
    assert body["kind"] == "cancellation" and body["subscription_id"] == deal.pk
    assert body["refund_amount"] == "2000.50" and body["paid"] == "3000.00"
    assert body["refund_method"] == "cash" and body["approval_id"] == approval_of(change).pk
    assert body["subscription_number"] == f"RG{deal.number:06d}"


def test_a_unit_change_by_unit_id_and_its_new_lines(login, consultant, deal, available_unit):
    target = available_unit()
    response = _post(
        login(consultant),
        _ask_url(deal),
        {"kind": "change_unit", "reason": "换房", "unit_id": target.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["to_unit_id"] == target.pk and body["from_unit_id"] == deal.unit_id
    assert body["new_lines"][0]["step"] == "list"
    assert Decimal(body["new_lines"][-1]["running_total"]) == Decimal(body["new_final_price"])
    assert body["old_lines"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "cancellation", "reason": "x"}, "refund_amount"),
        ({"kind": "cancellation", "reason": "x", "refund_amount": "1", "unit_id": 1}, "unit_id"),
        ({"kind": "swap", "reason": "x"}, "kind"),
        ({"reason": "x", "unit_id": 5}, "kind"),
        ({"kind": "price_adjustment", "reason": " ", "final_price": "1"}, "reason"),
        ({"kind": "price_adjustment", "reason": "x", "final_price": 1.5}, "final_price"),
        ({"kind": "rename", "reason": "x", "customer_id": 0}, "customer_id"),
    ],
)
def test_bodies_that_do_not_fit_their_kind_are_refused(login, consultant, deal, body, field):
    response = _post(login(consultant), _ask_url(deal), body)
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["code"] == "invalid"
    assert field in {e["field"].split(".")[-1] for e in answer["errors"]} | {answer.get("field")}
    nothing_asked(deal)


def test_service_refusals_keep_the_one_error_shape(login, consultant, deal, world):
    payment_record(by=world.users["manager"], subscription=deal, amount="10", method="cash")
    client = login(consultant)
    response = _post(
        client, _ask_url(deal), {"kind": "cancellation", "reason": "x", "refund_amount": "5"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "refund_method"
    response = _post(
        client, _ask_url(deal), {"kind": "cancellation", "reason": "x", "refund_amount": "0"}
    )
    assert response.status_code == 201
    response = _post(
        client, _ask_url(deal), {"kind": "cancellation", "reason": "x", "refund_amount": "0"}
    )
    assert response.status_code == 409 and response.json()["code"] == "change_pending"


def test_rows_out_of_scope_are_not_found(login, consultant, deal, world, make_customer):
    client = login(consultant)
    stranger = make_customer(name="别人的", by="consultant2", project="yunjing")
    response = _post(
        client, _ask_url(deal), {"kind": "rename", "reason": "x", "customer_id": stranger.pk}
    )
    assert response.status_code == 404 and response.json()["field"] == "customer_id"
    response = _post(
        login(world.users["consultant_zh"]),
        _ask_url(deal),
        {"kind": "cancellation", "reason": "x", "refund_amount": "0"},
    )
    assert response.status_code == 404
    nothing_asked(deal)


def test_a_role_without_selling_is_refused(login, deal, world):
    response = _post(
        login(world.users["service"]),
        _ask_url(deal),
        {"kind": "cancellation", "reason": "x", "refund_amount": "0"},
    )
    assert response.status_code == 403
    nothing_asked(deal)


def test_the_list_pages_and_filters_in_constant_queries(
    login, consultant, deal, world, available_unit, make_customer
):
    def count(user="manager", **params):  # the demo's changes are listed too: count beyond
        client = login(world.users[user])
        return client.get(f"{API}/sales-changes", params).json()["count"]

    demo = {
        "all": count(),
        "price": count(kind="price_adjustment"),
        "applied": count(status="applied"),
        "zh": count("manager_zh"),
    }
    client = login(world.users["manager"])
    change = sales_change_request(
        by=consultant,
        subscription=deal,
        kind=ChangeKind.PRICE_ADJUSTMENT,
        reason="调价",
        final_price="1000000",
    )
    with CaptureQueriesContext(connection) as one:
        first = client.get(f"{API}/sales-changes")
    assert first.status_code == 200 and first.json()["count"] == demo["all"] + 1
    for n in range(3):
        other = subscribe(
            subscription_hold(
                by=consultant, unit=available_unit(), customer=make_customer(name=f"买家{n}")
            ),
            consultant,
        )
        sales_change_request(
            by=consultant,
            subscription=other,
            kind=ChangeKind.CANCELLATION,
            reason="退房",
            refund_amount="0",
        )
    with CaptureQueriesContext(connection) as four:
        answer = client.get(f"{API}/sales-changes").json()
    assert len(four) == len(one) and answer["count"] == demo["all"] + 4
    assert all(row["approval_id"] for row in answer["items"])
    kinds = client.get(f"{API}/sales-changes", {"kind": "price_adjustment"}).json()
    assert kinds["count"] == demo["price"] + 1
    assert {row["kind"] for row in kinds["items"]} == {"price_adjustment"}
    mine = [row for row in kinds["items"] if row["id"] == change.pk]
    assert mine and mine[0]["new_final_price"] == "1000000.00"
    assert count(status="applied") == demo["applied"]
    bad = login(world.users["manager"]).get(f"{API}/sales-changes", {"kind": "nonsense"})
    assert bad.status_code == 422
    assert count("manager_zh") == demo["zh"]  # a colleague of another company: none of them


def test_decided_through_the_approvals_api(login, consultant, deal, world):
    body = _post(
        login(consultant),
        _ask_url(deal),
        {"kind": "cancellation", "reason": "退房", "refund_amount": "0"},
    ).json()
    manager = login(world.users["manager"])
    decided = _post(manager, f"{API}/approvals/{body['approval_id']}/approve", {"comment": "同意"})
    assert decided.status_code == 200, decided.content
    change = manager.get(f"{API}/sales-changes/{body['id']}").json()
    assert change["status"] == ChangeStatus.APPLIED and change["applied_at"]
    assert reload(deal.unit).status == UnitStatus.AVAILABLE
    assert (
        login(world.users["consultant_zh"]).get(f"{API}/sales-changes/{body['id']}").status_code
        == 404
    )


def test_the_document_keeps_every_kind_enum_apart():
    """Deals' ChangeKind and membership's TierChange.ChangeKind share a class name: the
    sales changes state their kinds as literals, so neither overwrites the other."""
    from anju.api import api

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    assert "manual" in components["ChangeKind"]["enum"]  # membership's tier changes
    kind = components["SalesChangeOut"]["properties"]["kind"]
    assert set(kind["enum"]) == set(ChangeKind.values)
    status = components["SalesChangeOut"]["properties"]["status"]
    assert set(status["enum"]) == set(ChangeStatus.values)
