"""SAL-2: the three follow-up rules, with due dates in local (Asia/Shanghai) calendar days."""

from datetime import date

import pytest
from django.utils import translation

from anju.reception import followup_rules
from anju.reception.models import FollowUpTask, TaskKind
from anju.reception.services.calls import _summary

from .conftest import frozen, local

pytestmark = pytest.mark.django_db


def kinds(result):
    return {t.kind: t.due_date for t in result.tasks}


def test_thank_you_sms_is_due_the_same_local_day(world, log_call):
    called = local(2026, 3, 9, 23, 30)  # 15:30 UTC: the UTC date is the same, the next hour isn't
    with frozen(local(2026, 3, 9, 23, 45)):
        result = log_call(called_at=called)
    # no wish to visit: a follow-up call after the company's days (3 by default, item 7)
    assert kinds(result) == {TaskKind.SMS: date(2026, 3, 9), TaskKind.FOLLOW_UP: date(2026, 3, 12)}
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


# --- issue 9 item 2: repeated calls the same local day fold into one open task per kind ------


def test_repeated_calls_of_the_same_day_fold_into_one_task_of_each_kind(world, log_call):
    """Three calls in one night: one SMS task, one invitation call, each linked to all three."""
    with frozen(local(2026, 5, 6, 22, 30)):
        first = log_call(called_at=local(2026, 5, 6, 19, 10), visit_wanted=True)
        second = log_call(called_at=local(2026, 5, 6, 20, 5), visit_wanted=True)
        third = log_call(called_at=local(2026, 5, 6, 22, 0), visit_wanted=True)
    customer = first.customer
    tasks = FollowUpTask.objects.filter(customer=customer)
    assert sorted(tasks.values_list("kind", flat=True)) == [TaskKind.CALL, TaskKind.SMS]
    for task in tasks:
        assert set(task.calls.values_list("pk", flat=True)) == {
            first.call.pk,
            second.call.pk,
            third.call.pk,
        }
    assert {t.pk for t in third.tasks} == {t.pk for t in first.tasks}
    with translation.override("en"):
        assert _summary(third.tasks[:0], third.tasks) == (
            "Call logged. Open tasks of today that now also cover this call: 2."
        )
    from anju.core.models import Event

    assert Event.objects.filter(verb="reception.task_folded", target_id__in=tasks).count() == 4


def test_the_next_local_day_starts_new_tasks(world, log_call):
    """23:50 and 00:10 are two days in Shanghai (one in UTC): the second call gets its own."""
    with frozen(local(2026, 5, 7, 0, 30)):
        first = log_call(called_at=local(2026, 5, 6, 23, 50))
        second = log_call(called_at=local(2026, 5, 7, 0, 10))
    assert {t.pk for t in first.tasks}.isdisjoint({t.pk for t in second.tasks})
    assert kinds(second) == {TaskKind.SMS: date(2026, 5, 7), TaskKind.FOLLOW_UP: date(2026, 5, 10)}


def test_a_done_task_does_not_absorb_a_later_call(world, log_call):
    from anju.reception.services import task_complete

    with frozen(local(2026, 5, 6, 18)):
        first = log_call(called_at=local(2026, 5, 6, 10))
        sms = next(t for t in first.tasks if t.kind == TaskKind.SMS)
        task_complete(by=world.users["consultant"], task=sms)
        second = log_call(called_at=local(2026, 5, 6, 17))
    again = next(t for t in second.tasks if t.kind == TaskKind.SMS)
    assert again.pk != sms.pk and again.status == "open"


def test_a_later_booking_the_same_day_moves_the_confirmation_call(world, log_call):
    with frozen(local(2026, 5, 6, 18)):
        log_call(called_at=local(2026, 5, 6, 10), visit_booked_for=local(2026, 5, 9, 10))
        second = log_call(called_at=local(2026, 5, 6, 17), visit_booked_for=local(2026, 5, 12, 15))
    confirmation = FollowUpTask.objects.get(
        customer=second.customer, kind=TaskKind.VISIT_CONFIRMATION
    )
    assert confirmation.due_date == date(2026, 5, 11) and "05-12 15:00" in confirmation.title


def test_colleagues_calls_for_a_protected_customer_fold_for_the_owner(world, log_call, colleague):
    """The night of three SMS tasks: the owner gets one of each kind, whoever took the calls."""
    with frozen(local(2026, 5, 6, 23, 45)):
        owner_call = log_call(called_at=local(2026, 5, 6, 9), visit_wanted=True)
        for hour in (20, 22, 23):
            log_call(who=colleague.username, called_at=local(2026, 5, 6, hour), visit_wanted=True)
    tasks = FollowUpTask.objects.filter(customer=owner_call.customer, status="open")
    assert sorted(tasks.values_list("kind", flat=True)) == [TaskKind.CALL, TaskKind.SMS]
    assert {t.assignee_id for t in tasks} == {world.users["consultant"].pk}
    assert all(t.calls.count() == 4 for t in tasks)


def test_call_page_lists_the_tasks_its_message_counts(world, login, log_call):
    """The saved message and the page agree (never '1 task created' above 'no task'): a
    repeated call of the day shows the day's tasks it folded into."""
    client = login(world.users["consultant"])
    with frozen(local(2026, 5, 6, 15)):
        log_call(called_at=local(2026, 5, 6, 11), visit_wanted=True)
        response = client.post(
            "/reception/calls/new/",
            {
                "project": world.projects["binhai"].pk,
                "called_at": "2026-05-06T14:50",
                "phone": "138 1234 0001",
                "name": "张三丰",
                "gender": "M",
                "source": "hotline",
                "rings": "2",
                "answer_seconds": "5",
                "duration_minutes": "2",
                "visit_wanted": "on",
            },
            follow=True,
        )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="task"') == 2, page
    assert "No follow-up" not in page and "无跟进任务" not in page
    assert "今天已有的待办任务也涵盖了这次来电：2" in page, page


# --- issue 9 item 7: the rules' gaps, each with a frozen clock ---------------------------------


def _visit(world, customer, when, who="consultant"):
    from anju.reception.services import visit_register

    return visit_register(
        by=world.users[who],
        project=world.projects["binhai"],
        customer=customer,
        arrived_at=when,
        reception_started_at=when,
    )


def test_a_call_without_visit_intent_gets_a_follow_up_call_after_the_companys_days(world, log_call):
    from anju.reception.services import followup_settings_update

    with frozen(local(2026, 6, 1, 11)):
        result = log_call(called_at=local(2026, 6, 1, 10))
    assert kinds(result) == {TaskKind.SMS: date(2026, 6, 1), TaskKind.FOLLOW_UP: date(2026, 6, 4)}
    followup_settings_update(
        by=world.users["manager"], company=world.companies["sz"], no_intent_days=7
    )
    with frozen(local(2026, 6, 2, 11)):
        later = log_call(phone="13812345602", name="王五", called_at=local(2026, 6, 2, 10))
    assert kinds(later)[TaskKind.FOLLOW_UP] == date(2026, 6, 9)


def test_company_timings_drive_invitation_and_confirmation_calls(world, log_call):
    from anju.reception.services import followup_settings_update

    followup_settings_update(
        by=world.users["management"],
        company=world.companies["sz"],
        invitation_days=2,
        confirmation_days_before=2,
    )
    with frozen(local(2026, 6, 1, 11)):
        wanted = log_call(called_at=local(2026, 6, 1, 10), visit_wanted=True)
        booked = log_call(
            phone="13812345603",
            name="赵六",
            called_at=local(2026, 6, 1, 10, 30),
            visit_booked_for=local(2026, 6, 10, 15),
        )
    assert kinds(wanted)[TaskKind.CALL] == date(2026, 6, 3)
    assert kinds(booked)[TaskKind.VISIT_CONFIRMATION] == date(2026, 6, 8)


def test_a_visit_closes_its_call_tasks_and_makes_the_next_day_follow_up(world, log_call):
    with frozen(local(2026, 6, 1, 11)):
        first = log_call(called_at=local(2026, 6, 1, 10), visit_booked_for=local(2026, 6, 5, 15))
    with frozen(local(2026, 6, 3, 11)):
        log_call(called_at=local(2026, 6, 3, 9), visit_wanted=True)  # asked again later
    customer = first.customer
    open_calls = FollowUpTask.objects.filter(
        customer=customer, status="open", kind__in=[TaskKind.VISIT_CONFIRMATION, TaskKind.CALL]
    )
    assert open_calls.count() == 2
    sms_ids = set(
        FollowUpTask.objects.filter(customer=customer, kind=TaskKind.SMS).values_list(
            "pk", flat=True
        )
    )
    with frozen(local(2026, 6, 5, 16)):
        result = _visit(world, customer, local(2026, 6, 5, 15, 5))
    assert not open_calls.exists()
    closed = FollowUpTask.objects.filter(pk__in=[t.pk for t in result.tasks_closed])
    assert set(closed.values_list("status", flat=True)) == {"done"}
    assert all("2026-06-05 15:05" in t.outcome for t in closed)
    (post,) = result.tasks
    assert "2026-06-06" in result.message and "2 个" in result.message
    assert post.rule == followup_rules.RULE_POST_VISIT and post.kind == TaskKind.FOLLOW_UP
    assert post.due_date == date(2026, 6, 6) and post.assignee == world.users["consultant"]
    # the thank-you SMS are not call tasks: the visit leaves them alone
    assert set(FollowUpTask.objects.filter(pk__in=sms_ids).values_list("status", flat=True)) == {
        "open"
    }


def test_a_late_night_visit_follows_up_the_next_local_day(world, log_call):
    with frozen(local(2026, 6, 1, 23, 50)):
        customer = log_call(called_at=local(2026, 6, 1, 10)).customer
        result = _visit(world, customer, local(2026, 6, 1, 23, 40))  # 15:40 UTC
    assert result.tasks[0].due_date == date(2026, 6, 2)


def _opportunity(world, customer):
    from anju.reception.services import opportunity_open

    return opportunity_open(
        by=world.users["consultant"],
        customer=customer,
        products_of_interest="1栋 0802",
        expected_value="3000000",
    )


def test_losing_an_opportunity_cancels_its_customers_open_tasks_with_the_reason(world, log_call):
    from anju.reception.models import LossReason
    from anju.reception.services import opportunity_close

    with frozen(local(2026, 6, 1, 11)):
        customer = log_call(called_at=local(2026, 6, 1, 10), visit_wanted=True).customer
    opp = _opportunity(world, customer)
    reason = LossReason.objects.filter(company=world.companies["sz"]).first()
    opportunity_close(by=world.users["consultant"], opportunity=opp, won=False, reason=reason)
    tasks = FollowUpTask.objects.filter(customer=customer)
    assert tasks.count() == 2
    assert set(tasks.values_list("status", flat=True)) == {"cancelled"}
    assert all(reason.name in t.outcome for t in tasks)


def test_losing_one_of_two_open_opportunities_keeps_the_tasks(world, log_call):
    from anju.reception.models import LossReason
    from anju.reception.services import opportunity_close

    with frozen(local(2026, 6, 1, 11)):
        customer = log_call(called_at=local(2026, 6, 1, 10)).customer
    opp = _opportunity(world, customer)
    _opportunity(world, customer)
    reason = LossReason.objects.filter(company=world.companies["sz"]).first()
    opportunity_close(by=world.users["consultant"], opportunity=opp, won=False, reason=reason)
    assert set(FollowUpTask.objects.filter(customer=customer).values_list("status", flat=True)) == {
        "open"
    }


def test_winning_hands_over_to_the_deal_flow(world, log_call):
    from anju.core.models import Event
    from anju.reception import hooks
    from anju.reception.models import WinReason
    from anju.reception.services import opportunity_close

    handed = []

    def deal_flow(*, by, opportunity):
        handed.append((by, opportunity.pk, opportunity.stage))

    with frozen(local(2026, 6, 1, 11)):
        customer = log_call(called_at=local(2026, 6, 1, 10)).customer
    opp = _opportunity(world, customer)
    hooks.register_won_handler(deal_flow)
    try:
        opportunity_close(
            by=world.users["consultant"],
            opportunity=opp,
            won=True,
            reason=WinReason.objects.filter(company=world.companies["sz"]).first(),
        )
    finally:
        hooks.unregister_won_handler(deal_flow)
    assert handed == [(world.users["consultant"], opp.pk, "won")]
    assert Event.objects.filter(verb="reception.opportunity_won", target_id=opp.pk).exists()
    assert set(FollowUpTask.objects.filter(customer=customer).values_list("status", flat=True)) == {
        "open"
    }  # the deal flow decides what follows a win


def test_timings_are_per_company_bounded_and_recorded(world):
    from anju.core.errors import ApplicationError, NotPermitted
    from anju.core.models import Event
    from anju.reception.services import followup_settings_update, timing_for

    sz, zh = world.companies["sz"], world.companies["zh"]
    followup_settings_update(by=world.users["manager"], company=sz, post_visit_days=2)
    assert timing_for(sz.pk).post_visit_days == 2
    assert timing_for(zh.pk) == followup_rules.DEFAULT_TIMING
    event = Event.objects.filter(verb="reception.followup_settings_changed").latest("pk")
    assert event.details == {"post_visit_days": {"from": 1, "to": 2}}
    for bad in (0, 31, "x"):
        with pytest.raises(ApplicationError):
            followup_settings_update(by=world.users["manager"], company=sz, post_visit_days=bad)
    with pytest.raises(NotPermitted):
        followup_settings_update(by=world.users["consultant"], company=sz, no_intent_days=5)
    with pytest.raises(NotPermitted):
        followup_settings_update(by=world.users["manager"], company=zh, no_intent_days=5)
    assert timing_for(sz.pk).post_visit_days == 2 and timing_for(sz.pk).no_intent_days == 3


def test_rules_page_lists_every_rule_and_saves_timings(world, login):
    from anju.reception.services import timing_for

    client = login(world.users["manager"])
    page = client.get("/reception/rules/").content.decode()
    for rule in followup_rules.rules_table():
        assert f'data-rule="{rule.code}"' in page
    assert 'name="no_intent_days"' in page and 'value="3"' in page
    values = {
        "company": world.companies["sz"].pk,
        "confirmation_days_before": 1,
        "invitation_days": 1,
        "no_intent_days": 5,
        "post_visit_days": 1,
        "subscription_revisit_days": 3,
        "signing_revisit_days": 7,
    }
    response = client.post("/reception/rules/", values)
    assert response.status_code == 302
    assert timing_for(world.companies["sz"].pk).no_intent_days == 5
    response = client.post("/reception/rules/", {**values, "no_intent_days": 0})
    assert response.status_code == 400 and 'data-testid="error-no_intent_days"' in (
        response.content.decode()
    )
    assert timing_for(world.companies["sz"].pk).no_intent_days == 5
    assert login(world.users["consultant"]).get("/reception/rules/").status_code == 403
