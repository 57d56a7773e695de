"""Deals on the customer 360° timeline (CUS-6): queue numbers, subscriptions with their price,
contracts and payments, newest first, in one query, only what the viewer sees."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.customers.timeline import timeline_for
from anju.deals.services import payment_record, queue_number_issue
from anju.deals.timeline import deals_timeline


def test_the_deal_is_on_the_timeline_newest_first(world, signed, subscribe, buyer, cashier):
    consultant = world.users["consultant"]
    queue_number_issue(
        by=consultant, project=world.projects["binhai"], customer=buyer, deposit_amount=0
    )
    subscription = subscribe()
    payment_record(by=cashier, subscription=subscription, amount="20000", method="wechat")
    contract = signed(subscription=subscription)
    entries = [
        e
        for e in timeline_for(cashier, buyer)
        if e.kind in ("queue", "subscription", "contract", "payment")
    ]
    assert [e.kind for e in entries] == ["contract", "payment", "subscription", "queue"]
    assert entries == sorted(entries, key=lambda e: e.when, reverse=True)
    price = f"{subscription.final_price:,}"
    assert str(contract) in entries[0].title and price in entries[0].title
    assert entries[0].url == f"/deals/contracts/{contract.pk}/" == entries[1].url
    assert "20,000.00" in entries[1].title and price in entries[2].title
    assert entries[2].url == f"/deals/contracts/{contract.pk}/"
    # the generic event list leaves the deals' own events to this provider
    assert not any(e.kind == "event" and "deals." in e.title for e in timeline_for(cashier, buyer))


def test_one_query_whatever_the_history_and_only_what_the_viewer_sees(
    world, signed, subscribe, buyer, cashier
):
    signed()
    list(deals_timeline(cashier, buyer, 100))  # the user's grants and the merge chain, once
    with CaptureQueriesContext(connection) as one:
        first = list(deals_timeline(cashier, buyer, 100))
    for _ in range(2):
        subscription = subscribe()
        payment_record(by=cashier, subscription=subscription, amount="10", method="cash")
    with CaptureQueriesContext(connection) as many:
        later = list(deals_timeline(cashier, buyer, 100))
    assert len(one) == len(many) == 1  # one UNION of the four kinds
    assert len(later) == len(first) + 4
    assert list(deals_timeline(world.users["consultant2"], buyer, 100)) == []
    assert len(list(deals_timeline(cashier, buyer, 3))) == 3
