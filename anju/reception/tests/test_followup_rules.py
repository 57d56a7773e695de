"""SAL-2: the three follow-up rules, with due dates in local (Asia/Shanghai) calendar days."""

from datetime import date

import pytest

from anju.reception import followup_rules
from anju.reception.models import FollowUpTask, TaskKind

from .conftest import frozen, local

pytestmark = pytest.mark.django_db


def kinds(result):
    return {t.kind: t.due_date for t in result.tasks}


def test_thank_you_sms_is_due_the_same_local_day(world, log_call):
    called = local(2026, 3, 9, 23, 30)  # 15:30 UTC: the UTC date is the same, the next hour isn't
    with frozen(local(2026, 3, 9, 23, 45)):
        result = log_call(called_at=called)
    assert kinds(result) == {TaskKind.SMS: date(2026, 3, 9)}
    sms = result.tasks[0]
    assert sms.assignee == world.users["consultant"] and sms.customer == result.customer
    assert sms.message.startswith("张先生您好，我是安居·滨海花园销售代表李娜，很高兴接听您的来电")
    assert "最满意的“家”" in sms.message


def test_just_after_midnight_counts_as_the_new_local_day(world, log_call):
    called = local(2026, 3, 10, 0, 20)  # still 9 March in UTC
    with frozen(local(2026, 3, 10, 0, 30)):
        result = log_call(called_at=called, visit_wanted=True)
    assert kinds(result) == {TaskKind.SMS: date(2026, 3, 10), TaskKind.CALL: date(2026, 3, 11)}


def test_visit_wanted_without_date_gives_a_next_day_call(world, log_call):
    with frozen(local(2026, 3, 31, 18, 0)):
        result = log_call(called_at=local(2026, 3, 31, 17, 40), visit_wanted=True)
    assert kinds(result) == {TaskKind.SMS: date(2026, 3, 31), TaskKind.CALL: date(2026, 4, 1)}
    call_task = next(t for t in result.tasks if t.kind == TaskKind.CALL)
    assert call_task.rule == followup_rules.RULE_NEXT_DAY_CALL and call_task.message == ""


def test_booked_visit_gives_a_confirmation_call_the_day_before(world, log_call):
    with frozen(local(2026, 3, 9, 11, 0)):
        result = log_call(
            called_at=local(2026, 3, 9, 10, 30), visit_booked_for=local(2026, 3, 14, 0, 30)
        )
    # 00:30 on the 14th is 16:30 UTC on the 13th: the day before is still the 13th locally
    assert kinds(result) == {
        TaskKind.SMS: date(2026, 3, 9),
        TaskKind.VISIT_CONFIRMATION: date(2026, 3, 13),
    }
    assert result.call.visit_wanted is True  # a booked visit is a wanted visit
    assert FollowUpTask.objects.filter(source_id=result.call.pk).count() == 2


def test_visit_booked_for_later_today_needs_no_confirmation_call(world, log_call):
    with frozen(local(2026, 3, 9, 9, 5)):
        result = log_call(
            called_at=local(2026, 3, 9, 9, 0), visit_booked_for=local(2026, 3, 9, 15, 0)
        )
    assert kinds(result) == {TaskKind.SMS: date(2026, 3, 9)}


def test_visit_booked_for_tomorrow_is_confirmed_today(world, log_call):
    with frozen(local(2026, 3, 9, 20, 5)):
        result = log_call(
            called_at=local(2026, 3, 9, 20, 0), visit_booked_for=local(2026, 3, 10, 10, 0)
        )
    assert kinds(result)[TaskKind.VISIT_CONFIRMATION] == date(2026, 3, 9)


def test_caller_who_declined_details_gets_no_follow_up(world, log_call):
    result = log_call(details_declined=True, name="", phone="")
    assert result.tasks == [] and result.customer is None and result.call.details_declined


def test_revisit_after_signing_uses_the_same_task_mechanism(world, log_call):
    from anju.reception.services import schedule_revisit

    customer = log_call().customer
    with frozen(local(2026, 5, 1, 23, 50)):
        task = schedule_revisit(
            by=world.users["consultant"], customer=customer, after="signing", days=30
        )
    assert task.kind == TaskKind.REVISIT and task.due_date == date(2026, 5, 31)
    assert task.assignee == world.users["consultant"] and "签约后30天回访" in task.title


def test_salutations():
    s = followup_rules.salutation
    assert (
        s("欧阳振华", "M") == "欧阳先生" and s("李娜", "F") == "李女士" and s("王芳", "U") == "王芳"
    )
    assert followup_rules.short_staff_name("置业顾问·李娜") == "李娜"
    text = followup_rules.render_thank_you_sms(
        name="李娜",
        gender="F",
        project_name="安居·云境",
        consultant="张伟",
        hotline="0755-88886666",
    )
    assert "售楼热线0755-88886666" in text and text.startswith("李女士您好")
