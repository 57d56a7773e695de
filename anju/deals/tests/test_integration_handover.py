"""CUS-4/CUS-5: when a consultant's customers go to a colleague, the open deal work follows
(live numbers, subscriptions not yet signed); signed deals keep the consultant who sold them.
Through the real hand-over services (``customer_reassign_all``, ``customer_change_owner``)."""

from decimal import Decimal

import pytest

from anju.core.events import events_for
from anju.core.models import Event
from anju.customers.services import customer_change_owner, customer_reassign_all
from anju.deals.models import Contract, QueueTicket, Subscription, SubscriptionStatus
from anju.deals.services import (
    queue_number_cancel,
    queue_number_issue,
    subscription_confirm,
    subscription_hold,
    subscription_set_terms,
)

pytestmark = pytest.mark.django_db


def _issue(world, customer):
    return queue_number_issue(
        by=world.users["consultant"], project=world.projects["binhai"], customer=customer
    )


@pytest.fixture
def deals(world, buyer, consultant, available_unit, subscribe, signed):
    """The buyer's deals with 李娜 (consultant): one of each state."""
    live = _issue(world, buyer)
    draft = subscription_hold(by=consultant, unit=available_unit(), customer=buyer)
    pending = subscription_hold(by=consultant, unit=available_unit(skip=1), customer=buyer)
    subscription_set_terms(
        by=consultant,
        subscription=pending,
        special_discount=(pending.list_price * Decimal("0.2")).quantize(Decimal("1")),
    )
    subscription_confirm(by=consultant, subscription=pending)
    subscribed = subscribe(skip=2)
    contract = signed(subscription=subscribe(skip=3))
    return {
        "live": live,
        "draft": draft,
        "pending": Subscription.objects.get(pk=pending.pk),
        "subscribed": subscribed,
        "contract": contract,
    }


def test_a_leavers_open_deal_work_follows_his_customers(world, buyer, consultant, colleague, deals):
    cancelled = QueueTicket.objects.create(  # an old number: history, stays with him
        company=deals["live"].company,
        project=deals["live"].project,
        number=deals["live"].number + 5000,
        customer=buyer,
        consultant=consultant,
        status="cancelled",
    )
    assert deals["pending"].status == SubscriptionStatus.PENDING

    customer_reassign_all(
        by=world.users["manager"], from_user=consultant, to_user=colleague, reason="李娜离职"
    )

    assert QueueTicket.objects.get(pk=deals["live"].pk).consultant == colleague
    for key in ("draft", "pending", "subscribed"):
        assert Subscription.objects.get(pk=deals[key].pk).consultant == colleague, key
    # the sale made stays his: the signed subscription and its contract
    contract = Contract.objects.get(pk=deals["contract"].pk)
    assert contract.consultant == consultant
    assert contract.subscription.consultant == consultant
    assert QueueTicket.objects.get(pk=cancelled.pk).consultant == consultant
    # the new consultant sees them (``consultant`` is the scope's owner) and may act on them
    visible = set(Subscription.objects.visible_to(colleague).values_list("pk", flat=True))
    assert {deals[k].pk for k in ("draft", "pending", "subscribed")} <= visible
    subscription_set_terms(by=colleague, subscription=deals["draft"], payment_plan="one_off")
    moved = events_for(deals["draft"]).get(verb="deals.consultant_changed")
    assert moved.details == {
        "number": deals["draft"].number,
        "customer": buyer.pk,
        "from": consultant.pk,
        "to": colleague.pk,
    }
    owner_changed = Event.objects.filter(verb="customer.owner_changed", target_id=buyer.pk).latest(
        "pk"
    )
    handed = owner_changed.details["handed_over"]
    assert handed["live_queue_numbers"] >= 1 and handed["open_subscriptions"] >= 3


def test_a_single_hand_over_moves_only_the_leavers_own_open_deals(
    world, buyer, consultant, colleague, available_unit
):
    """A deal of the customer that a colleague (the manager here) holds stays his; a number
    cancelled before the hand-over stays with who issued it."""
    manager = world.users["manager"]
    his = subscription_hold(by=manager, unit=available_unit(), customer=buyer)
    mine = subscription_hold(by=consultant, unit=available_unit(skip=1), customer=buyer)
    ticket = _issue(world, buyer)
    queue_number_cancel(by=consultant, ticket=ticket, reason="客户放弃")

    customer_change_owner(by=manager, customer=buyer, to=colleague, reason="交接")

    assert Subscription.objects.get(pk=his.pk).consultant == manager
    assert Subscription.objects.get(pk=mine.pk).consultant == colleague
    assert QueueTicket.objects.get(pk=ticket.pk).consultant == consultant
    handed = (
        Event.objects.filter(verb="customer.owner_changed", target_id=buyer.pk)
        .latest("pk")
        .details["handed_over"]
    )
    assert handed["open_subscriptions"] == 1 and handed["live_queue_numbers"] == 0


def test_deals_in_a_project_the_new_owner_does_not_sell_in_stay(
    world, buyer, consultant, available_unit
):
    """consultant2 works at 云境 only: 滨海花园's deals cannot be his work; they stay with
    their consultant for a manager to hand over there, and the event counts them."""
    elsewhere = world.users["consultant2"]
    draft = subscription_hold(by=consultant, unit=available_unit(), customer=buyer)
    ticket = _issue(world, buyer)

    customer_change_owner(by=world.users["manager"], customer=buyer, to=elsewhere, reason="交接")

    assert Subscription.objects.get(pk=draft.pk).consultant == consultant
    assert QueueTicket.objects.get(pk=ticket.pk).consultant == consultant
    handed = (
        Event.objects.filter(verb="customer.owner_changed", target_id=buyer.pk)
        .latest("pk")
        .details["handed_over"]
    )
    assert handed["deals_not_moved"] == 2 and handed["open_subscriptions"] == 0
