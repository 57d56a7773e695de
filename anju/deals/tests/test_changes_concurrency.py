"""Sales changes under concurrency (PostgreSQL, real threads, one connection each): two
approvals moving two deals to the same unit at the same moment — exactly one applies, the
other is refused (``unit_taken``) with nothing of it written; nor can a launch-day hold take
the unit a change is being applied to.

Each approval locks the units it touches in ascending id order, then the subscription, so
the two never deadlock; the second waits for the first's lock on the target unit and then
finds it taken.
"""

import pytest

from anju.approvals.models import ApprovalStatus
from anju.core.testing import requires_postgres, run_at_once
from anju.deals.models import ChangeKind, ChangeStatus, SalesChange, Subscription
from anju.deals.services import subscription_hold
from anju.deals.services.changes import sales_change_request
from anju.inventory.models import Unit, UnitStatus

from .changes_helpers import approval_of, approve, subscribe


def _at_once(*work):
    """Run each callable in its own thread, released together: (done, refused, errors)."""
    return run_at_once(lambda fn: fn(), work)


def _deal(world, available_unit, make_customer, name):
    consultant = world.users["consultant"]
    held = subscription_hold(
        by=consultant, unit=available_unit(), customer=make_customer(name=name)
    )
    return subscribe(held, consultant)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_unit_changes_racing_for_one_unit_exactly_one_applies(
    world, available_unit, make_customer
):
    consultant = world.users["consultant"]
    first = _deal(world, available_unit, make_customer, "甲")
    second = _deal(world, available_unit, make_customer, "乙")
    target = available_unit()
    changes = [
        sales_change_request(
            by=consultant,
            subscription=deal,
            kind=ChangeKind.CHANGE_UNIT,
            reason="换房",
            unit=target,
        )
        for deal in (first, second)
    ]
    done, refused, errors = _at_once(*(lambda c=c: approve(world, c) for c in changes))
    assert not errors, errors
    assert len(done) == 1 and len(refused) == 1
    assert refused[0].code == "unit_taken"
    assert Subscription.objects.filter(unit=target).count() == 1
    assert Unit.objects.get(pk=target.pk).status == UnitStatus.SUBSCRIBED
    raced = SalesChange.objects.filter(pk__in=[c.pk for c in changes])  # not the demo's
    statuses = sorted(raced.values_list("status", flat=True))
    assert statuses == [ChangeStatus.APPLIED, ChangeStatus.PENDING]
    loser = raced.get(status=ChangeStatus.PENDING)
    assert approval_of(loser).status == ApprovalStatus.PENDING  # the decision rolled back
    loser_deal = Subscription.objects.get(pk=loser.subscription_id)
    assert Unit.objects.get(pk=loser_deal.unit_id).status == UnitStatus.SUBSCRIBED
    # both old units stay consistent: the winner's is for sale, the loser's still his
    winner = raced.get(status=ChangeStatus.APPLIED)
    assert Unit.objects.get(pk=winner.payload["from_unit_id"]).status == UnitStatus.AVAILABLE


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_unit_change_and_a_launch_day_hold_racing_for_one_unit(
    world, available_unit, make_customer
):
    consultant = world.users["consultant"]
    deal = _deal(world, available_unit, make_customer, "甲")
    target = available_unit()
    change = sales_change_request(
        by=consultant, subscription=deal, kind=ChangeKind.CHANGE_UNIT, reason="换房", unit=target
    )
    walk_in = make_customer(name="丙")
    done, refused, errors = _at_once(
        lambda: approve(world, change),
        lambda: subscription_hold(by=consultant, unit=target, customer=walk_in),
    )
    assert not errors, errors
    assert len(done) == 1 and len(refused) == 1 and refused[0].code == "unit_taken"
    holders = Subscription.objects.filter(unit=target, status__in=["draft", "subscribed"])
    assert holders.count() == 1
