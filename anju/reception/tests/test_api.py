"""Reception API: same services and scope as the pages; 4xx for bad input; constant queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.services import api_token_create
from anju.reception.models import LossReason, Opportunity, PhoneCall, RiskFactor, Visit

pytestmark = pytest.mark.django_db


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client, url, body, auth):
    return client.post(url, body, content_type="application/json", **auth)


def call_body(world, **kw):
    body = {
        "project_id": world.projects["binhai"].pk,
        "rings": 2,
        "answer_seconds": 5,
        "duration_seconds": 200,
        "phone": "13812345001",
        "name": "钱七",
        "gender": "F",
        "visit_wanted": True,
    }
    body.update(kw)
    return body


def test_call_create_returns_tasks_and_lists_are_scoped(world, client):
    auth = bearer(world.users["consultant"])
    response = post(client, "/api/v1/calls", call_body(world), auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {t["kind"] for t in body["tasks"]} == {"sms", "call"}
    assert body["call"]["phone_masked"] == "138****5001" and body["customer_id"]
    sms = next(t for t in body["tasks"] if t["kind"] == "sms")
    assert sms["message"].startswith("钱女士您好")
    calls = client.get("/api/v1/calls", **auth).json()
    assert body["call"]["id"] in [c["id"] for c in calls["items"]]
    zh = bearer(world.users["consultant_zh"])
    assert body["call"]["id"] not in [
        c["id"] for c in client.get("/api/v1/calls?page_size=100", **zh).json()["items"]
    ]
    assert client.get(f"/api/v1/calls/{body['call']['id']}", **zh).status_code == 404
    mine = client.get("/api/v1/tasks?bucket=today", **auth).json()
    assert sms["id"] in [t["id"] for t in mine["items"]]
    assert sms["id"] not in [
        t["id"] for t in client.get("/api/v1/tasks?page_size=100", **zh).json()["items"]
    ]
    # complete: zh user gets 404, consultant completes, second time is a 409 (issue 8)
    url = f"/api/v1/tasks/{sms['id']}/complete"
    assert post(client, url, {}, zh).status_code == 404
    done = post(client, url, {"outcome": "已发"}, auth)
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = post(client, url, {"outcome": "again"}, auth)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_call_bad_input_is_4xx_never_500(world, client):
    auth = bearer(world.users["consultant"])
    count = PhoneCall.objects.count()
    cases = [
        call_body(world, phone="123"),
        call_body(world, rings=-1),
        call_body(world, source="nope"),
        call_body(world, project_id=world.projects["haiwan"].pk),
        call_body(world, project_id=999999),
        call_body(world, called_at="2999-01-01T10:00:00"),
        call_body(world, visit_booked_for="not a date"),
        {"project_id": world.projects["binhai"].pk},
    ]
    for body in cases:
        response = post(client, "/api/v1/calls", body, auth)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json()["detail"]
    assert 400 <= post(client, "/api/v1/calls", "{oops", auth).status_code < 500
    assert PhoneCall.objects.count() == count


def test_visit_create_with_disclosure(world, client):
    auth = bearer(world.users["consultant"])
    factors = list(RiskFactor.objects.filter(project=world.projects["binhai"], is_active=True))
    now = timezone.now()
    body = {
        "project_id": world.projects["binhai"].pk,
        "arrived_at": (now - timedelta(minutes=10)).isoformat(),
        "reception_started_at": (now - timedelta(minutes=9, seconds=20)).isoformat(),
        "phone": "13812345002",
        "name": "孙八",
        "risk_factor_ids": [f.pk for f in factors[:2]],
        "club_invited": True,
    }
    response = post(client, "/api/v1/visits", body, auth)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["visit"]["waiting_seconds"] == 40
    assert data["risk_factor_ids_missing"] == [f.pk for f in factors[2:]]
    assert set(Visit.objects.get(pk=data["visit"]["id"]).risk_factors_disclosed.all()) == set(
        factors[:2]
    )
    foreign = RiskFactor.objects.filter(project=world.projects["haiwan"]).first()
    bad = post(client, "/api/v1/visits", {**body, "risk_factor_ids": [foreign.pk]}, auth)
    # Another project's checklist item names nothing this visit may use: 404 (issue 8).
    assert bad.status_code == 404 and bad.json()["field"] == "risk_factor_ids"
    listed = client.get("/api/v1/visits", **auth).json()["items"]
    assert data["visit"]["id"] in [v["id"] for v in listed]
    factors_api = client.get(
        f"/api/v1/risk-factors?project_id={world.projects['binhai'].pk}", **auth
    )
    assert [f["id"] for f in factors_api.json()] == [f.pk for f in factors]


def test_opportunity_create_list_close(world, client):
    auth = bearer(world.users["consultant"])
    customer_id = post(client, "/api/v1/calls", call_body(world), auth).json()["customer_id"]
    created = post(
        client,
        "/api/v1/opportunities",
        {
            "customer_id": customer_id,
            "products_of_interest": "四房",
            "expected_value": "5800000.00",
        },
        auth,
    )
    assert created.status_code == 201
    opp = created.json()
    assert opp["expected_value"] == "5800000.00" and opp["stage"] == "contact"
    url = f"/api/v1/opportunities/{opp['id']}/close"
    no_reason = post(client, url, {"won": False}, auth)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason_id"
    unknown = post(client, url, {"won": False, "reason_id": 2**40}, auth)
    assert unknown.status_code == 404 and unknown.json()["field"] == "reason"
    zh = bearer(world.users["manager_zh"])
    reason = LossReason.objects.filter(company=world.companies["sz"]).first()
    assert post(client, url, {"won": False, "reason_id": reason.pk}, zh).status_code == 404
    closed = post(client, url, {"won": False, "reason_id": reason.pk, "note": "n"}, auth)
    assert closed.status_code == 200 and closed.json()["stage"] == "lost"
    assert Opportunity.objects.get(pk=opp["id"]).loss_reason == reason
    listed = client.get("/api/v1/opportunities?state=closed", **auth).json()["items"]
    assert opp["id"] in [o["id"] for o in listed]
    bad = post(
        client,
        "/api/v1/opportunities",
        {"customer_id": customer_id, "products_of_interest": "x", "expected_value": "-5"},
        auth,
    )
    assert bad.status_code == 422  # the schema documents the range (issue 7 item 4)
    other = post(
        client,
        "/api/v1/opportunities",
        {"customer_id": customer_id, "products_of_interest": "x", "expected_value": "1"},
        zh,
    )
    assert other.status_code == 404
    reasons = client.get(
        f"/api/v1/opportunity-reasons?project_id={world.projects['binhai'].pk}", **auth
    ).json()
    assert reasons["win"] and reasons["loss"]


def test_list_apis_query_counts_are_constant(world, client, django_assert_max_num_queries):
    auth = bearer(world.users["manager"])
    consultant = bearer(world.users["consultant"])
    urls = [
        "/api/v1/calls?page_size=50",
        "/api/v1/visits?page_size=50",
        "/api/v1/opportunities?page_size=50",
        "/api/v1/tasks?page_size=100",
    ]
    client.get("/api/v1/calls", **auth)  # the token's first use is recorded once
    before = {}
    for url in urls:
        with django_assert_max_num_queries(10) as ctx:
            assert client.get(url, **auth).status_code == 200
        before[url] = len(ctx.captured_queries)
    for n in range(10):
        post(
            client,
            "/api/v1/calls",
            call_body(world, phone=f"1381234{6000 + n}", name=f"批量{n}"),
            consultant,
        )
    for url in urls:
        with django_assert_max_num_queries(10) as ctx:
            client.get(url, **auth)
        assert len(ctx.captured_queries) == before[url], url


def test_single_records_stage_moves_and_task_cancel(world, client):
    """SAL-4 stages and task handling through the API, scoped like the pages."""
    auth = bearer(world.users["consultant"])
    outsider = bearer(world.users["consultant_zh"])
    created = post(client, "/api/v1/calls", call_body(world), auth).json()
    task_id = created["tasks"][0]["id"]
    assert client.get(f"/api/v1/tasks/{task_id}", **auth).json()["id"] == task_id
    assert client.get(f"/api/v1/tasks/{task_id}", **outsider).status_code == 404
    refused = post(client, f"/api/v1/tasks/{task_id}/cancel", {"reason": ""}, auth)
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    cancelled = post(client, f"/api/v1/tasks/{task_id}/cancel", {"reason": "客户已来访"}, auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    opportunity = Opportunity.objects.filter(consultant=world.users["consultant"]).first()
    opportunity_id = opportunity.pk
    Opportunity.objects.filter(pk=opportunity_id).update(stage="contact")
    got = client.get(f"/api/v1/opportunities/{opportunity_id}", **auth)
    assert got.status_code == 200 and got.json()["stage"] == "contact"
    moved = post(client, f"/api/v1/opportunities/{opportunity_id}/stage", {"stage": "needs"}, auth)
    assert moved.status_code == 200 and moved.json()["stage"] == "needs"
    closing = post(client, f"/api/v1/opportunities/{opportunity_id}/stage", {"stage": "won"}, auth)
    assert closing.status_code == 422  # the schema allows open stages only: close with /close
    assert Opportunity.objects.get(pk=opportunity_id).stage == "needs"
    stray = post(client, f"/api/v1/opportunities/{opportunity_id}/stage", {"stage": "x"}, auth)
    assert stray.status_code == 422
    assert client.get(f"/api/v1/opportunities/{opportunity_id}", **outsider).status_code == 404

    visit = Visit.objects.filter(consultant=world.users["consultant"]).first()
    assert client.get(f"/api/v1/visits/{visit.pk}", **auth).json()["id"] == visit.pk
    assert client.get(f"/api/v1/visits/{visit.pk}", **outsider).status_code == 404
