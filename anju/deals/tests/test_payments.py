"""Payments (SUB-4): partial payments, never beyond the balance, refunds with a reason."""

from decimal import Decimal

import pytest

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.deals.models import Payment
from anju.deals.services import paid_total, payment_record, subscription_confirm


@pytest.fixture
def subscribed(held, consultant):
    subscription_confirm(by=consultant, subscription=held)
    held.refresh_from_db()
    return held


def test_partial_payments_add_up_and_the_balance_is_a_ceiling(subscribed, world):
    manager = world.users["manager"]
    payment_record(by=manager, subscription=subscribed, amount="50000", method="transfer")
    payment_record(by=manager, subscription=subscribed, amount="30000.50", method="card")
    assert paid_total(subscribed) == Decimal("80000.50")
    too_much = subscribed.final_price - Decimal("80000.50") + Decimal("0.01")
    with pytest.raises(ApplicationError) as exc:
        payment_record(by=manager, subscription=subscribed, amount=too_much, method="cash")
    assert exc.value.code == "more_than_balance"
    assert Payment.objects.filter(subscription=subscribed).count() == 2


def test_a_refund_needs_a_reason_and_never_exceeds_what_was_paid(subscribed, world):
    manager = world.users["manager"]
    payment_record(by=manager, subscription=subscribed, amount="10000", method="transfer")
    with pytest.raises(ApplicationError) as exc:
        payment_record(by=manager, subscription=subscribed, amount="-100", method="transfer")
    assert exc.value.field == "reason"
    with pytest.raises(ApplicationError) as exc:
        payment_record(
            by=manager,
            subscription=subscribed,
            amount="-10000.01",
            method="transfer",
            reason="多收",
        )
    assert exc.value.code == "refund_too_large"
    payment_record(
        by=manager, subscription=subscribed, amount="-2000", method="transfer", reason="多收退回"
    )
    assert paid_total(subscribed) == Decimal("8000")


def test_a_draft_takes_no_payment_and_a_consultant_records_none(held, world):
    with pytest.raises(Conflict):
        payment_record(by=world.users["manager"], subscription=held, amount="1", method="cash")
    with pytest.raises(NotPermitted):
        payment_record(by=world.users["consultant"], subscription=held, amount="1", method="cash")
    assert not Payment.objects.filter(subscription=held).exists()
