"""A new web process compiles its templates before its first request (issue 10: a cold
worker's first 360° page took ~900 ms instead of ~45)."""

from pathlib import Path

import pytest

import anju
from anju.core.warmup import warm_up

pytestmark = pytest.mark.once  # reads no database: the same on any


def test_every_template_of_anju_is_compiled_at_worker_start():
    own = [p for p in Path(anju.__file__).parent.rglob("*.html") if "templates" in p.parts]
    assert len(own) > 100
    assert warm_up() == len(own)  # the apps' folders included, not only anju/templates


def test_gunicorn_warms_each_worker_up():
    conf = (Path(anju.__file__).parent.parent / "gunicorn.conf.py").read_text()
    namespace = {}
    exec(compile(conf, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our own file)
    calls = []

    class Log:
        def info(self, message, *args):
            calls.append(message % args)

    worker = type("Worker", (), {"log": Log()})()
    namespace["post_worker_init"](worker)
    assert calls and calls[0].startswith("warmed up:")


def test_a_failing_warm_up_leaves_the_worker_serving(monkeypatch):
    """gunicorn stops the whole server when post_worker_init raises: log, serve cold."""
    import anju.core.warmup

    conf = (Path(anju.__file__).parent.parent / "gunicorn.conf.py").read_text()
    namespace = {}
    exec(compile(conf, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our own file)

    def broken():
        raise PermissionError("templates unreadable")

    monkeypatch.setattr(anju.core.warmup, "warm_up", broken)
    logged = []

    class Log:
        def info(self, message, *args):
            logged.append(message)

        def exception(self, message, *args):
            logged.append(message)

    namespace["post_worker_init"](type("Worker", (), {"log": Log()})())
    assert logged == ["warm-up failed; the worker serves without it"]
