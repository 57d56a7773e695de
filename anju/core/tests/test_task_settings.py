"""Choosing the task queue (issue 10 item 5): ANJU_TASKS=db (default) or rq with REDIS_URL;
the old ANJU_TASK_BACKEND is refused rather than silently ignored; `make run` starts the
matching worker."""

import json
import sys

import pytest

from anju.core.tests.test_settings_security import PRODUCTION_KEY, ROOT, _run

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'backend': s.TASKS['default']['BACKEND'], 'queues': s.TASKS['default']"
    "['QUEUES'], 'rq': getattr(s, 'RQ_QUEUES', None), 'apps': s.INSTALLED_APPS}))"
)


def settings_with(tmp_path, monkeypatch, **env):
    monkeypatch.delenv("REDIS_URL", raising=False)  # only what the test gives
    return _run(SHOW, tmp_path, ANJU_SECRET_KEY=PRODUCTION_KEY, **env)


def test_the_database_queue_is_the_default(tmp_path, monkeypatch):
    run = settings_with(tmp_path, monkeypatch)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["backend"] == "django_tasks_db.DatabaseBackend"
    assert shown["rq"] is None and "django_rq" not in shown["apps"]


def test_rq_with_redis_url_configures_every_queue_on_redis(tmp_path, monkeypatch):
    url = "redis://127.0.0.1:6379/3"
    run = settings_with(tmp_path, monkeypatch, ANJU_TASKS="rq", REDIS_URL=url)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["backend"] == "django_tasks_rq.RQBackend"
    assert shown["rq"] == {name: {"URL": url} for name in shown["queues"]}
    assert "django_rq" in shown["apps"]
    # django-tasks-rq's own system checks (every queue known to django-rq, rq >= 2.5) pass
    check = _run(
        ["manage.py", "check", "--fail-level", "WARNING"],
        tmp_path,
        ANJU_SECRET_KEY=PRODUCTION_KEY,
        ANJU_TASKS="rq",
        REDIS_URL=url,
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    "env, message",
    [
        ({"ANJU_TASKS": "rq"}, "ANJU_TASKS=rq needs REDIS_URL"),
        ({"ANJU_TASKS": "celery"}, "ANJU_TASKS='celery': use db or rq"),
        ({"ANJU_TASK_BACKEND": "django_tasks_rq.RQBackend"}, "ANJU_TASK_BACKEND is no longer read"),
    ],
)
def test_a_wrong_choice_refuses_to_start(tmp_path, monkeypatch, env, message):
    run = settings_with(tmp_path, monkeypatch, **env)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and message in run.stderr


def test_make_run_starts_the_worker_of_the_chosen_queue(settings):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import run_dev
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert run_dev.worker_command({}) == ["db_worker", "--queue-name", "*"]
    rq = run_dev.worker_command({"ANJU_TASKS": "rq", "REDIS_URL": "redis://h:6379/0"})
    assert rq[:3] == ["rqworker", "--job-class", "django_tasks_rq.Job"]
    assert rq[-3:] == settings.TASK_QUEUES  # every queue has a worker
