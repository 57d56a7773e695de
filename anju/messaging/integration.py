"""Messaging's links to the other apps, registered from ``MessagingConfig.ready()``:

- SAL-2: reception's thank-you SMS goes through the outbox (``reception.hooks``);
- CUS-6: the 360° timeline shows the messages to a customer;
- CUS-3: a merge re-points the duplicate's messages to the survivor;
- SEC-2 (PIPL): messages and consent history in the data package, and their erasure.
"""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.scope import sees_loaded
from anju.customers.privacy import (
    Erasure,
    model_rows,
    register_erasure_handler,
    register_personal_data_provider,
)
from anju.customers.privacy_customers import person_ids, person_phones
from anju.customers.timeline import TimelineEntry

from . import selectors
from .models import Channel, ConsentChange, Kind, Message, Status

# --- SAL-2: the thank-you SMS --------------------------------------------------------------------


def send_followup_sms(task) -> bool:
    """Queue the follow-up task's SMS (SAL-2) as a service message with the company's
    signature: it answers the customer's own call, so it is not held at night nor refused for
    a marketing opt-out. One message per task, whatever the retries (the key is the task).

    Only on the task's own day: a thank-you that missed its day (the queue was down) is not
    sent late; it stays on the consultant's list, who may still text or call."""
    from anju.reception.selectors import local_today

    from .services import message_enqueue

    if task.due_date < local_today() or not (task.message or "").strip():
        return False
    customer = task.customer
    with transaction.atomic():
        message = message_enqueue(
            by=None,
            company=task.company,
            project=task.project,
            channel=Channel.SMS,
            kind=Kind.SERVICE,
            to=customer.phone,
            body=task.message,
            idempotency_key=f"reception.task:{task.pk}",
            customer=customer,
            source=f"reception.task:{task.pk}",
        )
    return message.status != Status.SUPPRESSED


# --- CUS-6: the 360° timeline ---------------------------------------------------------------------


def messages_timeline(user, customer, limit):
    for message in selectors.customer_messages(user, customer, limit):
        yield TimelineEntry(
            when=message.sent_at or message.created_at,
            kind="message",
            title=_("%(channel)s · %(status)s")
            % {"channel": message.get_channel_display(), "status": message.get_status_display()},
            body=message.full_text,
            url=reverse("messaging:message_detail", args=[message.pk])
            if sees_loaded(user, message)
            else "",
            actor=str(message.created_by) if message.created_by_id else "",
            extra={"kind": message.kind, "status": message.status},
            record_id=message.pk,
        )


# --- CUS-3: merge ---------------------------------------------------------------------------------


def move_messages(*, duplicate, survivor) -> dict:
    """The duplicate's messages now belong to the survivor (inside the merge's transaction)."""
    moved = (
        Message.objects.unscoped("merge: the service checked both customers")
        .filter(customer=duplicate)
        .update(customer=survivor)
    )
    return {"messages": moved}


# --- SEC-2: PIPL ----------------------------------------------------------------------------------


def message_rows(customer):
    messages = (
        Message.objects.unscoped("PIPL: one person's messages")
        .filter(customer_id__in=person_ids(customer))
        .select_related("project", "customer", "template")
        .order_by("created_at", "pk")
    )
    return model_rows(
        messages,
        exclude={"company", "claim", "lease_until", "created_by", "idempotency_key"},
    )


def consent_rows(customer):
    phones = sorted(person_phones(customer))
    emails = [customer.email.lower()] if customer.email else []
    changes = (
        (
            ConsentChange.objects.filter(channel=Channel.SMS, address__in=phones or ["-"])
            | ConsentChange.objects.filter(channel=Channel.EMAIL, address__in=emails or ["-"])
        )
        .select_related("by")
        .order_by("at", "pk")
    )
    return model_rows(changes, exclude={"holding", "via_company"})


def erase_messages(erasure: Erasure) -> None:
    """Messages stay as anonymous facts (counts, campaign figures); the address is emptied and
    the texts lose the person (they greet him by name). Queued messages are cancelled: nobody
    may contact an erased person. The opt-out list keeps his number: a refusal is honoured
    even after erasure (it is what he asked for)."""
    rows = list(
        Message.objects.unscoped("PIPL erasure").filter(customer_id__in=erasure.customer_ids)
    )
    erasure.touch(Message, [m.pk for m in rows], {"to", "body", "subject"})
    changed = []
    for m in rows:
        m.to = ""
        m.body = erasure.scrub(m.body)
        m.subject = erasure.scrub(m.subject)
        if m.status in (Status.QUEUED, Status.HELD):
            m.status, m.error_code, m.not_before = Status.CANCELLED, "erased", None
        changed.append(m)
    Message.objects.unscoped("PIPL erasure").bulk_update(
        changed, ["to", "body", "subject", "status", "error_code", "not_before"], batch_size=500
    )
    erasure.count("messages", len(changed))


def register() -> None:
    from anju.customers.merging import register_merge_handler
    from anju.customers.timeline import register_timeline_kind, register_timeline_provider
    from anju.reception.hooks import register_sms_sender

    register_sms_sender(send_followup_sms)
    register_timeline_kind("message", gettext_lazy("Message"))
    register_timeline_provider(messages_timeline, covers=("messaging.",), sources=(Message,))
    register_merge_handler(move_messages)
    register_personal_data_provider(
        "messages", message_rows, label=gettext_lazy("Messages"), model=Message
    )
    register_personal_data_provider(
        "consent", consent_rows, label=gettext_lazy("Consent history"), model=ConsentChange
    )
    register_erasure_handler(erase_messages)
