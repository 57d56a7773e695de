"""Gateway callbacks (MSG-3, MSG-5): delivery reports and inbound replies pushed by a provider.

Aliyun SMS pushes, as a JSON array, its delivery reports (``SmsReport``: ``phone_number``,
``success``, ``biz_id``, ``err_code``, ``report_time``, …) and the replies people send
(``SmsUp``: ``phone_number``, ``content``, ``send_time``, ``sequence_id``, …) to URLs set
in its console, and retries a push (after 1, 5 and 10 minutes) until it gets HTTP 200. Here
a push is **authenticated** (``authenticate``), **read whole** (``read_reports`` /
``read_replies``: a structurally bad item refuses the push with a reason, nothing applied;
a reply from a number that is no usable mobile is only skipped and counted) and
**applied** through the messaging services in one transaction: a report moves its message
SENT → DELIVERED or FAILED (``message_delivery_report``, which leaves a finished message
alone, so a repeated push changes nothing); a reply T/TD/退订 opts the number out at once and
cancels its queued marketing (``inbound_reply``).

Authentication, with the shared secret ``ANJU_SMS_CALLBACK_SECRET`` (environment only):

- ``X-Anju-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`` —
  the same scheme as Anju's own webhooks (``anju.webhooks.signing``), for a relay or a
  provider that signs; a signature older than 5 minutes is refused (no replays);
- or ``?token=<secret>`` in the URL, for a provider console that only takes a URL (Aliyun's).
  Anju's request log never records query strings; serve the URL over HTTPS only.

Neither: 401 ``callback_unsigned``; wrong or stale: 403 ``callback_bad_signature``; no secret
configured: 403 ``callbacks_disabled`` (callbacks are off, nothing is read).
"""

import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, BadRequest
from anju.core.masking import mask_phone
from anju.webhooks.signing import verify

from .aliyun import report_provider_id

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Anju-Signature"
TOKEN_PARAMETER = "token"
MAX_ITEMS = 5000  # one push; Aliyun merges reports, but not into more than a few hundred
ALIYUN_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ADDRESS_MAX = 30
TEXT_MAX = 1000


class CallbackUnsigned(ApplicationError):
    status_code = 401
    default_code = "callback_unsigned"


class CallbackRefused(ApplicationError):
    status_code = 403
    default_code = "callback_bad_signature"


def callback_secret() -> str:
    return (getattr(settings, "ANJU_SMS_CALLBACK_SECRET", "") or "").strip()


def authenticate(*, body: bytes, signature: str, token: str, now: float | None = None) -> None:
    """Refuse a push that does not prove it knows the shared secret (raises)."""
    secret = callback_secret()
    if not secret:
        raise CallbackRefused(
            _("Gateway callbacks are disabled: ANJU_SMS_CALLBACK_SECRET is not set."),
            code="callbacks_disabled",
        )
    if not signature and not token:
        raise CallbackUnsigned(
            _("Sign the request (X-Anju-Signature) or put the token in the URL.")
        )
    if signature:
        if verify(secret, signature, body, now=time.time() if now is None else now):
            return
    elif hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8")):
        return
    raise CallbackRefused(_("The callback's signature or token is wrong or too old."))


# --- reading a push --------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    provider_id: str
    delivered: bool
    code: str
    at: datetime | None


@dataclass(frozen=True)
class Reply:
    from_address: str
    text: str
    at: datetime | None


def _malformed(reason: str, index: int | None = None) -> BadRequest:
    where = "" if index is None else _("item %(index)s: ") % {"index": index}
    return BadRequest(where + reason, code="callback_malformed")


def _items(body: bytes) -> list[dict]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _malformed(_("the body is not JSON.")) from None
    if not isinstance(data, list):
        raise _malformed(_("the body must be a JSON array of objects."))
    if len(data) > MAX_ITEMS:
        raise _malformed(_("more than %(max)s items in one push.") % {"max": MAX_ITEMS})
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise _malformed(_("not an object."), index)
    return data


def _text(item: dict, name: str, index: int, *, limit: int, required: bool = True) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise _malformed(_("“%(name)s” is missing.") % {"name": name}, index)
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _malformed(_("“%(name)s” must be text.") % {"name": name}, index)
    value = str(value)
    if len(value) > limit or "\x00" in value:
        raise _malformed(_("“%(name)s” is too long or holds a NUL.") % {"name": name}, index)
    return value


def _time(item: dict, name: str, index: int) -> datetime | None:
    """Aliyun's "2017-01-01 00:00:00", Beijing time; absent is allowed (then: now)."""
    value = _text(item, name, index, limit=40, required=False)
    if not value:
        return None
    try:
        moment = datetime.strptime(value, ALIYUN_TIME_FORMAT)
    except ValueError:
        raise _malformed(
            _("“%(name)s” is not a time like 2026-01-01 09:30:00.") % {"name": name}, index
        ) from None
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _usable_phone(item: dict, index: int) -> str | None:
    """The reply's number in its stored form; None when there is no usable number (missing,
    too long, not a mobile) — one odd number must not lose the other replies of the push.
    A value that is not text at all is a malformed push (BadRequest)."""
    from anju.messaging.models import Channel
    from anju.messaging.services import normalise_address

    value = item.get("phone_number")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _malformed(_("“%(name)s” must be text.") % {"name": "phone_number"}, index)
    number = str(value)
    if len(number) > ADDRESS_MAX:
        return None
    try:
        return normalise_address(Channel.SMS, number, field="phone_number")
    except ApplicationError:
        return None


def read_reports(body: bytes) -> list[Report]:
    """An Aliyun ``SmsReport`` push, checked whole; BadRequest names the first bad item."""
    reports = []
    for index, item in enumerate(_items(body)):
        success = item.get("success")
        if not isinstance(success, bool):
            raise _malformed(_("“success” must be true or false."), index)
        phone = _text(item, "phone_number", index, limit=ADDRESS_MAX)
        biz_id = _text(item, "biz_id", index, limit=64)
        reports.append(
            Report(
                provider_id=report_provider_id(biz_id, phone),
                delivered=success,
                code=_text(item, "err_code", index, limit=60, required=False),
                at=_time(item, "report_time", index),
            )
        )
    return reports


@dataclass(frozen=True)
class Replies:
    usable: list[Reply]
    unusable: int  # items without a usable phone number: skipped, counted, logged masked


def read_replies(body: bytes) -> Replies:
    """An Aliyun ``SmsUp`` push, checked whole for its structure (else BadRequest). A reply
    from a number that is no usable mobile is skipped and counted, not a reason to refuse
    the push: Aliyun would retry the whole push and every opt-out in it would be lost."""
    replies, unusable = [], 0
    for index, item in enumerate(_items(body)):
        text = _text(item, "content", index, limit=TEXT_MAX)
        at = _time(item, "send_time", index)
        phone = _usable_phone(item, index)
        if phone is None:
            unusable += 1
            log.warning(
                "callbacks: skipped reply item %s from an unusable number %s",
                index,
                mask_phone(str(item.get("phone_number") or "")[:ADDRESS_MAX]) or "(none)",
            )
            continue
        replies.append(Reply(from_address=phone, text=text, at=at))
    return Replies(usable=replies, unusable=unusable)


# --- applying it -----------------------------------------------------------------------------


@transaction.atomic
def apply_reports(*, provider: str, reports: list[Report]) -> int:
    """Each report to its message (unknown ids and finished messages are left alone)."""
    from anju.messaging.services import message_delivery_report

    for report in reports:
        message_delivery_report(
            provider=provider,
            provider_id=report.provider_id,
            delivered=report.delivered,
            code=report.code,
            at=report.at,
        )
    return len(reports)


@transaction.atomic
def apply_replies(*, provider: str, replies: list[Reply]) -> dict:
    """Each reply to the consent service: T/TD/退订 opts out; other text is only counted."""
    from anju.messaging.services import inbound_reply

    counts = {"opted_out": 0, "ignored": 0}
    for reply in replies:
        change = inbound_reply(
            provider=provider, from_address=reply.from_address, text=reply.text, at=reply.at
        )
        counts["opted_out" if change is not None else "ignored"] += 1
    return counts
