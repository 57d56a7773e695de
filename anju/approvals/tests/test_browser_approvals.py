"""The approver's day in a real browser (issue 12 item 6): the menu badge, the queue, a
rejection without a reason refused, an approval with a comment, the requester's view."""

import pytest

from anju.approvals.models import ApprovalRequest, ApprovalStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queue_decide_and_my_requests(world, page, browser_login, screenshot, ask):
    first = ask(summary="1栋1203 额外优惠 2%（一次性付款）", payload={"rate": "2.00"})
    ask(summary="3栋0801 额外优惠 1.5%", payload={"rate": "1.50"})
    ask(by=world.users["consultant2"], project="yunjing", summary="云境 5栋 额外优惠")
    browser_login("manager")
    badge = page.locator("[data-testid=nav-badge]")
    assert badge.inner_text() == "2"  # 滨海花园 only: the 云境 one is not his
    badge.click()
    page.wait_for_url("**/approvals/")
    rows = page.locator("[data-testid=approval-queue] tbody tr")
    assert rows.count() == 2
    assert "云境" not in page.locator("[data-testid=approval-queue]").inner_text()
    screenshot("approvals-queue")

    page.locator(f"tr[data-approval='{first.pk}'] [data-testid=decide]").click()
    page.wait_for_url(f"**/approvals/{first.pk}/")
    page.click("[data-testid=reject]")  # no reason given
    page.locator("[data-testid=comment-error]").wait_for()
    assert ApprovalRequest.objects.get(pk=first.pk).status == ApprovalStatus.PENDING
    page.fill("#id_comment", "同意，仅限本周签约")
    screenshot("approvals-decide")
    page.click("[data-testid=approve]")
    page.wait_for_url("**/approvals/")
    assert page.locator("[data-testid=nav-badge]").inner_text() == "1"
    decided = ApprovalRequest.objects.get(pk=first.pk)
    assert decided.status == ApprovalStatus.APPROVED and decided.comment == "同意，仅限本周签约"

    page.context.clear_cookies()
    browser_login("consultant")
    page.goto("/approvals/mine/")
    mine = page.locator("[data-testid=my-requests]").inner_text()
    assert "同意，仅限本周签约" in mine and str(world.users["manager"]) in mine
    screenshot("approvals-mine")
