"""INT-2: a real receiver gets each event signed, exactly once with 2xx, also after a 500.

The receiver is an ``http.server`` on 127.0.0.1 (conftest). The queue is the immediate
backend of the test settings: callbacks registered with ``on_commit`` run when
``django_capture_on_commit_callbacks(execute=True)`` ends, as they would after the commit.
Retries are driven by calling the per-minute task with the delivery's next attempt moved
into the past.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.events import record_event
from anju.core.models import Event, PersonalDataAccess
from anju.webhooks import delivery as engine
from anju.webhooks import services, tasks
from anju.webhooks.models import DeliveryStatus, WebhookDelivery
from anju.webhooks.signing import verify

pytestmark = pytest.mark.django_db

PHONE = "13812345001"


def subscribe(world, receiver, by=None, company="sz", **kw):
    values = {"verbs": ["customer.registered", "reception.call_logged"], "name": "CRM"}
    values.update(kw)
    return services.subscription_create(
        by=by or world.users["admin"],
        company=world.companies[company],
        target_url=receiver.url,
        **values,
    )


def register(client, world, user="consultant", project="binhai", phone=PHONE, name="钱七"):
    client.force_login(world.users[user])
    response = client.post(
        "/api/v1/customers",
        {"project_id": world.projects[project].pk, "phone": phone, "name": name},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["customer"]


def make_due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_event_reaches_the_receiver_once_with_2xx_after_a_500(
    world, client, receiver, django_capture_on_commit_callbacks
):
    """Issue 8: signed, verifiable, exactly once with 2xx, same delivery id on the retry."""
    receiver.script = [500]
    subscription = subscribe(world, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        customer = register(client, world)

    assert [r.status for r in receiver.requests] == [500]
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(minutes=1)  # the first backoff step

    tasks.webhooks_dispatch_due.call()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1
    make_due(delivery)
    tasks.webhooks_dispatch_due.call()
    tasks.webhooks_dispatch_due.call()  # delivered: never again

    assert [r.status for r in receiver.requests] == [500, 200]
    assert len(receiver.delivered) == 1
    first, second = receiver.requests
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.last_status_code == 200 and delivery.last_response_body == '{"ok": true}'
    for request in (first, second):
        assert request.headers["X-Anju-Delivery"] == str(delivery.uuid)
        assert request.json["id"] == str(delivery.uuid)
        assert request.headers["X-Anju-Event"] == "customer.registered"
        assert request.path == "/hooks/anju"
    # the signature verifies with the subscription's secret, and only with it
    now = time.time()
    header = second.headers["X-Anju-Signature"]
    assert verify(subscription.secret, header, second.body, now=now)
    assert not verify(subscription.secret + "x", header, second.body, now=now)
    assert not verify(subscription.secret, header, second.body + b" ", now=now)
    timestamp = int(second.headers["X-Anju-Timestamp"])
    assert header.startswith(f"t={timestamp},v1=")
    assert abs(now - timestamp) < 30
    # the payload
    payload = second.json
    assert payload["event"] == "customer.registered"
    assert payload["company_id"] == world.companies["sz"].pk
    assert payload["occurred_at"].endswith("+08:00")
    data = payload["data"]
    assert data["customer"]["id"] == customer["id"]
    assert data["customer"]["code"] == customer["code"]
    assert data["customer"]["phone"] == "138****5001"  # masked: no may_unmask
    assert data["customer"]["name"] == "钱*"
    assert data["target"] == {"type": "customers.customer", "id": customer["id"]}
    assert PHONE not in second.body.decode()


def test_may_unmask_sends_personal_data_in_full_and_logs_it(
    world, client, receiver, hook_admin, django_capture_on_commit_callbacks
):
    subscription = subscribe(world, receiver, by=hook_admin, may_unmask=True)
    logged = PersonalDataAccess.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        customer = register(client, world)
    assert len(receiver.requests) == 1, [r.json for r in receiver.requests]
    (request,) = receiver.requests
    data = request.json["data"]
    assert data["customer"]["phone"] == PHONE and data["customer"]["name"] == "钱七"
    entry = PersonalDataAccess.objects.order_by("-pk").first()
    assert PersonalDataAccess.objects.count() == logged + 1
    assert entry.user == hook_admin and entry.action == "export"
    assert entry.target_id == customer["id"] and str(subscription.pk) in entry.description


def test_a_call_carries_its_own_block_masked(
    world, receiver, log_call_for_hooks, django_capture_on_commit_callbacks
):
    subscribe(world, receiver, verbs=["reception.call_logged"])
    with django_capture_on_commit_callbacks(execute=True):
        result = log_call_for_hooks()
    assert len(receiver.requests) == 1, [r.json for r in receiver.requests]
    (request,) = receiver.requests
    assert request.headers["X-Anju-Event"] == "reception.call_logged"
    call = request.json["data"]["call"]
    assert call["id"] == result.call.pk
    assert call["phone"] == "138****0001" and call["caller_name"] == "张*丰"
    assert request.json["data"]["customer"]["phone"] == "138****0001"
    assert request.json["data"]["project_id"] == world.projects["binhai"].pk


@pytest.fixture
def log_call_for_hooks(world):
    from anju.reception.services import call_log

    def _log():
        return call_log(
            by=world.users["consultant"],
            project=world.projects["binhai"],
            rings=2,
            answer_seconds=6,
            duration_seconds=240,
            phone="138 1234 0001",
            name="张三丰",
            gender="M",
        )

    return _log


def test_another_companys_events_never_reach_the_subscription(
    world, client, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(world, receiver)  # 深圳
    with django_capture_on_commit_callbacks(execute=True):
        register(client, world, user="consultant_zh", project="haiwan", phone="13812345002")
    old = Event.objects.filter(company=world.companies["zh"]).order_by("-pk").first()
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    engine.fan_out([old.pk])  # even asked directly
    tasks.webhooks_dispatch_due.call()  # the sweep finds nothing either
    assert receiver.requests == []
    assert not WebhookDelivery.objects.filter(subscription=subscription).exists()


def test_only_chosen_publishable_verbs_are_sent(
    world, client, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(world, receiver, verbs=["reception.opportunity_won"])
    paused = subscribe(world, receiver, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        register(client, world)  # customer.registered: not chosen / paused
        services.subscription_rotate_secret(by=world.users["admin"], subscription=subscription)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.filter(subscription__in=[subscription, paused]).exists()


def test_the_sweep_delivers_an_event_the_on_commit_path_missed(world, receiver, monkeypatch):
    """At least once: an event whose enqueue never happened is found in the events table."""
    subscription = subscribe(world, receiver)
    customer = _a_customer(world)
    event = record_event(by=None, verb="customer.registered", target=customer, subject=customer)
    # no on-commit callbacks ran (the process died after the commit, say)
    tasks.webhooks_dispatch_due.call()
    assert receiver.requests == []  # too fresh: left to the on-commit path for a minute
    # Three minutes later (the clock moves, not the rows: the demo world's events, seeded
    # when the session began, stay before the subscription whenever this test runs).
    later = timezone.now() + timedelta(minutes=3)
    monkeypatch.setattr(engine.timezone, "now", lambda: later)
    tasks.webhooks_dispatch_due.call()
    tasks.webhooks_dispatch_due.call()
    assert len(receiver.requests) == 1, [r.json for r in receiver.requests]
    (request,) = receiver.requests
    assert request.json["data"]["target"]["id"] == customer.pk
    assert request.json["id"] == str(WebhookDelivery.objects.get(event_id=event.pk).uuid)
    assert WebhookDelivery.objects.get(subscription=subscription).status == "delivered"


def _a_customer(world):
    from anju.customers.models import Customer

    return Customer.objects.filter(company=world.companies["sz"]).order_by("pk").first()


def test_a_delivery_fails_after_eight_attempts_with_growing_backoff(world, receiver):
    receiver.then = 503
    subscription = subscribe(world, receiver)
    customer = _a_customer(world)
    event = record_event(by=None, verb="customer.registered", target=customer, subject=customer)
    (delivery_id,) = engine.fan_out([event.pk])
    waits = []
    for _ in range(engine.MAX_ATTEMPTS):
        before = timezone.now()
        tasks.webhooks_deliver.call(delivery_id) if not waits else _retry(delivery_id)
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
    assert waits == [1, 5, 30, 120, 360, 720, 1440]
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 8
    assert len(receiver.requests) == 8 and receiver.delivered == []
    assert {r.headers["X-Anju-Delivery"] for r in receiver.requests} == {str(delivery.uuid)}
    _retry(delivery_id)
    assert len(receiver.requests) == 8  # failed: no more attempts
    # an administrator sends it again, same id
    services.delivery_redeliver(by=world.users["admin"], delivery=delivery)
    receiver.then = 204
    tasks.webhooks_deliver.call(delivery_id)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert receiver.requests[-1].headers["X-Anju-Delivery"] == str(delivery.uuid)
    assert subscription.pk == delivery.subscription_id


def _retry(delivery_id):
    WebhookDelivery.objects.filter(pk=delivery_id).exclude(next_attempt_at=None).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    tasks.webhooks_dispatch_due.call()


def test_redirects_are_not_followed(world, receiver):
    receiver.then = 302
    receiver.location = "http://127.0.0.1:9/elsewhere"
    subscription = subscribe(world, receiver)
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302 and delivery.status == DeliveryStatus.FAILED
    assert len(receiver.requests) == 1  # a ping is tried once


def test_the_answer_kept_is_short_and_clean(world, receiver):
    receiver.then = 500
    receiver.answer = ("\x1b[31mboom\x00 13812345678 " + "x" * 5000).encode()
    subscription = subscribe(world, receiver)
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    delivery.refresh_from_db()
    body = delivery.last_response_body
    assert body.startswith("[31mboom 138****5678 ") and len(body) <= 2048
    assert "\x1b" not in body and "\x00" not in body


def test_private_targets_are_refused_at_sending_time_unless_allowed(world, receiver, settings):
    subscription = subscribe(world, receiver)  # allowed while saving (tests allow private)
    settings.ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert "ForbiddenTarget" in delivery.last_error and "127.0.0.1" in delivery.last_error
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_status_code is None


def test_a_rotated_secret_signs_the_next_attempt(world, receiver):
    subscription = subscribe(world, receiver)
    old = subscription.secret
    rotated = services.subscription_rotate_secret(
        by=world.users["admin"], subscription=subscription
    )
    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    assert len(receiver.requests) == 1, [r.json for r in receiver.requests]
    (request,) = receiver.requests
    header, now = request.headers["X-Anju-Signature"], time.time()
    assert verify(rotated.secret, header, request.body, now=now)
    assert not verify(old, header, request.body, now=now)
    assert request.json["event"] == "webhook.ping"


def test_a_name_for_a_private_address_is_refused_after_dns(world, receiver, settings):
    """2130706433 is 127.0.0.1 written as a number: saved as a name, refused on connecting."""
    settings.ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    port = receiver.url.split(":")[2].split("/")[0]
    subscription = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=f"http://2130706433:{port}/hooks/anju",
        verbs=["customer.registered"],
    )
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert "forbidden address (127.0.0.1)" in delivery.last_error


def test_the_documented_receiver_example_verifies_a_real_delivery(world, receiver):
    """The verification example of docs/api.md (Webhooks) is code that works."""
    from pathlib import Path

    from django.conf import settings

    guide = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Verifying the signature") :]
    example = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    namespace = {}
    exec(example, namespace)  # noqa: S102 - our own guide
    verify_example = namespace["verify"]

    subscription = subscribe(world, receiver)
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    assert len(receiver.requests) == 1, [r.json for r in receiver.requests]
    (request,) = receiver.requests
    assert verify_example(subscription.secret, request.headers, request.body)
    assert not verify_example("whsec_wrong", request.headers, request.body)
    assert not verify_example(subscription.secret, request.headers, request.body + b"\n")


def test_each_attempt_outcome_is_counted_for_metrics(world, receiver):
    """anju_webhook_deliveries_total{outcome} (issue 10 item 4): one per finished attempt."""
    from prometheus_client import REGISTRY

    def count(outcome):
        name = "anju_webhook_deliveries_total"
        return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0

    before = {o: count(o) for o in ("delivered", "failed", "retry")}
    subscription = subscribe(world, receiver)
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)
    receiver.then = 500
    delivery = services.subscription_ping(by=world.users["admin"], subscription=subscription)
    tasks.webhooks_deliver.call(delivery.pk)  # a ping is tried once: failed
    assert count("delivered") == before["delivered"] + 1
    assert count("failed") == before["failed"] + 1
    assert count("retry") == before["retry"]
