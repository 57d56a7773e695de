"""Run the periodic scheduler: enqueue each registered job at its cron time (Asia/Shanghai)."""

import contextlib
import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from anju.core.scheduling import discover_periodic_jobs

log = logging.getLogger("anju.scheduler")


def _enqueue(job):
    close_old_connections()
    result = job.task.enqueue()
    log.info("enqueued %s as %s", job.name, result.id)


class Command(BaseCommand):
    help = "Run the periodic scheduler (one per installation). Workers run what it enqueues."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Print the jobs and exit.")

    def handle(self, *args, list=False, **options):
        jobs = discover_periodic_jobs()
        if list:
            for job in jobs:
                self.stdout.write(f"{job.cron:<16} {job.name}")
            return
        scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
        for job in jobs:
            scheduler.add_job(
                _enqueue,
                CronTrigger.from_crontab(job.cron, timezone=settings.TIME_ZONE),
                args=[job],
                id=job.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
        self.stdout.write(f"Scheduler started with {len(jobs)} job(s).")
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
