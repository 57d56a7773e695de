"""CUS-3: merging a duplicate customer moves his deals to the survivor (through the real
merge service, ``customers.services.customer_merge``), inside the merge's transaction."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from anju.core.errors import Conflict
from anju.core.events import events_for
from anju.core.models import Event
from anju.customers.models import Customer
from anju.customers.services import customer_merge, relation_add
from anju.deals.models import (
    CoBuyer,
    QueueStatus,
    QueueTicket,
    RelativeTierClaim,
    SalesChange,
    Subscription,
)
from anju.deals.services import (
    queue_number_cancel,
    queue_number_issue,
    subscription_hold,
    subscription_set_terms,
)
from anju.deals.services.changes import sales_change_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pair(make_customer):
    """The same person registered twice (two numbers): survivor and duplicate."""
    return make_customer(name="王伟"), make_customer(name="王伟")


def _merge(world, survivor, duplicate):
    return customer_merge(
        by=world.users["manager"], keep=survivor, duplicate=duplicate, reason="同一人两个号码"
    )


def _issue(world, customer, **kwargs):
    return queue_number_issue(
        by=world.users["consultant"], project=world.projects["binhai"], customer=customer, **kwargs
    )


def _merge_event(survivor):
    return Event.objects.filter(verb="customer.merged", subject_id=survivor.pk).latest("pk")


def test_the_duplicates_numbers_deals_co_buyer_rows_and_claims_move(
    world, pair, make_customer, available_unit, consultant
):
    survivor, duplicate = pair
    ticket = _issue(world, duplicate, intention="三房")
    own = subscription_hold(by=consultant, unit=available_unit(), customer=duplicate)
    # the duplicate co-buys a friend's deal, and lends his tier to his son's
    friend = make_customer(name="李娜")
    relation_add(by=consultant, customer=friend, related=duplicate, kind="friend")
    friends = subscription_hold(by=consultant, unit=available_unit(skip=1), customer=friend)
    subscription_set_terms(by=consultant, subscription=friends, co_buyers=[duplicate])
    son = make_customer(name="王小伟")
    relation_add(by=consultant, customer=son, related=duplicate, kind="parent")
    sons = subscription_hold(by=consultant, unit=available_unit(skip=2), customer=son)
    proof = SimpleUploadedFile("hukou.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    subscription_set_terms(
        by=consultant, subscription=sons, relative=duplicate, relative_proof=proof
    )

    _merge(world, survivor, duplicate)

    assert QueueTicket.objects.get(pk=ticket.pk).customer_id == survivor.pk
    assert Subscription.objects.get(pk=own.pk).customer_id == survivor.pk
    assert list(
        CoBuyer.objects.filter(subscription=friends).values_list("customer", flat=True)
    ) == [survivor.pk]
    assert RelativeTierClaim.objects.get(subscription=sons).relative_id == survivor.pk
    assert not QueueTicket.objects.filter(customer=duplicate).exists()
    moved = _merge_event(survivor).details["moved"]
    assert moved["queue_numbers"] == 1 and moved["subscriptions"] == 1
    assert moved["co_buyers"] == 1 and moved["relative_tier_claims"] == 1
    assert moved["co_buyers_dropped"] == 0
    # the survivor's 360° shows them: the deals panel reads his rows
    client_survivor = Customer.objects.get(pk=survivor.pk)
    assert client_survivor.queue_tickets.count() == 1 and client_survivor.subscriptions.count() == 1


def test_the_survivor_never_co_buys_his_own_deal(
    world, pair, available_unit, consultant, make_customer
):
    """Either way round: the survivor buys and the duplicate co-buys, or the duplicate buys
    and the survivor co-buys — the co-buyer row is dropped, with an event on the deal."""
    survivor, duplicate = pair
    relation_add(by=consultant, customer=survivor, related=duplicate, kind="spouse")
    his = subscription_hold(by=consultant, unit=available_unit(), customer=survivor)
    subscription_set_terms(by=consultant, subscription=his, co_buyers=[duplicate])
    theirs = subscription_hold(by=consultant, unit=available_unit(skip=1), customer=duplicate)
    subscription_set_terms(by=consultant, subscription=theirs, co_buyers=[survivor])
    # both co-buy a third deal: one row stays, not two for the same person
    other = make_customer(name="赵六")
    relation_add(by=consultant, customer=other, related=survivor, kind="friend")
    relation_add(by=consultant, customer=other, related=duplicate, kind="friend")
    third = subscription_hold(by=consultant, unit=available_unit(skip=2), customer=other)
    subscription_set_terms(by=consultant, subscription=third, co_buyers=[survivor, duplicate])

    _merge(world, survivor, duplicate)

    assert Subscription.objects.get(pk=theirs.pk).customer_id == survivor.pk
    assert not CoBuyer.objects.filter(subscription__in=[his, theirs]).exists()
    assert list(CoBuyer.objects.filter(subscription=third).values_list("customer", flat=True)) == [
        survivor.pk
    ]
    dropped = Event.objects.filter(verb="deals.co_buyer_dropped").order_by("pk")
    assert sorted(e.target_id for e in dropped) == sorted([his.pk, theirs.pk, third.pk])
    assert all(e.subject_id == survivor.pk for e in dropped)
    assert _merge_event(survivor).details["moved"]["co_buyers_dropped"] == 3


def test_two_live_numbers_for_one_project_refuse_the_merge_until_one_is_cancelled(world, pair):
    """One live number per customer and project: the merge says which numbers clash and
    writes nothing; after one is cancelled (its deposit refunded) it goes through."""
    survivor, duplicate = pair
    first = _issue(world, survivor)
    second = _issue(world, duplicate, deposit_amount="20000", deposit_method="wechat")

    with pytest.raises(Conflict) as exc:
        _merge(world, survivor, duplicate)

    assert exc.value.code == "already_queued" and exc.value.field == "duplicate"
    message = str(exc.value.message)
    assert survivor.code in message and duplicate.code in message
    assert str(first) in message and str(second) in message
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None
    assert QueueTicket.objects.get(pk=second.pk).customer_id == duplicate.pk

    queue_number_cancel(
        by=world.users["consultant"],
        ticket=second,
        reason="同一人重复排号",
        refund_amount="20000",
        refund_method="wechat",
    )
    _merge(world, survivor, duplicate)
    assert set(QueueTicket.objects.filter(customer=survivor).values_list("status", flat=True)) == {
        QueueStatus.WAITING,
        QueueStatus.CANCELLED,
    }


def test_the_merge_page_shows_the_clash_in_chinese(world, pair, login):
    survivor, duplicate = pair
    _issue(world, survivor)
    _issue(world, duplicate)
    page = login(world.users["manager"]).post(
        f"/customers/{survivor.pk}/merge/",
        {"duplicate": duplicate.code, "reason": "同一人", "confirm": "1"},
    )
    assert page.status_code == 200
    assert "排号" in page.content.decode() and duplicate.code in page.content.decode()
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None


def test_a_pending_change_naming_the_duplicate_names_the_survivor(
    world, pair, subscribe, consultant, make_customer
):
    survivor, duplicate = pair
    buyer = make_customer(name="孙八")
    relation_add(by=consultant, customer=buyer, related=duplicate, kind="friend")
    deal = subscribe(customer=buyer)
    change = sales_change_request(
        by=consultant, subscription=deal, kind="add_co_buyer", reason="加名", customer=duplicate
    )

    _merge(world, survivor, duplicate)

    change = SalesChange.objects.get(pk=change.pk)
    assert change.payload["customer_id"] == survivor.pk
    assert _merge_event(survivor).details["moved"]["sales_changes"] == 1
    assert events_for(deal).filter(verb="deals.co_buyer_dropped").count() == 0
