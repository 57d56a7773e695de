"""Issue 8 "bad input": a receiver that hangs or fails never slows the request that caused
the event — delivery happens in the task queue, after the commit.

Here the real queue is used (``task_queue``: the database as in a laptop install, or Redis
with ANJU_TASKS=rq as CI runs these once more): the request only queues a task; a worker in
burst mode makes the delivery and tries it.
"""

import time

import pytest

from anju.webhooks import delivery as engine
from anju.webhooks import services
from anju.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db

WEBHOOK_TASKS = "anju.webhooks."


@pytest.mark.tasks
def test_a_hanging_receiver_does_not_slow_the_request(
    world, client, receiver, monkeypatch, task_queue
):
    monkeypatch.setattr(engine, "TIMEOUT_SECONDS", 1)  # the test need not wait 5 s
    receiver.delay = 3  # far beyond the timeout
    subscription = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=["customer.registered"],
    )
    client.force_login(world.users["consultant"])
    started = time.monotonic()
    response = client.post(
        "/api/v1/customers",
        {"project_id": world.projects["binhai"].pk, "phone": "13812345003", "name": "孙八"},
        content_type="application/json",
    )
    took = time.monotonic() - started
    assert response.status_code == 201
    assert took < 1.0, f"the request took {took:.2f}s"
    assert receiver.requests == []  # nothing was sent from the request
    assert not WebhookDelivery.objects.filter(subscription=subscription).exists()
    assert task_queue.queued(WEBHOOK_TASKS) == ["anju.webhooks.tasks.webhooks_fan_out"]

    started = time.monotonic()
    task_queue.run()  # fan-out, then the delivery it queued
    assert task_queue.queued(WEBHOOK_TASKS) == []
    assert 0.9 < time.monotonic() - started < 2.5  # it gave up after the timeout
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "timed out" in delivery.last_error and delivery.last_status_code is None
    assert delivery.next_attempt_at is not None and delivery.leased_until is None


def test_a_receiver_answering_500_does_not_fail_the_request(
    world, client, receiver, django_capture_on_commit_callbacks
):
    """Even with the immediate backend (the attempt runs right after the commit), a 500 or a
    refused connection is the delivery's problem, never the request's."""
    receiver.then = 500
    for url in (receiver.url, "http://127.0.0.1:9/closed-port"):
        services.subscription_create(
            by=world.users["admin"],
            company=world.companies["sz"],
            target_url=url,
            verbs=["customer.registered"],
        )
    client.force_login(world.users["consultant"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/customers",
            {"project_id": world.projects["binhai"].pk, "phone": "13812345004", "name": "周九"},
            content_type="application/json",
        )
    assert response.status_code == 201
    errors = set(WebhookDelivery.objects.values_list("last_error", flat=True))
    assert "HTTP 500" in errors
    assert any("Connection refused" in e or "ConnectionRefused" in e for e in errors)


@pytest.mark.tasks
def test_nothing_is_queued_for_a_company_nobody_subscribed_in(world, client, task_queue):
    services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url="https://crm.example.com/h",
        verbs=["customer.registered"],
    )
    client.force_login(world.users["consultant_zh"])  # 珠海: no subscription there
    response = client.post(
        "/api/v1/customers",
        {"project_id": world.projects["haiwan"].pk, "phone": "13812345005", "name": "吴十"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert task_queue.queued(WEBHOOK_TASKS) == []


@pytest.mark.tasks
def test_end_to_end_with_the_real_worker(world, client, receiver, task_queue):
    """Committed for real: the request queues, a worker in burst mode delivers."""
    receiver.script = [500]
    subscription = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=["customer.registered"],
    )
    client.force_login(world.users["consultant"])
    response = client.post(
        "/api/v1/customers",
        {"project_id": world.projects["binhai"].pk, "phone": "13812345006", "name": "郑一"},
        content_type="application/json",
    )
    assert response.status_code == 201 and receiver.requests == []
    task_queue.run()
    assert [r.status for r in receiver.requests] == [500]
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    from anju.webhooks.tasks import webhooks_dispatch_due

    webhooks_dispatch_due.enqueue()  # what the scheduler does every minute
    task_queue.run()
    assert [r.status for r in receiver.requests] == [500, 200]
    assert {r.headers["X-Anju-Delivery"] for r in receiver.requests} == {str(delivery.uuid)}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
