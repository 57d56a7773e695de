"""Delivering events to webhooks (INT-2): the outbox, the dispatcher and its retries.

**The events table is the outbox.** Every business state change already writes an
``Event`` row in its own transaction (style rule 3). ``core.events`` tells its listeners of
each row; ``on_events_recorded`` keeps the publishable ones and asks, *after the commit*,
for ``webhooks_fan_out`` to be enqueued — nothing else happens in the request, so a receiver
that is slow, down or answering 500 never slows or breaks the request that caused the
event, and a rolled-back write publishes nothing. Why a listener plus on-commit rather than
only a periodic scan after a cursor: deliveries leave within seconds instead of a minute,
and there is no cursor row every worker would contend for. What the on-commit path can
miss (the process dies between the commit and the enqueue) the per-minute
``webhooks_dispatch_due`` sweeps up from the events table itself (``sweep_missed``); the
``(subscription, event)`` uniqueness makes both paths idempotent.

**One delivery per (subscription, event)**, whose ``uuid`` is the ``X-Anju-Delivery`` and
payload ``id`` on every attempt (receivers deduplicate on it: at-least-once delivery).

**Attempts.** A dispatcher *claims* a due delivery in a short transaction
(``select_for_update(skip_locked=True)`` on PostgreSQL: two workers never pick the same row;
the claim moves ``next_attempt_at`` to the end of a lease, so once committed no other
dispatcher sees it as due even without row locks), then POSTs outside any transaction
(5 s timeout, no redirects followed, SSRF-guarded: ``targets``), then records the outcome
on the row it claimed. 2xx = delivered. Otherwise it is retried after 1 min, 5 min, 30 min,
2 h, 6 h, 12 h and 24 h; after the 8th failed attempt it is ``failed`` (redeliver by hand).
A test ping is tried once. A dispatcher that dies mid-attempt loses only its lease: the
delivery is due again when the lease ends.
"""

import http.client
import logging
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from anju.core.masking import mask_text
from anju.core.metrics import record_webhook_delivery
from anju.core.models import Event, PersonalDataAccess

from .models import (
    ERROR_MAX_LENGTH,
    RESPONSE_BODY_MAX,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from .payloads import build_payload, encode
from .registry import is_publishable, publishable_verbs
from .signing import signature_header
from .targets import guarded_create_connection

log = logging.getLogger(__name__)

BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
]
MAX_ATTEMPTS = len(BACKOFF) + 1  # 8
TIMEOUT_SECONDS = 5  # connect, and each read
LEASE = timedelta(minutes=2)  # far beyond one attempt (two 5 s timeouts)
SWEEP_GRACE = timedelta(minutes=1)  # leave fresh events to the on-commit path
SWEEP_WINDOW = timedelta(hours=24)
FAN_OUT_CHUNK = 500
USER_AGENT = "Anju-Webhooks/1"


# --- the outbox: events → deliveries ------------------------------------------------------------


def on_events_recorded(events) -> None:
    """``core.events`` listener, inside the writing transaction: enqueue after the commit.

    Everything, the check below included, runs after the commit: the transaction (a queue
    number's, holding its project's counter) stays as short as its own writes.
    """
    published = [e for e in events if is_publishable(e.verb)]
    if not published:
        return
    ids = [e.pk for e in published]
    companies = {e.company_id for e in published}
    # robust: a queue hiccup is logged, never turned into an error of the request (the sweep
    # delivers the events later).
    transaction.on_commit(partial(enqueue_if_anyone_listens, ids, companies), robust=True)


def enqueue_if_anyone_listens(ids, companies) -> None:
    # One indexed query instead of a queued task for every event of a company nobody
    # subscribed in (most of them). A subscription made meanwhile only wants later events
    # (``fan_out`` keeps to the subscriptions that existed when each event happened).
    subscribed = (
        WebhookSubscription.objects.unscoped("webhooks: does anyone listen (system)")
        .filter(company_id__in=companies, is_active=True)
        .exists()
    )
    if not subscribed:
        return
    from .tasks import webhooks_fan_out

    for start in range(0, len(ids), FAN_OUT_CHUNK):
        webhooks_fan_out.enqueue(ids[start : start + FAN_OUT_CHUNK])


def fan_out(event_ids) -> list[int]:
    """One pending delivery per active subscription of the event's company that wants its
    verb (and existed when it happened). Returns the ids of the deliveries made now."""
    events = list(
        Event.objects.unscoped("webhooks: fan-out of committed events (system)")
        .filter(pk__in=list(event_ids))
        .only("pk", "company_id", "verb", "created_at")
    )
    events = [e for e in events if is_publishable(e.verb)]
    if not events:
        return []
    by_company = {}
    for sub in WebhookSubscription.objects.unscoped("webhooks: who subscribed (system)").filter(
        company_id__in={e.company_id for e in events}, is_active=True
    ):
        by_company.setdefault(sub.company_id, []).append(sub)
    now = timezone.now()
    rows = [
        WebhookDelivery(
            company_id=e.company_id,
            subscription=sub,
            event_id=e.pk,
            verb=e.verb,
            next_attempt_at=now,
        )
        for e in events
        for sub in by_company.get(e.company_id, ())
        if e.verb in sub.verbs and e.created_at >= sub.created_at
    ]
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        WebhookDelivery.objects.unscoped("webhooks: the deliveries just made (system)")
        .filter(uuid__in=[r.uuid for r in rows])
        .values_list("pk", flat=True)
    )


def sweep_missed(*, now=None) -> int:
    """Deliveries for events of the last day the on-commit path did not fan out."""
    now = now or timezone.now()
    verbs = set(publishable_verbs())
    made = 0
    for sub in WebhookSubscription.objects.unscoped("webhooks: sweep (system)").filter(
        is_active=True
    ):
        wanted = [v for v in sub.verbs if v in verbs]
        if not wanted:
            continue
        missing = (
            Event.objects.unscoped("webhooks: sweep of the outbox (system)")
            .filter(
                company_id=sub.company_id,
                verb__in=wanted,
                created_at__gte=max(sub.created_at, now - SWEEP_WINDOW),
                created_at__lte=now - SWEEP_GRACE,
            )
            .exclude(
                Exists(
                    WebhookDelivery.objects.filter(subscription_id=sub.pk, event_id=OuterRef("pk"))
                )
            )
            .order_by("pk")
            .values_list("pk", "verb")[:FAN_OUT_CHUNK]
        )
        rows = [
            WebhookDelivery(
                company_id=sub.company_id,
                subscription=sub,
                event_id=pk,
                verb=verb,
                next_attempt_at=now,
            )
            for pk, verb in missing
        ]
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        made += len(rows)
    return made


# --- claiming and sending -------------------------------------------------------------------------


def _due(now):
    return (
        WebhookDelivery.objects.unscoped("webhooks: the dispatcher's queue (system)")
        .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        # a paused subscription keeps its deliveries for when it is active again; a test
        # ping goes out anyway
        .filter(Q(subscription__is_active=True) | Q(event__isnull=True))
    )


def claim(delivery_id=None, *, now=None):
    """Take the next due attempt (or that of ``delivery_id``) for this dispatcher, or None.

    Committed before anything is sent: the row's lease keeps every other dispatcher off it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        qs = _due(now)
        if delivery_id is not None:
            qs = qs.filter(pk=delivery_id)
        delivery = (
            qs.select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.leased_until = now + LEASE
        delivery.next_attempt_at = delivery.leased_until
        delivery.last_attempt_at = now
        delivery.save(
            update_fields=[
                "attempts",
                "leased_until",
                "next_attempt_at",
                "last_attempt_at",
                "updated_at",
            ]
        )
    return delivery


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an instruction to go elsewhere (SSRF)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = guarded_create_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


def _opener():
    # No proxies from the environment: the peer checked is the receiver itself.
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _NoRedirect, _HTTPHandler, _HTTPSHandler
    )


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_response_body(raw: bytes) -> str:
    """At most 2 KB of the answer, as text without control characters, numbers masked."""
    text = raw[:RESPONSE_BODY_MAX].decode("utf-8", errors="replace")
    return mask_text(_CONTROL.sub("", text))


def post(url: str, body: bytes, headers: dict) -> tuple[int | None, bytes, str]:
    """(status or None, the first 2 KB of the answer, error text) — never raises."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(RESPONSE_BODY_MAX), ""
    except urllib.error.HTTPError as exc:
        try:
            answer = exc.read(RESPONSE_BODY_MAX)
        except (OSError, http.client.HTTPException):
            answer = b""
        return exc.code, answer, f"HTTP {exc.code}"
    except urllib.error.URLError as exc:
        reason = exc.reason
        return None, b"", f"{type(reason).__name__}: {reason}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, b"", f"{type(exc).__name__}: {exc}"


def attempt(delivery, *, now=None) -> bool:
    """Send the claimed attempt of ``delivery`` and record how it went; True if delivered."""
    delivery = (
        WebhookDelivery.objects.unscoped("webhooks: the attempt this dispatcher claimed")
        .select_related("subscription", "event")
        .get(pk=delivery.pk)
    )
    subscription = delivery.subscription
    payload, revealed = build_payload(delivery)
    body = encode(payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Anju-Event": delivery.verb,
        "X-Anju-Delivery": str(delivery.uuid),
        "X-Anju-Timestamp": str(timestamp),
        "X-Anju-Signature": signature_header(subscription.secret, timestamp, body),
    }
    status, answer, error = post(subscription.target_url, body, headers)
    if revealed is not None and subscription.unmask_granted_by_id:
        _log_full_data(delivery, subscription, revealed)
    return record_outcome(delivery, status=status, answer=answer, error=error, now=now)


def record_outcome(delivery, *, status, answer=b"", error="", now=None) -> bool:
    now = now or timezone.now()
    ok = status is not None and 200 <= status < 300
    limit = 1 if delivery.event_id is None else MAX_ATTEMPTS
    changes = {
        "leased_until": None,
        "last_status_code": status,
        "last_response_body": clean_response_body(answer or b""),
        "last_error": "" if ok else mask_text(error)[:ERROR_MAX_LENGTH],
        "updated_at": now,
    }
    if ok:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
        outcome = "delivered"
    elif delivery.attempts >= limit:
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        outcome = "failed"
    else:
        changes.update(next_attempt_at=now + BACKOFF[delivery.attempts - 1])
        outcome = "retry"
    # Only the attempt this dispatcher claimed (a redelivery since then starts afresh).
    WebhookDelivery.objects.unscoped("webhooks: the dispatcher records its own attempt").filter(
        pk=delivery.pk, attempts=delivery.attempts, status=DeliveryStatus.PENDING
    ).update(**changes)
    record_webhook_delivery(outcome)  # /metrics (issue 10 item 4)
    if not ok:
        log.info(
            "webhook delivery %s attempt %s failed: %s", delivery.uuid, delivery.attempts, error
        )
    return ok


def _log_full_data(delivery, subscription, customer):
    """SEC-2: full personal data left for an integrator; logged in the name of who granted it."""
    from anju.core.services import personal_data_access_log

    personal_data_access_log(
        by=subscription.unmask_granted_by,
        action=PersonalDataAccess.Action.EXPORT,
        target=customer,
        company=subscription.company_id,
        fields="name,phone,id_number",
        description=f"webhook {delivery.verb} delivery {delivery.uuid} "
        f"to subscription #{subscription.pk}",
    )


def deliver_now(delivery_id: int) -> bool | None:
    """Try ``delivery_id`` if it is due and nobody else holds it (the on-commit path)."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    return attempt(delivery)


def dispatch_due(*, limit: int = 200, budget_seconds: float = 50.0) -> int:
    """Send due attempts, one claim at a time, until none is due, ``limit`` or the budget."""
    started = time.monotonic()
    sent = 0
    while sent < limit and time.monotonic() - started < budget_seconds:
        delivery = claim()
        if delivery is None:
            break
        attempt(delivery)
        sent += 1
    return sent
