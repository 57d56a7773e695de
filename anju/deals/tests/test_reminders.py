"""Payment reminders (SUB-4, MSG-4): before the due date and once when overdue, as service
SMS to the main buyer; keys make reruns send nothing twice; quiet hours wait; settings per
company."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import Event
from anju.deals import tasks
from anju.deals.services import (
    contract_sign,
    payment_record,
    reminder_settings_for,
    reminder_settings_update,
    send_payment_reminders,
)
from anju.messaging import clock
from anju.messaging.models import Kind, Message
from anju.messaging.templating import OPT_OUT_SUFFIX

TODAY = timezone.localdate


def _at(days, hour=10):
    """A moment ``days`` from today at ``hour`` local time."""
    day = TODAY() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _reminders(customer=None):
    messages = Message.objects.filter(source__startswith="deals:reminder:")
    return messages if customer is None else messages.filter(customer=customer)


def _sent(run, customer):
    """``run()`` the reminders: how many it queued for ``customer``. The demo's signed deals
    have their own reminders (an instalment of theirs may fall due meanwhile); what the run
    says it queued is checked against the outbox all the same."""
    total, mine = _reminders().count(), _reminders(customer).count()
    queued = run()
    assert queued == _reminders().count() - total
    return _reminders(customer).count() - mine


def _send(now, customer):
    return _sent(lambda: send_payment_reminders(now=now), customer)


@pytest.fixture
def plan(subscribe, consultant):
    """A signed deal in three instalments due in 5, 30 and 120 days."""
    subscription = subscribe()
    total = subscription.final_price
    rows = [
        (TODAY() + datetime.timedelta(days=5), Decimal("100000")),
        (TODAY() + datetime.timedelta(days=30), Decimal("200000")),
        (TODAY() + datetime.timedelta(days=120), total - Decimal("300000")),
    ]
    return contract_sign(
        by=consultant, subscription=subscription, payment_plan="instalments", instalments=rows
    )


def test_before_the_due_date_then_once_overdue_and_never_twice(plan):
    customer = plan.subscription.customer
    assert _send(_at(0), customer) == 1  # the first instalment, due in 5 days
    assert send_payment_reminders(now=_at(0, 15)) == 0  # a rerun sends nothing
    assert _send(_at(1), customer) == 0  # nor the next day
    message = _reminders(customer).get()
    first = plan.instalments.order_by("position").first()
    assert message.idempotency_key == f"deals:instalment:{first.pk}:before:{first.due_date}"
    assert message.kind == Kind.SERVICE and message.source == "deals:reminder:before"
    assert message.to == customer.phone
    due = first.due_date
    assert f"{due.year}年{due.month}月{due.day}日" in message.body
    assert "第1期房款100,000.00元" in message.body and str(plan) in message.body
    assert "滨海花园" in message.body and not message.body.endswith(OPT_OUT_SUFFIX)

    assert _send(_at(10), customer) == 1  # the first is overdue now: once
    assert _send(_at(11), customer) == 0
    assert _send(_at(25), customer) == 1  # the second comes within 7 days
    assert sorted(_reminders(customer).values_list("source", flat=True)) == [
        "deals:reminder:before",
        "deals:reminder:before",
        "deals:reminder:overdue",
    ]


def test_the_balance_is_reminded_and_a_paid_instalment_is_not(plan, cashier):
    customer = plan.subscription.customer
    payment_record(by=cashier, subscription=plan.subscription, amount="40000", method="cash")
    assert _send(_at(0), customer) == 1
    assert "60,000.00元" in _reminders(customer).get().body
    payment_record(by=cashier, subscription=plan.subscription, amount="60000", method="cash")
    assert _send(_at(10), customer) == 0  # paid in full: nothing overdue


def test_the_mortgage_loan_is_not_reminded(subscribe, consultant):
    subscription = subscribe()
    total = subscription.final_price
    down = (total * Decimal("0.3")).quantize(Decimal("0.01"))
    contract_sign(
        by=consultant,
        subscription=subscription,
        payment_plan="mortgage",
        down_payment=down,
        loan_amount=total - down,
        loan_due_on=TODAY() + datetime.timedelta(days=10),
    )
    customer = subscription.customer
    assert _send(_at(0), customer) == 1  # the down payment, due in 7 days
    assert _send(_at(20), customer) == 1  # overdue: the down payment only
    sources = set(_reminders(subscription.customer).values_list("idempotency_key", flat=True))
    assert len(sources) == 2 and all(":before:" in k or ":overdue:" in k for k in sources)
    assert "首付款" in _reminders(subscription.customer).first().body


def test_quiet_hours_wait_and_the_next_run_catches_up(plan):
    customer = plan.subscription.customer
    assert send_payment_reminders(now=_at(0, 23)) == 0  # 21:00–08:00 by default
    assert _send(_at(1, 10), customer) == 1


def test_a_company_may_turn_them_off_or_change_the_days_and_texts(plan, world):
    company = world.companies["sz"]
    manager = world.users["manager"]
    customer = plan.subscription.customer
    reminder_settings_update(by=manager, company=company, enabled=False)
    assert _send(_at(0), customer) == 0
    reminder_settings_update(
        by=manager,
        company=company,
        enabled=True,
        days_before=3,
        before_text="{称呼}：{款项}{金额}元请于{到期日}前缴付。",
    )
    assert _send(_at(0), customer) == 0  # due in 5 days, 3 before: not yet
    assert _send(_at(2), customer) == 1
    assert _reminders(plan.subscription.customer).get().body.endswith("前缴付。")
    event = Event.objects.filter(verb="deals.reminder_settings_changed").latest("pk")
    assert event.details == {"days_before": 3, "before_text": "changed", "enabled": True}


def test_bad_settings_are_refused_naming_the_field(world):
    company, manager = world.companies["sz"], world.users["manager"]
    for values, field in (
        ({"before_text": "{称呼}{活动}"}, "before_text"),  # {活动} has no value here
        ({"overdue_text": "{未知}"}, "overdue_text"),
        ({"overdue_text": "  "}, "overdue_text"),
        ({"days_before": 0}, "days_before"),
        ({"days_before": 61}, "days_before"),
        ({"days_before": "7"}, "days_before"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(ApplicationError) as exc:
            reminder_settings_update(by=manager, company=company, **values)
        assert exc.value.field == field, values
    with pytest.raises(NotPermitted):
        reminder_settings_update(by=world.users["consultant"], company=company, enabled=False)
    with pytest.raises(NotPermitted):
        reminder_settings_update(by=manager, company=world.companies["zh"], enabled=False)
    assert reminder_settings_for(company).pk is None  # nothing was saved


def test_the_daily_task_sends_through_the_same_service(plan):
    customer = plan.subscription.customer
    with clock.override(_at(0)):
        assert _sent(tasks.send_payment_reminders.call, customer) == 1
        assert tasks.send_payment_reminders.call() == 0


def test_the_task_is_scheduled_daily():
    from anju.core.scheduling import discover_periodic_jobs

    jobs = {job.task: job.cron for job in discover_periodic_jobs()}
    assert jobs[tasks.send_payment_reminders] == "0 10 * * *"
