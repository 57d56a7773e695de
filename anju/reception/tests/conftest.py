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


@pytest.fixture
def yunjing_manager(world):
    """A sales manager of 云境 only: he oversees its records, not 滨海花园's customers."""
    from anju.org.models import User
    from anju.org.services import role_assign

    manager = User.objects.create(
        username="yj_manager", display_name="云境销售经理", company=world.companies["sz"]
    )
    role_assign(
        by=None,
        user=manager,
        role="sales_manager",
        company=world.companies["sz"],
        project=world.projects["yunjing"],
    )
    return manager
