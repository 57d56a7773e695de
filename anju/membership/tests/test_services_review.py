"""The club's services after the review of issue 11 (MEM-1 … MEM-3): out-of-date tier
approvals, gift stock as a delta, gift returns, offsets under a used reference, the nightly
expiry's settlement, refusals for merged and erased customers."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import Event
from anju.membership import selectors, services
from anju.membership.models import Gift, PointsAccount, PointsEntry, PointsReason, Tier
from anju.membership.services import points as points_module

from .conftest import local

pytestmark = pytest.mark.django_db


def _tier(customer, code):
    return Tier.objects.get(holding=customer.company.holding, code=code)


def _ask(world, customer, code="gold", reason="热心会员"):
    return services.tier_change_request(
        by=world.users["service"], customer=customer, tier=_tier(customer, code), reason=reason
    )


# --- item 2: an approval applies only what was asked --------------------------------------------


def test_approving_a_request_for_a_tier_the_member_left_is_refused(member, world, staff):
    from anju.approvals.models import ApprovalRequest
    from anju.approvals.services import approval_decide

    customer = member()
    request = _ask(world, customer, "silver")  # asked while he is 蓝卡
    services.tier_apply_rule(by=staff, customer=customer, trigger="second_purchase", reference="c")
    assert selectors.tier_of(customer).code == "gold"  # a rule moved him meanwhile
    with pytest.raises(Conflict) as stale:
        approval_decide(by=world.users["servicemgr"], request=request, approve=True)
    assert stale.value.code == "tier_changed_since_request"
    assert selectors.tier_of(customer).code == "gold"  # not lowered to what was asked
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.PENDING  # the decision rolled back


def test_approving_for_a_merged_or_erased_customer_is_refused(member, world):
    from anju.approvals.services import approval_decide
    from anju.customers.models import Customer

    merged, erased = member(name="合并丙"), member(name="删除丁")
    requests = {c.pk: _ask(world, c) for c in (merged, erased)}
    survivor = member(name="合并戊")
    Customer.objects.filter(pk=merged.pk).update(merged_into=survivor)
    Customer.objects.filter(pk=erased.pk).update(anonymised_at=local(2026, 1, 1))
    for customer, code in ((merged, "merged"), (erased, "anonymised")):
        with pytest.raises(Conflict) as refused:
            approval_decide(
                by=world.users["servicemgr"], request=requests[customer.pk], approve=True
            )
        assert refused.value.code == code
        assert selectors.tier_of(customer).code == "blue"


def test_the_queue_line_comes_from_the_payload_masked(member, world, credit):
    from anju.approvals.registry import approval_kind

    customer = member(name="欧阳明月")
    credit(customer, 1200)
    request = _ask(world, customer, "gold", reason="老业主")
    kind = approval_kind(services.APPROVAL_KIND)
    with CaptureQueriesContext(connection) as ctx:
        line = kind.describe(request)
        url = kind.target_url(request)
    assert len(ctx.captured_queries) == 0  # read from the payload, no query per row
    assert "欧**月" in line and "欧阳明月" not in line
    assert "蓝卡" in line and "金卡" in line and "1200" in line and "老业主" in line
    assert url == f"/club/customers/{customer.pk}/"


# --- item 22: no tier request for a merged or erased record ----------------------------------


def test_a_tier_request_for_a_merged_or_erased_customer_is_refused(member, world):
    from anju.approvals.models import ApprovalRequest
    from anju.customers.models import Customer

    merged, erased = member(name="合并己"), member(name="删除庚")
    Customer.objects.filter(pk=merged.pk).update(merged_into=member(name="合并辛"))
    Customer.objects.filter(pk=erased.pk).update(anonymised_at=local(2026, 1, 1))
    for customer, code in ((merged, "merged"), (erased, "anonymised")):
        customer.refresh_from_db()
        with pytest.raises(Conflict) as refused:
            _ask(world, customer)
        assert refused.value.code == code
    assert not ApprovalRequest.objects.unscoped("t").filter(
        kind=services.APPROVAL_KIND, target_id__in=[merged.membership.pk, erased.membership.pk]
    )


# --- item 4: a restock is a delta -------------------------------------------------------------


def test_editing_a_gift_does_not_undo_redemptions_made_meanwhile(member, credit, staff):
    customer = member()
    credit(customer, 1000)
    gift = services.gift_create(
        by=staff, company=customer.company, name="保温杯", points_cost=100, stock=10
    )
    seen_by_the_form = Gift.objects.unscoped("t").get(pk=gift.pk)  # the page loaded: 10
    services.points_redeem_gift(by=staff, customer=customer, gift=gift, quantity=2)
    services.gift_update(by=staff, gift=seen_by_the_form, name="保温杯(大)", points_cost=120)
    gift.refresh_from_db()
    assert (gift.stock, gift.name, gift.points_cost) == (8, "保温杯(大)", 120)  # not back to 10
    services.gift_update(by=staff, gift=seen_by_the_form, restock=5)
    gift.refresh_from_db()
    assert gift.stock == 13
    with pytest.raises(ApplicationError) as too_many:
        services.gift_update(by=staff, gift=gift, restock=-14)
    assert too_many.value.field == "restock"
    with pytest.raises(ApplicationError):
        services.gift_update(by=staff, gift=gift, stock=100)  # no absolute stock any more
    gift.refresh_from_db()
    assert gift.stock == 13


# --- item 5: a redemption is returned, not reversed ---------------------------------------------


def test_redemptions_and_offsets_are_not_reversed_by_the_ledger(member, credit, world, staff):
    customer = member()
    credit(customer, 1000)
    gift = services.gift_create(
        by=staff, company=customer.company, name="雨伞", points_cost=100, stock=3
    )
    redemption = services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    offset = services.points_redeem_offset(
        by=staff, customer=customer, points=200, reference="sub:9"
    )
    for entry in (redemption.entry, offset):
        with pytest.raises(Conflict) as refused:
            services.points_reverse(by=world.users["servicemgr"], entry=entry, reason="错了")
        assert refused.value.code == "not_reversible"
    gift.refresh_from_db()
    assert gift.stock == 2 and selectors.points_balance(customer) == 700


def test_returning_a_gift_restores_stock_and_points_with_their_expiry(member, credit, staff):
    customer = member()
    with services.recorded_at(local(2025, 3, 1)):
        old = credit(customer, 150)  # expires after 2027-12-31
    new = credit(customer, 500)  # expires after 2028-12-31
    gift = services.gift_create(
        by=staff, company=customer.company, name="台灯", points_cost=100, stock=5
    )
    redemption = services.points_redeem_gift(by=staff, customer=customer, gift=gift, quantity=2)
    services.redemption_return(by=staff, redemption=redemption, reason="不喜欢")
    gift.refresh_from_db()
    redemption.refresh_from_db()
    assert gift.stock == 5 and redemption.returned_at is not None
    assert redemption.returned_by == staff and redemption.return_reason == "不喜欢"
    assert selectors.points_balance(customer) == 650 == selectors.cached_balance(customer)
    back = PointsEntry.objects.unscoped("t").filter(
        customer=customer, reason=PointsReason.GIFT_RETURN
    )
    # 150 came from the old credit, 50 from the new one: each back with its own date
    assert sorted((e.points, e.expires_on) for e in back) == [
        (50, new.expires_on),
        (150, old.expires_on),
    ]
    assert Event.objects.filter(verb="membership.gift_returned", target_id=redemption.pk).exists()
    with pytest.raises(Conflict) as twice:
        services.redemption_return(by=staff, redemption=redemption, reason="again")
    assert twice.value.code == "already_returned"
    gift.refresh_from_db()
    assert gift.stock == 5 and selectors.points_balance(customer) == 650


def test_only_a_club_manager_takes_a_gift_back(member, credit, staff, world):
    from anju.core.errors import NotPermitted

    customer = member()
    credit(customer, 300)
    gift = services.gift_create(
        by=staff, company=customer.company, name="书签", points_cost=100, stock=1
    )
    redemption = services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    with pytest.raises(NotPermitted):
        services.redemption_return(by=world.users["service"], redemption=redemption, reason="x")
    redemption.refresh_from_db()
    assert redemption.returned_at is None


# --- item 13: a used offset reference ---------------------------------------------------------


def test_an_offset_reference_used_for_other_points_is_refused(member, credit, staff):
    customer = member()
    credit(customer, 1000)
    first = services.points_redeem_offset(
        by=staff, customer=customer, points=300, reference="sub:7"
    )
    assert not getattr(first, "replayed", False)
    again = services.points_redeem_offset(
        by=staff, customer=customer, points=300, reference="sub:7"
    )
    assert again.pk == first.pk and again.replayed
    with pytest.raises(Conflict) as other:
        services.points_redeem_offset(by=staff, customer=customer, points=500, reference="sub:7")
    assert other.value.code == "reference_used" and "300" in str(other.value.message)
    assert selectors.points_balance(customer) == 700


# --- item 12: the nightly expiry settles accounts ----------------------------------------------


def test_the_second_night_touches_no_account(member, credit, monkeypatch):
    customer = member()
    with services.recorded_at(local(2024, 5, 1)):
        credit(customer, 300)  # both expire after 2026-12-31
        second = credit(customer, 200)
    touched = []
    real = points_module.points_expire_account

    def counting(*, account, today):
        touched.append(account.pk)
        return real(account=account, today=today)

    monkeypatch.setattr(points_module, "points_expire_account", counting)
    first_night = date(2027, 1, 1)
    services.points_expire_due(today=first_night)
    assert PointsAccount.objects.unscoped("t").get(customer=customer).pk in touched
    assert selectors.points_balance(customer) == 0
    assert second.expires_on < first_night
    touched.clear()
    services.points_expire_due(today=date(2027, 1, 2))
    assert touched == []  # nothing expired since: no account read again
    services.points_expire_due(today=date(2027, 1, 3))
    assert touched == []


def test_a_fully_used_credit_is_not_rescanned(member, credit, staff, monkeypatch):
    customer = member()
    with services.recorded_at(local(2024, 5, 1)):
        credit(customer, 200)
        services.points_redeem_offset(by=staff, customer=customer, points=200, reference="s:1")
    account = PointsAccount.objects.unscoped("t").get(customer=customer)
    assert account.pk in {a.pk for a in points_module.accounts_due(date(2027, 1, 1))}
    services.points_expire_due(today=date(2027, 1, 1))
    # nothing was left to expire (no EXPIRY row), yet the account is settled
    assert not PointsEntry.objects.unscoped("t").filter(customer=customer, reason="expiry")
    assert account.pk not in {a.pk for a in points_module.accounts_due(date(2027, 6, 1))}


def test_a_credit_written_later_with_an_old_date_is_still_expired(member, credit, staff):
    """A gift return keeps the used credit's date: written after the settlement, it is
    looked at again (and expires if its date has passed)."""
    customer = member()
    with services.recorded_at(local(2024, 5, 1)):
        credit(customer, 300)  # expires after 2026-12-31
    gift = services.gift_create(
        by=staff, company=customer.company, name="旧礼品", points_cost=100, stock=1
    )
    with services.recorded_at(local(2024, 6, 1)):
        redemption = services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    services.points_expire_due(today=date(2027, 1, 1))
    assert selectors.points_balance(customer) == 0
    services.redemption_return(by=staff, redemption=redemption, reason="退货")
    account = PointsAccount.objects.unscoped("t").get(customer=customer)
    assert account.pk in {a.pk for a in points_module.accounts_due(date(2027, 1, 2))}
    services.points_expire_due(today=date(2027, 1, 2))
    assert selectors.points_balance(customer) == 0  # the returned 100 had already expired
