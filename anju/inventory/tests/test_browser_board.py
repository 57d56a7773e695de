"""The sales-control board in a real browser (UNT-1), and switching the UI to English (RUN-3)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_board_grid_legend_and_unit_panel(world, page, browser_login, screenshot):
    building = world.buildings[0]
    browser_login("manager")
    page.goto("/inventory/")
    page.click(f"a[href='/inventory/buildings/{building.pk}/board/']")
    grid = page.locator("[data-testid=sales-board]")
    assert grid.locator("tbody tr").count() == building.floors
    assert "销控表" in page.locator("h1").inner_text()
    legend = page.locator("[data-testid=board-legend]").inner_text()
    for label in ("可售", "预留", "认购", "签约", "交付"):
        assert label in legend
    page.locator("td.unit-cell.status-available a").first.click()
    panel = page.locator("#unit-panel")
    panel.locator("h2").wait_for()
    assert "可售" in panel.inner_text() and "标准总价" in panel.inner_text()
    assert page.url.endswith("/board/")  # htmx swapped the panel, no navigation
    screenshot("board")


def test_switch_to_english(world, page, browser_login):
    browser_login("consultant")
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state()
    page.locator("html[lang=en]").wait_for()
    assert "Units" in page.locator("nav").inner_text()
