"""The service tickets API (issue 13 item 8): the loop through the API, the refusals with
their codes, scope (404), the SLA status, the company's time limits, flat query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.core.events import Event
from anju.service import escalation
from anju.service.models import SlaPolicy, Status, Ticket

from .conftest import local

pytestmark = pytest.mark.django_db

API = "/api/v1"
TICKETS = f"{API}/service/tickets"


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def _act(client, ticket_id, body):
    return _post(client, f"{TICKETS}/{ticket_id}/transitions", body)


def _receive_body(world, customer=None, **extra):
    body = {
        "project_id": world.projects["binhai"].pk,
        "ticket_type": "complaint",
        "channel": "hotline",
        "category": "quality",
        "subject": "卫生间渗水",
        "description": "主卫天花板渗水，楼上业主称未装修。",
        "demand": "尽快维修并赔偿损失",
    }
    if customer is not None:
        body["customer_id"] = customer.pk
    body.update(extra)
    return body


def _as(user):
    """A client of its own per user: the loop passes between people."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(world):
    u = world.users
    return {
        "agent": _as(u["service"]),
        "manager": _as(u["servicemgr"]),
        "engineer": _as(u["engineer"]),
    }


def _propose_and_approve(people, ticket_id, body):
    proposed = _act(people["engineer"], ticket_id, {"action": "propose", **body})
    assert proposed.status_code == 200, proposed.content
    approval_id = proposed.json()["solutions"][-1]["approval_id"]
    decided = _post(
        people["manager"], f"{API}/approvals/{approval_id}/approve", {"comment": "同意"}
    )
    assert decided.status_code == 200, decided.content
    return proposed.json()


def test_the_complaint_loop_through_the_api(world, make_customer, people):
    """Receive → judge → assign → analyse → propose (approved under /approvals) → implement
    → 不满意 (back to analysis, one level up) → again → two revisits → close."""
    customer = make_customer(name="投诉业主", grade="B")
    agent, engineer = people["agent"], people["engineer"]
    received = _post(agent, TICKETS, _receive_body(world, customer))
    assert received.status_code == 201, received.content
    ticket = received.json()
    pk = ticket["id"]
    assert ticket["status"] == "received" and ticket["number"].startswith("KF")
    assert ticket["customer_name"] == "投诉业主" and ticket["phone"] != customer.phone
    assert "****" in ticket["phone"] and ticket["next_actions"] == ["judge", "reclassify"]
    assert [c["clock"] for c in ticket["clocks"]] == ["first_response", "solution", "closure"]
    assert {c["state"] for c in ticket["clocks"]} == {"running"}

    assert _act(agent, pk, {"action": "judge", "valid": True}).json()["status"] == "accepted"
    assigned = _act(
        agent, pk, {"action": "assign", "responsible_id": world.users["engineer"].pk}
    ).json()
    assert assigned["status"] == "assigned"
    assert assigned["responsible_id"] == world.users["engineer"].pk
    assert assigned["clocks"][0]["state"] == "met"  # first response given
    analysed = _act(engineer, pk, {"action": "analyse", "cause": "楼上防水层破损。"})
    assert analysed.json()["status"] == "analysed"
    body = {"kind": "compensate", "description": "修复防水层，赔偿吊顶损失。"}
    body["compensation"] = "1500.00"
    pending = _propose_and_approve(people, pk, body)
    assert pending["status"] == "solution_pending" and pending["next_actions"] == [
        "assign",
        "reclassify",
    ]
    assert pending["solutions"][0]["compensation"] == "1500.00"
    done = _act(engineer, pk, {"action": "implement", "note": "已修复并赔付。"}).json()
    assert done["status"] == "implemented" and done["revisit_due_on"]
    assert "revisit" in done["next_actions"] and "close" not in done["next_actions"]

    unhappy = _post(agent, f"{TICKETS}/{pk}/revisits", {"satisfaction": "unsatisfied"})
    assert unhappy.status_code == 201
    assert (unhappy.json()["status"], unhappy.json()["level"], unhappy.json()["loops"]) == (
        "assigned",
        1,
        1,
    )
    _act(engineer, pk, {"action": "analyse", "cause": "楼上管道接口松动。"})
    _propose_and_approve(people, pk, {"kind": "repair", "description": "更换管道接口。"})
    _act(engineer, pk, {"action": "implement"})
    _post(agent, f"{TICKETS}/{pk}/revisits", {"satisfaction": "satisfied"})
    early = _act(agent, pk, {"action": "close", "summary": "已解决"})
    assert early.status_code == 409 and early.json()["code"] == "revisits_required"
    second = _post(agent, f"{TICKETS}/{pk}/revisits", {"satisfaction": "very_satisfied"})
    assert second.json()["revisits_done"] == 2 and "close" in second.json()["next_actions"]
    closed = _act(agent, pk, {"action": "close", "summary": "两次回访均满意。"})
    assert closed.status_code == 200, closed.content
    closed = closed.json()
    assert closed["status"] == "closed" and closed["handling"] == "repeated"
    assert closed["next_actions"] == [] and closed["next_due_at"] is None
    assert [r["satisfaction"] for r in closed["revisits"]] == [
        "unsatisfied",
        "satisfied",
        "very_satisfied",
    ]
    assert [r["loop"] for r in closed["revisits"]] == [0, 1, 1]
    assert closed["clocks"][-1]["clock"] == "closure" and closed["clocks"][-1]["state"] == "met"
    verbs = set(
        Event.objects.unscoped("test")
        .filter(target_id=pk, verb__startswith="service.")
        .values_list("verb", flat=True)
    )
    assert {"service.ticket_received", "service.revisit_unsatisfied"} <= verbs


def test_requests_take_their_short_flow(world, make_customer, people):
    agent = people["agent"]
    body = _receive_body(world, make_customer(), ticket_type="consultation", category="other")
    pk = _post(agent, TICKETS, body).json()["id"]
    answered = _act(agent, pk, {"action": "close", "summary": "已告知交房安排。"})
    assert answered.status_code == 200
    assert (answered.json()["status"], answered.json()["outcome"]) == ("closed", "answered")


def test_refusals_carry_their_codes_and_change_nothing(world, make_customer, people):
    agent = people["agent"]
    pk = _post(agent, TICKETS, _receive_body(world, make_customer())).json()["id"]
    illegal = _act(agent, pk, {"action": "analyse", "cause": "x"})
    assert illegal.status_code == 409 and illegal.json()["code"] == "invalid_transition"
    early = _post(agent, f"{TICKETS}/{pk}/revisits", {"satisfaction": "satisfied"})
    assert early.status_code == 409 and early.json()["code"] == "not_implemented"
    invalid = _act(agent, pk, {"action": "judge", "valid": False})
    assert invalid.status_code == 422 and invalid.json()["field"] == "explanation"
    unknown = _act(agent, pk, {"action": "approve"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid"
    extra = _act(agent, pk, {"action": "judge", "valid": True, "colour": "red"})
    assert extra.status_code == 422 and extra.json()["field"] == "colour"
    # a sales manager of the project sees the ticket, but does not run the service desk
    refused = _act(_as(world.users["manager"]), pk, {"action": "judge", "valid": True})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    ticket = Ticket.objects.unscoped("test").get(pk=pk)
    assert ticket.status == Status.RECEIVED and ticket.cause == "" and ticket.reply == ""

    question = _receive_body(world, make_customer(), ticket_type="consultation")
    qid = _post(agent, TICKETS, question).json()["id"]
    not_complaint = _act(agent, qid, {"action": "judge", "valid": True})
    assert not_complaint.status_code == 409 and not_complaint.json()["code"] == "not_a_complaint"


def test_receiving_checks_what_it_names(world, make_customer, people):
    agent = people["agent"]
    other = world.projects["haiwan"]
    out = _post(agent, TICKETS, _receive_body(world, project_id=other.pk))
    assert out.status_code == 404 and out.json()["field"] == "project_id"
    zh_customer = make_customer(project="haiwan", by="consultant_zh")
    named = _post(agent, TICKETS, _receive_body(world, zh_customer))
    assert named.status_code == 404 and named.json()["field"] == "customer_id"
    sensitive = _post(agent, TICKETS, _receive_body(world, severity="sensitive"))
    assert sensitive.status_code == 422 and sensitive.json()["field"] == "sensitive_reason"
    blank = _post(agent, TICKETS, _receive_body(world, subject="   "))
    assert blank.status_code == 422 and blank.json()["field"] == "subject"
    refused = _post(_as(world.users["consultant"]), TICKETS, _receive_body(world))
    assert refused.status_code == 403
    assert not Ticket.objects.unscoped("test").filter(subject="   ").exists()
    media = _post(
        agent, TICKETS, _receive_body(world, severity="sensitive", sensitive_reason="media")
    )
    assert media.status_code == 201 and media.json()["level"] == 2  # management at once


def test_out_of_scope_is_404_and_lists_leave_it_out(world, make_customer, people):
    pk = _post(people["agent"], TICKETS, _receive_body(world, make_customer())).json()["id"]
    for username in ("manager_zh", "consultant"):
        client = _as(world.users[username])
        assert client.get(f"{TICKETS}/{pk}").status_code == 404
        assert client.get(f"{TICKETS}/{pk}/sla").status_code == 404
        act = _act(client, pk, {"action": "judge", "valid": True})
        assert act.status_code == 404 and act.json()["code"] == "not_found"
        revisit = _post(client, f"{TICKETS}/{pk}/revisits", {"satisfaction": "satisfied"})
        assert revisit.status_code == 404
        assert pk not in [t["id"] for t in client.get(f"{TICKETS}?page_size=500").json()["items"]]
    assert Ticket.objects.unscoped("test").get(pk=pk).status == Status.RECEIVED


def test_filters(world, make_customer, people):
    agent = people["agent"]
    first = _post(agent, TICKETS, _receive_body(world, make_customer(), subject="外墙开裂"))
    first = first.json()
    second = _post(
        agent,
        TICKETS,
        _receive_body(world, make_customer(), ticket_type="repair", category="repairs"),
    ).json()
    _act(agent, second["id"], {"action": "close", "summary": "已上门维修。"})

    def ids(query):
        response = agent.get(TICKETS, query)
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["items"]]

    assert first["id"] in ids({"q": "外墙"}) and second["id"] not in ids({"q": "外墙"})
    assert ids({"q": first["number"]}) == [first["id"]]
    assert first["id"] in ids({"q": str(int(first["number"][2:]))})
    assert second["id"] in ids({"ticket_type": "repair", "status": "closed"})
    assert second["id"] not in ids({"open": "true"}) and first["id"] in ids({"open": "true"})
    assert first["id"] in ids({"responsible_id": world.users["service"].pk})
    today = datetime.date.today().isoformat()
    assert first["id"] in ids({"received_from": today, "received_to": today})
    assert first["id"] not in ids({"received_to": "2020-01-01"})
    assert first["id"] not in ids({"overdue": "true"})
    Ticket.objects.unscoped("test").filter(pk=first["id"]).update(overdue=True)
    assert first["id"] in ids({"overdue": "true"})
    urgent = agent.get(TICKETS, {"order": "next_due_at", "open": "true"}).json()["items"]
    dues = [t["next_due_at"] for t in urgent]
    assert dues == sorted(dues)
    for number in ("13900001234", "139 0000 1234", "0000000000"):  # SEC-2, in the schema
        phone = agent.get(TICKETS, {"q": number})
        assert phone.status_code == 422 and phone.json()["field"] == "q"
        assert "不支持按电话号码搜索" in phone.json()["detail"]
    # a schema-valid bound is never refused: a first day after the last matches nothing, any
    # day is a bound (contract run: ST202)
    assert ids({"received_from": "2026-02-01", "received_to": "2026-01-01"}) == []
    assert first["id"] in ids({"received_from": "1950-01-01", "received_to": "9999-12-31"})
    hidden = agent.get(TICKETS, {"project_id": world.projects["haiwan"].pk})
    assert hidden.status_code == 404 and hidden.json()["field"] == "project_id"


def test_the_list_query_count_does_not_grow(world, make_customer, people):
    agent = people["agent"]

    def receive(n):
        for _ in range(n):
            _post(agent, TICKETS, _receive_body(world, make_customer()))

    receive(2)
    with CaptureQueriesContext(connection) as few:
        assert agent.get(f"{TICKETS}?page_size=3").status_code == 200
    receive(6)
    with CaptureQueriesContext(connection) as many:
        body = agent.get(f"{TICKETS}?page_size=100").json()
    assert len(body["items"]) >= 8
    assert len(many.captured_queries) <= len(few.captured_queries) <= 8


def test_the_detail_query_count_does_not_grow(world, make_customer, people):
    """Session, user, roles, the ticket, its solutions, revisits, photos: 7, however many."""
    agent = people["agent"]
    pk = _post(agent, TICKETS, _receive_body(world, make_customer())).json()["id"]
    with CaptureQueriesContext(connection) as one:
        assert agent.get(f"{TICKETS}/{pk}").status_code == 200
    assert len(one.captured_queries) <= 7
    for _ in range(3):
        _act(agent, pk, {"action": "reclassify", "category": "design"})
    _act(agent, pk, {"action": "judge", "valid": True})
    with CaptureQueriesContext(connection) as again:
        agent.get(f"{TICKETS}/{pk}")
    assert len(again.captured_queries) == len(one.captured_queries)


def test_sla_status_with_a_fixed_clock(world, make_customer, monkeypatch):
    """Received at 23:30 on a Saturday with a 1-hour limit: due 00:30 Sunday; at 01:00 the
    sweep has escalated it, and the SLA status says which clock is late and what was told."""
    SlaPolicy.objects.create(
        company=world.companies["sz"],
        ticket_type="complaint",
        severity="normal",
        first_response_minutes=60,
        solution_minutes=24 * 60,
        closure_minutes=7 * 24 * 60,
    )
    saturday_night = local(2026, 11, 28, 23, 30)
    monkeypatch.setattr("django.utils.timezone.now", lambda: saturday_night)
    agent = _as(world.users["service"])  # the session lives on the patched clock
    pk = _post(agent, TICKETS, _receive_body(world, make_customer())).json()["id"]
    sunday = local(2026, 11, 29, 1, 0)
    monkeypatch.setattr("django.utils.timezone.now", lambda: sunday)
    escalation.sweep(now=sunday)
    status = agent.get(f"{TICKETS}/{pk}/sla")
    assert status.status_code == 200, status.content
    sla = status.json()
    assert sla["next_clock"] == "first_response" and sla["overdue"] and sla["flagged"]
    assert sla["next_due_at"] == "2026-11-29T00:30:00+08:00"
    first = sla["clocks"][0]
    assert (first["clock"], first["state"], first["late"]) == ("first_response", "late", True)
    assert sla["clocks"][1]["state"] == "running"
    assert [(e["stage"], e["level"]) for e in sla["escalations"]] == [("first_response", 1)]
    assert sla["level"] == 1 and sla["level_label"]
    listed = agent.get(TICKETS, {"overdue": "true"}).json()["items"]
    assert pk in [t["id"] for t in listed] and all(t["overdue"] for t in listed)


def test_time_limits_of_a_company(world, people):
    company = world.companies["sz"]
    url = f"{API}/service/sla-policies"
    shown = people["agent"].get(url, {"company_id": company.pk})
    assert shown.status_code == 200
    rows = {(p["ticket_type"], p["severity"]): p for p in shown.json()["policies"]}
    assert len(rows) == 20 and not rows[("complaint", "normal")]["configured"]
    assert rows[("complaint", "normal")]["first_response_minutes"] == 120  # the default
    body = {
        "company_id": company.pk,
        "ticket_type": "complaint",
        "severity": "normal",
        "first_response_minutes": 60,
        "solution_minutes": 1440,
        "closure_minutes": 10080,
    }
    refused = people["agent"].put(url, body, content_type="application/json")
    assert refused.status_code == 403
    saved = people["manager"].put(url, body, content_type="application/json")
    assert saved.status_code == 200, saved.content
    rows = {(p["ticket_type"], p["severity"]): p for p in saved.json()["policies"]}
    assert rows[("complaint", "normal")]["configured"]
    assert rows[("complaint", "normal")]["first_response_minutes"] == 60
    backwards = people["manager"].put(
        url, {**body, "closure_minutes": 100}, content_type="application/json"
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "solution_minutes"
    row = SlaPolicy.objects.unscoped("test").get(company=company, ticket_type="complaint")
    assert row.closure_minutes == 10080  # nothing half-written
    other = world.companies["zh"].pk
    assert people["manager"].get(url, {"company_id": other}).status_code == 404
    elsewhere = people["manager"].put(
        url, {**body, "company_id": other}, content_type="application/json"
    )
    assert elsewhere.status_code == 404


def test_a_customer_of_another_company_is_409_other_company(world, login):
    """Found by the contract run (admin, who sees both companies): a schema-valid body naming
    a customer of another company than the project's was 422; two rows that do not belong
    together are 409 (docs/api.md), and nothing is written."""
    from anju.customers.models import Customer

    admin = login(world.users["admin"])
    zhuhai = (
        Customer.objects.unscoped("test")
        .filter(company=world.companies["zh"], merged_into__isnull=True)
        .first()
    )
    before = Ticket.objects.unscoped("test").count()
    answer = _post(admin, TICKETS, _receive_body(world, zhuhai))
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "other_company" and answer.json()["field"] == "customer_id"
    assert Ticket.objects.unscoped("test").count() == before
