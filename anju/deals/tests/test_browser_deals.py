"""Issue 12's browser walk: a queue number issued from the customer's page, launch day on
the big screen (the number called, one click holds a unit), the terms and the price
explained, the subscription confirmed, the contract signed, the agreement printed — with screenshots of the
launch-day screen, the price explanation and the PDF rendered to PNG."""

import shutil
import subprocess

import pytest

from anju.deals.models import LaunchDay, QueueTicket, Subscription, SubscriptionStatus
from anju.inventory.models import Unit, UnitStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_queue_number_through_launch_day_to_the_agreement(
    world, page, browser_login, screenshot, make_customer, tmp_path
):
    project = world.projects["binhai"]
    buyer = make_customer(name="王伟")
    # Launch day starts with a clean queue: the demo's numbers have chosen or been called.
    QueueTicket.objects.filter(project=project, status="waiting").update(status="cancelled")
    LaunchDay.objects.filter(project=project).update(status="closed", current=None)

    browser_login("consultant")
    page.goto(f"/customers/{buyer.pk}/")
    page.click("[data-testid=act-queue]")
    page.fill("#id_deposit_amount", "20000")
    page.select_option("#id_deposit_method", "wechat")
    page.fill("#id_deposit_receipt_no", "SJ-2026-0001")
    page.click("[data-testid=queue-form] button")
    page.wait_for_selector("[data-testid=queue-number]")
    ticket = QueueTicket.objects.get(customer=buyer)
    assert page.inner_text("[data-testid=queue-number]").strip() == str(ticket)

    unit = (
        Unit.objects.filter(project=project, status=UnitStatus.AVAILABLE)
        .select_related("building")
        .order_by("building__sort_order", "building__code", "floor", "position")
        .first()
    )
    page.goto(f"/deals/launch/?project={project.pk}")
    page.check(f"input[name=buildings][value='{unit.building_id}']")
    page.click("[data-testid=launch-open] button")
    page.wait_for_selector("[data-testid=call-next]")
    page.click("[data-testid=call-next]")
    page.wait_for_selector(f"[data-testid=current-number]:has-text('{ticket}')")
    screenshot("deals-launch-day")

    page.click(f"td[data-unit='{unit.number}'] button")
    page.wait_for_selector("[data-testid=terms-form]")
    subscription = Subscription.objects.get(unit=unit)
    assert subscription.status == SubscriptionStatus.DRAFT
    page.check("input[name=discount_codes][value='one_off']")
    page.check("input[name=discount_codes][value='launch']")
    page.fill("#id_deposit", "50000")
    page.click("[data-testid=terms-form] button")
    page.wait_for_selector("[data-testid=price-lines]")
    lines = page.locator("[data-testid=price-lines] tbody tr")
    assert lines.count() >= 4  # list, two discounts, member, final
    screenshot("deals-price-explained")

    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=subscription-status]")
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SUBSCRIBED
    unit.refresh_from_db()
    assert unit.status == UnitStatus.SUBSCRIBED

    # 签约: the contract with a one-off payment plan, on the same page's button.
    page.click("[data-testid=sign]")
    page.wait_for_selector("[data-testid=sign-form]")
    page.check("input[name=payment_plan][value='one_off']")
    page.click("[data-testid=sign-form] button[type=submit]")
    page.wait_for_selector("[data-testid=contract-number]")
    subscription.refresh_from_db()
    unit.refresh_from_db()
    assert subscription.status == SubscriptionStatus.SIGNED and unit.status == UnitStatus.SIGNED
    screenshot("deals-contract-signed")

    response = page.request.get(f"/deals/subscriptions/{subscription.pk}/agreement.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "agreement.pdf"
    pdf.write_bytes(response.body())
    if shutil.which("pdftoppm"):
        from anju.conftest import SCREENSHOTS

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(SCREENSHOTS / "deals-agreement-pdf"),
            ],
            check=True,
        )
        assert (SCREENSHOTS / "deals-agreement-pdf.png").stat().st_size > 10_000
