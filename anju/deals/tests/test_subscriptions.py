"""Subscriptions (SUB-1/2): one live subscription per unit, the price kept as lines, the
unit status moving with it, approvals beyond authority."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from anju.approvals.models import ApprovalRequest, ApprovalStatus
from anju.approvals.services import approval_decide
from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.deals.models import (
    DiscountKind,
    PriceLine,
    QueueStatus,
    SalesDiscount,
    Subscription,
    SubscriptionStatus,
)
from anju.deals.services import (
    PRICE_APPROVAL_KIND,
    queue_number_issue,
    subscription_confirm,
    subscription_hold,
    subscription_release,
    subscription_set_terms,
)
from anju.inventory.models import UnitStatus


def _discount(project, code="one_off", value="0.02", kind=DiscountKind.RATE, **extra):
    """The project's discount ``code`` as this test needs it (the demo has some already)."""
    defaults = {
        "company": project.company,
        "name": f"折扣{code}",
        "kind": kind,
        "value": Decimal(value),
        "order": 10,
        "valid_from": None,
        "valid_to": None,
        "payment_plans": [],
        "exclusive_group": "",
        "is_active": True,
        **extra,
    }
    discount, _created = SalesDiscount.objects.update_or_create(
        project=project, code=code, defaults=defaults
    )
    return discount


def test_holding_reserves_the_unit_at_its_list_price(held):
    held.unit.refresh_from_db()
    assert held.status == SubscriptionStatus.DRAFT and held.unit.status == UnitStatus.RESERVED
    assert held.final_price == held.unit.list_price
    steps = list(held.price_lines.values_list("step", flat=True))
    assert steps[0] == "list" and steps[-1] == "final"


def test_a_unit_held_by_one_live_subscription_cannot_be_held_again(held, make_customer, world):
    other = make_customer(name="李娜")
    with pytest.raises(Conflict) as exc:
        subscription_hold(by=world.users["consultant"], unit=held.unit, customer=other)
    assert exc.value.code == "unit_taken"
    assert Subscription.objects.filter(unit=held.unit).count() == 1


def test_confirming_within_authority_subscribes_and_moves_the_unit(held, consultant, world):
    _discount(held.project, value="0.005")
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["one_off"])
    subscription_confirm(by=consultant, subscription=held)
    held.refresh_from_db()
    held.unit.refresh_from_db()
    assert held.status == SubscriptionStatus.SUBSCRIBED and held.subscribed_at
    assert held.unit.status == UnitStatus.SUBSCRIBED
    expected = held.list_price - (held.list_price * Decimal("0.005")).quantize(Decimal("0.01"))
    assert held.final_price == expected


def test_the_lines_explain_the_final_price(held, consultant):
    _discount(held.project, value="0.005")
    _discount(held.project, code="promo", kind=DiscountKind.AMOUNT, value="10000", order=20)
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["one_off", "promo"])
    lines = list(PriceLine.objects.filter(subscription=held).order_by("position"))
    assert [line.step for line in lines] == ["list", "sales", "sales", "final"] or [
        line.step for line in lines
    ][:3] == ["list", "sales", "sales"]
    assert sum(line.amount for line in lines if line.step != "final") == lines[-1].running_total
    held.refresh_from_db()
    assert held.final_price == lines[-1].running_total


def test_beyond_authority_waits_for_a_manager_who_is_not_the_requester(held, consultant, world):
    _discount(held.project, code="big", value="0.05")  # consultants may give 1 % alone
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["big"])
    request = subscription_confirm(by=consultant, subscription=held)
    held.refresh_from_db()
    assert held.status == SubscriptionStatus.PENDING
    assert request.kind == PRICE_APPROVAL_KIND and "over_authority" in request.payload["reasons"]
    held.unit.refresh_from_db()
    assert held.unit.status == UnitStatus.RESERVED  # still held while the manager decides
    with pytest.raises(NotPermitted):
        approval_decide(by=consultant, request=request, approve=True)
    approval_decide(by=world.users["manager"], request=request, approve=True, comment="同意")
    held.refresh_from_db()
    held.unit.refresh_from_db()
    assert held.status == SubscriptionStatus.SUBSCRIBED
    assert held.unit.status == UnitStatus.SUBSCRIBED


def test_a_rejected_price_goes_back_to_draft_for_new_terms(held, consultant, world):
    _discount(held.project, code="big", value="0.05")
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["big"])
    request = subscription_confirm(by=consultant, subscription=held)
    approval_decide(by=world.users["manager"], request=request, approve=False, comment="太多")
    held.refresh_from_db()
    assert held.status == SubscriptionStatus.DRAFT
    subscription_set_terms(by=consultant, subscription=held, discount_codes=[])
    subscription_confirm(by=consultant, subscription=held)
    held.refresh_from_db()
    assert held.status == SubscriptionStatus.SUBSCRIBED


def test_an_expired_promotion_is_refused_and_nothing_changes(held, consultant):
    yesterday = timezone.localdate() - timedelta(days=1)
    _discount(held.project, code="old", valid_to=yesterday)
    before = list(held.price_lines.values_list("amount", flat=True))
    with pytest.raises(ApplicationError) as exc:
        subscription_set_terms(by=consultant, subscription=held, discount_codes=["old"])
    assert exc.value.code == "discount_expired"
    assert list(held.price_lines.values_list("amount", flat=True)) == before


def test_an_unknown_discount_code_is_refused(held, consultant):
    with pytest.raises(ApplicationError) as exc:
        subscription_set_terms(by=consultant, subscription=held, discount_codes=["nope"])
    assert exc.value.code == "unknown_discount"


def test_the_main_buyer_cannot_be_a_co_buyer(held, consultant):
    with pytest.raises(ApplicationError) as exc:
        subscription_set_terms(by=consultant, subscription=held, co_buyers=[held.customer])
    assert exc.value.code == "co_buyer_is_buyer"


def test_a_co_buyer_must_be_a_recorded_relation(held, consultant, make_customer):
    from anju.customers.services import relation_add

    spouse = make_customer(name="张敏")
    with pytest.raises(ApplicationError) as exc:
        subscription_set_terms(by=consultant, subscription=held, co_buyers=[spouse])
    assert exc.value.code == "not_related"
    relation_add(by=consultant, customer=held.customer, related=spouse, kind="co_buyer")
    subscription_set_terms(by=consultant, subscription=held, co_buyers=[spouse])
    assert list(held.co_buyers.values_list("customer_id", flat=True)) == [spouse.pk]


def test_a_confirmed_price_is_not_re_priced(held, consultant):
    subscription_confirm(by=consultant, subscription=held)
    with pytest.raises(Conflict) as exc:
        subscription_set_terms(by=consultant, subscription=held, discount_codes=[])
    assert exc.value.code == "not_draft"


def test_releasing_a_draft_frees_the_unit_and_the_queue_number(
    world, available_unit, buyer, consultant
):
    project = world.projects["binhai"]
    ticket = queue_number_issue(by=consultant, project=project, customer=buyer)
    held = subscription_hold(
        by=consultant, unit=available_unit(), customer=buyer, queue_ticket=ticket
    )
    ticket.refresh_from_db()
    assert ticket.status == QueueStatus.USED
    subscription_release(by=consultant, subscription=held, reason="客户改主意")
    held.refresh_from_db()
    held.unit.refresh_from_db()
    ticket.refresh_from_db()
    assert held.status == SubscriptionStatus.CANCELLED
    assert held.unit.status == UnitStatus.AVAILABLE and ticket.status == QueueStatus.WAITING


def test_releasing_a_pending_subscription_withdraws_its_approval(held, consultant):
    _discount(held.project, code="big", value="0.05")
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["big"])
    request = subscription_confirm(by=consultant, subscription=held)
    subscription_release(by=consultant, subscription=held, reason="放弃")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.WITHDRAWN
    assert not ApprovalRequest.objects.filter(
        status=ApprovalStatus.PENDING, target_id=held.pk, kind=PRICE_APPROVAL_KIND
    ).exists()


def test_a_ticket_of_another_customer_cannot_choose(
    world, available_unit, buyer, make_customer, consultant
):
    other = make_customer(name="李娜")
    ticket = queue_number_issue(by=consultant, project=world.projects["binhai"], customer=other)
    with pytest.raises(ApplicationError) as exc:
        subscription_hold(by=consultant, unit=available_unit(), customer=buyer, queue_ticket=ticket)
    assert exc.value.field == "queue_ticket_id"
    assert not Subscription.objects.filter(customer=buyer).exists()


def test_a_stranger_cannot_be_the_buyer(world, available_unit, make_customer, consultant):
    stranger = make_customer(name="别人的", by="consultant2", project="yunjing")
    with pytest.raises(NotFound):
        subscription_hold(by=consultant, unit=available_unit(), customer=stranger)


def _member_in(customer, tier_code):
    """Make ``customer`` a member of ``tier_code`` (蓝卡 blue, 银卡 silver, 金卡 gold)."""
    from anju.membership.models import Membership, Tier
    from anju.membership.services import ensure_club, membership_join

    holding = customer.company.holding
    ensure_club(holding)
    if not Membership.objects.filter(customer=customer).exists():
        membership_join(by=customer.owner, customer=customer)
    Membership.objects.filter(customer=customer).update(
        tier=Tier.objects.get(holding=holding, code=tier_code)
    )


def _member_line(subscription):
    return subscription.price_lines.get(step="member")


def test_joint_buyers_get_the_highest_tier_among_them(held, consultant, make_customer):
    """SUB-2: 银卡 + 蓝卡 buying together → the 银卡 discount."""
    from anju.customers.services import relation_add

    _member_in(held.customer, "blue")
    partner = make_customer(name="李娜")
    _member_in(partner, "silver")
    relation_add(by=consultant, customer=held.customer, related=partner, kind="co_buyer")
    subscription_set_terms(by=consultant, subscription=held, co_buyers=[partner])
    held.refresh_from_db()
    assert held.tier_code == "silver" and held.tier_source == "buyer"
    assert _member_line(held).amount < 0


def test_a_non_member_gets_no_member_discount_but_sales_discounts(held, consultant):
    _discount(held.project, value="0.005")
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["one_off"])
    assert _member_line(held).amount == 0
    assert held.price_lines.filter(step="sales").get().amount < 0


def test_a_relatives_gold_tier_needs_proof_and_approval(held, consultant, make_customer, world):
    """SUB-2: a direct relative who does not buy lends his 金卡 only with proof and an
    approval: until approved the buyer's own tier applies."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anju.customers.services import relation_add

    father = make_customer(name="王建国")
    _member_in(father, "gold")
    relation_add(by=consultant, customer=held.customer, related=father, kind="parent")
    proof = SimpleUploadedFile("hukou.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    with pytest.raises(ApplicationError) as exc:
        subscription_set_terms(by=consultant, subscription=held, relative=father)
    assert exc.value.code == "proof_required"
    subscription_set_terms(by=consultant, subscription=held, relative=father, relative_proof=proof)
    held.refresh_from_db()
    assert held.tier_source != "relative" and "relative_tier" in held.approval_reasons
    assert _member_line(held).amount == 0  # not applied before the approval
    request = subscription_confirm(by=consultant, subscription=held)
    approval_decide(by=world.users["manager"], request=request, approve=True, comment="户口本已核")
    held.refresh_from_db()
    assert held.status == SubscriptionStatus.SUBSCRIBED
    assert held.tier_code == "gold" and held.tier_source == "relative"
    gold = held.list_price * Decimal("0.02")  # the default 金卡 rate, on the list price here
    assert _member_line(held).amount == -gold.quantize(Decimal("0.01"))
    assert held.final_price == held.list_price + _member_line(held).amount


def test_a_friend_is_no_direct_relative(held, consultant, make_customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anju.customers.services import relation_add

    friend = make_customer(name="赵六")
    relation_add(by=consultant, customer=held.customer, related=friend, kind="friend")
    proof = SimpleUploadedFile("x.pdf", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(ApplicationError) as exc:
        subscription_set_terms(
            by=consultant, subscription=held, relative=friend, relative_proof=proof
        )
    assert exc.value.code == "not_direct_relative"
