"""看房积分 after a referred friend's first visit (MEM-2), and the club in the kernel:
timeline (newest first), PIPL package and erasure, webhooks verbs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.customers.timeline import timeline_for
from anju.membership import selectors, services
from anju.membership.models import PointsEntry, PointsReason, TierChange
from anju.membership.tasks import credit_referral_visit

pytestmark = pytest.mark.django_db


def _visit(world, customer, *, hours_ago=1):
    from anju.reception.services import visit_register

    return visit_register(
        by=world.users["consultant"],
        project=world.projects["binhai"],
        arrived_at=timezone.now() - timedelta(hours=hours_ago),
        customer=customer,
    ).visit


def _referral_rows(referrer):
    return PointsEntry.objects.unscoped("t").filter(
        customer=referrer, reason=PointsReason.VISIT_REFERRAL
    )


def test_a_referred_friends_first_visit_credits_the_referrer_once(
    world, make_customer, django_capture_on_commit_callbacks
):
    referrer = make_customer(name="老业主")
    friend = make_customer(name="新朋友", referrer=referrer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        visit = _visit(world, friend, hours_ago=3)
    assert callbacks, "the visit arranged the credit for after its commit"
    rows = _referral_rows(referrer)
    assert list(rows.values_list("points", "reference")) == [(200, f"referred:{friend.pk}")]
    # who serves the referrer may not serve the friend: the note names him masked, no code
    note = rows.get().note
    assert "新*友" in note and "新朋友" not in note and friend.code not in note
    credit_referral_visit.call(visit.pk)  # the task running twice
    with django_capture_on_commit_callbacks(execute=True):
        _visit(world, friend, hours_ago=1)  # and the friend coming back
    assert rows.count() == 1
    assert selectors.points_balance(referrer) == 200


def test_no_credit_when_the_visit_is_not_the_first(
    world, make_customer, django_capture_on_commit_callbacks
):
    referrer = make_customer(name="老业主")
    friend = make_customer(name="先来过")
    with django_capture_on_commit_callbacks(execute=True):
        _visit(world, friend, hours_ago=5)
    from anju.customers.services import customer_update

    customer_update(by=world.users["consultant"], customer=friend, referrer=referrer)
    with django_capture_on_commit_callbacks(execute=True):
        _visit(world, friend, hours_ago=1)
    assert not _referral_rows(referrer).exists()


def test_no_credit_without_a_referrer_or_with_zero_points(
    world, make_customer, staff, django_capture_on_commit_callbacks
):
    referrer = make_customer(name="老业主")
    services.club_settings_update(
        by=staff, holding=referrer.company.holding, referral_visit_points=0
    )
    friend = make_customer(name="新朋友", referrer=referrer)
    with django_capture_on_commit_callbacks(execute=True):
        _visit(world, friend)
    assert not _referral_rows(referrer).exists()


def test_a_rolled_back_visit_credits_nothing(
    world, make_customer, django_capture_on_commit_callbacks
):
    from django.db import transaction

    referrer = make_customer(name="老业主")
    friend = make_customer(name="新朋友", referrer=referrer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _visit(world, friend)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert not callbacks and not _referral_rows(referrer).exists()


def test_the_timeline_shows_points_and_tiers_newest_first(world, member, credit, staff):
    customer = member()
    credit(customer, 100, reference="a")
    services.tier_apply_rule(by=staff, customer=customer, trigger="signed", reference="c:1")
    credit(customer, 50, reference="b")
    entries = [e for e in timeline_for(staff, customer) if e.kind in ("points", "tier")]
    assert [e.kind for e in entries] == ["points", "tier", "points", "tier"]
    assert entries == sorted(entries, key=lambda e: e.when, reverse=True)
    assert "+50" in entries[0].title and entries[0].url.endswith(f"/club/customers/{customer.pk}/")
    # the generic event list does not show the same records again
    assert not any(
        e.kind == "event" and "membership" in e.title for e in timeline_for(staff, customer)
    )


def test_each_provider_yields_newest_first(world, member, credit, staff):
    from anju.membership.timeline import PROVIDERS

    customer = member()
    for n in range(3):
        credit(customer, 10 + n, reference=f"r{n}")
    for provider in PROVIDERS:
        whens = [e.when for e in provider(staff, customer, 50)]
        assert whens == sorted(whens, reverse=True)


def test_the_data_package_holds_the_club_rows(member, credit):
    from anju.customers.privacy import personal_data_providers

    customer = member()
    credit(customer, 100, reference="contract:1")
    sheets = {p.name: p.fn(customer) for p in personal_data_providers()}
    assert sheets["membership"][0]["tier"] == "蓝卡"
    assert [r["points"] for r in sheets["points"]] == [100]
    assert sheets["tier_changes"] and sheets["redemptions"] == []


def test_erasure_scrubs_the_person_from_notes_but_keeps_the_points(member, staff):
    from anju.customers.privacy import Erasure, run_erasure_handlers

    customer = member(name="张三丰")
    entry = services.points_adjust(by=staff, customer=customer, points=30, note="张三丰来电补积分")
    erasure = Erasure(
        company_id=customer.company_id,
        customer_ids=[customer.pk],
        phones={customer.phone},
        names={"张三丰"},
        other_secrets=set(),
        label="已匿名-ABC",
    )
    run_erasure_handlers(erasure)
    after = PointsEntry.objects.unscoped("t").get(pk=entry.pk)
    assert after.note == "已匿名-ABC来电补积分" and after.points == 30
    assert PointsEntry in erasure.touched and TierChange in erasure.touched


def test_club_events_are_publishable_to_webhooks():
    from anju.webhooks.registry import is_publishable

    for verb in ("membership.joined", "membership.tier_changed", "membership.points_moved"):
        assert is_publishable(verb)
