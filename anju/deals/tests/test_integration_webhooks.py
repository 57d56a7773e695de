"""INT-2: the deals events an ERP or a finance system subscribes to reach a real receiver
(``http.server``, webhooks' conftest) when the services run, with the deal's ids, numbers,
unit and amounts as strings; personal data masked unless the subscription may unmask."""

import pytest

from anju.webhooks import services as hooks
from anju.webhooks.registry import is_publishable
from anju.webhooks.tests import conftest as webhook_fixtures

from .changes_helpers import approve

pytestmark = pytest.mark.django_db

# the real receiver (http.server on 127.0.0.1) and a company administrator who may unmask
receiver = webhook_fixtures.receiver
hook_admin = webhook_fixtures.hook_admin

VERBS = (
    "deals.queue_issued",
    "deals.queue_cancelled",
    "deals.subscription_status_changed",
    "deals.contract_signed",
    "deals.contract_cancelled",
    "deals.payment_recorded",
    "deals.refund_recorded",
    "deals.change_applied",
)


def _subscribe(world, receiver, verbs, by=None, **kwargs):
    return hooks.subscription_create(
        by=by or world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=list(verbs),
        name="ERP",
        **kwargs,
    )


def _received(receiver, verb):
    return [r.json for r in receiver.requests if r.json["event"] == verb]


def test_the_deals_verbs_are_publishable():
    assert all(is_publishable(verb) for verb in VERBS)
    # the status changes' verb carries 认购; the hold and the terms stay internal
    assert not is_publishable("deals.unit_held") and not is_publishable("deals.terms_set")


def test_queue_numbers_issued_and_cancelled_reach_the_receiver_masked(
    world,
    receiver,
    buyer,
    consultant,
    django_capture_on_commit_callbacks,
):
    from anju.deals.services import queue_number_cancel, queue_number_issue

    _subscribe(world, receiver, ["deals.queue_issued", "deals.queue_cancelled"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = queue_number_issue(
            by=consultant,
            project=world.projects["binhai"],
            customer=buyer,
            intention=f"三房，回电 {buyer.phone}",
            deposit_amount="20000",
            deposit_method="wechat",
            deposit_receipt_no="SJ-01",
        )
        queue_number_cancel(
            by=consultant,
            ticket=ticket,
            reason="客户放弃",
            refund_amount="20000",
            refund_method="wechat",
            refund_receipt_no="TK-01",
        )
    (issued,) = _received(receiver, "deals.queue_issued")
    (cancelled,) = _received(receiver, "deals.queue_cancelled")
    block = issued["data"]["queue_ticket"]
    assert block["number"] == ticket.number and block["id"] == ticket.pk
    assert block["deposit_amount"] == "20000.00" and block["deposit_receipt_no"] == "SJ-01"
    assert block["project_id"] == world.projects["binhai"].pk
    assert buyer.phone not in block["intention"] and "****" in block["intention"]
    assert issued["data"]["customer"]["name"] == "王*"  # masked as on screen
    refund = cancelled["data"]["queue_ticket"]
    assert refund["status"] == "cancelled" and refund["refund_amount"] == "20000.00"
    assert refund["refund_receipt_no"] == "TK-01" and refund["cancel_reason"] == "客户放弃"


def test_a_confirmed_subscription_its_contract_and_payments_reach_the_receiver(
    world,
    receiver,
    buyer,
    consultant,
    cashier,
    subscribe,
    django_capture_on_commit_callbacks,
):
    from anju.deals.services import contract_sign, payment_record

    _subscribe(
        world,
        receiver,
        [
            "deals.subscription_status_changed",
            "deals.contract_signed",
            "deals.payment_recorded",
            "deals.refund_recorded",
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        deal = subscribe()
        contract = contract_sign(by=consultant, subscription=deal, payment_plan="one_off")
        payment_record(
            by=cashier, subscription=deal, amount="100000", method="transfer", receipt_no="SK-9"
        )
        payment_record(by=cashier, subscription=deal, amount="-1000", method="cash", reason="多收")
    deal.refresh_from_db()

    status_changes = _received(receiver, "deals.subscription_status_changed")
    subscribed = next(p for p in status_changes if p["data"]["details"]["to"] == "subscribed")
    block = subscribed["data"]["subscription"]
    assert block["id"] == deal.pk and block["number"] == deal.number
    assert block["reference"] == str(deal) and block["unit"]["id"] == deal.unit_id
    assert block["unit"]["label"] == str(deal.unit)
    assert block["final_price"] == str(deal.final_price) and block["customer_id"] == buyer.pk
    assert block["price_lines"][-1]["step"] == "final"
    assert block["price_lines"][-1]["amount"] == str(deal.final_price)
    assert subscribed["data"]["customer"]["phone"] != buyer.phone

    (signed,) = _received(receiver, "deals.contract_signed")
    contract_block = signed["data"]["contract"]
    assert contract_block["number"] == contract.number and contract_block["reference"] == str(
        contract
    )
    assert contract_block["total"] == str(deal.final_price)
    assert [i["amount"] for i in contract_block["instalments"]] == [str(deal.final_price)]
    assert signed["data"]["subscription"]["id"] == deal.pk

    (paid,) = _received(receiver, "deals.payment_recorded")
    assert paid["data"]["payment"]["amount"] == "100000.00"
    assert paid["data"]["payment"]["receipt_no"] == "SK-9"
    assert paid["data"]["payment"]["refund"] is False
    (refunded,) = _received(receiver, "deals.refund_recorded")
    assert refunded["data"]["payment"]["amount"] == "-1000.00"
    assert refunded["data"]["payment"]["refund"] is True
    assert refunded["data"]["subscription"]["paid_total"] == "99000.00"
    assert refunded["data"]["subscription"]["balance"] == str(deal.final_price - 99000)


def test_an_applied_sales_change_reaches_the_receiver(
    world,
    receiver,
    consultant,
    subscribe,
    django_capture_on_commit_callbacks,
):
    from anju.deals.services.changes import sales_change_request

    deal = subscribe()
    _subscribe(world, receiver, ["deals.change_applied"])
    new_price = deal.final_price - 5000
    with django_capture_on_commit_callbacks(execute=True):
        change = sales_change_request(
            by=consultant,
            subscription=deal,
            kind="price_adjustment",
            reason="老客户优惠",
            final_price=new_price,
        )
        approve(world, change)
    (applied,) = _received(receiver, "deals.change_applied")
    block = applied["data"]["sales_change"]
    assert block["id"] == change.pk and block["kind"] == "price_adjustment"
    assert block["status"] == "applied" and block["applied_at"]
    assert block["changes"] == {
        "old_final_price": str(deal.final_price),
        "new_final_price": str(new_price),
    }
    assert applied["data"]["subscription"]["final_price"] == str(new_price)


def test_a_subscription_that_may_unmask_gets_the_typed_numbers_in_full(
    world,
    receiver,
    hook_admin,
    buyer,
    consultant,
    django_capture_on_commit_callbacks,
):
    from anju.deals.services import queue_number_issue

    _subscribe(world, receiver, ["deals.queue_issued"], by=hook_admin, may_unmask=True)
    with django_capture_on_commit_callbacks(execute=True):
        queue_number_issue(
            by=consultant,
            project=world.projects["binhai"],
            customer=buyer,
            intention=f"回电 {buyer.phone}",
        )
    (issued,) = _received(receiver, "deals.queue_issued")
    assert issued["data"]["queue_ticket"]["intention"] == f"回电 {buyer.phone}"
    assert issued["data"]["customer"]["name"] == buyer.name
