"""The outbox (issue 11 item 6): enqueue in the caller's transaction, claim, send, record."""

import pytest
from django.utils import timezone

from anju.messaging.models import Channel, Kind, Message, Status
from anju.messaging.outbox import run_pass
from anju.messaging.services import message_enqueue


def _enqueue(customer, key="k1", kind=Kind.SERVICE, **kw):
    return message_enqueue(
        by=None,
        company=customer.company,
        channel=kw.pop("channel", Channel.SMS),
        kind=kind,
        to=kw.pop("to", customer.phone),
        body=kw.pop("body", "您好"),
        idempotency_key=key,
        customer=customer,
        **kw,
    )


@pytest.mark.django_db
def test_enqueue_then_send_through_the_dev_gateway(customer, at_local):
    at_local(10)
    message = _enqueue(customer)
    assert message.status == Status.QUEUED
    result = run_pass()
    assert result.sent == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_id == f"dev-{message.pk}"


@pytest.mark.django_db
def test_the_same_key_twice_is_one_message(customer, at_local):
    at_local(10)
    first = _enqueue(customer, key="same")
    second = _enqueue(customer, key="same", body="another text")
    assert first.pk == second.pk
    assert Message.objects.unscoped("test").filter(idempotency_key="same").count() == 1


# --- failures, retries, leases (issue 11 item 6, "Bad input") ------------------------------------

import datetime  # noqa: E402

from anju.core.errors import NotPermitted  # noqa: E402
from anju.core.testing import requires_postgres, run_at_once  # noqa: E402
from anju.messaging import outbox, services, throttle  # noqa: E402
from anju.messaging.gateways.base import Gateway, SendResult  # noqa: E402

from .http_gateway import HttpTestGateway, ProviderServer  # noqa: E402


class Recorder(Gateway):
    """Accepts everything and remembers the keys it got, in order."""

    name = "recorder"
    channel = "sms"

    def __init__(self, answer=None):
        self.keys = []
        self.answer = answer

    def send(self, messages):
        self.keys += [m.idempotency_key for m in messages]
        if self.answer is not None:
            return [self.answer(m) for m in messages]
        return [SendResult(m.pk, True, provider_id=f"r-{m.pk}") for m in messages]


class DedupingRecorder(Recorder):
    """A provider that accepts a key once (like the development gateway)."""

    name = "recorder"
    dedupes_by_key = True


def _gateways(gateway):
    return {"sms": gateway, "email": gateway}


@pytest.fixture
def http_provider(monkeypatch):
    with ProviderServer() as provider:
        monkeypatch.setenv("ANJU_TEST_GATEWAY_URL", provider.url)
        monkeypatch.setenv("ANJU_TEST_GATEWAY_TIMEOUT", "0.5")
        yield provider


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["500", "stall"])
def test_a_provider_answering_500_or_timing_out_is_retried_with_backoff(
    customer, at_local, http_provider, mode, settings
):
    settings.ANJU_MESSAGE_BACKOFF_SECONDS = 30
    at_local(10)
    message = _enqueue(customer, key="k-retry")
    http_provider.mode, http_provider.stall_seconds = mode, 1.0
    gateway = HttpTestGateway()
    result = run_pass(gateways=_gateways(gateway))
    message.refresh_from_db()
    assert result.retrying == 1 and message.status == Status.QUEUED
    assert message.error_code in ("http_500", "timeout") and message.attempts == 1
    assert timezone.localtime(message.not_before) == at_local(10, 0) + datetime.timedelta(
        seconds=30
    )
    assert run_pass(gateways=_gateways(gateway)).claimed == 0  # not before the back-off
    http_provider.mode = "ok"
    at_local(10, 1)
    assert run_pass(gateways=_gateways(gateway)).sent == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 2
    assert list(http_provider.accepted) == ["k-retry"]


@pytest.mark.django_db
def test_backoff_doubles_and_gives_up_after_the_last_attempt(customer, at_local, settings):
    settings.ANJU_MESSAGE_MAX_ATTEMPTS = 3
    refusing = Recorder(lambda m: SendResult(m.pk, False, error_code="busy", retryable=True))
    at_local(10)
    message = _enqueue(customer, key="k")
    for minute in (0, 2, 4):
        at_local(10, minute)
        run_pass(gateways=_gateways(refusing))
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 3
    assert refusing.keys == ["k", "k", "k"]
    assert outbox.backoff(1) < outbox.backoff(2) < outbox.backoff(3)


@pytest.mark.django_db
def test_a_refusal_for_good_fails_at_once_and_staff_may_retry(world, customer, at_local):
    at_local(10)
    message = _enqueue(customer, key="k")
    refusing = Recorder(lambda m: SendResult(m.pk, False, error_code="isv.MOBILE_NUMBER_ILLEGAL"))
    run_pass(gateways=_gateways(refusing))
    message.refresh_from_db()
    assert message.status == Status.FAILED
    with pytest.raises(NotPermitted):
        services.message_retry(by=world.users["consultant"], message=message)
    services.message_retry(by=world.users["management"], message=message)
    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.idempotency_key == "k"


@pytest.mark.django_db
def test_a_stale_sending_row_is_sent_again_with_the_same_key(customer, at_local, settings):
    """The worker died after claiming (and maybe sending): after the lease, another worker
    sends the row again with its own key, so a provider that dedupes by key recognises it.
    (A provider that does not: test_outbox_leases.py, the row becomes UNCERTAIN.)"""
    settings.ANJU_MESSAGE_LEASE_SECONDS = 60
    at_local(10)
    message = _enqueue(customer, key="k-stale")
    token, claimed, _outcome = outbox.claim(channel="sms", limit=10)
    assert [m.pk for m in claimed] == [message.pk]  # ... and the worker dies here
    recorder = DedupingRecorder()
    assert run_pass(gateways=_gateways(recorder)).claimed == 0  # leased: nobody takes it
    at_local(10, 2)
    assert run_pass(gateways=_gateways(recorder)).sent == 1
    assert recorder.keys == ["k-stale"]
    # The dead worker's late answer changes nothing: its claim is gone.
    late = outbox.record(token=token, gateway_name="x", results=[SendResult(message.pk, False)])
    message.refresh_from_db()
    assert late.failed == 0 and message.status == Status.SENT and message.gateway == "recorder"


@pytest.mark.django_db
def test_sent_messages_are_counted_in_the_metrics(customer, at_local, monkeypatch):
    counted = []
    monkeypatch.setattr(outbox, "record_message_sent", lambda c, k: counted.append((c, k)))
    at_local(10)
    _enqueue(customer, key="k", kind=Kind.MARKETING)
    run_pass(gateways=_gateways(Recorder()))
    assert counted == [("sms", "marketing")]


@pytest.mark.django_db
def test_dispatch_is_enqueued_once_on_commit(
    customer, at_local, django_capture_on_commit_callbacks
):
    at_local(10)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _enqueue(customer, key="a")
        _enqueue(customer, key="b")
    assert len(callbacks) == 1  # one dispatch for the transaction, not one per message
    statuses = set(
        Message.objects.unscoped("test")
        .filter(idempotency_key__in=["a", "b"])
        .values_list("status", flat=True)
    )
    assert statuses == {Status.SENT}  # the (immediate) task sent them


@pytest.mark.django_db
def test_an_enqueue_rolled_back_with_its_business_action_leaves_nothing(customer, at_local):
    from django.db import transaction

    at_local(10)
    with pytest.raises(RuntimeError), transaction.atomic():
        _enqueue(customer, key="gone")
        raise RuntimeError("the business action failed")
    assert not Message.objects.unscoped("test").filter(idempotency_key="gone").exists()


@pytest.mark.django_db
def test_the_rate_limit_is_shared_through_the_database():
    first = throttle.reserve("gw", 10, rate=10.0)  # 10 messages at 10/s: one second of slots
    second = throttle.reserve("gw", 10, rate=10.0)  # the next sender waits for that second
    assert first == 0.0 and 0.9 < second <= 1.0
    assert throttle.reserve("other", 10, rate=10.0) == 0.0  # per gateway


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_of_one_key_make_one_row(world):
    from anju.customers.models import Customer

    customer = (
        Customer.objects.unscoped("test").filter(merged_into=None).select_related("company").first()
    )
    rows, refused, errors = run_at_once(lambda _n: _enqueue(customer, key="same-key").pk, range(6))
    assert not errors and not refused and len(set(rows)) == 1
    assert Message.objects.unscoped("test").filter(idempotency_key="same-key").count() == 1
