"""SUB-4 under concurrency (PostgreSQL, real threads, one connection each).

Two cashiers record the last of the balance at the same moment: exactly one payment is
taken, the other is told it is more than the balance, and the instalments stay consistent.
A barrier holds each thread right after it has read what was paid, so code that checked
the balance it read and then wrote would let both through; the subscription's row lock
(``lock_subscription``) makes the second wait, read again, and refuse.
"""

from decimal import Decimal

import pytest

from anju.core.testing import requires_postgres, run_at_once
from anju.deals.models import Contract, Instalment, Payment
from anju.deals.services import contract_sign, paid_total, payment_record
from anju.deals.services import payments as payments_module


def _run_at_once(work, threads):
    """``work(i)`` in ``threads`` threads released together, each pausing after it has first
    read what was paid: (done, refused, errors)."""
    return run_at_once(work, range(threads), pause_after=[(payments_module, "paid_total")])


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_payments_racing_for_the_last_of_the_balance(signed, cashier, world):
    contract = signed()
    subscription = contract.subscription
    payment_record(by=cashier, subscription=subscription, amount="100000", method="transfer")
    last = contract.total - Decimal("100000")
    desks = [cashier, world.users["management"]]

    def pay(i):
        return payment_record(
            by=desks[i], subscription=subscription, amount=last, method="transfer"
        )

    done, refused, errors = _run_at_once(pay, 2)
    assert not errors, errors
    assert len(done) == 1 and [exc.code for exc in refused] == ["more_than_balance"]
    assert paid_total(subscription) == contract.total
    assert Payment.objects.unscoped("t").filter(subscription=subscription).count() == 2
    instalment = Instalment.objects.get(contract=contract)
    assert instalment.paid == instalment.amount == contract.total


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_signings_of_one_deal_make_one_contract(subscribe, consultant, world):
    subscription = subscribe()
    sellers = [consultant, world.users["manager"]]

    def sign(i):
        return contract_sign(by=sellers[i], subscription=subscription, payment_plan="one_off")

    done, refused, errors = _run_at_once(sign, 2)
    assert not errors, errors
    assert len(done) == 1 and [exc.code for exc in refused] == ["already_signed"]
    assert Contract.objects.unscoped("t").filter(subscription=subscription).count() == 1
