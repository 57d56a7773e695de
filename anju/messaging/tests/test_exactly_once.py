"""Exactly once at the gateway (issue 11 item 6, MSG-2): real worker processes, two of them
killed with SIGKILL right after the provider accepted their batch, restarted; the local
provider counts what it received. Every recipient exactly once; repeats of a key (sent again
after a kill, with the same key) are counted apart — the provider, like a real one given an
out id, does not deliver them twice."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from anju.core.testing import requires_postgres
from anju.messaging.models import Channel, Kind, Message, Status

from .http_gateway import ProviderServer

ROOT = Path(__file__).resolve().parents[3]
RECIPIENTS = int(os.environ.get("ANJU_EXACTLY_ONCE_MESSAGES", "10000"))
WORKERS = 3
BATCH = 50
DEADLINE_SECONDS = 110


def _company():
    from anju.org.models import Holding
    from anju.org.services import company_create

    holding = Holding.objects.create(name="测试集团")
    return company_create(by=None, holding=holding, code="t1", name="测试公司", city="深圳")


def _campaign(company, n):
    Message.objects.bulk_create(
        [
            Message(
                company=company,
                channel=Channel.SMS,
                kind=Kind.SERVICE,
                status=Status.QUEUED,
                to=f"139{i:08d}",
                body=f"第{i}位客户您好",
                signature="测试",
                segments=1,
                idempotency_key=f"campaign:1:customer:{i}",
                source="campaign:1",
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def _database_url():
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_messages", "--batch", str(BATCH), "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_killed_workers_send_every_recipient_exactly_once(tmp_path):
    # Only this campaign in the outbox (the session's demo world has messages of its own).
    Message.objects.unscoped("test: this campaign alone").delete()
    company = _company()
    _campaign(company, RECIPIENTS)
    keys = set(Message.objects.unscoped("test").values_list("idempotency_key", flat=True))
    with ProviderServer(latency=0.01) as provider:
        provider.kill_after = [RECIPIENTS // 5, RECIPIENTS // 2]  # two kills mid-campaign
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "ANJU_DEBUG": "1",
            "ANJU_VAR_DIR": str(tmp_path),
            "ANJU_SMS_GATEWAY": "anju.messaging.tests.http_gateway.HttpTestGateway",
            "ANJU_TEST_GATEWAY_URL": provider.url,
            "ANJU_SMS_RATE": "0",
            "ANJU_MESSAGE_LEASE_SECONDS": "3",
        }
        workers = [_start_worker(env) for _ in range(WORKERS)]
        restarts = 0
        started = time.monotonic()
        try:
            while time.monotonic() - started < DEADLINE_SECONDS:
                time.sleep(0.25)
                for n, worker in enumerate(workers):
                    if worker.poll() is not None:  # killed: start another, as a supervisor does
                        assert worker.returncode == -9, worker.stderr.read().decode()[-2000:]
                        workers[n] = _start_worker(env)
                        restarts += 1
                pending = Message.objects.unscoped("test").exclude(status=Status.SENT).count()
                if pending == 0:
                    break
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
        elapsed = time.monotonic() - started
        print(
            f"\n{RECIPIENTS} messages, {WORKERS} workers, 2 killed: {elapsed:.1f} s, "
            f"{provider.requests} requests, {len(provider.accepted)} accepted keys, "
            f"{provider.repeated_deliveries()} repeated deliveries of accepted keys"
        )
        assert len(provider.killed) == 2 and restarts == 2
        assert set(provider.accepted) == keys  # every recipient, nobody else
        assert len(provider.accepted) == RECIPIENTS  # each exactly once
        # A repeat is a key the killed worker had sent and not recorded: at most its batch.
        assert provider.repeated_deliveries() <= 2 * BATCH
        rows = dict(Message.objects.unscoped("test").values_list("idempotency_key", "provider_id"))
        assert rows == provider.accepted  # every row SENT with the provider's one id
        assert not Message.objects.unscoped("test").exclude(status=Status.SENT).exists()
