"""Create the demo world: each Anju app contributes through its own ``demo.py``.

    manage.py seed_demo              # the small realistic world (idempotent with --if-empty)
    manage.py seed_demo --scale 50   # 50 times more, with bulk inserts, for benchmarks

An app's demo module has ``seed(world)``; apps run in INSTALLED_APPS order, so later apps
(customers, deals …) find what earlier ones made in ``world``.
"""

import random
import time
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_PASSWORD = "anju2026"


@dataclass
class DemoWorld:
    scale: int
    rng: random.Random
    stdout: object
    data: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def log(self, message):
        self.stdout.write(message)


def demo_modules():
    for config in apps.get_app_configs():
        if config.name.startswith("anju."):
            try:
                yield config.label, import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise


class Command(BaseCommand):
    help = "Load demo data (use --scale N for N times more, for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if data exists.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")

    def handle(self, *args, scale=1, if_empty=False, seed=2026, **options):
        from anju.org.models import Holding

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
