"""The consultant's reception flow in a real browser: log a call, see the follow-up tasks,
register a visit with the risk disclosure (SAL-1, SAL-2, SAL-3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.reception.models import FollowUpTask, PhoneCall, RiskFactor, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_logs_call_sees_tasks_and_registers_visit(
    world, page, browser_login, screenshot, no_sms_senders, nav_to
):
    browser_login("consultant")
    nav_to("接待")
    page.click("[data-testid=log-call]")
    page.fill("#id_phone", "138 1234 7001")
    page.fill("#id_name", "马丽")
    page.check("input[name=gender][value=F]")
    page.select_option("#id_source", "online")
    page.fill("#id_questions", "三房还有吗？首付多少？")
    page.check("#id_visit_wanted")
    booked = timezone.localtime() + timedelta(days=3)
    page.fill("#id_visit_booked_for", booked.strftime("%Y-%m-%dT10:00"))
    screenshot("reception-call-form")
    page.click("[data-testid=call-form] button[type=submit]")
    page.wait_for_selector("[data-testid=generated-tasks]")
    assert PhoneCall.objects.filter(phone="13812347001").exists()
    tasks = page.locator("[data-testid=generated-tasks] [data-testid=task]")
    assert tasks.count() == 2
    sms = page.locator("[data-testid=generated-tasks] [data-testid=sms-text]").inner_text()
    assert sms.startswith("马女士您好，我是安居·滨海花园销售代表李娜")
    screenshot("reception-call-detail")

    nav_to("跟进任务")
    page.wait_for_selector("[data-testid=bucket-today]")
    today = page.locator("[data-testid=bucket-today]").inner_text()
    assert "感谢来电短信 · 马丽" in today
    assert "确认来访 · 马丽" in page.locator("[data-testid=bucket-upcoming]").inner_text()
    screenshot("reception-my-tasks")
    # send the SMS and tick it off
    mine = page.locator("[data-testid=bucket-today] [data-kind=sms]", has_text="马丽")
    mine.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    screenshot("reception-task-done")
    assert FollowUpTask.objects.filter(
        customer__phone="13812347001", kind="sms", status="done"
    ).exists()

    nav_to("接待")
    page.click("[data-testid=register-visit]")
    page.fill("#id_phone", "13812347001")
    page.fill("#id_name", "马丽")
    factors = list(RiskFactor.objects.filter(project=world.projects["binhai"], is_active=True))
    boxes = page.locator("[data-testid=risk-factors] input[type=checkbox]")
    assert boxes.count() == len(factors)
    for i in range(len(factors) - 1):
        boxes.nth(i).check()
    # the times are stamped at the moment, never prefilled (issue 9 item 6)
    page.click("[data-testid=stamp-arrival]")
    page.click("[data-testid=stamp-reception]")
    assert page.input_value("#id_arrived_at")
    page.fill("#id_products_shown", "1栋 12A 三室两厅 98㎡")
    page.check("#id_club_invited")
    page.fill("#id_next_step", "周末带家人再来")
    screenshot("reception-visit-form")
    page.click("[data-testid=visit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=disclosure]")
    assert page.locator(".alert-warning").is_visible()
    assert factors[-1].title in page.locator(".alert-warning").inner_text()
    visit = Visit.objects.get(customer__phone="13812347001")
    assert visit.risk_factors_disclosed.count() == len(factors) - 1
    assert page.locator("[data-testid=disclosure] [data-disclosed='0']").count() == 1
    screenshot("reception-visit-detail")


def test_manager_sees_metrics_team_tasks_and_win_loss(
    world, page, browser_login, screenshot, nav_to
):
    browser_login("manager")
    nav_to("接待指标")
    page.wait_for_selector("[data-testid=metric-cards]")
    assert "%" in page.locator("[data-testid=answered-in-time]").inner_text()
    screenshot("reception-metrics")
    page.click("text=团队逾期任务")
    page.wait_for_selector("[data-testid=team-overdue]")
    assert "置业顾问·李娜" in page.locator("[data-testid=team-summary]").inner_text()
    screenshot("reception-team-tasks")
    page.goto("/reception/opportunities/analysis/")
    page.wait_for_selector("[data-testid=by-channel]")
    screenshot("reception-win-loss")
