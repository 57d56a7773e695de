"""Sales changes (SUB-5): each kind asked, approved by a second person and applied all at
once — unit statuses, price lines, payments, points and contracts stay consistent; bad
input refused with nothing written."""

from decimal import Decimal

import pytest

from anju.approvals.models import ApprovalStatus
from anju.approvals.services import approval_decide, approval_withdraw
from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.models import Event
from anju.customers.services import relation_add
from anju.deals.models import (
    ChangeKind,
    ChangeStatus,
    CoBuyer,
    DiscountKind,
    Instalment,
    LaunchDay,
    Payment,
    PriceLine,
    QueueStatus,
    SalesChange,
    SalesDiscount,
    SubscriptionStatus,
)
from anju.deals.services import (
    launch_close,
    launch_open,
    paid_total,
    payment_record,
    queue_number_issue,
    subscription_hold,
    subscription_set_terms,
)
from anju.deals.services.changes import sales_change_request, sales_change_withdraw
from anju.inventory.models import Unit, UnitStatus

from .changes_helpers import (
    approval_of,
    approve,
    is_pending,
    nothing_asked,
    reject,
    reload,
    sign,
    subscribe,
)


@pytest.fixture
def deal(held, consultant):
    return subscribe(held, consultant)


@pytest.fixture
def manager(world):
    return world.users["manager"]


def _request(consultant, deal, kind, reason="客户申请", **details):
    return sales_change_request(
        by=consultant, subscription=deal, kind=kind, reason=reason, **details
    )


def _lines(subscription):
    return list(
        PriceLine.objects.filter(subscription=subscription)
        .order_by("position")
        .values_list("step", "code", "amount", "running_total")
    )


# --- change unit -----------------------------------------------------------------------------


def test_a_unit_change_waits_for_approval_then_moves_the_deal(consultant, available_unit, world):
    project = world.projects["binhai"]
    SalesDiscount.objects.create(
        company=project.company,
        project=project,
        code="t_one_off",
        name="一次性付款",
        kind=DiscountKind.RATE,
        value=Decimal("0.0050"),
    )
    deal = _fresh_deal_with_discount(consultant, available_unit, skip=0)
    old_unit = deal.unit
    old_lines = _lines(deal)
    target = available_unit()
    change = _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=target)
    assert change.status == ChangeStatus.PENDING
    assert is_pending(change) and reload(target).status == UnitStatus.AVAILABLE
    expected = target.list_price - (target.list_price * Decimal("0.005")).quantize(Decimal("0.01"))
    assert Decimal(change.payload["new_final_price"]) == expected
    assert reload(deal).unit_id == old_unit.pk  # nothing applied before the approval

    approve(world, change)
    deal, change = reload(deal), reload(change)
    assert change.status == ChangeStatus.APPLIED and change.applied_at
    assert deal.unit_id == target.pk and deal.final_price == expected
    assert deal.list_price == target.list_price
    assert reload(target).status == UnitStatus.SUBSCRIBED
    assert reload(old_unit).status == UnitStatus.AVAILABLE
    lines = _lines(deal)
    assert [step for step, *_ in lines] == ["list", "sales", "member", "final"]
    assert lines[0][2] == target.list_price and lines[-1][3] == expected
    assert sum(line[2] for line in lines[:-1]) == expected
    # the old lines are kept with the change, for the audit
    assert [(row["step"], Decimal(row["amount"])) for row in change.payload["old_lines"]] == [
        (step, amount) for step, _code, amount, _total in old_lines
    ]


def _fresh_deal_with_discount(consultant, available_unit, skip):
    from anju.customers.models import Customer

    buyer = Customer.objects.filter(owner=consultant, merged_into__isnull=True).first()
    held = subscription_hold(by=consultant, unit=available_unit(skip=skip), customer=buyer)
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["t_one_off"])
    return subscribe(held, consultant)


def test_a_signed_deal_changes_unit_into_a_signed_unit_and_its_contract_follows(
    deal, consultant, available_unit, world, manager
):
    contract = sign(deal)
    payment_record(by=manager, subscription=deal, amount="100000", method="transfer")
    target = available_unit(skip=1)
    change = _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=target)
    approve(world, change)
    deal = reload(deal)
    assert deal.status == SubscriptionStatus.SIGNED
    assert reload(target).status == UnitStatus.SIGNED  # 可售 → 认购 → 签约
    assert reload(change).payload["from_unit_id"] != target.pk
    contract.refresh_from_db()
    assert contract.total == deal.final_price == target.list_price
    instalments = list(Instalment.objects.filter(contract=contract).order_by("position"))
    assert sum(i.amount for i in instalments) == contract.total
    assert sum(i.paid for i in instalments) == Decimal("100000")
    assert contract.down_payment == instalments[0].amount


def test_a_unit_that_is_not_available_is_refused_and_nothing_is_asked(
    deal, consultant, available_unit, make_customer
):
    other = subscription_hold(
        by=consultant, unit=available_unit(skip=1), customer=make_customer(name="李娜")
    )
    with pytest.raises(Conflict) as exc:
        _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=other.unit)
    assert exc.value.code == "unit_taken"
    nothing_asked(deal)


def test_a_unit_of_another_project_or_the_same_unit_is_refused(deal, consultant, available_unit):
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=available_unit("yunjing"))
    assert exc.value.field == "unit_id" and exc.value.code == "other_project"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=deal.unit)
    assert exc.value.code == "same_unit"
    nothing_asked(deal)


def test_a_unit_taken_before_the_approval_refuses_the_approval_and_changes_nothing(
    deal, consultant, available_unit, make_customer, world
):
    target = available_unit(skip=1)
    change = _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=target)
    subscription_hold(by=consultant, unit=target, customer=make_customer(name="赵强"))
    with pytest.raises(Conflict) as exc:
        approve(world, change)
    assert exc.value.code == "unit_taken"
    assert is_pending(change) and reload(change).status == ChangeStatus.PENDING
    assert reload(deal).unit_id == deal.unit_id
    assert reload(deal.unit).status == UnitStatus.SUBSCRIBED


def test_a_unit_on_sale_at_a_running_launch_is_no_change_target(
    deal, consultant, available_unit, world
):
    """QUE-1: a sales change would move the deal past the queue onto a launch's unit —
    refused when asked (409 ``on_launch``), and when approved if the launch opened since."""
    project = world.projects["binhai"]
    LaunchDay.objects.filter(project=project).delete()
    target = available_unit(skip=1)
    launch = launch_open(by=consultant, project=project, buildings=[target.building])
    with pytest.raises(Conflict) as exc:
        _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=target)
    assert exc.value.code == "on_launch" and exc.value.field == "unit_id"
    nothing_asked(deal)
    launch_close(by=consultant, launch=launch)
    change = _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=target)
    launch_open(by=consultant, project=project, buildings=[target.building])
    with pytest.raises(Conflict) as exc:
        approve(world, change)
    assert exc.value.code == "on_launch" and is_pending(change)
    assert reload(deal).unit_id == deal.unit_id
    assert reload(target).status == UnitStatus.AVAILABLE


def test_a_list_price_changed_since_the_request_refuses_the_approval(
    deal, consultant, available_unit, world
):
    target = available_unit(skip=1)
    change = _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=target)
    Unit.objects.filter(pk=target.pk).update(list_price=target.list_price + 1)
    with pytest.raises(Conflict) as exc:
        approve(world, change)
    assert exc.value.code == "list_price_changed"
    assert reload(deal).unit_id == deal.unit_id


def test_a_promotion_not_offered_for_the_new_building_is_refused(consultant, available_unit, world):
    project = world.projects["binhai"]
    first = available_unit()
    other = (
        Unit.objects.filter(project=project, status=UnitStatus.AVAILABLE)
        .exclude(building=first.building)
        .first()
    )
    if other is None:
        pytest.skip("the demo project has one building")
    promo = SalesDiscount.objects.create(
        company=project.company,
        project=project,
        code="bld",
        name="楼栋特惠",
        kind=DiscountKind.AMOUNT,
        value=Decimal("1000"),
    )
    promo.buildings.add(first.building)
    from anju.customers.models import Customer

    buyer = Customer.objects.filter(owner=consultant, merged_into__isnull=True).first()
    held = subscription_hold(by=consultant, unit=first, customer=buyer)
    subscription_set_terms(by=consultant, subscription=held, discount_codes=["bld"])
    deal = subscribe(held, consultant)
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CHANGE_UNIT, unit=other)
    assert exc.value.code == "discount_not_applicable"
    nothing_asked(deal)


# --- rename, co-buyers -----------------------------------------------------------------------


def test_renaming_to_a_co_buyer_makes_him_the_buyer(held, consultant, make_customer, world):
    spouse = make_customer(name="张敏")
    relation_add(by=consultant, customer=held.customer, related=spouse, kind="spouse")
    subscription_set_terms(by=consultant, subscription=held, co_buyers=[spouse])
    deal = subscribe(held, consultant)
    old = deal.customer
    change = _request(consultant, deal, ChangeKind.RENAME, customer=spouse, keep_old_buyer=True)
    assert change.payload["was_co_buyer"] is True
    approve(world, change)
    deal = reload(deal)
    assert deal.customer_id == spouse.pk
    assert list(
        CoBuyer.objects.filter(subscription=deal).values_list("customer_id", flat=True)
    ) == [old.pk]
    # on both people's timelines
    assert Event.objects.filter(verb="deals.change_applied", subject_id=old.pk).exists()
    assert Event.objects.filter(verb="deals.buyer_changed", subject_id=spouse.pk).exists()


def test_renaming_to_an_unrelated_customer_or_to_the_buyer_is_refused(
    deal, consultant, make_customer
):
    stranger = make_customer(name="陌生人")
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.RENAME, customer=stranger)
    assert exc.value.code == "not_related" and exc.value.field == "customer_id"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.RENAME, customer=deal.customer)
    assert exc.value.code == "same_buyer"
    nothing_asked(deal)


def test_renaming_to_someone_the_user_does_not_see_is_not_found(deal, consultant, make_customer):
    elsewhere = make_customer(name="别人的", by="consultant2", project="yunjing")
    with pytest.raises(NotFound):
        _request(consultant, deal, ChangeKind.RENAME, customer=elsewhere)
    nothing_asked(deal)


def test_adding_and_removing_a_co_buyer(deal, consultant, make_customer, world):
    son = make_customer(name="王小明")
    relation_add(by=consultant, customer=deal.customer, related=son, kind="child")
    approve(world, _request(consultant, deal, ChangeKind.ADD_CO_BUYER, customer=son))
    assert CoBuyer.objects.filter(subscription=deal, customer=son).exists()
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.ADD_CO_BUYER, customer=son)
    assert exc.value.code == "already_co_buyer"
    approve(world, _request(consultant, deal, ChangeKind.REMOVE_CO_BUYER, customer=son))
    assert not CoBuyer.objects.filter(subscription=deal).exists()


def test_the_main_buyer_cannot_be_added_as_a_co_buyer(deal, consultant, make_customer):
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.ADD_CO_BUYER, customer=deal.customer)
    assert exc.value.code == "co_buyer_is_buyer" and exc.value.field == "customer_id"
    stranger = make_customer(name="陌生人")
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.ADD_CO_BUYER, customer=stranger)
    assert exc.value.code == "not_related"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.REMOVE_CO_BUYER, customer=stranger)
    assert exc.value.code == "not_co_buyer"
    nothing_asked(deal)


# --- price adjustment ------------------------------------------------------------------------


def test_a_price_adjustment_adds_a_line_and_keeps_the_old_ones(deal, consultant, world):
    new_price = deal.final_price - Decimal("12345.67")
    change = _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price=str(new_price))
    approve(world, change)
    deal = reload(deal)
    assert deal.final_price == new_price
    lines = _lines(deal)
    assert [step for step, *_ in lines][-2:] == ["adjust", "final"]
    assert lines[-2][2] == Decimal("-12345.67") and lines[-1][3] == new_price
    assert sum(line[2] for line in lines[:-1]) == new_price
    assert reload(change).payload["old_lines"][-1]["running_total"] == str(
        new_price + Decimal("12345.67")
    )


def test_a_price_below_what_was_paid_or_the_same_price_is_refused(deal, consultant, manager):
    payment_record(by=manager, subscription=deal, amount="200000", method="transfer")
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="199999.99")
    assert exc.value.code == "below_paid" and exc.value.field == "final_price"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price=deal.final_price)
    assert exc.value.code == "same_price"
    for bad in ("abc", "-1", "0"):
        with pytest.raises(ApplicationError) as exc:
            _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price=bad)
        assert exc.value.field == "final_price"
    nothing_asked(deal)


def test_a_payment_recorded_after_the_request_can_refuse_the_approval(
    deal, consultant, manager, world
):
    change = _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="100000")
    payment_record(by=manager, subscription=deal, amount="150000", method="transfer")
    with pytest.raises(ApplicationError) as exc:
        approve(world, change)
    assert exc.value.code == "below_paid"
    assert reload(deal).final_price == deal.final_price and is_pending(change)


# --- cancellation ----------------------------------------------------------------------------


@pytest.fixture
def points_deal(world, available_unit, make_customer, consultant):
    """A member's deal with a queue number and 1,000 points used as an offset."""
    from anju.membership.selectors import points_balance
    from anju.membership.services import membership_join, points_credit

    group = world.users["group"]
    customer = make_customer(name="积分客户")
    membership_join(by=group, customer=customer)
    points_credit(by=group, customer=customer, points=3000, reason="purchase", reference="t:1")
    ticket = queue_number_issue(by=consultant, project=world.projects["binhai"], customer=customer)
    held = subscription_hold(
        by=consultant, unit=available_unit(), customer=customer, queue_ticket=ticket
    )
    subscription_set_terms(by=consultant, subscription=held, points=1000)
    deal = subscribe(held, consultant)
    assert points_balance(customer) == 2000 and deal.points_used == 1000
    return deal


def test_a_cancellation_frees_the_unit_with_points_and_payments_consistent(
    points_deal, consultant, manager, world
):
    from anju.membership.models import PointsEntry, PointsReason
    from anju.membership.selectors import points_balance

    deal = points_deal
    customer = deal.customer
    payment_record(by=manager, subscription=deal, amount="50000", method="transfer")
    change = _request(
        consultant,
        deal,
        ChangeKind.CANCELLATION,
        reason="客户资金问题\n详见附件",
        refund_amount="45000",
        refund_method="transfer",
        refund_receipt_no="TK-001",
    )
    assert reload(deal).status == SubscriptionStatus.SUBSCRIBED  # nothing before approval
    approve(world, change)
    deal, change = reload(deal), reload(change)
    assert deal.status == SubscriptionStatus.CANCELLED and deal.cancelled_at
    assert deal.cancel_reason.endswith("客户资金问题")
    assert reload(deal.unit).status == UnitStatus.AVAILABLE
    refund = Payment.objects.get(subscription=deal, amount__lt=0)
    assert refund.amount == Decimal("-45000") and refund.receipt_no == "TK-001"
    assert paid_total(deal) == Decimal("5000") and change.payload["kept"] == "5000.00"
    # the points offset is back, once, with its expiry date
    assert points_balance(customer) == 3000
    back = PointsEntry.objects.unscoped("t").filter(
        customer=customer, reason=PointsReason.OFFSET_RETURN
    )
    assert sum(e.points for e in back) == 1000 and change.payload["points_returned"] == 1000
    # the queue number is not reopened: a deal cancelled after subscription is final
    assert reload(deal.queue_ticket).status == QueueStatus.USED
    verbs = set(Event.objects.filter(subject_id=customer.pk).values_list("verb", flat=True))
    assert {"deals.change_requested", "deals.change_applied", "deals.refund_recorded"} <= verbs


def test_cancelling_a_signed_deal_cancels_its_contract(deal, consultant, world):
    contract = sign(deal)
    change = _request(consultant, deal, ChangeKind.CANCELLATION, refund_amount="0")
    approve(world, change)
    contract.refresh_from_db()
    assert contract.cancelled_at is not None
    assert reload(deal.unit).status == UnitStatus.AVAILABLE
    assert not Payment.objects.filter(subscription=deal).exists()


def test_a_refund_beyond_what_was_paid_is_refused_and_nothing_is_written(deal, consultant, manager):
    payment_record(by=manager, subscription=deal, amount="1000", method="cash")
    with pytest.raises(ApplicationError) as exc:
        _request(
            consultant,
            deal,
            ChangeKind.CANCELLATION,
            refund_amount="1000.01",
            refund_method="cash",
        )
    assert exc.value.code == "refund_too_large" and exc.value.field == "refund_amount"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CANCELLATION, refund_amount="500")
    assert exc.value.field == "refund_method"
    nothing_asked(deal)


def test_a_refund_made_meanwhile_refuses_the_approval_and_nothing_is_half_written(
    deal, consultant, manager, world
):
    payment_record(by=manager, subscription=deal, amount="1000", method="cash")
    change = _request(
        consultant, deal, ChangeKind.CANCELLATION, refund_amount="1000", refund_method="cash"
    )
    payment_record(by=manager, subscription=deal, amount="-600", method="cash", reason="多收")
    events = Event.objects.count()
    with pytest.raises(Conflict) as exc:
        approve(world, change)
    assert exc.value.code == "refund_too_large"
    deal = reload(deal)
    assert deal.status == SubscriptionStatus.SUBSCRIBED and paid_total(deal) == Decimal("400")
    assert reload(deal.unit).status == UnitStatus.SUBSCRIBED
    assert Event.objects.count() == events and is_pending(change)


# --- the rules of asking and deciding --------------------------------------------------------


def test_nobody_approves_his_own_request(deal, consultant, world, manager):
    change = sales_change_request(
        by=manager,
        subscription=deal,
        kind=ChangeKind.PRICE_ADJUSTMENT,
        reason="经理调价",
        final_price="1000000",
    )
    with pytest.raises(NotPermitted) as exc:
        approval_decide(by=manager, request=approval_of(change), approve=True)
    assert exc.value.code == "four_eyes"
    with pytest.raises(NotPermitted):  # a consultant may not approve at all
        approval_decide(by=consultant, request=approval_of(change), approve=True)
    assert reload(deal).final_price == deal.final_price and is_pending(change)


def test_one_pending_change_per_subscription(deal, consultant):
    _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="1000000")
    with pytest.raises(Conflict) as exc:
        _request(consultant, deal, ChangeKind.CANCELLATION, refund_amount="0")
    assert exc.value.code == "change_pending"
    assert SalesChange.objects.filter(subscription=deal).count() == 1


def test_only_a_subscribed_or_signed_deal_changes(held, consultant):
    with pytest.raises(Conflict) as exc:
        _request(consultant, held, ChangeKind.CANCELLATION, refund_amount="0")
    assert exc.value.code == "not_changeable"
    nothing_asked(held)


def test_bad_kinds_and_details_are_refused(deal, consultant, available_unit):
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, "swap_everything")
    assert exc.value.field == "kind"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CANCELLATION)
    assert exc.value.field == "refund_amount" and exc.value.code == "required"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CANCELLATION, refund_amount="0", unit=deal.unit)
    assert exc.value.field == "unit_id" and exc.value.code == "unknown_field"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CANCELLATION, reason="  ", refund_amount="0")
    assert exc.value.field == "reason"
    with pytest.raises(ApplicationError) as exc:
        _request(consultant, deal, ChangeKind.CANCELLATION, reason="a\x00b", refund_amount="0")
    assert exc.value.field == "reason"
    nothing_asked(deal)


def test_a_stranger_cannot_ask(deal, world):
    with pytest.raises(NotPermitted):  # no SELL_UNITS in 滨海花园
        _request(world.users["consultant2"], deal, ChangeKind.CANCELLATION, refund_amount="0")
    with pytest.raises(NotPermitted):
        _request(world.users["service"], deal, ChangeKind.CANCELLATION, refund_amount="0")
    nothing_asked(deal)


def test_a_rejected_change_is_marked_and_the_next_may_be_asked(deal, consultant, world):
    change = _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="1000000")
    reject(world, change, comment="价格太低")
    change = reload(change)
    assert change.status == ChangeStatus.REJECTED
    assert reload(deal).final_price == deal.final_price
    assert Event.objects.filter(
        verb="deals.change_rejected", target_id=change.pk, subject_id=deal.customer_id
    ).exists()
    _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="1100000")


def test_a_withdrawn_change_is_marked(deal, consultant, world):
    change = _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="1000000")
    sales_change_withdraw(by=consultant, change=change)
    assert reload(change).status == ChangeStatus.WITHDRAWN
    assert approval_of(change).status == ApprovalStatus.WITHDRAWN
    with pytest.raises(Conflict):
        sales_change_withdraw(by=consultant, change=change)
    other = _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="1000000")
    with pytest.raises(NotPermitted):  # only the requester withdraws
        approval_withdraw(by=world.users["manager"], request=approval_of(other))


def test_the_approval_queue_describes_and_links_the_change(deal, consultant, world):
    from anju.approvals.display import decorate

    change = _request(consultant, deal, ChangeKind.PRICE_ADJUSTMENT, final_price="1000000")
    request = approval_of(change)
    decorate([request])
    assert "1,000,000" in request.description
    assert request.target_link == f"/deals/changes/{change.pk}/"
