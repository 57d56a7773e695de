"""MEM-2 under concurrency (PostgreSQL, real threads, one connection each): a balance and a
gift's stock never go below zero however many redemptions run at once.

A barrier holds every thread right after it has read the customer's account, so all of them
have seen the full balance before any writes: code that checked the balance it read and then
wrote would let every one of them through. The conditional UPDATE (``balance >= n``, ``stock
>= n``), re-checked by PostgreSQL after each lock wait, lets exactly as many through as fit.
"""

import pytest
from django.db.models import Sum

from anju.core.testing import requires_postgres, run_at_once
from anju.membership import services
from anju.membership.models import Gift, PointsAccount, PointsEntry, PointsReason, Redemption
from anju.membership.services import points as points_module

THREADS = 20


def _run_at_once(work):
    """``work(i)`` in THREADS threads released together, each pausing after it has read the
    customer's account: (done, refused, errors)."""
    return run_at_once(work, range(THREADS), pause_after=[(points_module, "account_for")])


def _ledger_sum(customer):
    return (
        PointsEntry.objects.unscoped("t").filter(customer=customer).aggregate(s=Sum("points"))["s"]
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_redemptions_of_100_on_1000_leave_exactly_ten(world, member, credit, staff):
    customer = member()
    credit(customer, 1000)

    def redeem(i):
        return services.points_redeem_offset(
            by=staff, customer=customer, points=100, reference=f"subscription:{i}"
        )

    done, refused, errors = _run_at_once(redeem)
    assert not errors, errors
    assert len(done) == 10 and len(refused) == 10
    assert {exc.code for exc in refused} == {"insufficient_points"}
    assert _ledger_sum(customer) == 0
    assert PointsAccount.objects.unscoped("t").get(customer=customer).balance == 0
    debits = PointsEntry.objects.unscoped("t").filter(
        customer=customer, reason=PointsReason.PRICE_OFFSET
    )
    assert debits.count() == 10


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_gifts_stock_never_goes_below_zero(world, member, credit, staff):
    customer = member()
    credit(customer, 10_000)
    gift = services.gift_create(
        by=staff, company=customer.company, name="限量伞", points_cost=100, stock=5
    )

    def redeem(_i):
        return services.points_redeem_gift(by=staff, customer=customer, gift=gift)

    done, refused, errors = _run_at_once(redeem)
    assert not errors, errors
    assert len(done) == 5 and {exc.code for exc in refused} == {"out_of_stock"}
    assert Gift.objects.unscoped("t").get(pk=gift.pk).stock == 0
    assert Redemption.objects.unscoped("t").filter(gift=gift).count() == 5
    assert _ledger_sum(customer) == 10_000 - 500
    assert PointsAccount.objects.unscoped("t").get(customer=customer).balance == 9_500


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_gift_returned_at_once_from_twenty_desks_comes_back_once(world, member, credit, staff):
    """Issue 11 review item 5: the redemption row is locked, so of concurrent returns one
    restores the stock and the points; the others are told it was returned already."""
    customer = member()
    credit(customer, 1000)
    gift = services.gift_create(
        by=staff, company=customer.company, name="退还伞", points_cost=100, stock=5
    )
    redemption = services.points_redeem_gift(by=staff, customer=customer, gift=gift, quantity=2)
    manager = world.users["servicemgr"]

    def give_back(i):
        return services.redemption_return(by=manager, redemption=redemption, reason=f"退{i}")

    done, refused, errors = _run_at_once(give_back)
    assert not errors, errors
    assert len(done) == 1 and {exc.code for exc in refused} == {"already_returned"}
    assert Gift.objects.unscoped("t").get(pk=gift.pk).stock == 5
    assert _ledger_sum(customer) == 1000
    assert PointsAccount.objects.unscoped("t").get(customer=customer).balance == 1000
