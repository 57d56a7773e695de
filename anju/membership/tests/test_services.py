"""Club services (MEM-1 … MEM-3): joining, tier rules and approved changes, the ledger."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.models import Event
from anju.customers.models import CustomerStatus, RelationKind
from anju.membership import selectors, services
from anju.membership.models import (
    ImmutableRowError,
    Membership,
    MemberType,
    PointsAccount,
    PointsEntry,
    PointsReason,
    Redemption,
    Tier,
    TierChange,
    TierTrigger,
)

from .conftest import local

pytestmark = pytest.mark.django_db


def _tier(customer, code):
    return Tier.objects.get(holding=customer.company.holding, code=code)


def _sum(customer):
    return sum(
        PointsEntry.objects.unscoped("test")
        .filter(customer=customer)
        .values_list("points", flat=True)
    )


def _set_status(customer, status):
    from anju.customers.services import customer_set_status

    customer_set_status(by=None, customer=customer, status=status)
    customer.refresh_from_db()


# --- joining (MEM-1) ---------------------------------------------------------------------


def test_joining_starts_in_the_entry_tier_with_history_and_event(make_customer, staff):
    customer = make_customer()
    membership = services.membership_join(by=staff, customer=customer)
    assert membership.tier.code == "blue" and membership.tier.name == "蓝卡"
    change = TierChange.objects.unscoped("test").get(membership=membership)
    assert change.kind == TierChange.ChangeKind.JOINED and change.changed_by == staff
    assert (
        Event.objects.unscoped("test")
        .filter(verb="membership.joined", target_id=membership.pk)
        .exists()
    )
    assert selectors.tier_of(customer).code == "blue"


def test_joining_twice_is_refused_and_writes_nothing(make_customer, staff, world):
    customer = make_customer()
    services.membership_join(by=staff, customer=customer)
    changes = TierChange.objects.unscoped("test").count()
    for who in (staff, world.users["servicemgr"]):
        with pytest.raises(Conflict) as refused:
            services.membership_join(by=who, customer=customer)
        assert refused.value.code == "already_member"
    assert TierChange.objects.unscoped("test").count() == changes
    assert Membership.objects.unscoped("test").filter(customer=customer).count() == 1


def test_joining_needs_the_club_desk_permission(make_customer, world):
    customer = make_customer()
    with pytest.raises(NotPermitted):
        services.membership_join(by=world.users["engineer"], customer=customer)
    assert not Membership.objects.unscoped("test").filter(customer=customer).exists()


def test_an_owner_must_have_signed(make_customer, staff):
    customer = make_customer()
    with pytest.raises(ApplicationError):
        services.membership_join(by=staff, customer=customer, member_type=MemberType.OWNER)
    _set_status(customer, CustomerStatus.SIGNED)
    assert services.membership_join(by=staff, customer=customer, member_type=MemberType.OWNER)


def test_a_family_member_joins_through_a_related_member(make_customer, member, staff):
    from anju.customers.services import relation_add

    owner = member(name="业主甲")
    spouse = make_customer(name="配偶乙")
    with pytest.raises(ApplicationError) as no_relation:
        services.membership_join(
            by=staff, customer=spouse, member_type=MemberType.FAMILY, family_of=owner
        )
    assert no_relation.value.code == "not_family"
    relation_add(by=staff, customer=owner, related=spouse, kind=RelationKind.SPOUSE)
    membership = services.membership_join(
        by=staff, customer=spouse, member_type=MemberType.FAMILY, family_of=owner
    )
    assert membership.family_of == owner


def test_a_family_member_needs_a_relative_who_is_a_member(make_customer, staff):
    from anju.customers.services import relation_add

    relative, customer = make_customer(name="甲"), make_customer(name="乙")
    relation_add(by=staff, customer=relative, related=customer, kind=RelationKind.CHILD)
    with pytest.raises(ApplicationError) as refused:
        services.membership_join(
            by=staff, customer=customer, member_type=MemberType.FAMILY, family_of=relative
        )
    assert refused.value.code == "relative_not_member"


def test_unknown_member_type_is_refused(make_customer, staff):
    with pytest.raises(ApplicationError) as refused:
        services.membership_join(by=staff, customer=make_customer(), member_type="vip")
    assert refused.value.code == "unknown_member_type"


def test_joining_at_a_visit_of_another_customer_is_refused(make_customer, staff, world):
    from anju.reception.models import Visit

    visit = Visit.objects.unscoped("test").first()
    with pytest.raises(Conflict) as refused:
        services.membership_join(by=staff, customer=make_customer(), via_visit=visit)
    assert refused.value.code == "visit_mismatch"


# --- tiers (MEM-3) -------------------------------------------------------------------------


def test_signing_raises_to_silver_and_a_second_purchase_to_gold(member, staff):
    customer = member()
    services.tier_apply_rule(
        by=staff, customer=customer, trigger=TierTrigger.SIGNED, reference="contract:1"
    )
    assert selectors.tier_of(customer).code == "silver"
    services.tier_apply_rule(
        by=staff, customer=customer, trigger=TierTrigger.SECOND_PURCHASE, reference="contract:2"
    )
    assert selectors.tier_of(customer).code == "gold"
    kinds = list(
        TierChange.objects.unscoped("test")
        .filter(customer=customer)
        .order_by("pk")
        .values_list("kind", "to_tier__code")
    )
    assert kinds == [("joined", "blue"), ("rule", "silver"), ("rule", "gold")]
    assert (
        Event.objects.unscoped("test")
        .filter(verb="membership.tier_changed", subject_id=customer.pk)
        .count()
        == 2
    )


def test_a_rule_never_lowers_and_is_idempotent_per_reference(member, staff):
    customer = member()
    services.tier_apply_rule(
        by=staff, customer=customer, trigger=TierTrigger.SECOND_PURCHASE, reference="c:9"
    )
    services.tier_apply_rule(
        by=staff, customer=customer, trigger=TierTrigger.SIGNED, reference="c:10"
    )
    services.tier_apply_rule(
        by=staff, customer=customer, trigger=TierTrigger.SECOND_PURCHASE, reference="c:9"
    )
    assert selectors.tier_of(customer).code == "gold"
    assert TierChange.objects.unscoped("test").filter(customer=customer, kind="rule").count() == 1


def test_a_non_member_is_left_alone_by_rules(make_customer, staff):
    customer = make_customer()
    assert (
        services.tier_apply_rule(by=staff, customer=customer, trigger="signed", reference="c:1")
        is None
    )
    assert selectors.tier_of(customer).code == "none"


def test_unknown_trigger_is_refused(member, staff):
    with pytest.raises(ApplicationError) as refused:
        services.tier_apply_rule(by=staff, customer=member(), trigger="birthday", reference="x")
    assert refused.value.code == "unknown_trigger"


def test_rules_are_configurable_per_group(member, staff):
    customer = member()
    holding = customer.company.holding
    services.tier_rule_set(
        by=staff, holding=holding, trigger="signed", tier=_tier(customer, "gold")
    )
    services.tier_apply_rule(by=staff, customer=customer, trigger="signed", reference="c:1")
    assert selectors.tier_of(customer).code == "gold"
    other = member()
    services.tier_rule_set(
        by=staff, holding=holding, trigger="signed", tier=_tier(customer, "gold"), is_active=False
    )
    assert (
        services.tier_apply_rule(by=staff, customer=other, trigger="signed", reference="c:2")
        is None
    )


def test_group_configuration_needs_a_group_wide_club_manager(member, world):
    customer = member()
    with pytest.raises(NotPermitted):  # 深圳's service manager: one company of the group
        services.tier_rule_set(
            by=world.users["servicemgr"],
            holding=customer.company.holding,
            trigger="signed",
            tier=_tier(customer, "gold"),
        )


def test_tiers_are_renamed_reordered_and_rated(member, staff):
    customer = member()
    holding = customer.company.holding
    tiers = {t.code: t for t in services.ensure_club(holding)}
    services.tiers_configure(
        by=staff,
        holding=holding,
        changes={
            tiers["silver"].pk: {"rank": 3, "discount_rate": Decimal("0.015")},
            tiers["gold"].pk: {"rank": 2, "name": "金卡会员"},
        },
    )
    ordered = [t.code for t in selectors.tiers_of(holding)]
    assert ordered == ["none", "blue", "gold", "silver"]
    assert selectors.tiers_of(holding)[3].discount_rate == Decimal("0.0150")
    with pytest.raises(ApplicationError):  # two tiers of one rank
        services.tiers_configure(by=staff, holding=holding, changes={tiers["blue"].pk: {"rank": 2}})
    with pytest.raises(ApplicationError):
        services.tiers_configure(
            by=staff, holding=holding, changes={tiers["blue"].pk: {"discount_rate": "1.5"}}
        )
    with pytest.raises(NotFound):
        services.tiers_configure(by=staff, holding=holding, changes={10**9: {"rank": 5}})


def test_a_manual_change_needs_an_approval(member, world):
    customer = member()
    agent, manager = world.users["service"], world.users["servicemgr"]
    request = services.tier_change_request(
        by=agent, customer=customer, tier=_tier(customer, "gold"), reason="热心会员"
    )
    assert selectors.tier_of(customer).code == "blue"  # nothing until approved
    assert selectors.pending_tier_request(customer.membership) == request
    with pytest.raises(Conflict) as twice:
        services.tier_change_request(
            by=agent, customer=customer, tier=_tier(customer, "gold"), reason="again"
        )
    assert twice.value.code == "already_requested"
    from anju.approvals.services import approval_decide

    with pytest.raises(NotPermitted):  # the requester may not decide his own request
        approval_decide(by=agent, request=request, approve=True)
    approval_decide(by=manager, request=request, approve=True)
    assert selectors.tier_of(customer).code == "gold"
    change = TierChange.objects.unscoped("test").get(customer=customer, kind="manual")
    assert (change.changed_by, change.approved_by, change.reason) == (agent, manager, "热心会员")


def test_a_rejected_change_changes_nothing(member, world):
    from anju.approvals.services import approval_decide

    customer = member()
    request = services.tier_change_request(
        by=world.users["service"], customer=customer, tier=_tier(customer, "silver"), reason="试试"
    )
    approval_decide(
        by=world.users["servicemgr"], request=request, approve=False, comment="不符合条件"
    )
    assert selectors.tier_of(customer).code == "blue"


def test_tier_change_requests_refuse_bad_input(member, make_customer, world):
    agent = world.users["service"]
    customer = member()
    with pytest.raises(Conflict) as same:
        services.tier_change_request(
            by=agent, customer=customer, tier=_tier(customer, "blue"), reason="x"
        )
    assert same.value.code == "same_tier"
    with pytest.raises(NotFound) as unknown:
        services.tier_change_request(by=agent, customer=customer, tier=10**9, reason="x")
    assert unknown.value.code == "unknown_tier"
    with pytest.raises(ApplicationError) as none:
        services.tier_change_request(
            by=agent, customer=customer, tier=_tier(customer, "none"), reason="x"
        )
    assert none.value.code == "not_a_member_tier"
    with pytest.raises(Conflict) as not_member:
        services.tier_change_request(
            by=agent, customer=make_customer(), tier=_tier(customer, "gold"), reason="x"
        )
    assert not_member.value.code == "not_member"


# --- the ledger (MEM-2) -----------------------------------------------------------------------


def test_ledger_rows_are_immutable(member, credit):
    customer = member()
    entry = credit(customer, 100)
    entry.points = 1_000
    with pytest.raises(ImmutableRowError):
        entry.save()
    with pytest.raises(ImmutableRowError):
        entry.delete()
    rows = PointsEntry.objects.unscoped("test").filter(pk=entry.pk)
    with pytest.raises(ImmutableRowError):
        rows.update(points=5)
    with pytest.raises(ImmutableRowError):
        rows.delete()
    assert PointsEntry.objects.unscoped("test").get(pk=entry.pk).points == 100


def test_a_credit_is_idempotent_per_customer_reason_and_reference(member, credit):
    customer = member()
    first = credit(customer, 300, reference="contract:7")
    again = credit(customer, 300, reference="contract:7")
    assert again.pk == first.pk
    assert selectors.points_balance(customer) == 300
    other = credit(customer, 300, reference="contract:7", reason=PointsReason.REFERRAL_PURCHASE)
    assert other.pk != first.pk and selectors.points_balance(customer) == 600


def test_the_cached_balance_always_equals_the_ledger(member, credit, staff):
    customer = member()
    credit(customer, 1000)
    gift = services.gift_create(
        by=staff, company=customer.company, name="测试伞", points_cost=150, stock=3
    )
    services.points_redeem_gift(by=staff, customer=customer, gift=gift, quantity=2)
    services.points_redeem_offset(by=staff, customer=customer, points=100, reference="sub:1")
    entry = services.points_adjust(by=staff, customer=customer, points=-50, note="纠错")
    services.points_reverse(by=staff, entry=entry, reason="纠错错了")
    assert selectors.points_balance(customer) == _sum(customer) == 1000 - 300 - 100
    assert selectors.cached_balance(customer) == selectors.points_balance(customer)
    for account in PointsAccount.objects.unscoped("test"):
        assert account.balance == _sum(account.customer), account


def test_redeeming_above_the_balance_is_refused_and_writes_nothing(member, credit, staff):
    customer = member()
    credit(customer, 200)
    gift = services.gift_create(
        by=staff, company=customer.company, name="净化器", points_cost=300, stock=2
    )
    entries, redemptions = (
        PointsEntry.objects.unscoped("t").count(),
        Redemption.objects.unscoped("t").count(),
    )
    with pytest.raises(Conflict) as refused:
        services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    assert refused.value.code == "insufficient_points"
    with pytest.raises(Conflict):
        services.points_redeem_offset(by=staff, customer=customer, points=201, reference="sub:2")
    gift.refresh_from_db()
    assert gift.stock == 2 and selectors.points_balance(customer) == 200
    assert PointsEntry.objects.unscoped("t").count() == entries
    assert Redemption.objects.unscoped("t").count() == redemptions


def test_an_out_of_stock_gift_is_refused_and_writes_nothing(member, credit, staff):
    customer = member()
    credit(customer, 1000)
    gift = services.gift_create(
        by=staff, company=customer.company, name="绘本", points_cost=100, stock=1
    )
    with pytest.raises(Conflict) as refused:
        services.points_redeem_gift(by=staff, customer=customer, gift=gift, quantity=2)
    assert refused.value.code == "out_of_stock"
    assert selectors.points_balance(customer) == 1000
    services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    with pytest.raises(Conflict):
        services.points_redeem_gift(by=staff, customer=customer, gift=gift)
    gift.refresh_from_db()
    assert gift.stock == 0 and selectors.points_balance(customer) == 900


def test_a_gift_of_another_company_is_not_found(member, credit, staff, world):
    customer = member()
    credit(customer, 1000)
    gift = services.gift_create(
        by=staff, company=world.companies["zh"], name="珠海礼品", points_cost=10, stock=5
    )
    with pytest.raises(NotFound):
        services.points_redeem_gift(by=staff, customer=customer, gift=gift)


def test_a_price_offset_is_idempotent_and_worth_its_points(member, credit, staff):
    customer = member()
    credit(customer, 1000)
    first = services.points_redeem_offset(
        by=staff, customer=customer, points=250, reference="subscription:12"
    )
    again = services.points_redeem_offset(
        by=staff, customer=customer, points=250, reference="subscription:12"
    )
    assert first.pk == again.pk and selectors.points_balance(customer) == 750
    assert services.points_offset_value(customer, 250) == Decimal("25.00")  # default 10 points/yuan


def test_a_reversal_is_a_new_row_and_happens_once(member, credit, staff):
    customer = member()
    entry = credit(customer, 500)
    reversal = services.points_reverse(by=staff, entry=entry, reason="录错")
    assert reversal.points == -500 and reversal.reverses == entry and reversal.reason == "reversal"
    assert PointsEntry.objects.unscoped("t").get(pk=entry.pk).points == 500  # untouched
    with pytest.raises(Conflict) as twice:
        services.points_reverse(by=staff, entry=entry, reason="again")
    assert twice.value.code == "already_reversed"
    with pytest.raises(Conflict) as not_reversible:
        services.points_reverse(by=staff, entry=reversal, reason="x")
    assert not_reversible.value.code == "not_reversible"


def test_corrections_need_a_club_manager(member, credit, world):
    customer = member()
    entry = credit(customer, 500)
    for who in ("service", "consultant"):
        with pytest.raises(NotPermitted):
            services.points_adjust(by=world.users[who], customer=customer, points=10, note="x")
        with pytest.raises(NotPermitted):
            services.points_reverse(by=world.users[who], entry=entry, reason="x")
    assert selectors.points_balance(customer) == 500


def test_bad_points_are_refused(member, staff):
    customer = member()
    for points in (0, -5, 10**9, "12", True):
        with pytest.raises(ApplicationError):
            services.points_credit(
                by=staff, customer=customer, points=points, reason="purchase", reference="x"
            )
    with pytest.raises(ApplicationError) as reason:
        services.points_credit(
            by=staff, customer=customer, points=5, reason="expiry", reference="x"
        )
    assert reason.value.code == "unknown_reason"
    assert selectors.points_balance(customer) == 0


# --- expiry -------------------------------------------------------------------------------


def test_credits_expire_at_the_end_of_the_second_calendar_year(member, credit):
    customer = member()
    with services.recorded_at(local(2023, 3, 5)):
        entry = credit(customer, 100)
    assert entry.expires_on == date(2025, 12, 31)


def test_expiry_takes_what_is_left_of_old_credits_first_in_first_out(member, credit, staff):
    customer = member()
    with services.recorded_at(local(2022, 5, 1)):
        old = credit(customer, 500)
    with services.recorded_at(local(2023, 2, 1)):
        newer = credit(customer, 300)
    with services.recorded_at(local(2023, 6, 1)):  # spends the oldest points first
        services.points_redeem_offset(by=staff, customer=customer, points=600, reference="s:1")
    assert services.points_expire_due(today=date(2025, 1, 1)) >= 0
    rows = PointsEntry.objects.unscoped("t").filter(customer=customer, reason="expiry")
    assert list(rows.values_list("against_id", "points")) == []  # old one fully spent
    services.points_expire_due(today=date(2026, 1, 1))
    assert list(rows.values_list("against_id", "points")) == [(newer.pk, -200)]
    assert old.pk not in rows.values_list("against_id", flat=True)
    services.points_expire_due(today=date(2026, 1, 2))  # running again writes nothing
    assert rows.count() == 1 and selectors.points_balance(customer) == 0


def test_no_expiry_when_the_group_switches_it_off(member, credit, staff):
    customer = member()
    services.club_settings_update(by=staff, holding=customer.company.holding, points_expire=False)
    with services.recorded_at(local(2020, 1, 1)):
        entry = credit(customer, 100)
    assert entry.expires_on is None
    services.points_expire_due(today=date(2030, 1, 1))
    assert selectors.points_balance(customer) == 100


# --- merge: the higher tier, the points by paired rows -----------------------------------------


def test_merging_keeps_the_higher_tier_and_moves_points_by_paired_rows(
    member, credit, staff, world
):
    from anju.customers.services import customer_merge

    survivor, duplicate = member(name="合并甲"), member(name="合并乙")
    services.tier_apply_rule(
        by=staff, customer=duplicate, trigger="second_purchase", reference="c:1"
    )
    credit(survivor, 100)
    with services.recorded_at(local(2025, 3, 1)):
        moved = credit(duplicate, 400)
    dup_rows = list(
        PointsEntry.objects.unscoped("t").filter(customer=duplicate).values_list("pk", "points")
    )
    customer_merge(by=world.users["manager"], keep=survivor, duplicate=duplicate, reason="同一人")
    assert selectors.tier_of(survivor).code == "gold"
    assert selectors.points_balance(survivor) == 500 and selectors.points_balance(duplicate) == 0
    incoming = PointsEntry.objects.unscoped("t").get(customer=survivor, reason="merge_transfer")
    assert incoming.points == 400 and incoming.expires_on == moved.expires_on  # expiry kept
    kept = PointsEntry.objects.unscoped("t").filter(pk__in=[pk for pk, _p in dup_rows])
    assert sorted(kept.values_list("pk", "points")) == sorted(dup_rows)  # nothing edited
    assert TierChange.objects.unscoped("t").filter(customer=survivor, kind="merge").exists()


def test_a_duplicates_membership_moves_to_a_survivor_who_has_none(make_customer, member, world):
    from anju.customers.services import customer_merge

    survivor, duplicate = make_customer(name="无会籍"), member(name="有会籍")
    customer_merge(by=world.users["manager"], keep=survivor, duplicate=duplicate, reason="同一人")
    assert selectors.tier_of(survivor).code == "blue"
    assert Membership.objects.unscoped("t").get(customer=survivor)


def test_a_merged_record_cannot_join(make_customer, staff, world):
    from anju.customers.services import customer_merge

    survivor, duplicate = make_customer(), make_customer()
    customer_merge(by=world.users["manager"], keep=survivor, duplicate=duplicate, reason="同一人")
    duplicate.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        services.membership_join(by=staff, customer=duplicate)
    assert refused.value.code == "merged"


def test_points_credited_to_a_merged_record_land_on_the_survivor(make_customer, credit, world):
    from anju.customers.services import customer_merge

    survivor, duplicate = make_customer(), make_customer()
    customer_merge(by=world.users["manager"], keep=survivor, duplicate=duplicate, reason="同一人")
    duplicate.refresh_from_db()
    credit(duplicate, 70)
    assert selectors.points_balance(survivor) == 70


def test_demo_balances_agree_with_their_ledgers(world):
    accounts = PointsAccount.objects.unscoped("t").select_related("customer")
    assert accounts.exists()
    for account in accounts:
        assert account.balance == _sum(account.customer) >= 0
    tiers = set(Membership.objects.unscoped("t").values_list("tier__code", flat=True))
    assert {"blue", "silver", "gold"} <= tiers
    reasons = set(PointsEntry.objects.unscoped("t").values_list("reason", flat=True))
    assert {"purchase", "gift_redemption", "expiry", "visit_referral"} <= reasons
    assert (
        PointsEntry.objects.unscoped("t")
        .filter(created_at__lt=local(2026, 1, 1) - timedelta(days=0))
        .exists()
    )
