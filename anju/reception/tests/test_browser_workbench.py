"""A consultant's day in a real browser (SAL-6, issue 9): the workbench with one-click
tasks, the manager's team table, the 360° page as the place to work, the pipeline board."""

import pytest
from django.utils.translation import override

from anju.customers.models import Customer, CustomerNote, CustomerStatus
from anju.reception.models import FollowUpTask, Opportunity, Stage, TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_consultant_workbench_one_click_complete(world, page, browser_login, screenshot):
    browser_login("consultant")
    page.goto("/")
    page.wait_for_selector("[data-testid=my-month]")
    assert "工作台" in page.inner_text("h1 + div")
    assert "本月业绩" in page.content()
    for label in ("来电登记", "来访登记", "新客户"):
        assert page.locator("[data-testid=quick-actions]", has_text=label).count()
    screenshot("workbench-consultant")
    sms = page.locator("[data-testid=wb-task][data-kind=sms]").first
    task_id = int(sms.get_attribute("id").removeprefix("wb-task-"))
    sms.locator("[data-testid=wb-task-complete]").click()
    page.wait_for_selector(f"#wb-task-{task_id} [data-testid=wb-task-done]")
    assert FollowUpTask.objects.get(pk=task_id).status == TaskStatus.DONE
    # a call task needs its outcome: refused in place, the row stays
    call = page.locator("[data-testid=wb-task]:not([data-kind=sms])").first
    if call.count():
        call_id = call.get_attribute("id")
        call.locator("[data-testid=wb-task-complete]").click()
        page.wait_for_selector(f"#{call_id} [data-testid=wb-task-error]")
        screenshot("workbench-task-refused")
    # a figure card opens the list behind it
    calls = page.locator("[data-testid=figure-calls]")
    n = int(calls.locator(".fs-3").inner_text())
    calls.click()
    page.wait_for_url("**/reception/calls/**")
    assert page.locator("[data-testid=calls-table] tbody tr").count() == min(n, 50) or n == 0


def test_manager_workbench_team_table(world, page, browser_login, screenshot):
    browser_login("manager")
    page.goto("/")
    page.wait_for_selector("[data-testid=team-month]")
    rows = page.locator("[data-testid=team-row]")
    assert rows.count() >= 2
    assert "置业顾问·李娜" in page.inner_text("[data-testid=team-month]")
    screenshot("workbench-manager")


def test_customer_360_is_where_the_consultant_works(world, page, browser_login, screenshot):
    customer = (
        Customer.objects.filter(
            owner=world.users["consultant"], anonymised_at__isnull=True, status="visitor"
        )
        .order_by("id")
        .first()
    )
    browser_login("consultant")
    page.goto(f"/customers/{customer.pk}/")
    page.fill("[data-testid=note-form] textarea", "客户关心学区，周末带太太再来。")
    page.click("[data-testid=note-form] button")
    page.wait_for_selector(".alert-success")
    assert CustomerNote.objects.filter(customer=customer).exists()
    assert "客户关心学区" in page.inner_text("[data-testid=timeline]")
    page.click("[data-testid=tab-task]")
    page.fill("#task-title", "发送学区资料")
    page.click("[data-testid=task-form] button")
    page.wait_for_selector(".alert-success")
    assert FollowUpTask.objects.filter(customer=customer, title="发送学区资料").exists()
    order = list(CustomerStatus.values)
    customer.refresh_from_db()
    forward = CustomerStatus(order[order.index(customer.status) + 1])
    page.select_option("[data-testid=set-status] select", forward.value)
    page.click("[data-testid=set-status] button")
    with override("zh-hans"):
        change = f"{CustomerStatus(customer.status).label} → {forward.label}"
    page.wait_for_selector(f"[data-testid=timeline] >> text={change}")
    screenshot("customer-360-work")
    page.click("[data-testid=act-call]")
    page.wait_for_selector("[data-testid=known-customer]")
    assert customer.name in page.inner_text("[data-testid=known-customer]")
    screenshot("customer-360-call-form")


def test_pipeline_board_drag_and_drop(world, page, browser_login, screenshot):
    consultant = world.users["consultant"]
    opp = Opportunity.objects.filter(consultant=consultant, stage=Stage.NEEDS).first()
    browser_login("consultant")
    page.goto("/reception/pipeline/")
    page.wait_for_selector("[data-testid=pipeline-board]")
    screenshot("pipeline-consultant")
    page.drag_and_drop(f"#opp-{opp.pk}", "[data-testid=column-negotiation]")
    page.wait_for_selector(f"[data-testid=column-negotiation] #opp-{opp.pk}")
    opp.refresh_from_db()
    assert opp.stage == Stage.NEGOTIATION
    negotiating = Opportunity.objects.filter(consultant=consultant, stage=Stage.NEGOTIATION)
    total = sum(o.expected_value for o in negotiating)
    assert f"¥{total:,.0f}" in page.inner_text("[data-testid=total-negotiation]")
    # a drop on "won" needs a reason: refused, the card stays in its column with the message
    page.drag_and_drop(f"#opp-{opp.pk}", "[data-testid=column-won]")
    page.wait_for_selector(
        f"[data-testid=column-negotiation] #opp-{opp.pk} [data-testid=pipeline-error]"
    )
    opp.refresh_from_db()
    assert opp.stage == Stage.NEGOTIATION
    screenshot("pipeline-refused-move")


def test_manager_pipeline_board(world, page, browser_login, screenshot):
    browser_login("manager")
    page.goto("/reception/pipeline/")
    page.wait_for_selector("[data-testid=pipeline-filter]")
    screenshot("pipeline-manager")
    li_na = world.users["consultant"]
    page.select_option("[data-testid=pipeline-filter] select", str(li_na.pk))
    page.wait_for_url(f"**consultant={li_na.pk}")
    cards = page.locator("[data-testid=pipeline-card]")
    assert cards.count() >= 1
    assert all("李娜" in t for t in cards.all_inner_texts())
