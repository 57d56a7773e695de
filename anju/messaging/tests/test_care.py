"""Scheduled care (MSG-4): greetings on the right days, once, with consent and quiet hours;
reminders of booked visits the day before."""

import datetime

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, NotPermitted
from anju.customers.models import Customer, CustomerStatus
from anju.messaging import care, tasks
from anju.messaging.care_models import Audience, CareRun, CareSettings, Occasion
from anju.messaging.gateways.dev import read_dev_outbox
from anju.messaging.models import Kind, Message, Status
from anju.messaging.outbox import run_pass
from anju.messaging.services import opt_out
from anju.messaging.templating import OPT_OUT_SUFFIX

DAY = datetime.date(2026, 5, 12)  # the messaging tests' clock day (conftest.at_local)


# --- dates: lunar festivals from the library, checked against published dates --------------

# 春节 (正月初一) and 中秋 (八月十五) as published (e.g. chinahighlights.com, days-to.com,
# chinatravel.com's Mid-Autumn table); 国庆 is always 1 October.
PUBLISHED = {
    2026: (datetime.date(2026, 2, 17), datetime.date(2026, 9, 25)),
    2027: (datetime.date(2027, 2, 6), datetime.date(2027, 9, 15)),
    2028: (datetime.date(2028, 1, 26), datetime.date(2028, 10, 3)),
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_lunar_festival_dates_are_right_for_2026_to_2028(year):
    spring, mid_autumn = PUBLISHED[year]
    assert care.festival_date(Occasion.SPRING_FESTIVAL, year) == spring
    assert care.festival_date(Occasion.MID_AUTUMN, year) == mid_autumn
    assert care.festival_date(Occasion.NATIONAL_DAY, year) == datetime.date(year, 10, 1)


def test_2028_mid_autumn_is_not_shifted_by_the_leap_month():
    """2028 has a leap fifth month (闰五月): 八月十五 is still the ordinary eighth month."""
    assert care.festival_date(Occasion.MID_AUTUMN, 2028) == datetime.date(2028, 10, 3)


def test_next_festival_date_rolls_into_next_year():
    assert care.next_date(Occasion.SPRING_FESTIVAL, datetime.date(2026, 3, 1)) == (
        datetime.date(2027, 2, 6)
    )
    assert care.next_date(Occasion.MID_AUTUMN, datetime.date(2026, 9, 25)) == (
        datetime.date(2026, 9, 25)
    )


def test_leap_day_birthdays_are_greeted_on_28_february_in_a_common_year():
    assert care.birthday_keys(datetime.date(2026, 2, 28)) == [228, 229]
    assert care.birthday_keys(datetime.date(2028, 2, 28)) == [228]
    assert care.birthday_keys(datetime.date(2028, 2, 29)) == [229]
    assert care.birthday_keys(DAY) == [512]


# --- helpers ----------------------------------------------------------------------------------


def _enable(company, **values):
    """Care settings written as the system would find them (test set-up)."""
    row, _ = CareSettings.objects.unscoped("test set-up").get_or_create(company=company)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def _make_greetable(customer, *, birth_date=datetime.date(1980, 5, 12), status=None):
    Customer.objects.unscoped("test set-up").filter(pk=customer.pk).update(
        birth_date=birth_date, status=status or CustomerStatus.OWNER
    )
    customer.refresh_from_db()
    return customer


def _care_messages(**filters):
    return Message.objects.unscoped("test").filter(source__startswith="care:", **filters)


def _other_birthdays_out_of_the_way(customer):
    """Only ``customer`` has a birthday on DAY, so counts are about him."""
    Customer.objects.unscoped("test set-up").exclude(pk=customer.pk).update(birth_date=None)


# --- birthdays ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_birthday_greeting_is_queued_once_however_often_the_task_runs(customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _enable(customer.company, birthday_enabled=True, send_hour=10)
    at_local(10, 5)
    assert tasks.care_birthdays.call() == 1
    assert tasks.care_birthdays.call() == 0  # the finished run is skipped
    at_local(11, 5)
    assert tasks.care_birthdays.call() == 0
    # a run that died before it was marked finished is resumed: the keys still hold
    CareRun.objects.unscoped("test").update(finished_at=None)
    assert tasks.care_birthdays.call() == 0
    messages = list(_care_messages(customer=customer))
    assert len(messages) == 1
    message = messages[0]
    assert message.idempotency_key == f"care:birthday:{customer.pk}:2026"
    assert message.kind == Kind.MARKETING
    assert message.status == Status.QUEUED
    assert message.body.endswith(OPT_OUT_SUFFIX)
    assert "生日快乐" in message.body
    assert run_pass().sent == 1
    assert run_pass().sent == 0
    sent = [line for line in read_dev_outbox() if line["to"] == customer.phone]
    assert len(sent) == 1


@pytest.mark.django_db
def test_nothing_before_the_send_hour(customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _enable(customer.company, birthday_enabled=True, send_hour=10)
    at_local(9, 5)
    assert care.send_birthdays() == 0
    assert not _care_messages().exists()


@pytest.mark.django_db
def test_an_opted_out_number_gets_no_greeting(world, customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _enable(customer.company, birthday_enabled=True)
    opt_out(by=world.users["service"], channel="sms", address=customer.phone)
    at_local(10)
    care.send_birthdays()
    message = _care_messages(customer=customer).get()
    assert message.status == Status.SUPPRESSED
    assert run_pass().sent == 0
    assert not [line for line in read_dev_outbox() if line["to"] == customer.phone]


@pytest.mark.django_db
def test_a_company_with_care_off_gets_nothing(world, customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _enable(customer.company, birthday_enabled=False, national_day_enabled=False)
    at_local(10)
    assert care.send_birthdays() == 0
    # and a company with no settings row at all, on a festival
    at_local(10, day=datetime.date(2026, 10, 1))
    assert care.send_festivals() == 0
    assert not _care_messages().exists()


@pytest.mark.django_db
def test_only_the_enabled_company_greets(world, customer, at_local):
    """Another company's customer with the same birthday gets nothing from this one's care."""
    other = (
        Customer.objects.unscoped("test set-up")
        .exclude(company=customer.company)
        .filter(merged_into=None, anonymised_at=None)
        .first()
    )
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _make_greetable(other)
    _enable(customer.company, birthday_enabled=True)
    at_local(10)
    assert care.send_birthdays() == 1
    assert set(_care_messages().values_list("customer_id", flat=True)) == {customer.pk}


@pytest.mark.django_db
def test_a_greeting_due_in_quiet_hours_is_held_until_they_end(customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _enable(customer.company, birthday_enabled=True, send_hour=7)  # quiet until 08:00
    at_local(7, 5)
    assert care.send_birthdays() == 1
    message = _care_messages(customer=customer).get()
    assert message.status == Status.HELD
    assert timezone.localtime(message.not_before).time() == datetime.time(8, 0)
    assert run_pass().sent == 0


@pytest.mark.django_db
def test_buyers_only_by_default_everyone_when_the_company_says_so(customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer, status=CustomerStatus.VISITOR)
    row = _enable(customer.company, birthday_enabled=True)
    at_local(10)
    assert care.send_birthdays() == 0
    CareRun.objects.unscoped("test").delete()
    row.audience = Audience.ALL
    row.save()
    assert care.send_birthdays() == 1


@pytest.mark.django_db
def test_merged_archived_and_erased_customers_are_not_greeted(customer, at_local):
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    _enable(customer.company, birthday_enabled=True)
    Customer.objects.unscoped("test set-up").filter(pk=customer.pk).update(
        archived_at=timezone.now()
    )
    at_local(10)
    assert care.send_birthdays() == 0


@pytest.mark.django_db
def test_a_greeting_that_cannot_be_filled_in_is_skipped_not_half_sent(customer, at_local):
    """{顾问} for a customer without a consultant: no message with an empty field."""
    _other_birthdays_out_of_the_way(customer)
    _make_greetable(customer)
    Customer.objects.unscoped("test set-up").filter(pk=customer.pk).update(owner=None)
    _enable(customer.company, birthday_enabled=True, birthday_text="{称呼}生日快乐，{顾问}敬上")
    at_local(10)
    assert care.send_birthdays() == 0
    assert not _care_messages().exists()


# --- festivals ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("occasion", "day"),
    [
        (Occasion.SPRING_FESTIVAL, datetime.date(2027, 2, 6)),
        (Occasion.MID_AUTUMN, datetime.date(2026, 9, 25)),
        (Occasion.NATIONAL_DAY, datetime.date(2026, 10, 1)),
    ],
)
def test_festival_greetings_on_the_day_only_and_once(customer, at_local, occasion, day):
    _make_greetable(customer)
    _enable(customer.company, **{f"{occasion}_enabled": True})
    at_local(10, day=day - datetime.timedelta(days=1))
    assert care.send_festivals() == 0
    at_local(10, day=day)
    first = care.send_festivals()
    assert first >= 1
    assert care.send_festivals() == 0
    CareRun.objects.unscoped("test").update(finished_at=None)
    assert care.send_festivals() == 0
    message = _care_messages(customer=customer).get()
    assert message.idempotency_key == f"care:{occasion}:{customer.pk}:{day.year}"
    assert message.body.endswith(OPT_OUT_SUFFIX)
    assert _care_messages().count() == first
    run = CareRun.objects.unscoped("test").get(occasion=occasion)
    assert run.queued == first and run.finished_at is not None


@pytest.mark.django_db
def test_a_festival_walks_the_whole_company_in_batches(customer, at_local, monkeypatch):
    monkeypatch.setattr(care, "BATCH", 2)
    _enable(customer.company, national_day_enabled=True, audience=Audience.ALL)
    live = Customer.objects.unscoped("test").filter(
        company=customer.company, merged_into=None, archived_at=None, anonymised_at=None
    )
    at_local(10, day=datetime.date(2026, 10, 1))
    assert care.send_festivals() == live.count() > 2
    assert set(_care_messages().values_list("customer_id", flat=True)) == set(
        live.values_list("pk", flat=True)
    )


# --- reminders of booked visits -----------------------------------------------------------------


def _book(world, *, at, phone="13912345678", name="预约客户"):
    from anju.reception.services import call_log

    project = world.projects["binhai"]
    called = at - datetime.timedelta(days=2)
    return call_log(
        by=world.users["consultant"],
        project=project,
        called_at=called,
        phone=phone,
        name=name,
        visit_booked_for=at,
    ).call


def _local(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.mark.django_db
def test_a_booked_visit_is_reminded_the_day_before_once(world, at_local):
    call = _book(world, at=_local(DAY + datetime.timedelta(days=1), 14, 30))
    _enable(call.company, visit_reminder_enabled=True)
    at_local(10)
    assert tasks.care_visit_reminders.call() == 1
    at_local(11)
    assert tasks.care_visit_reminders.call() == 0
    message = _care_messages(customer=call.customer).get()
    assert message.kind == Kind.SERVICE
    assert message.idempotency_key == f"care:visit:{call.customer_id}:2026-05-13"
    assert "14:30" in message.body and "滨海花园" in message.body
    assert not message.body.endswith(OPT_OUT_SUFFIX)


@pytest.mark.django_db
def test_a_visit_booked_in_the_afternoon_for_tomorrow_is_still_reminded(world, at_local):
    _enable(world.projects["binhai"].company, visit_reminder_enabled=True)
    at_local(10)
    assert care.send_visit_reminders() == 0
    _book(world, at=_local(DAY + datetime.timedelta(days=1), 9, 0))
    at_local(15)
    assert care.send_visit_reminders() == 1


@pytest.mark.django_db
def test_no_visit_reminder_in_quiet_hours_nor_for_other_days(world, at_local):
    _enable(world.projects["binhai"].company, visit_reminder_enabled=True, send_hour=0)
    _book(world, at=_local(DAY + datetime.timedelta(days=2), 10))
    at_local(22)
    _book(world, at=_local(DAY + datetime.timedelta(days=1), 10), phone="13912340001")
    assert care.send_visit_reminders() == 0  # 22:00 is in quiet hours
    at_local(10)
    assert care.send_visit_reminders() == 1  # only tomorrow's


@pytest.mark.django_db
def test_an_opted_out_caller_is_still_reminded_of_his_own_visit(world, at_local):
    """A reminder of the visit he booked is a service message (MSG-3), not marketing."""
    call = _book(world, at=_local(DAY + datetime.timedelta(days=1), 10))
    opt_out(by=world.users["service"], channel="sms", address=call.phone)
    _enable(call.company, visit_reminder_enabled=True)
    at_local(10)
    assert care.send_visit_reminders() == 1
    assert _care_messages(customer=call.customer).get().status == Status.QUEUED


@pytest.mark.django_db
def test_no_reminder_once_the_booked_visit_was_registered(world, at_local):
    from anju.reception.models import Visit

    call = _book(world, at=_local(DAY + datetime.timedelta(days=1), 10))
    Visit.objects.create(
        company=call.company,
        project=call.project,
        consultant=call.consultant,
        customer=call.customer,
        arrived_at=_local(DAY, 9),
        booked_call=call,
    )
    _enable(call.company, visit_reminder_enabled=True)
    at_local(10)
    assert care.send_visit_reminders() == 0


@pytest.mark.django_db
def test_reminders_off_means_none(world, at_local):
    _book(world, at=_local(DAY + datetime.timedelta(days=1), 10))
    at_local(10)
    assert care.send_visit_reminders() == 0
    assert not _care_messages().exists()


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_settings_need_the_template_permission_and_change_nothing_when_refused(world):
    company = world.companies["sz"]
    with pytest.raises(NotPermitted):
        care.care_settings_update(
            by=world.users["consultant"], company=company, birthday_enabled=True
        )
    assert not CareSettings.objects.unscoped("test").filter(company=company).exists()


@pytest.mark.django_db
def test_settings_are_saved_with_an_event(world):
    from anju.core.models import Event

    company = world.companies["sz"]
    row = care.care_settings_update(
        by=world.users["servicemgr"],
        company=company,
        birthday_enabled=True,
        send_hour=9,
        birthday_text="{称呼}生日快乐！",
    )
    assert row.pk and row.birthday_enabled and row.send_hour == 9
    assert Event.objects.unscoped("test").filter(verb="messaging.care_settings_changed").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"birthday_text": "{称呼}，请参加{活动}"}, "birthday_text"),  # no value in a greeting
        ({"birthday_text": "{生肖}快乐"}, "birthday_text"),  # unknown field
        ({"mid_autumn_text": "   "}, "mid_autumn_text"),
        ({"send_hour": 24}, "send_hour"),
        ({"send_hour": "10"}, "send_hour"),
        ({"audience": "friends"}, "audience"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(world, values, field):
    company = world.companies["sz"]
    with pytest.raises(ApplicationError) as exc:
        care.care_settings_update(by=world.users["servicemgr"], company=company, **values)
    assert exc.value.field == field
    assert not CareSettings.objects.unscoped("test").filter(company=company).exists()


def test_a_visit_reminder_may_name_the_visits_date_and_time():
    assert care.check_care_text(Occasion.VISIT_REMINDER, "{称呼}明天{时间}见")
    with pytest.raises(ApplicationError):
        care.check_care_text(Occasion.BIRTHDAY, "{称呼}明天{时间}见")


def test_care_tasks_are_periodic():
    from anju.core.scheduling import discover_periodic_jobs

    jobs = {job.task: job.cron for job in discover_periodic_jobs()}
    for task in (tasks.care_birthdays, tasks.care_festivals, tasks.care_visit_reminders):
        assert jobs[task].split()[1] == "*"  # hourly: each company has its own send hour
