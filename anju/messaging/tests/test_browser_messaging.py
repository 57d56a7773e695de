"""A manager writes a template with the live length/segment count, and sees the outbox and the
development gateway's page in a real browser (MSG-1, MSG-5)."""

import pytest

from anju.messaging import services
from anju.messaging.models import Channel, Kind, MessageTemplate
from anju.messaging.outbox import run_pass

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_template_preview_outbox_and_dev_gateway(world, customer, page, browser_login, screenshot):
    browser_login("management")
    page.goto("/messaging/templates/new/")
    page.fill("#id_name", "装修讲座邀请（测试）")
    page.fill(
        "#id_body", "{称呼}您好，{项目}万客会将于{日期}举办“{活动}”，诚邀您参加。" + "名额有限" * 10
    )
    page.wait_for_selector("[data-segments='2']")
    screenshot("messaging-template-preview")
    page.fill("#id_body", "{称呼}您好，{楼盘}开盘")
    page.wait_for_selector("[data-testid=preview-error]")
    assert "{楼盘}" in page.inner_text("[data-testid=preview-error]")
    page.fill("#id_body", "{称呼}您好，{项目}诚邀您参加{活动}。")
    page.click("button[type=submit] >> nth=-1")
    page.wait_for_selector(".alert-success")
    assert MessageTemplate.objects.unscoped("test").filter(name="装修讲座邀请（测试）").exists()

    services.message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        to=customer.phone,
        body="浏览器测试：您预约的看房时间已确认。",
        idempotency_key="browser-1",
        customer=customer,
    )
    run_pass()
    page.click("[data-testid=messaging-tabs] a[href$='/dev-outbox/']")
    page.wait_for_selector("[data-testid=dev-outbox]")
    assert "浏览器测试" in page.inner_text("[data-testid=dev-outbox]")
    screenshot("messaging-dev-gateway")
    page.click("[data-testid=messaging-tabs] a[href$='/outbox/']")
    page.wait_for_selector("[data-testid=outbox-table]")
    screenshot("messaging-outbox")
