"""Issue 9 item 1 in the browser: the consultant's task list offers the number of the
customer to call (one click, a tel: link) and the SMS text with a copy button."""

import pytest

from anju.core.models import PersonalDataAccess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_task_list_reveals_the_number_and_copies_the_sms(
    world, page, browser_login, screenshot
):
    browser_login("consultant")
    page.goto("/reception/tasks/")
    sms = page.locator("[data-testid=task][data-kind=sms]").first
    sms.locator("[data-testid=reveal-phone]").click()
    link = sms.locator("[data-revealed=phone]")
    link.wait_for()
    assert link.get_attribute("href").startswith("tel:1")
    assert PersonalDataAccess.objects.filter(user=world.users["consultant"]).count() == 1
    button = sms.locator("[data-testid=copy-sms]")
    button.click()
    page.wait_for_function("b => b.textContent.includes('已复制')", arg=button.element_handle())
    screenshot("tasks-owner-revealed")
