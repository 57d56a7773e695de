"""Periodic jobs: one registry, read by the `run_scheduler` command.

An app registers a task with a cron schedule in its tasks.py::

    @periodic(cron="30 3 * * *")
    @task()
    def archive_stale_leads(): ...

The scheduler only *enqueues* the task at the given time; workers run it. Several scheduler
processes may run: one holds a lease and fires, each firing is enqueued at most once
(``core.scheduler``, docs/operations.md).
"""

from dataclasses import dataclass
from importlib import import_module

from django.apps import apps


@dataclass(frozen=True)
class PeriodicJob:
    task: object
    cron: str  # minute hour day month day_of_week, Asia/Shanghai

    @property
    def name(self) -> str:
        return f"{self.task.module_path}"


PERIODIC_JOBS: list[PeriodicJob] = []


def periodic(*, cron: str):
    def register(task):
        if not any(j.task is task for j in PERIODIC_JOBS):
            PERIODIC_JOBS.append(PeriodicJob(task=task, cron=cron))
        return task

    return register


def discover_periodic_jobs() -> list[PeriodicJob]:
    """Import every Anju app's tasks module so its @periodic registrations run."""
    for config in apps.get_app_configs():
        if config.name.startswith("anju."):
            try:
                import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise
    return list(PERIODIC_JOBS)
