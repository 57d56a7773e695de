"""The deals API of signing and payments (SUB-4): the same services and scope as the pages,
error codes from docs/api.md, list queries flat in the rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anju.deals.models import Contract, Instalment, Payment, SubscriptionStatus

pytestmark = pytest.mark.django_db

API = "/api/v1"
TODAY = timezone.localdate


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_sign_read_and_list(subscribe, consultant, login):
    subscription = subscribe()
    client = login(consultant)
    listed_before = {  # the demo's contracts of the consultant, by plan
        plan: [c["id"] for c in client.get(f"{API}/contracts?payment_plan={plan}").json()["items"]]
        for plan in ("mortgage", "one_off")
    }
    total = subscription.final_price
    down = (total * Decimal("0.3")).quantize(Decimal("0.01"))
    body = {
        "payment_plan": "mortgage",
        "down_payment": str(down),
        "loan_amount": str(total - down),
        "due_days": 10,
    }
    response = _post(client, f"{API}/subscriptions/{subscription.pk}/contract", body)
    assert response.status_code == 201, response.content
    signed = response.json()
    contract = Contract.objects.get(subscription=subscription)
    assert signed["id"] == contract.pk and signed["number"] == str(contract)
    assert Decimal(signed["total"]) == total and Decimal(signed["balance"]) == total
    assert [(i["kind"], i["state"]) for i in signed["instalments"]] == [
        ("down_payment", "due"),
        ("loan", "due"),
    ]
    assert signed["instalments"][0]["due_date"] == (TODAY() + timedelta(days=10)).isoformat()
    assert client.get(f"{API}/contracts/{contract.pk}").json() == signed
    listed = client.get(f"{API}/contracts?payment_plan=mortgage").json()
    assert [c["id"] for c in listed["items"]] == [contract.pk, *listed_before["mortgage"]]
    assert listed["count"] == len(listed_before["mortgage"]) + 1  # signed today: listed first
    one_off = client.get(f"{API}/contracts?payment_plan=one_off").json()
    assert [c["id"] for c in one_off["items"]] == listed_before["one_off"]
    again = _post(client, f"{API}/subscriptions/{subscription.pk}/contract", body)
    assert again.status_code == 409 and again.json()["code"] == "already_signed"


def test_a_plan_that_does_not_add_up_is_422_naming_the_field(subscribe, consultant, login):
    subscription = subscribe()
    client = login(consultant)
    url = f"{API}/subscriptions/{subscription.pk}/contract"
    rows = [
        {"due_date": (TODAY() + timedelta(days=10)).isoformat(), "amount": "1000"},
        {"due_date": (TODAY() + timedelta(days=40)).isoformat(), "amount": "2000"},
    ]
    response = _post(client, url, {"payment_plan": "instalments", "instalments": rows})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "plan_sum_mismatch",
        "instalments",
    )
    response = _post(client, url, {"payment_plan": "one_off", "colour": "red"})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SUBSCRIBED


def test_payments_and_refunds(signed, cashier, consultant, login):
    contract = signed()
    client = login(cashier)
    url = f"{API}/subscriptions/{contract.subscription_id}/payments"
    paid = _post(client, url, {"amount": "50000", "method": "transfer", "receipt_no": "R-9"})
    assert paid.status_code == 201 and paid.json()["amount"] == "50000.00"
    refund = _post(client, url, {"amount": "100", "method": "transfer", "refund": True})
    assert refund.status_code == 422 and refund.json()["field"] == "reason"
    refund = _post(
        client, url, {"amount": "100", "method": "transfer", "refund": True, "reason": "多收"}
    )
    assert refund.status_code == 201 and refund.json()["amount"] == "-100.00"
    too_much = _post(client, url, {"amount": str(contract.total), "method": "cash"})
    assert too_much.status_code == 409 and too_much.json()["code"] == "more_than_balance"
    listed = client.get(url).json()
    assert [p["amount"] for p in listed["items"]] == ["-100.00", "50000.00"]
    detail = client.get(f"{API}/contracts/{contract.pk}").json()
    assert Decimal(detail["paid"]) == Decimal("49900")
    assert detail["instalments"][0]["state"] == "partly_paid"
    refused = _post(login(consultant), url, {"amount": "1", "method": "cash"})
    assert refused.status_code == 403
    assert Payment.objects.filter(subscription_id=contract.subscription_id).count() == 2


def test_a_draft_takes_no_payment(held, cashier, login):
    response = _post(
        login(cashier), f"{API}/subscriptions/{held.pk}/payments", {"amount": "1", "method": "cash"}
    )
    assert response.status_code == 409 and response.json()["code"] == "not_payable"


def test_out_of_scope_is_404(signed, world, login):
    client = login(world.users["consultant2"])
    before = client.get(f"{API}/contracts").json()  # his own (the demo's, in 云境)
    contract = signed()
    assert client.get(f"{API}/contracts/{contract.pk}").status_code == 404
    assert client.get(f"{API}/subscriptions/{contract.subscription_id}/payments").status_code == 404
    assert client.get(f"{API}/contracts").json() == before


def test_overdue_list_for_managers_with_flat_queries(signed, world, login):
    client = login(world.users["manager"])
    demo = client.get(f"{API}/instalments/overdue").json()  # the demo's overdue deals
    demo_30 = client.get(f"{API}/instalments/overdue?overdue_days=30").json()["count"]
    assert all(i["days_overdue"] < 100 for i in demo["items"])
    first = signed()
    Instalment.objects.filter(contract=first).update(due_date=TODAY() - timedelta(days=3))
    with CaptureQueriesContext(connection) as one:
        body = client.get(f"{API}/instalments/overdue").json()
    assert body["count"] == demo["count"] + 1
    (row,) = [i for i in body["items"] if i["contract_id"] == first.pk]
    assert row["days_overdue"] == 3
    assert row["phone"] != first.subscription.customer.phone  # masked
    for days in (40, 100):
        contract = signed()
        Instalment.objects.filter(contract=contract).update(due_date=TODAY() - timedelta(days=days))
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"{API}/instalments/overdue").json()
    assert body["count"] == demo["count"] + 3 and len(many) == len(one)
    days = [i["days_overdue"] for i in body["items"]]
    assert days[0] == 100 and days == sorted(days, reverse=True)  # the longest overdue first
    assert client.get(f"{API}/instalments/overdue?overdue_days=30").json()["count"] == demo_30 + 2
    bad = client.get(f"{API}/instalments/overdue?overdue_days=5")
    assert bad.status_code == 422
    assert login(world.users["consultant"]).get(f"{API}/instalments/overdue").status_code == 403
