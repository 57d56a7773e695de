"""Helpers for club tests: fresh customers, members, and points at a chosen moment."""

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(y, m, d, h=10, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


@pytest.fixture
def staff(world):
    return world.users["group"]  # 集团客户关系中心: every club permission, every company


@pytest.fixture
def member(make_customer, staff):
    """A fresh 蓝卡 member of 深圳 (滨海花园)."""
    from anju.membership.services import membership_join

    def _member(**kwargs):
        customer = make_customer(**kwargs)
        membership_join(by=staff, customer=customer)
        return customer

    return _member


@pytest.fixture
def credit(staff):
    """credit(customer, points, reference=…, reason=purchase) → the entry."""
    from anju.membership.models import PointsReason
    from anju.membership.services import points_credit

    counter = itertools.count(1)

    def _credit(customer, points, *, reference=None, reason=PointsReason.PURCHASE, by=None):
        return points_credit(
            by=by or staff,
            customer=customer,
            points=points,
            reason=reason,
            reference=reference or f"test:{next(counter)}",
        )

    return _credit
