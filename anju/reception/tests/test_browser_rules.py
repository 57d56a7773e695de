"""A manager sets the follow-up timings and the company's source channels in a real browser
(issue 9 items 7 and 12)."""

import pytest

from anju.customers.sources import source_choices
from anju.reception.followup_rules import rules_table
from anju.reception.services import timing_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_sets_rule_timings_and_adds_a_source_channel(
    world, page, browser_login, screenshot, nav_to
):
    browser_login("manager")
    nav_to("跟进规则")
    page.wait_for_selector("[data-testid=rules]")
    assert page.locator("[data-testid=rules] tbody tr").count() == len(rules_table())
    page.fill("input[name=no_intent_days]", "5")
    page.click("button[type=submit] >> text=保存时间设置")
    page.wait_for_selector(".alert-success, [role=alert]")
    assert timing_for(world.companies["sz"].pk).no_intent_days == 5
    screenshot("reception-followup-rules")

    nav_to("来源渠道")
    page.wait_for_selector("[data-testid=sources]")
    page.fill("#id_name", "视频号")
    page.click("form.card button[type=submit]")
    page.wait_for_selector('[data-code="shipinhao"]')
    assert "shipinhao" in dict(source_choices([world.companies["sz"].pk]))
    screenshot("customers-sources")
