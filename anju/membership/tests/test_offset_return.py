"""A price offset given back when its sale is cancelled (退房, SUB-5): the points come back
with the expiry dates of the credits they were taken from, once only."""

import pytest

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.models import Event
from anju.membership import selectors, services
from anju.membership.models import PointsEntry, PointsReason

from .conftest import local


def _returns(customer):
    return PointsEntry.objects.unscoped("t").filter(
        customer=customer, reason=PointsReason.OFFSET_RETURN
    )


def test_an_offset_comes_back_with_the_expiry_of_the_credits_it_used(member, credit, staff):
    customer = member()
    with services.recorded_at(local(2025, 3, 1)):
        old = credit(customer, 150)  # expires after 2027-12-31
    new = credit(customer, 500)  # expires after 2028-12-31
    services.points_redeem_offset(by=staff, customer=customer, points=400, reference="sub:1")
    assert selectors.points_balance(customer) == 250
    returned = services.points_offset_return(
        by=staff, customer=customer, reference="sub:1", reason="退房"
    )
    assert returned == 400
    assert selectors.points_balance(customer) == 650 == selectors.cached_balance(customer)
    assert sorted((e.points, e.expires_on) for e in _returns(customer)) == [
        (150, old.expires_on),
        (250, new.expires_on),
    ]
    assert {e.note for e in _returns(customer)} == {"退房"}
    assert Event.objects.filter(verb="membership.offset_returned").exists()


def test_an_offset_is_returned_once_only(member, credit, staff):
    customer = member()
    credit(customer, 300)
    services.points_redeem_offset(by=staff, customer=customer, points=300, reference="sub:2")
    services.points_offset_return(by=staff, customer=customer, reference="sub:2", reason="退房")
    with pytest.raises(Conflict) as twice:
        services.points_offset_return(
            by=staff, customer=customer, reference="sub:2", reason="again"
        )
    assert twice.value.code == "already_returned"
    assert selectors.points_balance(customer) == 300


def test_a_reference_without_an_offset_returns_nothing(member, staff):
    customer = member()
    assert (
        services.points_offset_return(
            by=staff, customer=customer, reference="sub:none", reason="退房"
        )
        == 0
    )
    assert not _returns(customer).exists()


def test_a_return_needs_a_reason_and_a_user_who_sees_the_customer(member, credit, staff, world):
    customer = member()
    credit(customer, 100)
    services.points_redeem_offset(by=staff, customer=customer, points=100, reference="sub:3")
    with pytest.raises(ApplicationError) as no_reason:
        services.points_offset_return(by=staff, customer=customer, reference="sub:3", reason=" ")
    assert no_reason.value.field == "reason"
    with pytest.raises(NotPermitted):
        services.points_offset_return(
            by=world.users["consultant_zh"], customer=customer, reference="sub:3", reason="x"
        )
    assert not _returns(customer).exists()


def test_a_returned_offset_is_not_reversible(member, credit, staff, world):
    customer = member()
    credit(customer, 100)
    services.points_redeem_offset(by=staff, customer=customer, points=100, reference="sub:4")
    services.points_offset_return(by=staff, customer=customer, reference="sub:4", reason="退房")
    entry = _returns(customer).get()
    with pytest.raises(Conflict) as refused:
        services.points_reverse(by=world.users["servicemgr"], entry=entry, reason="错了")
    assert refused.value.code == "not_reversible"


def test_after_a_merge_the_survivor_gets_the_offset_back(member, credit, staff, world):
    from anju.customers.services import customer_merge

    duplicate, survivor = member(name="甲"), member(name="乙")
    credit(duplicate, 200)
    services.points_redeem_offset(by=staff, customer=duplicate, points=200, reference="sub:5")
    customer_merge(
        by=world.users["datasteward"], keep=survivor, duplicate=duplicate, reason="同一人"
    )
    survivor.refresh_from_db()
    returned = services.points_offset_return(
        by=staff, customer=survivor, reference="sub:5", reason="退房"
    )
    assert returned == 200
    assert selectors.points_balance(survivor) == 200
