"""What the club tells an event's registrants (MEM-4, MSG-4 "reminders for events").

Both are service messages (they answer the customer's own registration: not marketing, never
held for quiet hours), written to the messaging outbox inside the caller's transaction. The
idempotency key names the registration, so a reminder is sent once however often the task
or the button runs.
"""

import zlib

from django.utils import timezone, translation
from django.utils.translation import gettext as _

CUSTOMER_LANGUAGE = "zh-hans"  # what the club's customers read, whatever the staff's UI is


def _salutation(customer) -> str:
    """张先生 / 李女士, as every service SMS addresses the customer."""
    from anju.reception.followup_rules import salutation

    return salutation(customer.name, customer.gender)


def _when(event) -> str:
    return timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M")


def notify_reminder(*, by, registration, event):
    """通知参加讲座时间: the time and place, before the event."""
    with translation.override(CUSTOMER_LANGUAGE):
        body = _(
            "%(name)s, you are registered for “%(title)s” at %(when)s, %(venue)s. "
            "We look forward to seeing you."
        ) % {
            "name": _salutation(registration.customer),
            "title": event.title,
            "when": _when(event),
            "venue": event.venue,
        }
    return _enqueue(
        by=by,
        registration=registration,
        event=event,
        purpose="reminder",
        body=body,
        key=reminder_key(registration, event),
    )


def notify_seat_free(*, by, registration, event):
    """A seat came free: the first of the waiting list is registered and told so."""
    with translation.override(CUSTOMER_LANGUAGE):
        body = _(
            "%(name)s, a seat came free: you are now registered for “%(title)s” at "
            "%(when)s, %(venue)s."
        ) % {
            "name": _salutation(registration.customer),
            "title": event.title,
            "when": _when(event),
            "venue": event.venue,
        }
    return _enqueue(by=by, registration=registration, event=event, purpose="seat", body=body)


def notify_cancelled(*, by, registration, event):
    """The event is called off: everyone who said yes is told, once."""
    with translation.override(CUSTOMER_LANGUAGE):
        body = _(
            "%(name)s, we are sorry: “%(title)s” at %(when)s will not take place. "
            "Your registration is cancelled."
        ) % {
            "name": _salutation(registration.customer),
            "title": event.title,
            "when": _when(event),
        }
    return _enqueue(by=by, registration=registration, event=event, purpose="cancel", body=body)


def idempotency_key(purpose: str, registration) -> str:
    return f"event-{purpose}:{registration.pk}"


def reminder_key(registration, event) -> str:
    """The reminder's outbox key names the registration *and* the time and place it
    announces: sent once per registration as long as the event stays put, and once more
    when it moves (the outbox would swallow a second message under the first key)."""
    place = zlib.crc32(event.venue.encode("utf-8"))
    when = f"{timezone.localtime(event.starts_at):%Y%m%d%H%M}"
    return f"{idempotency_key('reminder', registration)}:{when}:{place:08x}"


def _enqueue(*, by, registration, event, purpose: str, body: str, key: str = ""):
    """The one call into messaging: an SMS of service kind to the customer's mobile."""
    from anju.messaging.models import Channel, Kind
    from anju.messaging.services import message_enqueue

    customer = registration.customer
    return message_enqueue(
        by=by,
        company=event.company,
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        to=customer.phone,
        body=body,
        idempotency_key=key or idempotency_key(purpose, registration),
        customer=customer,
        source=f"event:{event.pk}",
        project=event.project,
    )
