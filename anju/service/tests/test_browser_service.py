"""Issue 13's browser walk of the complaint loop (SVC-4), from receipt to closure, through
the pages only: the agent receives a complaint with a photo for a customer found by name,
judges it valid and assigns it to the engineer; the engineer finds the cause and proposes a
compensation; the service manager approves it in /approvals/; the engineer carries it out;
the customer is not satisfied (back to cause analysis, level 客服经理); once more round;
two satisfied revisits; closed — with screenshots of the list and the ticket at each stage."""

import io

import pytest
from PIL import Image

from anju.service.models import Level, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, browser_login, username):
    page.context.clear_cookies()
    browser_login(username)


def _submit(page, name):
    page.click(f"[data-testid=submit-{name}]")
    page.wait_for_selector("[data-testid=ticket-status]")
    assert not page.locator("[data-testid=form-error]").count(), page.inner_text("main")[:2000]


def _status(page) -> str:
    return page.inner_text("[data-testid=ticket-status]").strip()


def _cause_and_solution(page, cause, kind, description, compensation=""):
    page.fill("#id_cause-cause", cause)
    _submit(page, "cause")
    page.select_option("#id_solution-kind", kind)
    page.fill("#id_solution-description", description)
    if compensation:
        page.fill("#id_solution-compensation", compensation)
    _submit(page, "solution")
    assert _status(page) == "方案待审批"


def _approve(page, browser_login, ticket):
    _as(page, browser_login, "servicemgr")
    page.goto("/approvals/")
    page.click(f"tr:has-text('{ticket}') [data-testid=decide]")
    page.fill("#id_comment", "同意按方案处理")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=approval-queue]")
    assert ticket.solutions.order_by("-pk").first().decision == "approved"


def test_the_complaint_loop_from_receipt_to_closure(
    world, page, browser_login, screenshot, make_customer, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = make_customer(name="郑业主", grade="B")
    photo = tmp_path / "裂缝.png"
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 170, 160)).save(picture, format="PNG")
    photo.write_bytes(picture.getvalue())

    # 受理: the agent finds the owner by name and records the complaint with a photo
    _as(page, browser_login, "service")
    page.goto("/service/tickets/")
    page.click("[data-testid=receive]")
    page.fill("#ticket-q", "郑业主")
    page.click("[data-testid=find-customer]")
    page.click("[data-testid=choose-customer]")
    page.wait_for_selector("[data-testid=chosen-customer]")
    page.select_option("#id_ticket_type", "complaint")
    page.select_option("#id_channel", "hotline")
    page.select_option("#id_category", "quality")
    page.select_option("#id_complainant_type", "rational")
    page.fill("#id_subject", "客厅外墙渗水")
    page.fill("#id_description", "连续降雨后客厅东侧外墙内侧渗水，墙面起皮。")
    page.fill("#id_demand", "查明原因，修复并赔偿墙面损失")
    page.set_input_files("#id_photos", str(photo))
    page.click("[data-testid=receive-submit]")
    page.wait_for_selector("[data-testid=ticket-number]")
    ticket = Ticket.objects.get(customer=owner)
    assert page.inner_text("[data-testid=ticket-number]") == str(ticket)
    assert page.locator("[data-testid=photos] img").count() == 1
    page.wait_for_function("document.querySelector('[data-testid=photos] img').complete")
    assert (
        page.evaluate("() => document.querySelector('[data-testid=photos] img').naturalWidth")
        == 640
    )  # the scoped photo page streamed the image
    screenshot("service-ticket-received")

    # 判定 + 派单
    page.check("input[name='judge-valid'][value='1']")
    _submit(page, "judge")
    assert _status(page) == "投诉成立，待派单"
    page.select_option("#id_assign-responsible", str(world.users["engineer"].pk))
    _submit(page, "assign")
    assert _status(page) == "已派单"

    page.goto("/service/tickets/")
    screenshot("service-ticket-list")
    assert page.locator(f"tr[data-ticket='{ticket}']").count() == 1

    # the engineer: cause and a compensation for a manager to approve
    _as(page, browser_login, "engineer")
    page.goto(f"/service/tickets/{ticket.pk}/")
    _cause_and_solution(
        page, "外墙防水层施工缺陷。", "compensate", "修复外墙防水并补偿墙面", "1500"
    )
    screenshot("service-ticket-solution-pending")
    _approve(page, browser_login, ticket)

    _as(page, browser_login, "engineer")
    page.goto(f"/service/tickets/{ticket.pk}/")
    page.fill("#id_implement-note", "已修复防水层并重新粉刷。")
    _submit(page, "implement")
    assert _status(page) == "已处理，待回访"

    # 回访 不满意: back to cause analysis, one level up (客服经理)
    _as(page, browser_login, "service")
    page.goto(f"/service/tickets/{ticket.pk}/")
    page.check("input[name='revisit-satisfaction'][value='unsatisfied']")
    page.fill("#id_revisit-comment", "雨后仍有渗水。")
    _submit(page, "revisit")
    assert _status(page) == "已派单"
    assert page.inner_text("[data-testid=ticket-level]").strip() == "客服经理"
    ticket.refresh_from_db()
    assert ticket.level == Level.SERVICE_MANAGER and ticket.loops == 1
    screenshot("service-ticket-unsatisfied")

    # once more: cause, solution, approval, carried out
    _as(page, browser_login, "engineer")
    page.goto(f"/service/tickets/{ticket.pk}/")
    _cause_and_solution(page, "窗框与墙体间密封胶老化。", "repair", "更换密封胶并做淋水试验")
    _approve(page, browser_login, ticket)
    _as(page, browser_login, "engineer")
    page.goto(f"/service/tickets/{ticket.pk}/")
    page.fill("#id_implement-note", "已更换密封胶，淋水试验无渗漏。")
    _submit(page, "implement")

    # two satisfied revisits (engineering quality), then closed with a summary
    _as(page, browser_login, "service")
    page.goto(f"/service/tickets/{ticket.pk}/")
    for answer in ("satisfied", "very_satisfied"):
        page.check(f"input[name='revisit-satisfaction'][value='{answer}']")
        _submit(page, "revisit")
    page.fill("#id_close-summary", "二次处理后无渗漏，业主满意，结案。")
    _submit(page, "close")
    assert _status(page) == "已关闭"
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.revisits.count() == 3
    assert page.locator("[data-testid=history] li").count() >= 15
    screenshot("service-ticket-closed")
