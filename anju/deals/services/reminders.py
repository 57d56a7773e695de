"""Payment reminders (SUB-4, MSG-4): an SMS to the main buyer before an instalment is due and
once when it is overdue, through messaging's outbox as *service* messages.

A daily task (``deals/tasks.py``) walks every active company whose reminders are on:

* **before**: unpaid instalments due within the company's ``days_before`` (default 7) —
  a window, not one exact day, so a day the task did not run (or a contract signed three
  days before a due date) is caught up the next time;
* **overdue**: unpaid instalments whose due date has passed — once.

Running twice sends nothing twice: the idempotency key names the instalment, the reminder
and the due date (``deals:instalment:<id>:before:<date>``), so a moved due date is
reminded again and nothing else is. The mortgage loan is not reminded: the bank pays it
(it shows on the overdue list all the same). Consent is the outbox's (a service message is
not refused by a marketing opt-out); quiet hours are respected here, as care does for visit
reminders: a company in its quiet hours at the run is skipped and caught up the next day.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError
from anju.core.roles import Perm
from anju.core.settings_rows import changed_text, company_settings_update
from anju.messaging import clock
from anju.messaging.models import Channel, Kind, Message
from anju.messaging.services import (
    context_for_customer,
    message_enqueue,
    messaging_settings_for,
    quiet_until,
)
from anju.messaging.templating import (
    check_automatic_text,
    template_render,
)

from ..models import (
    Instalment,
    InstalmentKind,
    PaymentReminderSettings,
    SubscriptionStatus,
)

log = logging.getLogger(__name__)

BATCH = 500
BEFORE, OVERDUE = "before", "overdue"
# Fields a reminder fills in itself besides the customer's own ({称呼} {项目} …).
REMINDER_FIELDS = ("金额", "到期日", "合同号", "款项")
SETTING_FIELDS = ("enabled", "days_before", "before_text", "overdue_text")
# What the buyer pays himself; the loan is paid out by the bank.
REMINDED_KINDS = (InstalmentKind.FULL, InstalmentKind.DOWN_PAYMENT, InstalmentKind.INSTALMENT)


def reminder_settings_for(company) -> PaymentReminderSettings:
    """The company's reminder settings, or the defaults (on, 7 days; unsaved)."""
    company_id = getattr(company, "pk", company)
    row = (
        PaymentReminderSettings.objects.unscoped("the company's own settings")
        .filter(company_id=company_id)
        .first()
    )
    return row or PaymentReminderSettings(company_id=company_id)


def check_reminder_text(text: str, *, field: str) -> str:
    """A reminder text: known fields only, each with a value in a reminder."""
    return check_automatic_text(text, field=field, extra_fields=REMINDER_FIELDS)


@transaction.atomic
def reminder_settings_update(*, by, company, **values) -> PaymentReminderSettings:
    """Change a company's payment reminders (deals managers: MANAGE_PRICING)."""
    return company_settings_update(
        by=by,
        company=company,
        model=PaymentReminderSettings,
        perm=Perm.MANAGE_PRICING,
        fields=SETTING_FIELDS,
        values=values,
        clean=_clean_setting,
        verb="deals.reminder_settings_changed",
        describe=changed_text,
        save_new_unchanged=True,
    )


def _clean_setting(name, value):
    if name.endswith("_text"):
        return check_reminder_text(value, field=name)
    if name == "enabled":
        return bool(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApplicationError(_("Enter a whole number of days."), field=name)
    return value


# --- what is due --------------------------------------------------------------------------------


def unpaid_instalments(company_id):
    """A company's signed deals' instalments not paid in full that the buyer pays himself,
    with what a reminder needs (a system read: the task sends for every consultant)."""
    return (
        Instalment.objects.filter(
            contract__company_id=company_id,
            contract__cancelled_at__isnull=True,
            contract__subscription__status=SubscriptionStatus.SIGNED,
            contract__subscription__customer__anonymised_at__isnull=True,
            kind__in=REMINDED_KINDS,
            paid__lt=F("amount"),
        )
        .select_related(
            "contract__project",
            "contract__subscription__customer__company",
            "contract__subscription__customer__project",
            "contract__subscription__customer__owner",
        )
        .order_by("pk")
    )


def reminders_due(settings_row, today):
    """(kind, instalments) of the reminders a company sends on ``today``."""
    unpaid = unpaid_instalments(settings_row.company_id)
    last = today + datetime.timedelta(days=settings_row.days_before)
    return [
        (BEFORE, unpaid.filter(due_date__gte=today, due_date__lte=last)),
        (OVERDUE, unpaid.filter(due_date__lt=today)),
    ]


def reminder_key(instalment, kind) -> str:
    return f"deals:instalment:{instalment.pk}:{kind}:{instalment.due_date.isoformat()}"


def _item_name(instalment) -> str:
    """款项 as the buyer reads it (Chinese whatever the staff's language)."""
    if instalment.kind == InstalmentKind.INSTALMENT:
        return f"第{instalment.position}期房款"
    return {InstalmentKind.DOWN_PAYMENT: "首付款", InstalmentKind.LOAN: "按揭贷款"}.get(
        instalment.kind, "房款"
    )


def reminder_values(instalment) -> dict:
    """The fields a reminder fills in for ``instalment``: the balance still due, its date."""
    due = instalment.due_date
    return {
        "project": instalment.contract.project,
        "金额": f"{instalment.amount - instalment.paid:,.2f}",
        "到期日": f"{due.year}年{due.month}月{due.day}日",
        "合同号": str(instalment.contract),
        "款项": _item_name(instalment),
    }


def _batches(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last)[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _already_queued(keys) -> set[str]:
    return set(
        Message.objects.unscoped("idempotency: reminders queued by an earlier run")
        .filter(idempotency_key__in=keys)
        .values_list("idempotency_key", flat=True)
    )


def _send_batch(settings_row, kind, instalments) -> int:
    text = settings_row.before_text if kind == BEFORE else settings_row.overdue_text
    keys = {i.pk: reminder_key(i, kind) for i in instalments}
    done = _already_queued(keys.values())
    queued = 0
    with transaction.atomic():
        for instalment in instalments:
            key = keys[instalment.pk]
            if key in done:
                continue
            customer = instalment.contract.subscription.customer
            context = context_for_customer(
                by=None, customer=customer, extra=reminder_values(instalment)
            )
            try:
                body = template_render(text, context, field=f"{kind}_text")
            except ApplicationError as exc:  # e.g. {顾问} for a customer with no consultant
                log.info("payment reminder %s skipped: %s", instalment.pk, exc)
                continue
            message_enqueue(
                by=None,
                company=settings_row.company,
                channel=Channel.SMS,
                kind=Kind.SERVICE,
                to=customer.phone,
                body=body,
                idempotency_key=key,
                customer=customer,
                source=f"deals:reminder:{kind}",
                project=instalment.contract.project,
            )
            queued += 1
    return queued


def send_company_reminders(settings_row, today) -> int:
    queued = 0
    for kind, instalments in reminders_due(settings_row, today):
        for rows in _batches(instalments):
            queued += _send_batch(settings_row, kind, rows)
    return queued


def send_payment_reminders(now=None) -> int:
    """Queue today's payment reminders of every active company whose reminders are on."""
    from anju.org.models import Company

    now = now or clock.now()
    today = timezone.localtime(now).date()
    queued = 0
    companies = Company.objects.unscoped("periodic task: every company's reminders").filter(
        is_active=True
    )
    for company in companies.order_by("pk"):
        row = reminder_settings_for(company)
        row.company = company
        if not row.enabled:
            continue
        if quiet_until(messaging_settings_for(company), now) is not None:
            log.info("payment reminders of company %s wait: quiet hours", company.pk)
            continue
        queued += send_company_reminders(row, today)
    return queued
