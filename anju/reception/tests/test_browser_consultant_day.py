"""Issue 9, "will be checked": a consultant's day walked in a real browser, page by page.

李娜 (demo ``consultant``, 滨海花园) logs a call with a booked visit → the follow-up tasks have
the right due dates (thank-you SMS today, confirmation call the day before the visit) → the
visit closes the confirmation call → an opportunity → lost with a reason closes its tasks.
Screenshots: the workbench, the 360° page, the pipeline board. Then the protection: the owner
reveals his customer's number (logged), a colleague cannot; the colleague's call on the
protected customer gives the owner the follow-up in the owner's name; the colleague's walk-in
of that customer is registered and credited to the owner; an engineer gets 403 on writes.

The clock is the real one (the visit form's stamp buttons use the browser's clock, which a
server-side freeze cannot reach); every date is computed from ``timezone.localdate()``, i.e.
today in Asia/Shanghai.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from anju.core.models import PersonalDataAccess
from anju.customers.models import Customer
from anju.reception.models import (
    FollowUpTask,
    LossReason,
    Opportunity,
    PhoneCall,
    Stage,
    TaskKind,
    TaskStatus,
    Visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13812349901"
NAME = "欧阳明"


def _relogin(page, browser_login, username):
    page.context.clear_cookies()
    return browser_login(username)


def _label(choice):
    with override("zh-hans"):
        return str(choice.label)


def _post_from_page(page, url):
    """A POST the page's own JavaScript could send (with the page's CSRF token): its status."""
    return page.evaluate(
        """async (url) => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const r = await fetch(url, {method: 'POST', headers});
            return r.status;
        }""",
        url,
    )


def reveals_of(customer):
    """The access log's rows of full views of the customer's personal data."""
    return PersonalDataAccess.objects.filter(
        action=PersonalDataAccess.Action.VIEW, target_id=customer.pk, fields="phone"
    )


def _task_page_status(page, task):
    """The status line of the task's own page, as its consultant reads it."""
    page.goto(f"/reception/tasks/{task.pk}/")
    return (
        page.locator("dt", has_text="状态").locator("xpath=following-sibling::dd[1]").inner_text()
    )


def test_a_consultant_s_day(
    world, colleague, page, browser_login, screenshot, no_sms_senders, nav_to
):
    li = world.users["consultant"]
    project = world.projects["binhai"]
    today = timezone.localdate()
    visit_day = today + timedelta(days=3)

    # --- 1. a call with a booked visit ---------------------------------------------------------
    browser_login("consultant")
    page.goto("/reception/calls/new/")
    page.fill("#id_phone", PHONE)
    page.fill("#id_name", NAME)
    page.check("input[name=gender][value=M]")
    page.fill("#id_rings", "2")
    page.fill("#id_questions", "想看三房，周日带太太来")
    page.fill("#id_visit_booked_for", f"{visit_day:%Y-%m-%d}T10:30")
    page.click("[data-testid=call-form] button[type=submit]")
    page.wait_for_selector("[data-testid=generated-tasks]")
    customer = Customer.objects.get(phone=PHONE)
    assert customer.owner_id == li.pk and customer.protected_until
    assert page.locator("[data-testid=generated-tasks] [data-testid=task]").count() == 2

    # --- 2. the tasks, with their due dates, on the task list and the workbench ----------------
    nav_to("跟进任务")
    sms_row = page.locator(
        "[data-testid=bucket-today] [data-testid=task][data-kind=sms]", has_text=NAME
    )
    assert f"到期 {today:%Y-%m-%d}" in sms_row.inner_text()
    confirm_row = page.locator(
        "[data-testid=bucket-upcoming] [data-testid=task][data-kind=visit_confirmation]",
        has_text=NAME,
    )
    assert f"到期 {visit_day - timedelta(days=1):%Y-%m-%d}" in confirm_row.inner_text()
    sms = FollowUpTask.objects.get(customer=customer, kind=TaskKind.SMS)
    confirmation = FollowUpTask.objects.get(customer=customer, kind=TaskKind.VISIT_CONFIRMATION)
    assert "李娜" in sms.message

    page.goto("/")
    wb_sms = page.locator(f"#wb-task-{sms.pk}")
    assert "今天" in wb_sms.inner_text() and NAME in wb_sms.inner_text()
    # the confirmation call is not today's work yet
    assert page.locator(f"#wb-task-{confirmation.pk}").count() == 0
    screenshot("walk-workbench")
    wb_sms.locator("[data-testid=wb-task-complete]").click()  # the SMS went out
    page.wait_for_selector(f"#wb-task-{sms.pk} [data-testid=wb-task-done]")

    # --- 3. he comes early: the visit, from the 360° page, closes the confirmation call ---------
    page.goto(f"/customers/{customer.pk}/")
    page.click("[data-testid=act-visit]")
    page.wait_for_selector("[data-testid=chosen-customer]")
    page.click("[data-testid=stamp-arrival]")
    page.click("[data-testid=stamp-reception]")
    page.fill("#id_products_shown", "2栋 18F 三室两厅 118㎡")
    page.click("[data-testid=visit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=visit-card]")
    visit = Visit.objects.get(customer=customer)
    assert visit.consultant_id == li.pk
    assert _task_page_status(page, confirmation).startswith(_label(TaskStatus.DONE))
    assert "客户已于" in page.inner_text("main")  # the outcome says the customer visited
    post_visit = FollowUpTask.objects.get(customer=customer, kind=TaskKind.FOLLOW_UP)
    assert post_visit.status == TaskStatus.OPEN and post_visit.due_date == today + timedelta(1)

    # --- 4. an opportunity from the visit, on the pipeline board ---------------------------------
    page.goto(f"/reception/visits/{visit.pk}/")
    page.click("[data-testid=open-opportunity]")
    page.wait_for_selector("[data-testid=from-visit]")
    page.fill("#id_expected_value", "3280000")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("[data-testid=opportunity-card]")
    opp = Opportunity.objects.get(customer=customer)
    assert opp.consultant_id == li.pk and opp.source_visit_id == visit.pk
    page.goto("/reception/pipeline/")
    card = page.locator(f"#opp-{opp.pk}")
    card.wait_for()
    assert NAME in card.inner_text()
    screenshot("walk-pipeline")

    # --- 5. the owner reveals his customer's number on the 360° page (logged) ------------------
    page.goto(f"/customers/{customer.pk}/")
    page.click("[data-testid=reveal-phone]")
    revealed = page.locator("[data-revealed=phone]")
    revealed.wait_for()
    assert revealed.get_attribute("href") == f"tel:{PHONE}"
    assert reveals_of(customer).filter(user=li).count() == 1
    screenshot("walk-customer-360")

    # --- 6. lost, with a reason: its open tasks are cancelled ------------------------------------
    reason = LossReason.objects.filter(company=project.company, is_active=True).first()
    page.goto(f"/reception/opportunities/{opp.pk}/")
    page.check("input[name=outcome][value=lost]")
    page.select_option("#id_loss_reason", str(reason.pk))
    page.click("[data-testid=close-form] button[type=submit]")
    page.wait_for_selector(f"[data-testid=stage] >> text={_label(Stage.LOST)}")
    assert reason.name in page.inner_text("[data-testid=reason]")
    assert _task_page_status(page, post_visit).startswith(_label(TaskStatus.CANCELLED))
    assert reason.name in page.inner_text("main")
    assert _task_page_status(page, sms).startswith(_label(TaskStatus.DONE))  # done stays done
    assert not FollowUpTask.objects.filter(customer=customer, status=TaskStatus.OPEN).exists()

    # --- 7. a colleague on the same project may not see the number ------------------------------
    _relogin(page, browser_login, colleague.username)
    assert page.goto(f"/customers/{customer.pk}/").status == 404
    page.goto("/")
    assert _post_from_page(page, f"/customers/{customer.pk}/reveal/phone/") == 404
    assert not reveals_of(customer).exclude(user=li).exists()

    # --- 8. ...and when the protected customer calls him, the follow-up is the owner's ----------
    page.goto("/reception/calls/new/")
    page.select_option("#id_project", str(project.pk))
    page.fill("#id_phone", PHONE)
    page.fill("#id_name", "欧阳先生")
    page.fill("#id_questions", "问一下首付比例")
    page.click("[data-testid=call-form] button[type=submit]")
    page.wait_for_selector(".alert-warning")
    assert "另一位置业顾问" in page.inner_text(".alert-warning")
    assert NAME not in page.inner_text("main")
    call = PhoneCall.objects.filter(consultant=colleague).latest("id")
    assert call.customer_id == customer.pk
    from_call = list(FollowUpTask.objects.filter(calls=call))
    # one task of each kind the call calls for: the owner's, in his project, signed by him
    assert Counter(t.kind for t in from_call) == {TaskKind.SMS: 1, TaskKind.FOLLOW_UP: 1}
    assert {(t.assignee_id, t.project_id) for t in from_call} == {(li.pk, project.pk)}
    owner_sms = next(t for t in from_call if t.kind == TaskKind.SMS)
    assert "李娜" in owner_sms.message and "张伟" not in owner_sms.message
    assert not FollowUpTask.objects.filter(assignee=colleague, customer=customer).exists()

    # --- 9. ...and when he walks in, the visit is registered and credited to the owner ----------
    page.goto(f"/reception/visits/new/?project={project.pk}")
    page.fill("#id_phone", PHONE)
    page.fill("#id_name", "欧阳先生")
    page.click("[data-testid=stamp-arrival]")
    page.click("[data-testid=stamp-reception]")
    page.click("[data-testid=visit-form] button[type=submit]")
    page.wait_for_selector(".alert-warning")
    assert NAME not in page.inner_text("main")
    walk_in = Visit.objects.filter(customer=customer).latest("id")
    assert (walk_in.consultant_id, walk_in.received_by_id) == (li.pk, colleague.pk)
    told = FollowUpTask.objects.filter(customer=customer, kind=TaskKind.VISIT_BY_COLLEAGUE)
    assert [(t.assignee_id, t.due_date) for t in told] == [(li.pk, today)]
    # one task: no post-visit call on top, and the colleague's call's follow-up is closed
    assert list(
        FollowUpTask.objects.filter(customer=customer, status=TaskStatus.OPEN)
        .exclude(kind=TaskKind.SMS)
        .values_list("kind", flat=True)
    ) == [TaskKind.VISIT_BY_COLLEAGUE]

    # the owner finds both on his task list, for today
    _relogin(page, browser_login, "consultant")
    page.goto("/reception/tasks/")
    today_bucket = page.locator("[data-testid=bucket-today]")
    today_bucket.wait_for()
    assert today_bucket.locator("[data-kind=visit_by_colleague]", has_text=NAME).count() == 1
    assert today_bucket.locator("[data-kind=sms]", has_text=NAME).count() == 1

    # --- 10. an engineer may not write at the reception -----------------------------------------
    calls, visits = PhoneCall.objects.count(), Visit.objects.count()
    _relogin(page, browser_login, "engineer")
    assert page.goto("/reception/calls/new/").status == 403
    assert page.goto("/reception/visits/new/").status == 403
    page.goto("/")
    assert _post_from_page(page, "/reception/calls/new/") == 403
    assert _post_from_page(page, "/reception/visits/new/") == 403
    assert _post_from_page(page, f"/reception/tasks/{told[0].pk}/complete/") in (403, 404)
    assert (PhoneCall.objects.count(), Visit.objects.count()) == (calls, visits)
    assert FollowUpTask.objects.get(pk=told[0].pk).status == TaskStatus.OPEN
