"""Issue 9 item 1 in the browser: the consultant opens his customer's 360°, clicks once and
gets the number as a tel: link; the reveal is in the personal-data access log."""

import pytest

from anju.core.models import PersonalDataAccess
from anju.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_reveals_his_customers_number_on_the_360(world, page, browser_login, screenshot):
    customer = (
        Customer.objects.filter(owner=world.users["consultant"], merged_into__isnull=True)
        .exclude(phone="")
        .order_by("pk")
        .first()
    )
    browser_login("consultant")
    page.goto(f"/customers/{customer.pk}/")
    assert customer.phone not in page.content()
    page.click("[data-testid=reveal-phone]")
    link = page.locator("[data-revealed=phone]")
    link.wait_for()
    assert link.inner_text() == customer.phone
    assert link.get_attribute("href") == f"tel:{customer.phone}"
    screenshot("customer-360-owner-revealed")
    log = PersonalDataAccess.objects.get(target_id=customer.pk)
    assert (log.user_id, log.fields) == (world.users["consultant"].pk, "phone")
