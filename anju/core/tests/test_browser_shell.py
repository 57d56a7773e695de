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


def test_company_management_s_menu_fits_a_1280_pixel_screen(world, page, browser_login, screenshot):
    """Some 25 areas: in sections, the bar stays one line and the page no wider than the
    screen (it was 1518 px wide, a label a character per line)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login("management")
    screenshot("menu-management-bar")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.locator("nav.navbar").bounding_box()["height"] < 80
    page.locator("[data-testid=nav-section]", has_text="交易").click()
    page.locator("nav .dropdown-item", has_text="排号").click()
    page.wait_for_url("**/deals/queue/")
    screenshot("menu-management")
