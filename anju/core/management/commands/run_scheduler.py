"""Run the periodic scheduler: enqueue each registered job at its cron time (Asia/Shanghai).

Several may run (one per host): they share one lease, so one fires and the others stand by
(anju/core/scheduler.py, issue 10 item 5).
"""

import signal
import threading

from django.core.management.base import BaseCommand

from anju.core.scheduler import PeriodicScheduler
from anju.core.scheduling import discover_periodic_jobs


class Command(BaseCommand):
    help = (
        "Run the periodic scheduler. Several may run: one holds the lease and enqueues, the "
        "others stand by. Workers run what it enqueues."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Print the jobs and exit.")

    def handle(self, *args, list=False, **options):
        jobs = discover_periodic_jobs()
        if list:
            for job in jobs:
                self.stdout.write(f"{job.cron:<16} {job.name}")
            return
        scheduler = PeriodicScheduler(jobs)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())  # stop cleanly: release the lease
        self.stdout.write(f"Scheduler {scheduler.holder} started with {len(jobs)} job(s).")
        scheduler.run(stop)
        self.stdout.write(f"Scheduler {scheduler.holder} stopped.")
