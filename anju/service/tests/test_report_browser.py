"""SVC-6 in a browser: the monthly report draws its charts from the JSON endpoint (ECharts,
vendored), each beside its table; the printable version draws them as SVG on A4."""

import pytest

from anju.service import report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["class", "category", "handling", "satisfaction", "trend", "trend-rates"]


def test_the_report_draws_every_chart_beside_its_table(world, page, browser_login, screenshot):
    month = report.default_month().strftime("%Y-%m")  # the demo's year of history ends now
    browser_login("management")
    page.goto(f"/service/report/?month={month}")
    page.wait_for_selector("body[data-charts-ready='1']")
    for key in CHARTS:
        assert page.locator(f"#chart-{key} canvas").count() >= 1, key
    for key in ("class", "category", "handling", "satisfaction", "trend"):
        assert page.locator(f"[data-testid=table-{key}] tbody tr").count() >= 4, key
    assert "深圳公司" in page.inner_text("[data-testid=report-heading]")
    received = int(page.inner_text("[data-testid=kpi-received]"))
    assert received > 0  # the demo's history has complaints every month
    screenshot("service-report")

    # the printable version: SVG charts, the company, month and date on the sheet
    page.goto(f"/service/report/?month={month}&print=1")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#chart-class svg").count() == 1
    assert "深圳公司" in page.inner_text("[data-testid=print-company]")
    assert report.month_title(report.default_month()) in page.inner_text(
        "[data-testid=print-month]"
    )
    page.emulate_media(media="print")
    screenshot("service-report-print")
