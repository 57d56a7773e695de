"""Issue 9 items 4, 13, 16 in the browser: the profile (roles, password, tokens), the
product's 404 page, and the admin titled and translated as the product."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_profile_shows_roles_and_changes_the_password(world, page, browser_login, screenshot):
    browser_login("engineer")
    page.goto("/profile/")
    roles = page.locator("[data-testid=profile-roles]").inner_text()
    assert "工程师" in roles and "滨海花园" in roles
    page.fill("#id_name", "报修系统")
    page.fill("#id_password", "anju2026")
    page.click("[data-testid=token-form] button[type=submit]")
    page.locator("[data-testid=new-token]").wait_for()
    headers = page.locator("[data-testid=tokens] thead").inner_text()
    for label in ("令牌名称", "前缀", "读写权限", "创建时间", "最近使用", "到期", "状态"):
        assert label in headers, headers
    screenshot("profile")
    page.click("text=修改密码")
    page.fill("#id_old_password", "anju2026")
    page.fill("#id_new_password1", "Tide-Harbour-Lantern-77")
    page.fill("#id_new_password2", "Tide-Harbour-Lantern-77")
    page.click("[data-testid=password-change] button[type=submit]")
    page.wait_for_url("**/profile/")
    assert "密码已修改" in page.content()
    page.goto("/reception/tasks/")  # the session stays valid after the change
    assert "/login/" not in page.url


def test_a_missing_page_is_the_products_404(world, page, browser_login, screenshot):
    browser_login("consultant")
    response = page.goto("/no-such-page/")
    assert response.status == 404
    assert "页面不存在" in page.content() and "URLconf" not in page.content()
    screenshot("error-404")


def test_the_admin_is_the_products_in_chinese(world, page, browser_login, screenshot):
    browser_login("admin")
    page.goto("/admin/")
    text = page.locator("body").inner_text()
    assert "Django" not in text and "安居客户关系管理 · 系统管理" in text
    for name in ("审计日志", "登录安全", "后台任务", "集团", "组织架构"):
        assert name in text, name
    screenshot("admin-index")
