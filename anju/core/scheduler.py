"""The periodic scheduler: one holder at a time, each cron firing enqueued at most once.

Issue 10 item 5: scaling out must never send a birthday greeting twice. Any number of
`manage.py run_scheduler` processes may run (one per host, for availability):

- **A lease** (`SchedulerLease`, one row): taken and renewed with one conditional UPDATE
  (``holder = me OR expires_at <= now``), so at any moment at most one process holds it.
  The holder renews it every RENEW; if it dies, the lease runs out after LEASE and a standby
  (trying every RENEW) takes it over. The renewals are the scheduler's heartbeat (/healthz).
  A row in the database works the same on SQLite and PostgreSQL, with either task backend.
- **A record per firing** (`PeriodicFiring`, unique on job + scheduled time), written before
  the task is enqueued: two processes that both believe they hold the lease (a holder paused
  past its lease, then resumed) cannot enqueue the same firing twice.
- **Fire times** come from APScheduler's CronTrigger (Asia/Shanghai); this loop only decides
  who fires and records what was fired. Firings missed for a while (a failover, a restart)
  are coalesced into the latest one, if it is at most GRACE old.

Lease times are each process's own clock: keep the hosts' clocks synchronised (NTP); a skew
of a few seconds is far inside the 60-second lease.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from .models import PeriodicFiring, SchedulerLease
from .scheduling import PeriodicJob

log = logging.getLogger("anju.scheduler")

LEASE_NAME = "scheduler"
LEASE = timedelta(seconds=60)  # a silent holder is replaced after this long
RENEW = timedelta(seconds=15)  # the holder renews (and standbys try) this often
GRACE = timedelta(hours=1)  # a missed firing is still enqueued (once) up to this late


def default_holder() -> str:
    """A name unique to this process, readable in the lease row: host, pid, random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_take(holder: str, now: datetime, *, lease: timedelta = LEASE) -> bool:
    """Take or renew the lease for ``holder``: True if it now holds it until ``now + lease``.

    One UPDATE whose condition is re-checked on the row it writes (PostgreSQL re-evaluates it
    after a concurrent writer commits; SQLite serialises writers), so two processes never
    both get 1 row back for an expired lease.
    """
    SchedulerLease.objects.get_or_create(name=LEASE_NAME)  # the first start makes the row
    taken = (
        SchedulerLease.objects.filter(name=LEASE_NAME)
        .filter(Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lte=now))
        .update(holder=holder, expires_at=now + lease, renewed_at=now)
    )
    return taken == 1


def lease_release(holder: str, now: datetime) -> None:
    """A holder stopping cleanly ends its lease now, so a standby need not wait it out."""
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=now)


def enqueue_firing(job: PeriodicJob, fire_time: datetime, *, holder: str) -> str | None:
    """Record the firing (job, fire_time), then enqueue its task; None if already recorded.

    With the database queue the task row commits together with the record (both or
    neither). Redis is outside the transaction, so there the record is committed first:
    a crash in between loses this one firing rather than letting another scheduler send it
    again (at most once).
    """
    same_transaction = isinstance(job.task.get_backend(), DatabaseBackend)
    with transaction.atomic():
        try:
            with transaction.atomic():
                firing = PeriodicFiring.objects.create(
                    job=job.name, fire_time=fire_time, holder=holder
                )
        except IntegrityError:
            return None  # another scheduler fired it
        if same_transaction:
            firing.task_id = job.task.enqueue().id
            firing.save(update_fields=["task_id"])
    if not same_transaction:
        firing.task_id = job.task.enqueue().id
        PeriodicFiring.objects.filter(pk=firing.pk).update(task_id=firing.task_id)
    return firing.task_id


class PeriodicScheduler:
    """The loop of one `run_scheduler` process. ``clock`` is injectable for tests."""

    def __init__(
        self,
        jobs: Iterable[PeriodicJob],
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = timezone.now,
    ):
        self.jobs = list(jobs)
        self.holder = holder or default_holder()
        self.clock = clock
        self.triggers = {
            job.name: CronTrigger.from_crontab(job.cron, timezone=settings.TIME_ZONE)
            for job in self.jobs
        }
        self.lease_until: datetime | None = None  # set while this process holds the lease
        self.last_try: datetime | None = None
        self.next_fire: dict[str, datetime | None] = {}

    def holds_lease(self, now: datetime) -> bool:
        return self.lease_until is not None and now < self.lease_until

    def tick(self) -> list[tuple[str, datetime]]:
        """One turn: renew or seek the lease when due; if held, enqueue the due firings."""
        now = self.clock()
        if self.last_try is None or now - self.last_try >= RENEW:  # holder and standby alike
            self._take_or_renew(now)
        if not self.holds_lease(now):
            return []
        return self._fire_due(now)

    def _take_or_renew(self, now: datetime) -> None:
        self.last_try = now
        was_holding = self.lease_until is not None
        if lease_take(self.holder, now):
            if not was_holding:
                log.info("scheduler %s holds the lease", self.holder)
                # A new holder looks back: the previous one may have died before a firing.
                self.next_fire = {name: self._next(name, now - GRACE) for name in self.triggers}
            self.lease_until = now + LEASE
        else:
            if was_holding:
                log.warning("scheduler %s lost the lease; standing by", self.holder)
            self.lease_until = None

    def _next(self, name: str, not_before: datetime) -> datetime | None:
        return self.triggers[name].get_next_fire_time(None, not_before)

    def _fire_due(self, now: datetime) -> list[tuple[str, datetime]]:
        fired = []
        for job in self.jobs:
            due = self.next_fire.get(job.name)
            if due is None or due > now:
                continue
            # Coalesce: of the firings up to now, only the latest is enqueued.
            following = self._next(job.name, due + timedelta(seconds=1))
            while following is not None and following <= now:
                due, following = following, self._next(job.name, following + timedelta(seconds=1))
            self.next_fire[job.name] = following
            if not self.holds_lease(self.clock()):
                break  # the lease ran out while firing: leave the rest to the next holder
            try:
                task_id = enqueue_firing(job, due, holder=self.holder)
            except Exception:
                log.exception("could not enqueue %s for %s", job.name, due)
                continue
            if task_id is not None:
                log.info("enqueued %s for %s as %s", job.name, due.isoformat(), task_id)
                fired.append((job.name, due))
        return fired

    def release(self) -> None:
        if self.lease_until is not None:
            lease_release(self.holder, self.clock())
            self.lease_until = None

    def run(self, stop: threading.Event, *, interval: float = 1.0) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set, then release the lease."""
        try:
            while not stop.is_set():
                try:
                    close_old_connections()  # long-lived: drop a connection the server closed
                    self.tick()
                except Exception:  # the database was away: keep trying, fire nothing meanwhile
                    log.exception("scheduler %s: tick failed", self.holder)
                stop.wait(interval)
        finally:
            try:
                self.release()
            except Exception:
                log.exception("scheduler %s: could not release the lease", self.holder)
