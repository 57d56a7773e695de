"""What the task queue holds, for /healthz and the Prometheus collector (issue 10 items 4, 5).

The same questions answered for both backends (``settings.ANJU_TASKS``): the database queue
(django-tasks-db) and Redis (django-tasks-rq). Each is a cheap read: the ready rows are
counted through django-tasks-db's partial index on READY rows; Redis answers from its
counters. Backends that keep no queue (the immediate and dummy backends of tests) report 0.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

FAILED_WINDOW = timedelta(hours=24)


def _backend():
    return task_backends["default"]


def _uses_redis(backend) -> bool:
    # Compared by name: django-tasks-rq imports django-rq, an app installed only with ANJU_TASKS=rq.
    return type(backend).__module__.startswith("django_tasks_rq")


def redis_connection():
    """A client for REDIS_URL that gives up within a second: a health probe must not hang."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def queue_depths() -> dict[str, int]:
    """Tasks ready to run (enqueued, not started, not deferred to later), per queue name.

    Every configured queue is present, 0 when empty. Raises if the queue cannot be reached.
    """
    backend = _backend()
    depths = dict.fromkeys(sorted(backend.queues), 0)
    if _uses_redis(backend):
        from rq import Queue

        connection = redis_connection()
        for name in depths:
            depths[name] = Queue(name, connection=connection).count
    elif isinstance(backend, DatabaseBackend):
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        rows = DBTaskResult.objects.ready().order_by().values_list("queue_name")
        for name, n in rows.annotate(n=Count("id")):
            depths[name] = n
    return depths


def failed_task_count() -> int:
    """Tasks that failed in the last 24 hours (FAILED_WINDOW), all queues together.

    A window rather than a total: both backends forget old failures on their own schedule
    (the database prunes results after 14 days, RQ keeps failed jobs a year), so a total
    would move for reasons that are not failures. An alert compares it with the usual day.
    """
    backend = _backend()
    since = timezone.now() - FAILED_WINDOW
    if _uses_redis(backend):
        from rq import Queue
        from rq.defaults import DEFAULT_FAILURE_TTL

        # RQ scores a failed job by its expiry, failure time + DEFAULT_FAILURE_TTL (django-tasks-rq
        # sets no TTL of its own), so "failed since" is a score range: no job is read.
        connection = redis_connection()
        low = since.timestamp() + DEFAULT_FAILURE_TTL
        return sum(
            connection.zcount(
                Queue(name, connection=connection).failed_job_registry.key, low, "+inf"
            )
            for name in backend.queues
        )
    if isinstance(backend, DatabaseBackend):
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(
            status=TaskResultStatus.FAILED, finished_at__gte=since
        ).count()
    return 0


def scheduler_heartbeat() -> datetime | None:
    """When the scheduler holding the lease last renewed it; None if no scheduler ever ran."""
    from .models import SchedulerLease
    from .scheduler import LEASE_NAME

    return (
        SchedulerLease.objects.filter(name=LEASE_NAME).values_list("renewed_at", flat=True).first()
    )
