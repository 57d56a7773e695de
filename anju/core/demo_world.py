"""The demo world's kernel: what every app's ``demo.py`` gets (no business rules).

An app's demo module has ``seed(world)``; ``manage.py seed_demo`` (project level,
``anju/site``) runs them in INSTALLED_APPS order, so later apps (customers, deals …) find
what earlier ones made in ``world``.
"""

import random
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps

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
