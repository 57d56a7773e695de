"""The scheduled-care page in a real browser (MSG-4): a manager turns the Mid-Autumn greeting
on and sees it in this week's sends."""

import pytest

from anju.messaging.care_models import CareSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_turns_on_a_greeting_and_sees_the_week(world, page, browser_login, screenshot):
    browser_login("servicemgr")
    page.goto("/messaging/care/")
    row = page.locator('[data-occasion="birthday"]')
    row.locator('input[type="checkbox"]').check()
    page.select_option("#id_send_hour", "9")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".alert-success, .alert")
    settings = CareSettings.objects.unscoped("test").get(company=world.companies["sz"])
    assert settings.birthday_enabled and settings.send_hour == 9
    assert page.locator('[data-testid="upcoming"] li').count() == 7  # a birthday a day
    screenshot("care-settings")
