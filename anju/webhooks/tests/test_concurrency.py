"""INT-2: two dispatchers running at once never send the same attempt (PostgreSQL, threads).

Each thread has its own connection and transaction. The claim holds the row with
``select_for_update(skip_locked=True)`` until its lease is committed: a second dispatcher
skips a row another one is claiming, and after the commit the row is no longer due.
"""

import contextlib
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.testing import requires_postgres, run_at_once
from anju.webhooks import delivery as engine
from anju.webhooks import services
from anju.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _due_deliveries(world, receiver, n):
    subscription = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=["customer.registered"],
    )
    past = timezone.now() - timedelta(seconds=5)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            company_id=subscription.company_id,
            subscription=subscription,
            verb="webhook.ping",
            next_attempt_at=past,
        )
        for _ in range(n)
    )
    return subscription


def _in_threads(n, target):
    done, refused, errors = run_at_once(lambda _n: target(), range(n))
    assert not errors and not refused, (errors, refused)
    return done


def test_two_claims_at_the_same_moment_take_different_deliveries(world, receiver, monkeypatch):
    """Both dispatchers hold their claim open at once: each got a different row."""
    _due_deliveries(world, receiver, 2)
    inside = threading.Barrier(2, timeout=3)
    save = WebhookDelivery.save

    def slow_save(self, *args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            inside.wait()  # both claims are in their transaction, rows locked
        return save(self, *args, **kwargs)

    monkeypatch.setattr(WebhookDelivery, "save", slow_save)
    claimed = _in_threads(2, engine.claim)
    assert all(d is not None for d in claimed)
    assert claimed[0].pk != claimed[1].pk
    assert not inside.broken  # they really overlapped
    assert engine.claim() is None  # both leased: nothing else is due


def test_concurrent_dispatchers_send_each_attempt_once(world, receiver):
    receiver.delay = 0.02
    receiver.script = [500] * 5  # some first attempts fail: their retry is not due yet
    subscription = _due_deliveries(world, receiver, 30)
    mine = WebhookDelivery.objects.filter(subscription=subscription)
    sent = _in_threads(3, engine.dispatch_due)
    assert sum(sent) == 30
    ids = Counter(r.headers["X-Anju-Delivery"] for r in receiver.requests)
    assert len(ids) == 30 and set(ids.values()) == {1}
    assert mine.filter(attempts=1).count() == 30
    # pings are tried once: 25 delivered, the 5 that met a 500 failed
    statuses = Counter(mine.values_list("status", flat=True))
    assert statuses == {DeliveryStatus.DELIVERED: 25, DeliveryStatus.FAILED: 5}
    assert _in_threads(2, engine.dispatch_due) == [0, 0]
