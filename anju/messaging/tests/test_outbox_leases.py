"""Leases, the rate limit and gateways that do not deduplicate by key (issue 11 item 6,
review finding 3): a worker waiting for its rate-limit slots keeps its rows, a batch is no
bigger than half a lease of sending, and a row whose lease ran out mid-send on Aliyun/SMTP is
never resent blindly: it becomes UNCERTAIN, for a person to resend or mark sent."""

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from anju.core.errors import NotPermitted
from anju.core.testing import requires_postgres
from anju.messaging import outbox, services, throttle
from anju.messaging.gateways.aliyun import AliyunSmsGateway
from anju.messaging.gateways.base import Gateway, SendResult
from anju.messaging.gateways.dev import DevGateway
from anju.messaging.gateways.smtp import SmtpEmailGateway
from anju.messaging.models import Channel, Kind, Message, Status
from anju.messaging.outbox import run_pass, run_until_idle

from .test_outbox import _enqueue, _gateways


class Recorder(Gateway):
    """A provider that, like Aliyun and SMTP, delivers whatever it is given: a key sent twice
    is a message delivered twice. Thread-safe; remembers every key it got."""

    name = "recorder"
    channel = "sms"

    def __init__(self, *, max_batch=100, latency=0.0):
        self.keys = []
        self.lock = threading.Lock()
        self.max_batch = max_batch
        self.latency = latency

    def send(self, messages):
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.keys += [m.idempotency_key for m in messages]
        return [SendResult(m.pk, True, provider_id=f"r-{m.pk}") for m in messages]

    def twice(self):
        return {key: n for key, n in Counter(self.keys).items() if n > 1}


def test_gateways_declare_whether_they_deduplicate_by_key():
    assert DevGateway("sms").dedupes_by_key
    assert not AliyunSmsGateway.dedupes_by_key and not SmtpEmailGateway.dedupes_by_key
    assert not Gateway.dedupes_by_key  # an adapter that says nothing is not trusted to


def test_the_dev_gateway_dedupes_a_row_not_a_key_seen_on_another_database(settings, tmp_path):
    """The file outlives the database: the same key on another row (a demo seeded again, a
    second test worker) is a new message with its own id; only the same row is answered with
    its first id. Keyed by the key alone, receipts went to the wrong row (a CI flake)."""
    settings.VAR_DIR = tmp_path
    gateway = DevGateway("sms")

    def row(pk):
        message = Message(pk=pk, channel="sms", kind="service", to="13800000000")
        message.idempotency_key, message.body = "demo:visit:7", "您好"
        return message

    first = gateway.send([row(101)])[0]
    again = gateway.send([row(101)])[0]
    other_database = gateway.send([row(202)])[0]
    assert first.provider_id == again.provider_id == "dev-101"
    assert other_database.provider_id == "dev-202"
    lines = (tmp_path / "messages" / "dev-gateway.jsonl").read_text().splitlines()
    assert len(lines) == 2


@pytest.mark.django_db
def test_a_batch_is_at_most_half_a_lease_of_sending(customer, at_local, settings):
    settings.ANJU_MESSAGE_LEASE_SECONDS = 60
    settings.ANJU_MESSAGE_RATES = {"sms": 1.0, "email": 0}
    at_local(10)
    for n in range(40):
        _enqueue(customer, key=f"cap-{n}")
    recorder = Recorder()
    assert outbox.batch_cap(1.0) == 30 and outbox.batch_cap(0) is None
    assert run_pass(channels=[Channel.SMS], gateways=_gateways(recorder)).claimed == 30


@pytest.mark.django_db
def test_a_worker_waiting_for_its_slots_keeps_its_rows(customer, at_local, settings, monkeypatch):
    """Other workers hold the next 100 s of slots; the lease is 60 s. While this worker waits,
    the clock passes its first lease and another worker runs a pass: it must not take (and
    send) the rows this worker is about to send."""
    settings.ANJU_MESSAGE_LEASE_SECONDS = 60
    settings.ANJU_MESSAGE_RATES = {"sms": 1.0, "email": 0}
    at_local(10)
    for n in range(3):
        _enqueue(customer, key=f"wait-{n}")
    recorder = Recorder()
    throttle.reserve(recorder.name, 100, rate=1.0)
    others = []

    def sleep(seconds):
        at_local(10, 2)  # 120 s later: past the 60 s lease taken at claim time
        if not others:  # the other worker's own wait (nested) only passes time
            others.append(None)
            others[0] = run_pass(channels=[Channel.SMS], gateways=_gateways(recorder))

    monkeypatch.setattr("time.sleep", sleep)
    mine = run_pass(channels=[Channel.SMS], gateways=_gateways(recorder))
    assert recorder.twice() == {}
    assert sorted(recorder.keys) == ["wait-0", "wait-1", "wait-2"]
    assert mine.sent == 3 and others[0].claimed == 0 and others[0].uncertain == 0


@pytest.mark.django_db
def test_a_stale_sending_row_is_not_resent_on_a_gateway_that_does_not_dedupe(
    customer, at_local, settings
):
    settings.ANJU_MESSAGE_LEASE_SECONDS = 60
    at_local(10)
    message = _enqueue(customer, key="k-uncertain")
    token, claimed, _ = outbox.claim(channel="sms", limit=10)
    assert [m.pk for m in claimed] == [message.pk]  # handed to the provider, then it hangs
    recorder = Recorder()
    at_local(10, 5)
    result = run_pass(channels=[Channel.SMS], gateways=_gateways(recorder))
    assert result.uncertain == 1 and result.claimed == 0 and recorder.keys == []
    message.refresh_from_db()
    assert message.status == Status.UNCERTAIN and message.error_code == "lease_expired"
    at_local(11)
    assert run_pass(channels=[Channel.SMS], gateways=_gateways(recorder)).claimed == 0
    assert recorder.keys == []  # never resent by a worker
    # The hung worker answers at last: its answer settles the row.
    late = outbox.record(
        token=token, gateway_name="recorder", results=[SendResult(message.pk, True, "p-1")]
    )
    message.refresh_from_db()
    assert late.sent == 1 and message.status == Status.SENT and message.provider_id == "p-1"


def _uncertain(customer, at_local, key):
    at_local(10)
    message = _enqueue(customer, key=key)
    outbox.claim(channel="sms", limit=10)
    at_local(10, 5)
    outbox.mark_stale_uncertain(channel="sms")
    message.refresh_from_db()
    assert message.status == Status.UNCERTAIN
    return message


@pytest.mark.django_db
def test_a_person_resends_or_marks_an_uncertain_message_sent(world, customer, at_local):
    resend = _uncertain(customer, at_local, "k-resend")
    received = _uncertain(customer, at_local, "k-received")
    with pytest.raises(NotPermitted):
        services.message_mark_sent(by=world.users["consultant"], message=received)
    services.message_mark_sent(by=world.users["management"], message=received)
    services.message_retry(by=world.users["management"], message=resend)
    resend.refresh_from_db()
    received.refresh_from_db()
    assert received.status == Status.SENT and received.sent_at is not None
    assert resend.status == Status.QUEUED and resend.idempotency_key == "k-resend"
    recorder = Recorder()
    run_pass(channels=[Channel.SMS], gateways=_gateways(recorder))
    assert recorder.keys == ["k-resend"]


@pytest.mark.django_db
def test_uncertain_messages_are_counted_on_the_outbox_page_with_actions(
    world, customer, at_local, login
):
    message = _uncertain(customer, at_local, "k-page")
    client = login(world.users["management"])
    page = client.get("/messaging/outbox/").content.decode()
    assert 'data-testid="uncertain-alert"' in page and "?status=uncertain" in page
    listed = client.get("/messaging/outbox/?status=uncertain").content.decode()
    assert f'data-message="{message.pk}"' in listed
    detail = client.get(f"/messaging/messages/{message.pk}/").content.decode()
    assert 'data-testid="mark-sent"' in detail and 'data-testid="retry"' in detail
    done = client.post(f"/messaging/messages/{message.pk}/mark-sent/")
    assert done.status_code == 302
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert 'data-testid="uncertain-alert"' not in client.get("/messaging/outbox/").content.decode()


@pytest.mark.django_db
def test_the_api_marks_an_uncertain_message_sent(world, customer, at_local, login):
    message = _uncertain(customer, at_local, "k-api")
    client = login(world.users["management"])
    response = client.post(f"/api/v1/messages/{message.pk}/mark-sent")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "sent"
    again = client.post(f"/api/v1/messages/{message.pk}/mark-sent")
    assert again.status_code == 409  # its state, not the request


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_rate_and_several_workers_send_no_row_twice(world, settings):
    """4 worker threads, 20 messages/s, a 1 s lease, a provider that delivers whatever it
    gets: without the lease kept over the rate-limit wait, later workers' rows go stale while
    they wait and are sent by two workers."""
    settings.ANJU_MESSAGE_LEASE_SECONDS = 1
    settings.ANJU_MESSAGE_RATES = {"sms": 20.0, "email": 0}
    Message.objects.unscoped("test: this batch alone").delete()
    company = world.companies["sz"]
    Message.objects.bulk_create(
        [
            Message(
                company=company,
                channel=Channel.SMS,
                kind=Kind.SERVICE,
                to=f"139{i:08d}",
                body="您好",
                segments=1,
                idempotency_key=f"slow:{i}",
            )
            for i in range(60)
        ]
    )
    recorder = Recorder(max_batch=25, latency=0.05)
    errors = []

    def worker():
        try:
            deadline = time.monotonic() + 20
            gateways = _gateways(recorder)
            while time.monotonic() < deadline:
                run_until_idle(max_seconds=5, gateways=gateways)
                if not Message.objects.unscoped("test").filter(status=Status.QUEUED).exists():
                    break
        except Exception as exc:  # noqa: BLE001 – reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert recorder.twice() == {}
    assert len(recorder.keys) == 60
    assert set(Message.objects.unscoped("test").values_list("status", flat=True)) == {Status.SENT}
