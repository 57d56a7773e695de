"""A member's points page in a real browser (issue 11 asks for its screenshot): balance,
ledger, tier history; a redemption above the balance is refused with a message."""

import pytest
from django.db.models import Count

from anju.membership import selectors
from anju.membership.models import Membership, PointsEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _richest_member_in_shenzhen():
    busiest = (
        PointsEntry.objects.unscoped("t")
        .filter(company__code="sz", customer__membership__isnull=False)
        .values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .first()
    )
    return (
        Membership.objects.unscoped("t")
        .select_related("customer")
        .get(customer_id=busiest["customer_id"])
    )


def test_a_members_points_page(world, page, browser_login, screenshot):
    membership = _richest_member_in_shenzhen()
    customer = membership.customer
    browser_login("servicemgr")
    page.goto(f"/club/customers/{customer.pk}/")
    page.wait_for_selector("[data-testid=ledger]")
    assert page.inner_text("[data-testid=balance]").strip() == str(
        selectors.points_balance(customer)
    )
    rows = page.locator("[data-testid=ledger] tbody tr")
    assert rows.count() == min(
        25, PointsEntry.objects.unscoped("t").filter(customer=customer).count()
    )
    assert customer.phone not in page.content()  # masked
    assert page.locator("[data-testid=tier-history] li").count() >= 1
    screenshot("membership-points-page")

    balance = selectors.points_balance(customer)
    page.fill("#id_points", str(balance + 1))
    page.fill("#id_reference", "认购书 2026-001")
    page.click("[data-testid=redeem-offset-form] button")
    page.wait_for_selector(
        "[data-testid=redeem-offset-form] .invalid-feedback, [data-testid=redeem-offset-form] .alert-danger"
    )
    assert selectors.points_balance(customer) == balance
    screenshot("membership-points-refused")


def test_join_at_the_visit_in_one_click(world, page, browser_login, screenshot):
    from anju.reception.models import Visit

    visit = (
        Visit.objects.unscoped("t")
        .filter(consultant__username="consultant", customer__membership__isnull=True)
        .order_by("-arrived_at")
        .first()
    )
    browser_login("consultant")
    page.goto(f"/reception/visits/{visit.pk}/")
    page.click("[data-testid=join-club]")
    page.wait_for_selector("[data-testid=club-panel] .tier-badge")
    assert Membership.objects.unscoped("t").get(customer=visit.customer).via_visit_id == visit.pk
    screenshot("membership-joined-at-visit")
