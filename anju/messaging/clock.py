"""The messaging clock: one place for "now", so quiet hours can be shown and tested at 23:00."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_fixed = ContextVar("anju_messaging_now", default=None)


def now():
    return _fixed.get() or timezone.now()


@contextmanager
def override(moment):
    """Messaging's "now" is ``moment`` inside the block (tests, the demo's night-time send)."""
    token = _fixed.set(moment)
    try:
        yield moment
    finally:
        _fixed.reset(token)
