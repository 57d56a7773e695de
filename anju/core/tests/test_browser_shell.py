"""The shell as a person sees it: Chinese login page, each role logs in (RUN-3, SEC-1)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_chinese_and_logs_in(world, page, browser_login, screenshot):
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "登录" in page.locator("h2").inner_text()
    screenshot("login")
    browser_login("consultant")
    assert "置业顾问·李娜" in page.locator("[data-testid=user-menu]").inner_text()
    screenshot("home-consultant")


def test_wrong_password_shows_message(world, page):
    page.goto("/login/")
    page.fill("#id_username", "consultant")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    # the click returns before the answer to the POST is shown: wait for it
    message = page.locator(".alert-danger")
    message.wait_for()
    assert message.is_visible()
