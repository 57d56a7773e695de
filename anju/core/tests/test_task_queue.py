"""The task queue on both backends (issue 10 item 5): what is queued, run by a real worker,
and what the health check and the metrics read (core/task_queue.py).

Tests marked ``tasks`` use the queue ANJU_TASKS selects: the database by default; CI runs
them once more with ANJU_TASKS=rq REDIS_URL=redis://127.0.0.1:6379/15.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus

from anju.core import task_queue as tq
from anju.core.scheduler import lease_take
from anju.core.testing import double_for_tests, fail_for_tests, requires_postgres

DOUBLE = "anju.core.testing.double_for_tests"


@pytest.mark.tasks
def test_the_configured_queue_runs_enqueued_work(task_queue):
    result = double_for_tests.enqueue(21)
    later = double_for_tests.using(queue_name="messaging").enqueue(1)
    assert task_queue.queued() == [DOUBLE, DOUBLE]
    assert tq.queue_depths() == {"default": 1, "messaging": 1, "reports": 0}

    task_queue.run()

    assert task_queue.queued() == []
    assert tq.queue_depths() == {"default": 0, "messaging": 0, "reports": 0}
    done = default_task_backend.get_result(result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL and done.return_value == 42
    assert default_task_backend.get_result(later.id).return_value == 2
    assert tq.failed_task_count() == 0


@pytest.mark.tasks
def test_a_failing_task_is_counted_as_failed(task_queue):
    result = fail_for_tests.enqueue()
    task_queue.run()
    failed = default_task_backend.get_result(result.id)
    assert failed.status == TaskResultStatus.FAILED
    assert "failed on purpose" in failed.errors[-1].traceback
    assert tq.failed_task_count() == 1


@pytest.mark.tasks
def test_a_task_deferred_to_later_is_not_ready(task_queue):
    double_for_tests.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1)
    assert tq.queue_depths()["default"] == 0


def test_failures_older_than_a_day_are_not_counted(settings, db):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ids = [fail_for_tests.enqueue().id for _ in range(3)]
    now = timezone.now()
    for id_, finished in zip(
        ids, [now, now - timedelta(hours=23), now - timedelta(hours=25)], strict=True
    ):
        DBTaskResult.objects.filter(id=id_).update(status="FAILED", finished_at=finished)
    assert tq.failed_task_count() == 2


def test_backends_without_a_queue_report_nothing(settings):
    # The immediate backend of ordinary tests: every queue at 0, nothing failed.
    assert tq.queue_depths() == {"default": 0}
    assert tq.failed_task_count() == 0


def test_heartbeat_is_the_last_renewal_of_the_lease(db):
    assert tq.scheduler_heartbeat() is None
    now = timezone.now()
    assert lease_take("one", now - timedelta(seconds=30))
    assert lease_take("one", now)
    assert tq.scheduler_heartbeat() == now


@requires_postgres
@pytest.mark.tasks
def test_make_runs_worker_command_runs_a_task_in_its_own_process(task_queue, tmp_path):
    """The worker `make run` starts (and docs/operations.md gives), as its own process,
    in burst mode: RQ's forking worker or db_worker, against this test database."""
    import os
    import subprocess
    import sys

    from django.db import connection

    from anju.core.tests.test_settings_security import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import run_dev
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    result = double_for_tests.enqueue(5)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ANJU_DEBUG": "1",
        "ANJU_VAR_DIR": str(tmp_path),
    }
    command = run_dev.worker_command(os.environ)
    command.append("--burst" if command[0] == "rqworker" else "--batch")
    worker = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    assert default_task_backend.get_result(result.id).return_value == 10
