"""SAL-1 … SAL-5 services: repeat callers, disclosure, tasks, opportunities, bad input, hook."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event
from anju.customers.models import Customer
from anju.reception import hooks, services
from anju.reception.models import (
    FollowUpTask,
    LossReason,
    Opportunity,
    PhoneCall,
    RiskFactor,
    Stage,
    TaskKind,
    TaskStatus,
    Visit,
    WinReason,
)
from anju.webhooks.delivery import enqueue_if_anyone_listens

from .conftest import frozen, local

pytestmark = pytest.mark.django_db


# --- calls -------------------------------------------------------------------------------------


def test_call_registers_the_caller_renews_protection_and_writes_events(world, log_call):
    result = log_call()
    customer = result.customer
    assert customer.phone == "13812340001" and customer.owner == world.users["consultant"]
    assert customer.project == world.projects["binhai"]
    call = result.call
    assert call.phone == "13812340001" and call.consultant == world.users["consultant"]
    assert not call.is_repeat
    verbs = list(
        Event.objects.filter(subject_id=customer.pk, verb__startswith="reception.").values_list(
            "verb", flat=True
        )
    )
    assert "reception.call_logged" in verbs and "reception.task_created" in verbs
    customer.refresh_from_db()
    assert customer.protected_until > timezone.now() + timedelta(days=29)


def test_repeat_caller_is_detected_by_number_within_the_project(world, log_call):
    first = log_call(called_at=timezone.now() - timedelta(days=2))
    again = log_call(phone="+86 138-1234-0001")
    assert not first.call.is_repeat and again.call.is_repeat
    assert again.customer == first.customer  # one person, one customer (CUS-3)
    # the same number calling another project for the first time is a first call there
    other = log_call(who="consultant2", project="yunjing", phone="13812349999", name="李四")
    assert not other.call.is_repeat
    # an anonymous caller whose number called before is still recognised as a repeat
    anon = log_call(details_declined=True, name="", phone="13812340001")
    assert anon.call.is_repeat and anon.customer is None


def test_call_bad_input_is_refused_with_a_field_and_nothing_written(world, log_call):
    before = (PhoneCall.objects.count(), FollowUpTask.objects.count(), Customer.objects.count())
    cases = [
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"name": "  "}, "name"),
        ({"rings": -1}, "rings"),
        ({"duration_seconds": "abc"}, "duration_seconds"),
        ({"called_at": timezone.now() + timedelta(days=1)}, "called_at"),
        ({"visit_booked_for": timezone.now() - timedelta(hours=1)}, "visit_booked_for"),
        ({"source": "bogus"}, "source"),
        ({"phone": "1391234abcd"}, "phone"),  # letters are not keypad digits here
        ({"called_at": datetime(1, 1, 1, 10, 0)}, "called_at"),  # overflowed date arithmetic
        ({"visit_booked_for": datetime(9999, 12, 31, 10, 0)}, "visit_booked_for"),
        ({"name": "张" * 51}, "name"),
        (
            {"details_declined": True, "visit_booked_for": timezone.now() + timedelta(days=1)},
            "details_declined",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(ApplicationError) as exc:
            log_call(**kwargs)
        assert exc.value.field == field, kwargs
    after = (PhoneCall.objects.count(), FollowUpTask.objects.count(), Customer.objects.count())
    assert after == before


def test_colleagues_protected_caller_is_logged_and_followed_up_by_the_owner(world, log_call):
    """SAL-1 logs every call; CUS-4 keeps the customer with 李娜, who gets the follow-ups.

    The caller learns only that the number is protected, by 李* (issue 7 item 1): the result
    carries no customer and no tasks, the message no name, code or expiry.
    """
    # consultant 李娜 owns 13812340001 in sz since yesterday (today's calls would fold)
    first = log_call(visit_wanted=True, called_at=timezone.now() - timedelta(days=1))
    result = log_call(who="consultant2", project="yunjing", visit_wanted=True)
    assert result.call.consultant_id == world.users["consultant2"].pk
    assert result.call.customer_id == first.customer.pk
    assert result.customer is None and result.tasks == []
    assert "李*" in result.message and "李娜" not in result.message
    assert first.customer.name not in result.message and first.customer.code not in result.message
    customer = Customer.objects.get(pk=first.customer.pk)
    assert customer.owner_id == world.users["consultant"].pk  # no 撞单 takeover
    owners = set(
        FollowUpTask.objects.filter(source_id=result.call.pk, customer=customer).values_list(
            "assignee_id", flat=True
        )
    )
    assert owners == {world.users["consultant"].pk}


def test_project_out_of_scope_is_not_permitted(world, log_call):
    with pytest.raises(NotPermitted):
        log_call(who="consultant", project="haiwan")


def test_sms_hook_sends_and_closes_the_task(
    world, log_call, django_capture_on_commit_callbacks, no_sms_senders
):
    sent = []

    def sender(task):
        sent.append(task.message)
        return True

    hooks.register_sms_sender(sender)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = log_call(visit_wanted=True)
    finally:
        hooks.unregister_sms_sender(sender)
    sms = FollowUpTask.objects.get(source_id=result.call.pk, kind=TaskKind.SMS)
    assert sent == [sms.message] and sms.status == TaskStatus.DONE
    other = FollowUpTask.objects.get(source_id=result.call.pk, kind=TaskKind.CALL)
    assert other.status == TaskStatus.OPEN


def test_without_a_sender_the_sms_task_stays_open(
    world, log_call, django_capture_on_commit_callbacks, no_sms_senders
):
    assert hooks.sms_senders() == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = log_call()
    # nothing is queued when nobody can send (the webhooks' own after-commit check aside)
    assert [c for c in callbacks if getattr(c, "func", None) is not enqueue_if_anyone_listens] == []
    assert result.tasks[0].status == TaskStatus.OPEN


# --- visits ------------------------------------------------------------------------------------


def register_visit(world, who="consultant", project="binhai", **kw):
    now = timezone.now()
    values = {
        "arrived_at": now - timedelta(minutes=30),
        "reception_started_at": now - timedelta(minutes=30) + timedelta(seconds=40),
        "phone": "13812340002",
        "name": "王小明",
        "products_shown": "1栋 12A 三室",
    }
    values.update(kw)
    return services.visit_register(by=world.users[who], project=world.projects[project], **values)


def test_visit_records_which_risk_factors_were_disclosed(world):
    factors = list(RiskFactor.objects.filter(project=world.projects["binhai"], is_active=True))
    assert len(factors) >= 3
    result = register_visit(world, risk_factors=[f.pk for f in factors[:-1]], club_invited=True)
    visit = Visit.objects.get(pk=result.visit.pk)
    assert set(visit.risk_factors_disclosed.all()) == set(factors[:-1])
    assert (visit.risk_factors_total, visit.risk_factors_disclosed_count) == (
        len(factors),
        len(factors) - 1,
    )
    assert not visit.fully_disclosed and result.missing_risk_factors == [factors[-1]]
    assert factors[-1].title in result.message
    assert visit.waiting_seconds == 40 and visit.waited_in_time
    event = Event.objects.get(verb="reception.visit_registered", target_id=visit.pk)
    assert event.details["risk_factors_missing"] == [factors[-1].pk]
    full = register_visit(world, phone="13812340003", name="赵六", risk_factors=factors)
    assert full.missing_risk_factors == [] and full.visit.fully_disclosed


def test_visit_refuses_foreign_risk_factors_and_impossible_times(world):
    other = RiskFactor.objects.filter(project=world.projects["yunjing"]).first()
    now = timezone.now()
    count = Visit.objects.count()
    for kwargs, field in [
        ({"risk_factors": [other.pk]}, "risk_factors"),
        ({"risk_factors": ["x"]}, "risk_factors"),
        ({"reception_started_at": now - timedelta(hours=1)}, "reception_started_at"),
        (
            {
                "arrived_at": now + timedelta(hours=2),
                "reception_started_at": now + timedelta(hours=2),
            },
            "arrived_at",
        ),
        ({"phone": ""}, "phone"),
        ({"arrived_at": datetime(1, 1, 1, 10, 0)}, "arrived_at"),
        ({"next_step": "x" * 1000}, "next_step"),
    ]:
        with pytest.raises(ApplicationError) as exc:
            register_visit(world, **kwargs)
        assert exc.value.field == field
    assert Visit.objects.count() == count


# --- tasks -------------------------------------------------------------------------------------


def test_task_complete_and_cancel(world, log_call):
    result = log_call(visit_wanted=True)
    sms, call_task = sorted(result.tasks, key=lambda t: t.kind != TaskKind.SMS)
    done = services.task_complete(by=world.users["consultant"], task=sms)
    assert done.status == TaskStatus.DONE and done.outcome and done.done_at
    with pytest.raises(ApplicationError) as exc:
        services.task_complete(by=world.users["consultant"], task=call_task, outcome="")
    assert exc.value.field == "outcome"
    with pytest.raises(ApplicationError):  # done is final
        services.task_cancel(by=world.users["consultant"], task=done, reason="x")
    with pytest.raises(NotPermitted):  # another consultant
        services.task_complete(by=world.users["consultant2"], task=call_task, outcome="x")
    with pytest.raises(ApplicationError) as exc:
        services.task_cancel(by=world.users["consultant"], task=call_task, reason=" ")
    assert exc.value.field == "reason"
    # the manager of the project may close his consultant's task
    cancelled = services.task_cancel(by=world.users["manager"], task=call_task, reason="客户已来访")
    assert cancelled.status == TaskStatus.CANCELLED
    assert Event.objects.filter(verb="reception.task_cancelled", target_id=call_task.pk).exists()


def test_revisit_result_is_recorded(world, log_call):
    customer = log_call().customer
    task = services.schedule_revisit(
        by=None, customer=customer, after="subscription", days=7, source=customer
    )
    again = services.schedule_revisit(
        by=None, customer=customer, after="subscription", days=7, source=customer
    )
    assert again.pk == task.pk  # same source and moment: scheduled once
    with pytest.raises(ApplicationError):
        services.schedule_revisit(by=None, customer=customer, after="delivery", days=7)
    with pytest.raises(ApplicationError) as exc:
        services.task_complete(
            by=world.users["consultant"], task=task, outcome="ok", satisfaction=9
        )
    assert exc.value.field == "satisfaction"
    done = services.task_complete(
        by=world.users["consultant"],
        task=task,
        outcome="很满意，想换大户型",
        satisfaction=5,
        needs_changed=True,
    )
    assert (done.satisfaction, done.needs_changed) == (5, True)


# --- opportunities -----------------------------------------------------------------------------


def open_opp(world, log_call, **kw):
    customer = log_call().customer
    values = {"products_of_interest": "三室两厅 98㎡", "expected_value": "3200000"}
    values.update(kw)
    return services.opportunity_open(by=world.users["consultant"], customer=customer, **values)


def test_opportunity_close_needs_a_reason_of_the_right_kind(world, log_call):
    opp = open_opp(world, log_call)
    assert opp.expected_value == Decimal("3200000.00") and opp.stage == Stage.CONTACT
    loss = LossReason.objects.filter(company=world.companies["sz"]).first()
    zh_win = WinReason.objects.filter(company=world.companies["zh"]).first()
    for won, reason in [
        (True, None),
        (False, ""),
        (True, loss),
        (False, zh_win),
        (True, zh_win.pk),
        (False, "x"),
    ]:
        with pytest.raises(ApplicationError) as exc:
            services.opportunity_close(
                by=world.users["consultant"], opportunity=opp, won=won, reason=reason
            )
        assert exc.value.field == "reason"
    opp.refresh_from_db()
    assert opp.stage == Stage.CONTACT and opp.closed_at is None
    closed = services.opportunity_close(
        by=world.users["consultant"], opportunity=opp, won=False, reason=loss, note="买了隔壁"
    )
    assert closed.stage == Stage.LOST and closed.loss_reason == loss and closed.closed_at
    assert Event.objects.filter(verb="reception.opportunity_lost", target_id=opp.pk).exists()
    win = WinReason.objects.filter(company=world.companies["sz"]).first()
    with pytest.raises(ApplicationError):  # closed is final
        services.opportunity_close(
            by=world.users["consultant"], opportunity=closed, won=True, reason=win
        )


def test_opportunity_stages_and_bad_values(world, log_call):
    opp = open_opp(world, log_call)
    services.opportunity_advance(
        by=world.users["consultant"], opportunity=opp, stage=Stage.PROPOSAL
    )
    opp.refresh_from_db()
    assert opp.stage == Stage.PROPOSAL
    with pytest.raises(ApplicationError):
        services.opportunity_advance(by=world.users["consultant"], opportunity=opp, stage=Stage.WON)
    with pytest.raises(NotPermitted):
        services.opportunity_advance(
            by=world.users["consultant2"], opportunity=opp, stage=Stage.NEEDS
        )
    count = Opportunity.objects.count()
    for value in ["-1", "abc", "1e20", "NaN"]:
        with pytest.raises(ApplicationError) as exc:
            open_opp(world, log_call, expected_value=value)
        assert exc.value.field == "expected_value"
    with pytest.raises(ApplicationError):
        open_opp(world, log_call, products_of_interest=" ")
    assert Opportunity.objects.count() == count


def test_time_travel_call_then_overdue(world, log_call):
    """A task due yesterday is overdue today; the frozen clock drives 'today'."""
    from anju.reception.selectors import my_tasks

    with frozen(local(2026, 6, 1, 10)):
        result = log_call(called_at=local(2026, 6, 1, 9, 50), visit_wanted=True)
    ids = {t.pk for t in result.tasks}
    with frozen(local(2026, 6, 1, 18)):
        buckets = my_tasks(world.users["consultant"])
        assert ids & {t.pk for t in buckets.today} == {
            t.pk for t in result.tasks if t.kind == TaskKind.SMS
        }
        assert ids & {t.pk for t in buckets.upcoming} == {
            t.pk for t in result.tasks if t.kind == TaskKind.CALL
        }
    with frozen(local(2026, 6, 3, 8)):
        buckets = my_tasks(world.users["consultant"])
        assert ids <= {t.pk for t in buckets.overdue}


def test_first_visit_makes_a_lead_a_visitor(world):
    """The lifecycle (SPEC intro): 线索 lead → 来访 visitor on the first registered visit."""
    from django.utils import timezone

    from anju.customers.models import Customer, CustomerStatus
    from anju.customers.services import customer_register
    from anju.reception.services import visit_register

    customer = customer_register(
        by=world.users["consultant"],
        company=world.companies["sz"],
        project=world.projects["binhai"],
        phone="13800006543",
        name="新客户",
    ).customer
    assert customer.status == CustomerStatus.LEAD
    now = timezone.now()
    visit_register(
        by=world.users["consultant"],
        project=world.projects["binhai"],
        customer=customer,
        arrived_at=now,
        reception_started_at=now,
    )
    assert Customer.objects.get(pk=customer.pk).status == CustomerStatus.VISITOR


def test_reassign_all_hands_over_open_tasks_and_opportunities_not_finished_work(
    world, log_call, colleague
):
    """CUS-5: a leaver's open follow-ups and open opportunities follow his customers."""
    from anju.customers.services import customer_reassign_all

    leaver, heir = world.users["consultant"], world.users["consultant2"]
    result = log_call(visit_wanted=True)
    tasks = list(FollowUpTask.objects.filter(customer=result.customer, assignee=leaver))
    assert len(tasks) >= 2
    done = tasks[0]
    services.task_complete(by=leaver, task=done, outcome="已发送")
    opportunity = services.opportunity_open(
        by=leaver,
        customer=result.customer,
        project=world.projects["binhai"],
        products_of_interest="三房",
        expected_value="3000000",
    )
    customer_reassign_all(by=world.users["manager"], from_user=leaver, to_user=heir, reason="离职")

    assert not FollowUpTask.objects.filter(assignee=leaver, status=TaskStatus.OPEN).exists()
    open_now = FollowUpTask.objects.filter(customer=result.customer, status=TaskStatus.OPEN)
    assert open_now.exists() and {t.assignee_id for t in open_now} == {heir.pk}
    done.refresh_from_db()
    assert done.assignee_id == leaver.pk  # finished work stays on the record of who did it
    opportunity.refresh_from_db()
    assert opportunity.consultant_id == heir.pk
    event = Event.objects.filter(verb="customer.owner_changed", target_id=result.customer.pk).last()
    assert event.details["handed_over"]["open_tasks"] >= len(tasks) - 1


def test_manager_logs_a_call_for_the_owner_of_a_protected_customer(world, log_call):
    """CUS-4 protects against another consultant, not against the owner's manager."""
    first = log_call()  # consultant 李娜 owns the caller now
    again = log_call(who="manager", consultant=world.users["consultant"])
    assert again.customer.pk == first.customer.pk
    again.customer.refresh_from_db()
    assert again.customer.owner_id == world.users["consultant"].pk


def test_second_call_in_the_same_minute_is_a_repeat(world, log_call):
    when = timezone.now().replace(second=0, microsecond=0)
    assert not log_call(called_at=when).call.is_repeat
    assert log_call(called_at=when).call.is_repeat


def test_new_owner_sees_the_whole_history_after_reassign_all(world, log_call, colleague):
    """CUS-5 'nothing is lost': the 360° timeline keeps what the leaver logged."""
    from anju.customers.services import customer_reassign_all
    from anju.customers.timeline import timeline_for

    leaver, heir = world.users["consultant"], world.users["consultant2"]
    customer = log_call(visit_wanted=True).customer
    before = {(e.kind, e.title) for e in timeline_for(leaver, customer, limit=50)}
    customer_reassign_all(by=world.users["manager"], from_user=leaver, to_user=heir, reason="离职")
    customer.refresh_from_db()
    after = {(e.kind, e.title) for e in timeline_for(heir, customer, limit=50)}
    assert before <= after
    assert timeline_for(world.users["consultant_zh"], customer, limit=50) == []
