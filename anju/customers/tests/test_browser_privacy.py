"""PIPL as the data steward uses it (SEC-2, issue 7 items 13–14): the package from the 360°
page, a service manager's erasure request approved on the request list."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ANJU_PRIVATE_ROOT = tmp_path / "private"


def test_package_then_request_and_approve(world, page, browser_login, screenshot):
    from anju.customers.models import Customer, CustomerPhone
    from anju.customers.privacy_services import erasure_request

    customer = Customer.objects.filter(owner=world.users["consultant"]).first()
    phone = customer.phone
    browser_login("datasteward")
    page.goto(f"/customers/{customer.pk}/")
    page.click("[data-testid=data-package] button")
    page.wait_for_url("**/jobs/*/")
    page.locator("[data-testid=job-progress][data-status=succeeded]").wait_for()
    with page.expect_download() as download:
        page.click("text=查看结果")
    assert download.value.suggested_filename == f"{customer.code}-personal-data.zip"
    screenshot("privacy-package")

    erasure_request(by=world.users["servicemgr"], customer=customer, reason="客户书面要求删除")
    page.goto(f"/customers/{customer.pk}/")
    page.locator("[data-testid=erasure-pending] a").click()  # issue 7 item 14: shown, linked
    page.wait_for_url("**/privacy/?status=pending*")
    screenshot("privacy-requests")
    # Approving cannot be undone: the browser asks first, naming the customer; dismissed,
    # nothing happens (issue 7 item 14).
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("[data-testid=approve] button")
    page.wait_for_timeout(300)
    customer.refresh_from_db()
    assert asked and customer.code in asked[0] and customer.anonymised_at is None
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("[data-testid=approve] button")
    page.wait_for_url("**/privacy/")
    customer.refresh_from_db()
    assert customer.anonymised_at and not CustomerPhone.objects.filter(phone=phone).exists()
    page.goto(f"/customers/{customer.pk}/")  # issue 7 item 14: no write buttons any more
    assert page.locator("[data-testid=edit-profile], [data-testid=phone-add]").count() == 0
