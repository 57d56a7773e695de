"""A campaign as people run it (MSG-2): prepared from the form, generated, reviewed and
approved by a manager, sent; screenshots of the review page (issue 11 "Will be checked")."""

import pytest

from anju.messaging.campaigns import Campaign, CampaignStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_prepare_review_approve_and_send(world, page, browser_login, screenshot, at_local):
    at_local(10)  # office hours: marketing is not held
    browser_login("service")
    page.goto("/campaigns/new/")
    page.fill("#id_name", "滨海花园 · 业主答谢宴邀请")
    page.select_option("#id_project", str(world.projects["binhai"].pk))
    page.fill("#id_text", "{称呼}您好，{项目}将于{日期}举办业主答谢宴，{顾问}诚邀您与家人光临。")
    page.fill("#id_extra_date", "6月20日")
    screenshot("campaign-new")
    page.click("[data-testid=save-campaign]")
    page.wait_for_url("**/campaigns/*/")
    page.click("[data-testid=generate]")
    page.wait_for_selector("[data-testid=sample]")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=decide], [data-testid=campaign-status]")
    campaign = Campaign.objects.unscoped("test").get(name="滨海花园 · 业主答谢宴邀请")
    assert campaign.status == CampaignStatus.AWAITING_APPROVAL

    page.context.clear_cookies()
    browser_login("servicemgr")
    page.goto(f"/campaigns/{campaign.pk}/")
    to_send = page.locator("[data-testid=to-send]").inner_text()
    assert to_send.replace(",", "") == str(campaign.counts["to_send"])
    sample = page.locator("[data-testid=sample]").inner_text()
    assert "回T退订" in sample and "****" in sample
    assert "¥" in page.locator("[data-testid=cost]").inner_text()
    screenshot("campaign-review")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=campaign-status]")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    page.context.clear_cookies()
    browser_login("service")
    page.goto(f"/campaigns/{campaign.pk}/")
    page.click("[data-testid=send]")
    page.wait_for_selector("[data-testid=message-counts]")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    screenshot("campaign-sent")
