"""Test helpers shared by every app's tests."""

import contextlib
import datetime
import os
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple
from unittest import mock

import pytest
from django.db import connection
from django_tasks import task

from .errors import ApplicationError

requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- concurrency tests (real threads, PostgreSQL) -----------------------------------------------


class Race(NamedTuple):
    """What the threads of ``run_at_once`` came to: return values (in the order the threads
    finished), refusals (``ApplicationError`` and its kinds), anything else that was raised."""

    done: list
    refused: list
    errors: list


def run_at_once(
    work: Callable, items: Iterable, *, pause_after: Iterable[tuple[object, str]] = ()
) -> Race:
    """Run ``work(item)`` for every item, each in its own thread (so with its own database
    connection and transaction), all released together at a barrier; every thread closes its
    connection at the end. Use it with ``requires_postgres`` and
    ``pytest.mark.django_db(transaction=True)``.

    ``pause_after`` widens the window between a read and the write that depends on it: for
    each ``(owner, "name")`` the function ``owner.name`` is patched so that a thread, after its
    first call, waits there until every thread has made its own (at most 3 s — threads
    blocked on a row lock never come, then the others go on). Code that decides on what it
    read without a lock lets all of them through; locking code makes the others wait.

    A thread still running after two minutes is reported in ``errors``.
    """
    items = list(items)
    start = threading.Barrier(len(items))
    done, refused, errors = [], [], []

    def run(item):
        try:
            start.wait(timeout=30)
            done.append(work(item))
        except ApplicationError as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 — collected for the test to assert
            errors.append(exc)
        finally:
            connection.close()

    with contextlib.ExitStack() as patches:
        for owner, name in pause_after:
            patches.enter_context(
                mock.patch.object(
                    owner, name, _pausing(getattr(owner, name), threading.Barrier(len(items)))
                )
            )
        threads = [threading.Thread(target=run, args=(item,)) for item in items]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    errors.extend(
        TimeoutError(f"{thread.name} still running after 120 s")
        for thread in threads
        if thread.is_alive()
    )
    return Race(done, refused, errors)


def _pausing(real, barrier):
    """``real``, which waits at ``barrier`` after its first call in each thread."""
    paused = threading.local()

    def call(*args, **kwargs):
        result = real(*args, **kwargs)
        if not getattr(paused, "once", False):
            paused.once = True
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=3)
        return result

    return call


# --- the real task queue in tests (issue 10 item 5) --------------------------------------------
# Most tests run tasks with the immediate backend (anju/conftest.py). Tests of the queue itself
# take the `task_queue` fixture and the `tasks` marker: they enqueue into the backend
# ANJU_TASKS selects (the database, or Redis with REDIS_URL) and run a real worker in burst
# mode. CI runs `-m tasks` once more with ANJU_TASKS=rq against the machine's Redis.


class TaskQueue:
    """The configured queue as a test sees it: what is queued, and a worker to run it."""

    def __init__(self, kind: str):
        self.kind = kind  # "db" or "rq"

    def _redis(self):
        from anju.core.task_queue import redis_connection

        connection = redis_connection()
        if not connection.connection_pool.connection_kwargs.get("db"):
            pytest.fail("REDIS_URL must name a spare database (e.g. /15): the tests flush it")
        return connection

    def flush(self) -> None:
        """Empty the queue (Redis keeps jobs across tests; the database is emptied anyway)."""
        if self.kind == "rq":
            self._redis().flushdb()

    def queued(self, prefix: str = "anju.") -> list[str]:
        """Paths of the tasks ready to run, oldest first, those starting with ``prefix``."""
        if self.kind == "rq":
            from django.conf import settings
            from rq import Queue

            connection = self._redis()
            jobs = [
                job
                for name in settings.TASK_QUEUES
                for job in Queue(name, connection=connection).get_jobs()
            ]
            paths = [job.func_name for job in sorted(jobs, key=lambda j: j.enqueued_at)]
        else:
            from django_tasks_db.models import DBTaskResult

            rows = DBTaskResult.objects.ready().order_by("enqueued_at")
            paths = list(rows.values_list("task_path", flat=True))
        return [p for p in paths if p.startswith(prefix)]

    def run(self) -> None:
        """Run a worker in burst mode until no task is ready (tasks it enqueues run too).

        RQ: `manage.py rqworker --burst` with django-tasks-rq's job class; SimpleWorker runs
        each job in this process instead of a forked child, so it uses the test database.
        """
        import io

        from django.conf import settings
        from django.core.management import call_command

        quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        if self.kind == "rq":
            call_command(
                "rqworker",
                *settings.TASK_QUEUES,
                "--burst",
                "--job-class",
                "django_tasks_rq.Job",
                "--worker-class",
                "rq.worker.SimpleWorker",
                verbosity=0,
                **quiet,
            )
        else:
            call_command(
                "db_worker",
                "--batch",
                "--queue-name",
                "*",
                "--no-reload",
                "--no-startup-delay",
                verbosity=0,
                **quiet,
            )


@task()
def double_for_tests(number: int = 1) -> int:
    """A task for the queue's own tests (importable by a worker)."""
    return 2 * number


@task()
def fail_for_tests() -> None:
    raise RuntimeError("failed on purpose")


class DatabaseSnapshot:
    """Every model table's rows, kept in memory and put back in about a second.

    A transactional test (browser, concurrency, a real worker) empties the database when it
    ends, and the next test needs the demo world again: seeding it anew takes 10–20 s on two
    busy cores, restoring this snapshot of the first seeding well under a second (CI time).
    PostgreSQL copies each table with COPY (text format, every type as PostgreSQL prints
    it); SQLite reads and inserts plain rows. Sequences are set past the restored ids.
    """

    def __init__(self):
        self._tables: dict[str, object] = {}

    @staticmethod
    def _table_names() -> list[str]:
        return sorted(connection.introspection.django_table_names(only_existing=True))

    def take(self) -> None:
        self._tables = {}
        with connection.cursor() as cursor:
            for table in self._table_names():
                self._tables[table] = self._read(cursor, connection.ops.quote_name(table))

    def restore(self) -> None:
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType
        from django.core.management.color import no_style
        from django.db import transaction

        tables = self._table_names()
        with transaction.atomic(), connection.cursor() as cursor:
            # Django's foreign keys are deferred (checked at commit), so order is free here.
            for statement in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
                cursor.execute(statement)
            for table, rows in self._tables.items():
                if rows:
                    self._write(cursor, connection.ops.quote_name(table), rows)
            # Only models with a table here (django-rq's dashboard model, for one, has none).
            models = [
                m for m in apps.get_models(include_auto_created=True) if m._meta.db_table in tables
            ]
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        ContentType.objects.clear_cache()  # the flush's post_migrate made other ids

    @staticmethod
    def _read(cursor, table: str):
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                return b"".join(bytes(block) for block in copy)
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (a model's table name)
        columns = [c[0] for c in cursor.description]
        # Django's SQLite converters hand back a TimeField as datetime.time, which sqlite3
        # cannot bind: store it as Django does, in ISO format.
        return (columns, [tuple(map(_sqlite_value, row)) for row in cursor.fetchall()])

    @staticmethod
    def _write(cursor, table: str, rows) -> None:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(rows)
            return
        columns, values = rows
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)  # noqa: S608


def _sqlite_value(value):
    return value.isoformat() if isinstance(value, datetime.time) else value
