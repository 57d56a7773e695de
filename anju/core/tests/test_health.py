"""/healthz (issue 10 item 4): no login, cheap, 200 only when the database, the task queue and
the scheduler's heartbeat are all fine, 503 naming the failed check otherwise."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from anju.core import health, task_queue
from anju.core.scheduler import lease_take
from anju.core.testing import double_for_tests

pytestmark = pytest.mark.django_db
DB_QUEUE = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "messaging"]}
}


@pytest.fixture
def healthy(settings):
    settings.TASKS = DB_QUEUE
    lease_take("web-1:42:abcd", timezone.now() - timedelta(seconds=5))


def test_all_checks_pass_without_login(client, healthy, django_assert_num_queries):
    double_for_tests.enqueue(1)
    with django_assert_num_queries(3):  # SELECT 1, the ready tasks, the lease: nothing heavy
        response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["task_queue"] == {
        "status": "ok",
        "backend": "db",
        "depth": 1,
        "queues": {"default": 1, "messaging": 0},
    }
    scheduler = body["checks"]["scheduler"]
    assert scheduler["status"] == "ok" and 4 <= scheduler["age_seconds"] < 60
    assert "set-cookie" not in {h.lower() for h in response.headers}


def test_no_scheduler_ever_is_503(client, settings):
    settings.TASKS = DB_QUEUE
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["scheduler"] == {"status": "fail", "error": "no scheduler has run"}
    assert body["checks"]["database"]["status"] == "ok"


def test_a_silent_scheduler_is_503_after_the_configured_time(client, settings):
    settings.TASKS = DB_QUEUE
    lease_take("sched", timezone.now() - timedelta(minutes=3))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"]["error"] == "silent for more than 120 s"
    settings.ANJU_SCHEDULER_MAX_SILENCE = timedelta(minutes=5)
    assert client.get("/healthz").status_code == 200


def test_a_database_failure_is_503(client, healthy, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError("could not connect to server at db.internal")

    monkeypatch.setattr(health, "connection", Down())
    response = client.get("/healthz")
    assert response.status_code == 503
    # the class only: a message may name hosts or credentials
    assert response.json()["checks"]["database"] == {"status": "fail", "error": "OperationalError"}
    assert "db.internal" not in response.content.decode()


def test_an_unreachable_task_queue_is_503(client, healthy, monkeypatch):
    import redis

    def down():
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(task_queue, "queue_depths", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["task_queue"] == {"status": "fail", "error": "ConnectionError"}


def test_a_redis_queue_that_does_not_answer_is_503_within_its_timeout(
    client, healthy, settings, monkeypatch
):
    """The real Redis client against a closed port: a fail, fast, not a 500."""
    import time

    settings.REDIS_URL = "redis://127.0.0.1:9/15"
    monkeypatch.setattr(task_queue, "_uses_redis", lambda backend: True)
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert response.json()["checks"]["task_queue"] == {"status": "fail", "error": "ConnectionError"}


def test_the_liveness_probe_checks_only_the_process(client, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(health, "CHECKS", {"database": lambda: 1 / 0})
    with django_assert_num_queries(0):
        response = client.get("/healthz?probe=live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}
    assert "no-store" in response["Cache-Control"]


def test_only_get(client, healthy):
    assert client.post("/healthz").status_code == 405
