"""Messaging API (issue 11 item 11): templates, messages, consent — scope, rules, errors."""

import pytest

from anju.messaging import services
from anju.messaging.models import Channel, Kind, Message, MessageTemplate, Status

pytestmark = pytest.mark.django_db


def _json(client, method, url, body=None):
    return getattr(client, method)(url, body, content_type="application/json")


def test_template_with_an_unknown_field_is_422_naming_it(world, login):
    client = login(world.users["management"])
    answer = _json(client, "post", "/api/v1/message-templates", {"name": "a", "body": "{楼盘}开盘"})
    assert answer.status_code == 422
    assert "{楼盘}" in answer.json()["detail"] and answer.json()["field"] == "body"
    assert not MessageTemplate.objects.unscoped("test").filter(name="a").exists()


def test_template_create_update_preview(world, login, customer):
    client = login(world.users["management"])
    created = _json(
        client, "post", "/api/v1/message-templates", {"name": "邀请", "body": "{称呼}您好"}
    )
    assert created.status_code == 201, created.json()
    template_id = created.json()["id"]
    assert created.json()["fields"] == ["称呼"]
    changed = _json(
        client, "patch", f"/api/v1/message-templates/{template_id}", {"kind": "service"}
    )
    assert changed.status_code == 200 and changed.json()["kind"] == "service"
    preview = _json(
        client,
        "post",
        "/api/v1/message-templates/preview",
        {"body": "{姓名}" + "好" * 70, "customer_id": customer.pk},
    )
    assert preview.status_code == 200
    assert preview.json()["segments"] == 2 and preview.json()["text"].endswith("回T退订")
    assert customer.name in preview.json()["text"]


def test_an_sms_template_moved_to_email_drops_its_provider_code(world, login):
    """Found by the contract run: PATCH channel=email of an SMS template with a provider
    template code was 422 for a schema-valid body (the stored code, not the body, clashed)."""
    client = login(world.users["management"])
    created = _json(
        client,
        "post",
        "/api/v1/message-templates",
        {"name": "验证", "body": "{称呼}您好", "provider_template_code": "SMS_123456"},
    )
    assert created.status_code == 201, created.json()
    url = f"/api/v1/message-templates/{created.json()['id']}"
    moved = _json(client, "patch", url, {"channel": "email", "subject": "通知"})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["channel"] == "email" and moved.json()["provider_template_code"] == ""
    stored = _json(client, "patch", url, {"provider_template_code": "SMS_1"})
    assert stored.status_code == 409 and stored.json()["code"] == "not_sms_template"
    both = _json(client, "patch", url, {"channel": "email", "provider_template_code": "SMS_1"})
    assert both.status_code == 422 and both.json()["field"] == "provider_template_code"
    back = _json(client, "patch", url, {"channel": "sms", "provider_template_code": "SMS_9"})
    assert back.status_code == 200 and back.json()["provider_template_code"] == "SMS_9"


def test_templates_refused_to_a_consultant(world, login):
    client = login(world.users["consultant"])
    assert client.get("/api/v1/message-templates").status_code == 403
    answer = _json(client, "post", "/api/v1/message-templates", {"name": "x", "body": "您好"})
    assert answer.status_code == 403


def test_messages_list_is_scoped_and_masked(world, login, customer, at_local):
    at_local(10)
    message = services.message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        to=customer.phone,
        body="您好",
        idempotency_key="api-1",
        customer=customer,
    )
    mine = login(world.users["management"]).get("/api/v1/messages?status=queued").json()
    row = next(r for r in mine["items"] if r["id"] == message.pk)
    assert customer.phone not in row["to"] and row["text"].startswith("【")
    other = login(world.users["consultant_zh"]).get(f"/api/v1/messages/{message.pk}")
    assert other.status_code == 404


def test_messages_list_queries_do_not_grow_with_rows(
    world, login, customer, at_local, django_assert_max_num_queries
):
    at_local(10)
    client = login(world.users["management"])
    client.get("/api/v1/messages")  # warm the session
    for n in range(30):
        services.message_enqueue(
            by=None,
            company=customer.company,
            channel=Channel.SMS,
            kind=Kind.SERVICE,
            to=customer.phone,
            body="您好",
            idempotency_key=f"n-{n}",
            customer=customer,
        )
    with django_assert_max_num_queries(8):
        answer = client.get("/api/v1/messages?page_size=50")
    assert answer.status_code == 200 and len(answer.json()["items"]) >= 30


def test_bad_filter_is_400(world, login):
    answer = login(world.users["management"]).get("/api/v1/messages?status=nonsense")
    assert answer.status_code in (400, 422)


def test_opt_out_by_any_staff_history_for_messaging_staff(world, login, customer):
    consultant = login(world.users["consultant"])
    body = {"channel": "sms", "address": customer.phone}
    answer = _json(consultant, "post", "/api/v1/consent/opt-out", body)
    assert answer.status_code == 200 and answer.json()["opted_out"]
    assert customer.phone not in answer.content.decode()
    assert _json(consultant, "post", "/api/v1/consent/history", body).status_code == 403
    service = login(world.users["service"])
    history = _json(service, "post", "/api/v1/consent/history", body).json()
    assert history["opted_out"] and history["history"][0]["source"] == "api"
    opt_in = _json(service, "post", "/api/v1/consent/opt-in", {**body, "note": "当面同意"})
    assert opt_in.status_code == 200 and not opt_in.json()["opted_out"]


def test_a_malformed_address_is_a_clear_4xx(world, login):
    answer = _json(
        login(world.users["service"]),
        "post",
        "/api/v1/consent/opt-out",
        {"channel": "sms", "address": "abc"},
    )
    assert answer.status_code == 422 and answer.json()["field"] == "address"


def test_retry_a_failed_message(world, login, customer, at_local):
    at_local(10)
    message = services.message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        to=customer.phone,
        body="您好",
        idempotency_key="f-1",
        customer=customer,
    )
    Message.objects.unscoped("test").filter(pk=message.pk).update(status=Status.FAILED)
    answer = login(world.users["management"]).post(f"/api/v1/messages/{message.pk}/retry")
    assert answer.status_code == 200 and answer.json()["status"] == "queued"
