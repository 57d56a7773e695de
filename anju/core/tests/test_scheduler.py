"""The periodic scheduler with several processes (issue 10 item 5): one lease holder fires,
a standby takes over when the holder stops renewing, each firing is enqueued exactly once.

The schedulers run on a fake clock (``FakeClock``) so minutes pass in milliseconds; the lease
and the firing record are the real rows. The threaded tests run on PostgreSQL (each thread
its own connection, as separate processes would have).
"""

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from anju.core.models import PeriodicFiring, SchedulerLease
from anju.core.scheduler import LEASE, RENEW, PeriodicScheduler, enqueue_firing, lease_take
from anju.core.scheduling import PeriodicJob
from anju.core.task_queue import scheduler_heartbeat
from anju.core.testing import double_for_tests, requires_postgres, run_at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 26, 9, 0, 30, tzinfo=SHANGHAI)
EVERY_MINUTE = PeriodicJob(task=double_for_tests, cron="* * * * *")
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class FakeClock:
    def __init__(self, start):
        self.now = start
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            return self.now

    def advance(self, seconds):
        with self.lock:
            self.now += timedelta(seconds=seconds)


class Killable(PeriodicScheduler):
    """A scheduler process that can die: killed, it stops ticking and releases nothing
    (as after SIGKILL or a lost host). Counts its ticks so the test can wait for them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticks = 0
        self.stop = threading.Event()

    def tick(self):
        fired = super().tick()
        self.ticks += 1
        return fired

    def release(self):
        """Killed, the process releases nothing: its lease must run out on its own."""

    def run_in_thread(self):
        def target():
            try:
                self.run(self.stop, interval=0.001)
            finally:
                connection.close()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread


def queued_firings():
    return sorted(
        PeriodicFiring.objects.filter(job=EVERY_MINUTE.name).values_list("fire_time", flat=True)
    )


def minutes(first, last):
    """Fire times from minute ``first`` to ``last`` after 09:00 (inclusive)."""
    return [START.replace(second=0) + timedelta(minutes=m) for m in range(first, last + 1)]


# --- the lease --------------------------------------------------------------------------------


def test_one_holder_at_a_time_and_a_standby_takes_an_expired_lease(db):
    assert lease_take("a", START)
    assert not lease_take("b", START + timedelta(seconds=1))  # a holds it
    assert lease_take("a", START + RENEW)  # a renews
    assert not lease_take("b", START + RENEW + LEASE - timedelta(seconds=1))
    assert lease_take("b", START + RENEW + LEASE)  # a went silent: b takes over
    assert not lease_take("a", START + RENEW + LEASE + timedelta(seconds=1))  # a lost it
    assert SchedulerLease.objects.get().holder == "b"


def test_a_clean_stop_releases_the_lease_at_once(db, settings):
    settings.TASKS = DB_QUEUE
    clock = FakeClock(START)
    a = PeriodicScheduler([EVERY_MINUTE], holder="a", clock=clock)
    a.tick()
    a.release()
    assert lease_take("b", clock())  # no need to wait the lease out


# --- firings ------------------------------------------------------------------------------------


def test_three_schedulers_ticking_in_turn_enqueue_each_firing_once(db, settings):
    settings.TASKS = DB_QUEUE
    clock = FakeClock(START)
    schedulers = [PeriodicScheduler([EVERY_MINUTE], holder=n, clock=clock) for n in "abc"]
    for _ in range(5 * 60 // 5):  # five minutes in steps of 5 s
        for scheduler in schedulers:
            scheduler.tick()
        clock.advance(5)
    # 09:00 (looked back to on taking the lease) to 09:05
    assert queued_firings() == minutes(0, 5)
    assert DBTaskResult.objects.filter(task_path=EVERY_MINUTE.task.module_path).count() == 6
    assert set(PeriodicFiring.objects.values_list("holder", flat=True)) == {"a"}


def test_a_firing_is_recorded_once_even_by_two_holders(db, settings):
    """Two schedulers that both believe they hold the lease: the record decides."""
    settings.TASKS = DB_QUEUE
    fire_time = START.replace(second=0)
    assert enqueue_firing(EVERY_MINUTE, fire_time, holder="a") is not None
    assert enqueue_firing(EVERY_MINUTE, fire_time, holder="b") is None
    assert DBTaskResult.objects.count() == 1


def test_a_late_scheduler_coalesces_missed_firings_into_one(db, settings):
    settings.TASKS = DB_QUEUE
    clock = FakeClock(START)
    a = PeriodicScheduler([EVERY_MINUTE], holder="a", clock=clock)
    a.tick()
    clock.advance(10 * 60)  # the process was frozen for ten minutes
    assert a.tick() == [(EVERY_MINUTE.name, START.replace(second=0) + timedelta(minutes=10))]


def test_a_nightly_job_is_not_fired_by_a_scheduler_starting_hours_later(db, settings):
    settings.TASKS = DB_QUEUE
    nightly = PeriodicJob(task=double_for_tests, cron="20 2 * * *")
    a = PeriodicScheduler([nightly], holder="a", clock=FakeClock(START))
    assert a.tick() == []
    assert not PeriodicFiring.objects.exists()


@pytest.mark.tasks
def test_a_firing_waits_in_the_configured_queue_until_a_worker_runs_it(task_queue):
    clock = FakeClock(START)
    a, b = (PeriodicScheduler([EVERY_MINUTE], holder=n, clock=clock) for n in "ab")
    assert a.tick() == [(EVERY_MINUTE.name, START.replace(second=0))]
    assert b.tick() == []  # standing by
    assert task_queue.queued() == [EVERY_MINUTE.task.module_path]
    task_queue.run()
    firing = PeriodicFiring.objects.get()
    assert default_task_backend.get_result(firing.task_id).status == TaskResultStatus.SUCCESSFUL
    assert task_queue.queued() == []


@pytest.mark.parametrize("queue", ["database", "other"])
def test_old_firing_records_are_pruned_with_the_task_results(db, settings, queue):
    from anju.core.tasks import prune_finished_task_results

    if queue == "database":
        settings.TASKS = DB_QUEUE
        done = double_for_tests.enqueue()
        DBTaskResult.objects.filter(id=done.id).update(
            status="SUCCESSFUL", finished_at=START - timedelta(days=15)
        )

    old, recent = (
        PeriodicFiring.objects.create(job="j", fire_time=START + timedelta(minutes=m), holder="a")
        for m in (0, 1)
    )
    PeriodicFiring.objects.filter(pk=old.pk).update(created_at=START - timedelta(days=15))
    prune_finished_task_results.call()
    assert list(PeriodicFiring.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not DBTaskResult.objects.exists()


# --- real threads on PostgreSQL ---------------------------------------------------------------


def run_clock(clock, schedulers, seconds, step=5):
    """Advance the fake clock, each step only after every live scheduler has ticked since."""
    for _ in range(seconds // step):
        seen = {s: s.ticks for s in schedulers if not s.stop.is_set()}
        deadline = time.monotonic() + 10
        while any(s.ticks <= n for s, n in seen.items()):
            assert time.monotonic() < deadline, "a scheduler thread stopped ticking"
            time.sleep(0.001)
        clock.advance(step)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_three_scheduler_processes_fire_each_minute_once_and_survive_the_holders_death(settings):
    settings.TASKS = DB_QUEUE
    clock = FakeClock(START)
    schedulers = [Killable([EVERY_MINUTE], holder=n, clock=clock) for n in "abc"]
    threads = [s.run_in_thread() for s in schedulers]
    try:
        run_clock(clock, schedulers, 3 * 60)  # to 09:03:30
        holder = SchedulerLease.objects.get().holder
        first = next(s for s in schedulers if s.holder == holder)
        first.stop.set()  # killed just after the 09:03 firing: it stops renewing
        threads[schedulers.index(first)].join(5)
        run_clock(clock, schedulers, 4 * 60)  # to 09:07:30
        second = SchedulerLease.objects.get().holder
    finally:
        for s in schedulers:
            s.stop.set()
        for t in threads:
            t.join(5)

    assert second != holder  # a standby took over
    assert queued_firings() == minutes(0, 7)  # every minute, none twice, none lost
    tasks = DBTaskResult.objects.filter(task_path=EVERY_MINUTE.task.module_path)
    assert tasks.count() == 8
    by = dict(PeriodicFiring.objects.values_list("fire_time", "holder"))
    assert {by[m] for m in minutes(0, 3)} == {holder}
    assert {by[m] for m in minutes(5, 7)} == {second}
    assert scheduler_heartbeat() > START + timedelta(minutes=6)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_holders_racing_for_one_firing_enqueue_it_once(settings):
    settings.TASKS = DB_QUEUE
    fire_time = START.replace(second=0)
    results, refused, errors = run_at_once(
        lambda holder: enqueue_firing(EVERY_MINUTE, fire_time, holder=holder), "abcd"
    )
    assert not errors and not refused, (errors, refused)
    assert len(results) == 4 and sum(r is not None for r in results) == 1
    assert DBTaskResult.objects.filter(task_path=EVERY_MINUTE.task.module_path).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_run_scheduler_processes_one_holds_and_a_clean_stop_hands_over(tmp_path):
    """The real command, twice, as separate processes: one takes the lease (its heartbeat
    shows), the other stands by; SIGTERM on the holder releases the lease at once and the
    standby takes it over within its next try (15 s)."""
    import os
    import signal
    import subprocess
    import sys

    from django.utils import timezone

    from anju.core.tests.test_settings_security import ROOT

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ANJU_DEBUG": "1",
        "ANJU_VAR_DIR": str(tmp_path),
    }

    def start():
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_scheduler"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def holder_within(seconds, other_than=None):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            lease = SchedulerLease.objects.filter(expires_at__gt=timezone.now()).first()
            if lease and lease.holder != other_than:
                return lease.holder
            time.sleep(0.2)
        return None

    first = start()
    second = None
    try:
        holder = holder_within(30)
        assert holder and holder.endswith(f":{first.pid}:" + holder.rsplit(":", 1)[1])
        second = start()
        time.sleep(5)  # the second is up and standing by
        assert SchedulerLease.objects.get().holder == holder
        first.send_signal(signal.SIGTERM)
        out, _err = first.communicate(timeout=20)
        assert first.returncode == 0 and "stopped" in out
        assert f":{second.pid}:" in (holder_within(25, other_than=holder) or "")
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.kill()
                process.wait(10)
