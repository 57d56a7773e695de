"""Scheduled care (MSG-4): birthday and festival greetings, reminders of booked visits.

Each occasion is sent by a periodic task (``tasks.py``) that runs every hour and, for each
company whose send hour has come, sends today's messages through ``message_enqueue``: consent,
quiet hours and 回T退订 are the outbox's, never repeated here.

Running twice sends nothing twice: every message has an idempotency key naming the customer
and the occasion's year (or the visit's day), and a finished day is recorded in ``CareRun`` so
the next hour's task does not walk the company's customers again.

Greetings are *marketing*, not service: a service message answers something the customer
asked for or owes (his visit, his payment, his ticket); a birthday or festival greeting is the
company reaching out to keep the relationship warm, which is exactly what an opt-out refuses.
So an opted-out number gets none, every greeting carries 回T退订, and a greeting due in quiet
hours is held until they end. A reminder of the visit the customer booked himself is service.

春节 and 中秋 come from ``lunar_python`` (requirements/base.txt): no hand-written lunar table.
"""

import datetime
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from lunar_python import Lunar

from anju.core.errors import ApplicationError
from anju.core.roles import Perm
from anju.core.settings_rows import changed_text, company_settings_update
from anju.customers.models import Customer, CustomerStatus, MonthDay

from . import clock
from .care_models import Audience, CareRun, CareSettings, Occasion
from .models import Channel, Kind, Message
from .services import (
    context_for_customer,
    message_enqueue,
    messaging_settings_for,
    quiet_until,
)
from .templating import (
    check_automatic_text,
    template_render,
)

log = logging.getLogger(__name__)

FESTIVALS = (Occasion.SPRING_FESTIVAL, Occasion.MID_AUTUMN, Occasion.NATIONAL_DAY)
GREETINGS = (Occasion.BIRTHDAY, *FESTIVALS)
# SPEC MSG-4 greets owners: customers who signed and every later stage of the lifecycle.
BUYER_STATUSES = (
    CustomerStatus.SIGNED,
    CustomerStatus.OWNER,
    CustomerStatus.SATISFIED,
    CustomerStatus.LOYAL,
    CustomerStatus.LIFETIME,
)
BATCH = 500  # customers per transaction: a crash loses at most one batch's work, never sends
# Fields a visit reminder fills in itself besides the customer's own.
REMINDER_FIELDS = ("日期", "时间")


# --- dates --------------------------------------------------------------------------------------


def festival_date(occasion, year: int) -> datetime.date:
    """The Gregorian date of a festival in ``year``: 春节 正月初一, 中秋 八月十五, 国庆 10-01."""
    if occasion == Occasion.SPRING_FESTIVAL:
        return _lunar_to_gregorian(year, 1, 1)
    if occasion == Occasion.MID_AUTUMN:
        return _lunar_to_gregorian(year, 8, 15)
    if occasion == Occasion.NATIONAL_DAY:
        return datetime.date(year, 10, 1)
    raise ValueError(f"not a festival: {occasion}")


def _lunar_to_gregorian(year, month, day) -> datetime.date:
    # A positive month is the ordinary month, never its leap repeat (闰月), as the festivals are.
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def birthday_keys(day: datetime.date) -> list[int]:
    """The month-day values (``MonthDay``) whose birthday is greeted on ``day``: those born on
    29 February are greeted on 28 February in a common year."""
    keys = [day.month * 100 + day.day]
    if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
        keys.append(229)
    return keys


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def next_date(occasion, after: datetime.date) -> datetime.date:
    """The first day on or after ``after`` a festival falls on (birthdays: every day)."""
    if occasion not in FESTIVALS:
        return after
    for year in (after.year, after.year + 1):
        day = festival_date(occasion, year)
        if day >= after:
            return day
    raise AssertionError("a festival falls every year")


# --- settings -----------------------------------------------------------------------------------


def care_settings_for(company) -> CareSettings:
    """The company's care settings, or the defaults (all off, unsaved)."""
    row = (
        CareSettings.objects.unscoped("the company's own settings").filter(company=company).first()
    )
    return row or CareSettings(company=company)


SETTING_FIELDS = [
    *(f"{o}_enabled" for o in Occasion.values),
    *(f"{o}_text" for o in Occasion.values),
    "send_hour",
    "audience",
]


def check_care_text(occasion, text: str) -> str:
    extra = REMINDER_FIELDS if occasion == Occasion.VISIT_REMINDER else ()
    return check_automatic_text(text, field=f"{occasion}_text", extra_fields=extra)


@transaction.atomic
def care_settings_update(*, by, company, **values) -> CareSettings:
    """Change which occasions a company sends, their texts, the hour and who is greeted."""
    return company_settings_update(
        by=by,
        company=company,
        model=CareSettings,
        perm=Perm.MANAGE_TEMPLATES,
        fields=SETTING_FIELDS,
        values=values,
        clean=_clean_setting,
        verb="messaging.care_settings_changed",
        describe=changed_text,
        save_new_unchanged=True,
    )


def _clean_setting(name, value):
    if name.endswith("_text"):
        return check_care_text(name.removesuffix("_text"), value)
    if name.endswith("_enabled"):
        return bool(value)
    if name == "send_hour" and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23
    ):
        raise ApplicationError(_("Enter an hour from 0 to 23."), field=name)
    if name == "audience" and value not in Audience.values:
        raise ApplicationError(_("Unknown choice."), field=name)
    return value


def _due_settings(occasion, now) -> list[CareSettings]:
    """Settings rows of the companies that send ``occasion`` and whose hour has come today."""
    hour = timezone.localtime(now).hour
    return list(
        CareSettings.objects.unscoped("periodic task: every company's care")
        .filter(**{f"{occasion}_enabled": True}, send_hour__lte=hour, company__is_active=True)
        .select_related("company", "company__holding")
        .order_by("company_id")
    )


# --- one day's run ------------------------------------------------------------------------------


@dataclass
class RunResult:
    queued: int = 0
    skipped: int = 0
    already_done: bool = False


def _open_run(company, occasion, day, now) -> CareRun | None:
    """The day's run row (created on first use); None once that run finished."""
    runs = CareRun.objects.unscoped("periodic task: the day's run of the company's care")
    try:
        with transaction.atomic():
            run, _created = runs.get_or_create(
                company=company, occasion=occasion, on_date=day, defaults={"started_at": now}
            )
    except IntegrityError:  # another worker created it meanwhile
        run = runs.get(company=company, occasion=occasion, on_date=day)
    return None if run.finished_at else run


def _finish_run(run, result, now) -> None:
    CareRun.objects.unscoped("periodic task: the day's run").filter(pk=run.pk).update(
        finished_at=now,
        queued=F("queued") + result.queued,  # a resumed run adds its own
        skipped=F("skipped") + result.skipped,
    )


def _batches(queryset):
    """``queryset`` in primary-key order, BATCH rows at a time (keyset: flat memory at 1M)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _already_queued(keys) -> set[str]:
    return set(
        Message.objects.unscoped("idempotency: keys queued by an earlier run")
        .filter(idempotency_key__in=keys)
        .values_list("idempotency_key", flat=True)
    )


@dataclass(frozen=True)
class Send:
    """One message to queue: its customer, key, number, extra fields and project."""

    customer: Customer
    key: str
    to: str
    extra: dict
    project: object = None


def _send_batch(*, settings_row, occasion, sends, kind, result) -> None:
    """One transaction for a batch: one message per key not queued before."""
    done = _already_queued([s.key for s in sends])
    text = settings_row.text(occasion)
    with transaction.atomic():
        for send in sends:
            if send.key in done:
                continue
            done.add(send.key)
            context = context_for_customer(by=None, customer=send.customer, extra=send.extra)
            try:
                body = template_render(text, context, field=f"{occasion}_text")
            except ApplicationError as exc:  # e.g. {顾问} for a customer with no consultant
                log.info("care %s: customer %s skipped: %s", occasion, send.customer.pk, exc)
                result.skipped += 1
                continue
            message_enqueue(
                by=None,
                company=settings_row.company,
                channel=Channel.SMS,
                kind=kind,
                to=send.to,
                body=body,
                idempotency_key=send.key,
                customer=send.customer,
                source=f"care:{occasion}",
                project=send.project,
            )
            result.queued += 1


def greeting_recipients(settings_row, occasion, *, month_day: int | None = None, base=None):
    """The company's customers to greet for ``occasion``; birthdays: those born on
    ``month_day`` (``MonthDay``, 512 = 12 May). ``base``: the customers to choose from (a
    user's ``visible_to``); None is the system's read for sending."""
    if base is None:
        base = Customer.objects.unscoped("scheduled care: the company's customers")
    customers = base.filter(
        company_id=settings_row.company_id,
        merged_into__isnull=True,
        archived_at__isnull=True,
        anonymised_at__isnull=True,
    )
    if settings_row.audience == Audience.BUYERS:
        customers = customers.filter(status__in=BUYER_STATUSES)
    if occasion == Occasion.BIRTHDAY:
        # one equality per month-day: the index cust_birthday (company, MonthDay, id) then
        # hands the rows over in key order, so each batch is a short index range, no sort
        customers = customers.alias(birth_md=MonthDay("birth_date")).filter(
            birth_date__isnull=False, birth_md=month_day
        )
    return customers.select_related("company", "project", "owner")


def _recipient_sets(settings_row, occasion, day):
    if occasion != Occasion.BIRTHDAY:
        return [greeting_recipients(settings_row, occasion)]
    return [
        greeting_recipients(settings_row, occasion, month_day=key) for key in birthday_keys(day)
    ]


def send_greetings(settings_row, occasion, day, now) -> RunResult:
    """Queue ``occasion``'s greeting for ``day`` to every recipient of one company."""
    run = _open_run(settings_row.company, occasion, day, now)
    if run is None:
        return RunResult(already_done=True)
    result = RunResult()
    for recipients in _recipient_sets(settings_row, occasion, day):
        for customers in _batches(recipients):
            sends = [Send(c, f"care:{occasion}:{c.pk}:{day.year}", c.phone, {}) for c in customers]
            _send_batch(
                settings_row=settings_row,
                occasion=occasion,
                sends=sends,
                kind=Kind.MARKETING,
                result=result,
            )
    _finish_run(run, result, clock.now())
    return result


def send_birthdays(now=None) -> int:
    now = now or clock.now()
    day = timezone.localtime(now).date()
    return sum(
        send_greetings(row, Occasion.BIRTHDAY, day, now).queued
        for row in _due_settings(Occasion.BIRTHDAY, now)
    )


def send_festivals(now=None) -> int:
    now = now or clock.now()
    day = timezone.localtime(now).date()
    queued = 0
    for occasion in FESTIVALS:
        if festival_date(occasion, day.year) != day:
            continue
        for row in _due_settings(occasion, now):
            queued += send_greetings(row, occasion, day, now).queued
    return queued


# --- reminders of booked visits -----------------------------------------------------------------


def booked_visits(settings_row, day, *, base=None):
    """Calls of one company that booked a visit for ``day`` and whose visit is not yet
    registered (the index call_booked_for serves it). ``base`` as for greetings."""
    from anju.reception.models import PhoneCall, Visit

    if base is None:
        base = PhoneCall.objects.unscoped("scheduled care: tomorrow's booked visits")

    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), tz)
    end = start + datetime.timedelta(days=1)
    came = Visit.objects.unscoped("did the booked visitor come already").filter(
        booked_call=OuterRef("pk")
    )
    return (
        base.filter(
            company_id=settings_row.company_id,
            visit_booked_for__gte=start,
            visit_booked_for__lt=end,
            customer__isnull=False,
            customer__merged_into__isnull=True,
            customer__anonymised_at__isnull=True,
        )
        .exclude(phone="")
        .filter(~Exists(came))
        .select_related(
            "project", "customer", "customer__company", "customer__project", "customer__owner"
        )
    )


def send_visit_reminders(now=None) -> int:
    """The day before a booked visit (SAL-1), remind the caller of it: a service message.

    Every hour from the send hour on, so a visit booked in the afternoon for tomorrow is
    reminded too (the keys keep it to one reminder); never in the company's quiet hours: a
    service message is not held by the outbox, so care itself waits for a decent hour.
    """
    now = now or clock.now()
    tomorrow = timezone.localtime(now).date() + datetime.timedelta(days=1)
    queued = 0
    for row in _due_settings(Occasion.VISIT_REMINDER, now):
        if quiet_until(messaging_settings_for(row.company), now) is not None:
            continue
        result = RunResult()
        for calls in _batches(booked_visits(row, tomorrow)):
            sends = [_reminder(call, tomorrow) for call in calls]
            _send_batch(
                settings_row=row,
                occasion=Occasion.VISIT_REMINDER,
                sends=sends,
                kind=Kind.SERVICE,
                result=result,
            )
        queued += result.queued
    return queued


def _reminder(call, day) -> Send:
    at = timezone.localtime(call.visit_booked_for)
    return Send(
        customer=call.customer,
        # one reminder per customer and day, however many calls booked it
        key=f"care:visit:{call.customer_id}:{day.isoformat()}",
        to=call.phone,
        extra={"project": call.project, "日期": f"{at.month}月{at.day}日", "时间": f"{at:%H:%M}"},
        project=call.project,
    )


# --- what is coming (the settings page, the API) ------------------------------------------------

UPCOMING_DAYS = 7


@dataclass(frozen=True)
class Upcoming:
    occasion: str
    label: str
    on_date: datetime.date
    send_at: datetime.datetime
    recipients: int  # counted up to COUNT_CAP + 1 among the customers the user sees


def care_upcoming(user, company, *, today=None) -> list[Upcoming]:
    """The company's enabled care sends of the next week, soonest first, with how many of
    the customers (or booked visits) the user sees each would go to. Index reads only:
    one per birthday, festival and reminder day."""
    from anju.core.pagination import capped_count
    from anju.reception.models import PhoneCall

    row = care_settings_for(company)
    today = today or timezone.localtime(clock.now()).date()
    last = today + datetime.timedelta(days=UPCOMING_DAYS - 1)
    customers = Customer.objects.visible_to(user)
    entries = []

    def add(occasion, day, *recipient_sets):
        send_at = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(row.send_hour)),
            timezone.get_current_timezone(),
        )
        count = sum(capped_count(recipients) for recipients in recipient_sets)
        entries.append(Upcoming(occasion, str(Occasion(occasion).label), day, send_at, count))

    for offset in range(UPCOMING_DAYS):
        day = today + datetime.timedelta(days=offset)
        if row.birthday_enabled:
            born = [
                greeting_recipients(row, Occasion.BIRTHDAY, month_day=key, base=customers)
                for key in birthday_keys(day)
            ]
            add(Occasion.BIRTHDAY, day, *born)
        if row.visit_reminder_enabled:
            tomorrow = day + datetime.timedelta(days=1)
            calls = PhoneCall.objects.visible_to(user)
            add(Occasion.VISIT_REMINDER, day, booked_visits(row, tomorrow, base=calls))
    for occasion in FESTIVALS:
        day = next_date(occasion, today)
        if row.enabled(occasion) and day <= last:
            add(occasion, day, greeting_recipients(row, occasion, base=customers))
    return sorted(entries, key=lambda e: (e.send_at, e.occasion))
