"""Helpers for reception tests: local times, a frozen clock, and a quick call logger."""

from contextlib import contextmanager
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y, m, d, h=10, mi=0, s=0):
    """An aware Asia/Shanghai datetime."""
    return datetime(y, m, d, h, mi, s, tzinfo=SHANGHAI)


@contextmanager
def frozen(moment):
    """Freeze django.utils.timezone.now (and so localdate/localtime) at ``moment``."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield moment


@pytest.fixture
def log_call(world):
    """log_call(who="consultant", project="binhai", **overrides) → CallResult."""
    from anju.reception.services import call_log

    def _log(who="consultant", project="binhai", **kw):
        values = {
            "rings": 2,
            "answer_seconds": 6,
            "duration_seconds": 240,
            "phone": "138 1234 0001",
            "name": "张三丰",
            "gender": "M",
        }
        values.update(kw)
        return call_log(by=world.users[who], project=world.projects[project], **values)

    return _log
