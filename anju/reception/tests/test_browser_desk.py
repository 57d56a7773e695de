"""Issue 9 items 3, 6, 10 in a real browser, as their users walk them: the manager sets the
day's reception order, the desk hands walk-ins out in order, the consultant finds a booked
customer and registers the visit with units from the inventory and stamped times, a
consultant of another project receives a colleague's protected customer, and the manager
reads the metrics with the unrecorded values shown as such."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.customers.services import customer_register
from anju.inventory.models import Unit
from anju.reception.models import DeskTurn, FollowUpTask, TaskKind, Visit
from anju.reception.services import call_log, visit_register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812345518"
RETURNING = "13812345521"


def _second_consultant(world):
    from anju.org.demo import set_demo_password
    from anju.org.models import User
    from anju.org.services import role_assign

    user = User.objects.create(
        username="consultant_b", display_name="置业顾问·陈晨", company=world.companies["sz"]
    )
    role_assign(
        by=None,
        user=user,
        role="sales_consultant",
        company=world.companies["sz"],
        project=world.projects["binhai"],
    )
    set_demo_password([user])
    return user


def _relogin(page, browser_login, username):
    page.context.clear_cookies()
    return browser_login(username)


def test_a_consultant_s_day_at_the_desk(world, page, browser_login, screenshot):
    project = world.projects["binhai"]
    chen = _second_consultant(world)
    li = world.users["consultant"]
    # 李娜 booked 欧阳娜娜's visit for today by phone two days ago; rings not noted
    call_log(
        by=li,
        project=project,
        called_at=timezone.now() - timedelta(days=2),
        phone=PHONE,
        name="欧阳娜娜",
        visit_booked_for=timezone.now() + timedelta(minutes=2),
    )

    # the manager sets today's order: 陈晨 first, then 李娜
    browser_login("manager")
    page.goto(f"/reception/desk/?project={project.pk}")
    page.fill(f"#place-{chen.pk}", "1")
    page.fill(f"#place-{li.pk}", "2")
    page.click("[data-testid=save-order]")
    page.wait_for_selector("[data-testid=next-name]")
    assert page.inner_text("[data-testid=next-name]") == "置业顾问·陈晨"

    # the desk: a walk-in goes to 陈晨; 李娜 is on the phone and is skipped once
    _relogin(page, browser_login, "consultant")
    page.goto(f"/reception/desk/?project={project.pk}")
    page.click("[data-testid=take-next]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("[data-testid=next-name]") == "置业顾问·李娜"
    page.fill("#skip-reason", "正在接听电话")
    page.click("[data-testid=skip]")
    page.wait_for_selector(".alert-success")
    page.click("[data-testid=take-next]")
    page.wait_for_selector("[data-testid=desk-book] li >> nth=2")
    today = DeskTurn.objects.filter(desk_day__day=timezone.localdate())
    assert today.filter(kind="skipped", reason="正在接听电话").count() == 1
    screenshot("reception-desk-order")

    # a returning visitor: 陈晨's customer, whom 李娜 cannot see, looked up by his number
    # first: he goes to 陈晨 (masked for her), and nobody's place in the order moves
    customer_register(
        by=chen, company=world.companies["sz"], project=project, phone=RETURNING, name="司马老客"
    )
    page.fill("#desk-q", RETURNING)
    page.click("[data-testid=desk-find]")
    page.wait_for_selector("[data-testid=desk-by-number]")
    assert "司马老客" not in page.inner_text("main")
    page.click("[data-testid=desk-by-number]")
    page.wait_for_selector(".alert-success")
    assert "陈*" in page.inner_text(".alert-success")
    assert "司马老客" not in page.content() and RETURNING not in page.url
    assert page.inner_text("[data-testid=next-name]") == "置业顾问·李娜"  # order unchanged
    assert "陈*" in page.inner_text("[data-testid=desk-book] li >> nth=0")
    assert today.filter(kind="returning", consultant=chen, received_by=li).count() == 1
    screenshot("reception-desk-returning")

    # 李娜's booked customer arrives: found by the last 4 digits, the visit linked to the call
    page.click("text=来访登记")
    page.fill("#visit-q", PHONE[-4:])
    page.click("[data-testid=find-customer]")
    page.wait_for_selector("[data-testid=search-results]")
    assert PHONE not in page.content()
    page.click("[data-testid=choose-customer]")
    page.wait_for_selector("[data-testid=chosen-customer]")
    page.click("[data-testid=stamp-arrival]")
    page.click("[data-testid=stamp-reception]")
    unit = Unit.objects.filter(project=project).order_by("building__code", "-floor").first()
    page.select_option("#id_units_shown", [str(unit.pk)])
    page.check(f"input[name=layouts_shown][value='{unit.layout}']")
    page.locator("[data-testid=risk-factors] input[type=checkbox]").first.check()
    screenshot("reception-visit-form-found-customer")
    page.click("[data-testid=visit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=booked-call]")
    visit = Visit.objects.get(customer__phone=PHONE)
    assert visit.booked_call is not None and list(visit.units_shown.all()) == [unit]
    assert str(unit) in page.inner_text("[data-testid=products-shown]")
    screenshot("reception-visit-detail-linked")

    # 张伟 (云境) receives 李娜's protected customer at his sales office
    _relogin(page, browser_login, "consultant2")
    page.goto("/reception/visits/new/")
    page.fill("#id_phone", PHONE)
    page.fill("#id_name", "欧阳娜娜")
    page.click("[data-testid=stamp-arrival]")
    page.click("[data-testid=visit-form] button[type=submit]")
    page.wait_for_selector(".alert-warning")
    warning = page.inner_text(".alert-warning")
    assert "李*" in warning and "欧阳娜娜" not in page.inner_text("main")
    screenshot("reception-protected-walkin")
    assert FollowUpTask.objects.filter(
        assignee=li, kind=TaskKind.VISIT_BY_COLLEAGUE, customer__phone=PHONE
    ).exists()

    # a walk-in whose reception start nobody noted
    visit_register(
        by=chen,
        project=project,
        arrived_at=timezone.now() - timedelta(minutes=30),
        phone="13812345519",
        name="周芷若",
    )
    # the manager: metrics with the unrecorded values shown as such, and the shares
    _relogin(page, browser_login, "manager")
    page.goto("/reception/metrics/")
    page.wait_for_selector("[data-testid=desk-fairness]")
    assert page.locator("[data-testid=rings-missing]").is_visible()
    assert page.locator("[data-testid=waits-missing]").is_visible()
    fairness = page.inner_text("[data-testid=desk-fairness]")
    assert "置业顾问·陈晨" in fairness and "置业顾问·李娜" in fairness
    chen_row = page.locator("[data-testid=desk-fairness] tr", has_text="置业顾问·陈晨")
    assert chen_row.locator("[data-testid=fairness-returning]").inner_text() == "1"
    screenshot("reception-metrics-missing")
