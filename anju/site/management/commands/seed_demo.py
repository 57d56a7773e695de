"""Create the demo world: each Anju app contributes through its own ``demo.py``.

    manage.py seed_demo              # the small realistic world (idempotent with --if-empty)
    manage.py seed_demo --scale 50   # 50 times more, with bulk inserts, for benchmarks

Lives at project level because it knows every app (the org tables included); the kernel part
(``DemoWorld``, ``demo_modules``) is ``anju.core.demo_world``.
"""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from anju.core.demo_world import DemoWorld, demo_modules
from anju.org.models import Holding


class Command(BaseCommand):
    help = "Load demo data (use --scale N for N times more, for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if data exists.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")

    def handle(self, *args, scale=1, if_empty=False, seed=2026, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more")
        if Holding.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present; nothing to do.")
                return
            raise CommandError("The database already has data. Use a fresh database.")
        world = DemoWorld(scale=scale, rng=random.Random(seed), stdout=self.stdout)
        started = time.monotonic()
        with transaction.atomic():
            for label, module in demo_modules():
                t0 = time.monotonic()
                module.seed(world)
                self.stdout.write(f"  {label}: {time.monotonic() - t0:.1f}s")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f}s.")
        )
