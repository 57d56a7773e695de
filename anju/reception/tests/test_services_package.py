"""Issue 7 item 16: reception services are a package split by subject; the package re-exports
every public service, so ``from anju.reception.services import X`` keeps working."""

import importlib
import inspect

from anju.reception import services

MODULES = ("calls", "visits", "tasks", "opportunities", "managed_lists", "desk")


def _public_defined_in(module):
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }


def test_every_public_service_is_re_exported_by_the_package():
    """A service added to a module but not to ``__init__`` would break the old import path."""
    for name in MODULES:
        module = importlib.import_module(f"anju.reception.services.{name}")
        missing = _public_defined_in(module) - set(services.__all__)
        assert not missing, f"{name}: {sorted(missing)} not re-exported"


def test_the_re_exports_are_the_module_objects():
    """The package hands out the very functions the modules define (no wrappers, no copies)."""
    for name in services.__all__:
        value = getattr(services, name)
        module = importlib.import_module(value.__module__)
        assert getattr(module, name) is value
        assert module.__name__.startswith("anju.reception.services.")
