"""The outbox workers (issue 11 item 6): claim, send with the key, record — exactly once.

1. **Claim** (one short committed transaction): due rows — QUEUED/HELD whose ``not_before``
   has passed, or SENDING rows whose lease ran out because their worker died — are locked
   with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (other workers skip them; SQLite
   has one writer at a time) and marked SENDING with a fresh claim token and a lease.
   Consent and quiet hours are checked again here: a marketing row whose address opted out
   meanwhile is CANCELLED, one that fell into quiet hours is HELD until they end.
2. **Send** outside any transaction: the gateway gets every row's idempotency key.
3. **Record** (one transaction): only rows still SENDING under our claim token are updated —
   SENT with the provider's id, back to QUEUED with back-off for a retryable failure, or
   FAILED. A worker killed between 2 and 3 leaves its rows SENDING; once the lease ends
   another worker sends them again *with the same key*, and the gateway, which accepts a key
   once, answers "already accepted": nothing is lost, nothing is delivered twice.

**Leases and the rate limit.** Between claim and send a worker may wait for its rate-limit
slots (``throttle.py``). The batch is capped at about ``rate × lease / 2`` messages, and a
worker that must wait first extends its lease over the wait (only while the rows are still
under its claim), then, after the wait, renews it once more and sends only the rows that are
still its own: a row is never in two workers' hands while one of them is sending it.

**Gateways that do not deduplicate by key** (Aliyun, SMTP: ``Gateway.dedupes_by_key``). A
SENDING row whose lease ran out may have reached the provider (its worker died or hung after
handing it over), and sending it again would deliver it twice. Such a row is not resent: it
becomes UNCERTAIN, keeps its claim (the slow worker's late answer still settles it) and waits
for a person to resend it or mark it sent (the outbox page). Only deduplicating gateways (the
development one) get a stale row again, with the same key.
"""

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from anju.core.masking import mask_contact_text
from anju.core.metrics import record_message_sent

from . import clock
from .gateways.base import SendResult, results_for_failure
from .gateways.registry import gateway_for, rate_for
from .models import Channel, Kind, Message, Status
from .services import messaging_settings_for, opted_out_addresses, quiet_until
from .throttle import reserve

log = logging.getLogger(__name__)


def lease_seconds() -> int:
    return int(getattr(settings, "ANJU_MESSAGE_LEASE_SECONDS", 120))


def max_attempts() -> int:
    return int(getattr(settings, "ANJU_MESSAGE_MAX_ATTEMPTS", 8))


def batch_cap(rate: float) -> int | None:
    """The most rows one claim may take at ``rate`` messages/second: sending them takes at
    most half a lease, so a worker's wait for its slots stays well inside its lease."""
    if rate <= 0:
        return None
    return max(1, int(rate * lease_seconds() / 2))


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min … up to an hour between attempts (base configurable)."""
    base = float(getattr(settings, "ANJU_MESSAGE_BACKOFF_SECONDS", 30))
    return timedelta(seconds=min(3600.0, base * (2 ** max(0, attempt - 1))))


@dataclass
class PassResult:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0
    uncertain: int = 0  # stale SENDING rows of a non-deduplicating gateway, left to a person
    by_channel: dict = field(default_factory=dict)

    def add(self, other: "PassResult") -> None:
        for name in ("claimed", "sent", "retrying", "failed", "cancelled", "held", "uncertain"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _stale(now) -> Q:
    return Q(status=Status.SENDING, lease_until__lt=now)


def _due(now, *, resend_stale: bool) -> Q:
    waiting = Q(status__in=[Status.QUEUED, Status.HELD]) & (
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    return (_stale(now) | waiting) if resend_stale else waiting


def _outbox():
    return Message.objects.unscoped("the outbox worker sends every company's messages")


def mark_stale_uncertain(*, channel: str, now=None) -> int:
    """Stale SENDING rows of ``channel`` → UNCERTAIN (their gateway does not deduplicate).

    The claim stays: if the worker that holds it was only slow, its answer still settles the
    row (``record``); if it died, a person decides (resend or mark sent)."""
    now = now or clock.now()
    count = (
        _outbox()
        .filter(_stale(now), channel=channel)
        .update(
            status=Status.UNCERTAIN,
            error_code="lease_expired",
            error="The sending worker's lease ran out: the provider may have the message.",
        )
    )
    if count:
        log.warning(
            "messaging: %s %s message(s) UNCERTAIN: their worker's lease ran out mid-send",
            count,
            channel,
        )
    return count


def claim(
    *, channel: str, limit: int, now=None, resend_stale: bool = False
) -> tuple[str, list[Message], PassResult]:
    """Mark up to ``limit`` due rows SENDING under a new claim token (committed on return).

    ``resend_stale``: the gateway deduplicates by key, so a row whose worker's lease ran out
    is due again; otherwise such rows become UNCERTAIN and are not claimed."""
    now = now or clock.now()
    token = uuid.uuid4().hex
    outcome = PassResult()
    if not resend_stale:
        outcome.uncertain = mark_stale_uncertain(channel=channel, now=now)
    due = _due(now, resend_stale=resend_stale)
    with transaction.atomic():
        rows = _outbox().filter(due, channel=channel)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return token, [], outcome
        # The WHERE repeats the due condition: on SQLite (no row locks) a row another worker
        # claimed a moment ago is no longer due, so it is not taken twice.
        _outbox().filter(due, pk__in=ids).update(
            status=Status.SENDING,
            claim=token,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
        claimed = list(
            _outbox()
            .filter(pk__in=ids, claim=token, status=Status.SENDING)
            .select_related("company")
            .order_by("id")
        )
        sendable = _recheck_consent_and_hours(claimed, now, outcome)
    outcome.claimed = len(sendable)
    return token, sendable, outcome


def _recheck_consent_and_hours(messages, now, outcome) -> list[Message]:
    """At send time (MSG-3): opted out meanwhile → CANCELLED; in quiet hours → HELD."""
    sendable, cancelled, held = [], [], []
    settings_cache = {}
    refused = opted_out_addresses(
        [(m.channel, m.to, m.company.holding_id) for m in messages if m.kind == Kind.MARKETING]
    )
    for m in messages:
        if m.kind == Kind.MARKETING:
            if (m.channel, m.to, m.company.holding_id) in refused:
                m.status, m.error_code = Status.CANCELLED, "opted_out"
                cancelled.append(m)
                continue
            if m.company_id not in settings_cache:
                settings_cache[m.company_id] = messaging_settings_for(m.company)
            opening = quiet_until(settings_cache[m.company_id], now)
            if opening:
                m.status, m.not_before = Status.HELD, opening
                m.attempts = max(0, m.attempts - 1)  # holding is not an attempt
                held.append(m)
                continue
        sendable.append(m)
    for m in cancelled + held:
        m.claim, m.lease_until = "", None
    if cancelled or held:
        _outbox().bulk_update(
            cancelled + held,
            ["status", "error_code", "not_before", "attempts", "claim", "lease_until"],
        )
    outcome.cancelled, outcome.held = len(cancelled), len(held)
    return sendable


def keep_claim(*, token: str, messages, seconds: float, now=None) -> list[Message]:
    """Extend the lease of the rows still SENDING under ``token`` to ``seconds`` from now;
    returns those rows (the others went to another worker or became UNCERTAIN: not ours)."""
    now = now or clock.now()
    with transaction.atomic():
        ours = set(
            _outbox()
            .select_for_update()
            .filter(pk__in=[m.pk for m in messages], claim=token, status=Status.SENDING)
            .values_list("pk", flat=True)
        )
        if ours:
            _outbox().filter(pk__in=ours).update(lease_until=now + timedelta(seconds=seconds))
    return [m for m in messages if m.pk in ours]


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def wait_for_slots(gateway, *, token: str, messages, rate: float) -> list[Message]:
    """Reserve the batch's rate-limit slots and wait for them, the rows kept under our claim
    all along; returns the rows still ours to send, each with a whole lease ahead."""
    delay = reserve(gateway.name, len(messages), rate)
    if not delay:
        return messages
    messages = keep_claim(token=token, messages=messages, seconds=delay + lease_seconds())
    _sleep(delay)
    # The fence: after the wait, send only what is still ours, with a fresh lease for the call.
    return keep_claim(token=token, messages=messages, seconds=lease_seconds())


def _attach_sender_names(messages) -> None:
    """E-mail: each company's sender name (settings page) for the From header (smtp.py)."""
    names = {}
    for m in messages:
        if m.channel != Channel.EMAIL:
            continue
        if m.company_id not in names:
            names[m.company_id] = messaging_settings_for(m.company).email_from_name
        m.sender_name = names[m.company_id]


def send_claimed(gateway, messages) -> list[SendResult]:
    """Hand the rows to the gateway; a gateway that raises fails the batch as retryable."""
    try:
        results = gateway.send(messages)
    except Exception as exc:  # noqa: BLE001 – timeouts, refused connections, a 500, a bug
        log.warning("messaging: gateway %s failed a batch: %s", gateway.name, exc)
        return results_for_failure(messages, exc)
    answered = {r.message_id for r in results}
    missing = [m for m in messages if m.pk not in answered]
    if missing:
        results = list(results) + results_for_failure(
            missing, RuntimeError("the gateway gave no result for this message")
        )
    return results


def record(*, token: str, gateway_name: str, results: list[SendResult], now=None) -> PassResult:
    """Write the gateway's answers onto the rows still claimed by ``token``.

    Rows with the same outcome are updated together (one UPDATE per outcome, the providers'
    ids in one more): a batch costs a few statements, not one per message.
    """
    now = now or clock.now()
    outcome = PassResult()
    by_id = {r.message_id: r for r in results}
    sent_kinds = []
    with transaction.atomic():
        # An UNCERTAIN row under our claim was only slow, not lost: our answer settles it.
        rows = list(
            _outbox()
            .select_for_update()
            .filter(pk__in=list(by_id), claim=token, status__in=[Status.SENDING, Status.UNCERTAIN])
            .only("pk", "channel", "kind", "attempts")
        )
        groups = defaultdict(list)
        provider_ids = {}
        for m in rows:
            values = _result_values(m, by_id[m.pk], gateway_name, now, outcome)
            if values["status"] == Status.SENT:
                provider_ids[m.pk] = values.pop("provider_id")
                sent_kinds.append((m.channel, m.kind))
            groups[tuple(sorted(values.items()))].append(m.pk)
        for values, pks in groups.items():
            _outbox().filter(pk__in=pks).update(**dict(values))
        _set_provider_ids(provider_ids)
    for channel, kind in sent_kinds:
        record_message_sent(channel, kind)
    return outcome


def _set_provider_ids(provider_ids: dict) -> None:
    """``provider_id`` of many rows in one statement (the rows are locked by the caller)."""
    if not provider_ids:
        return
    quote = connection.ops.quote_name
    items = sorted(provider_ids.items())
    cases = " ".join(["WHEN %s THEN %s"] * len(items))
    marks = ", ".join(["%s"] * len(items))
    sql = (
        f"UPDATE {quote(Message._meta.db_table)} SET {quote('provider_id')} = "
        f"CASE {quote('id')} {cases} END WHERE {quote('id')} IN ({marks})"
    )
    params = [value for pk, pid in items for value in (pk, pid)] + [pk for pk, _ in items]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _result_values(m, result: SendResult, gateway_name, now, outcome) -> dict:
    values = {"gateway": gateway_name, "claim": "", "lease_until": None}
    if result.accepted:
        outcome.sent += 1
        return {
            **values,
            "status": Status.SENT,
            "sent_at": now,
            "provider_id": (result.provider_id or "")[:100],
            "error_code": "",
            "error": "",
        }
    values["error_code"] = (result.error_code or "error")[:60]
    # A provider's reply may quote the address (SMTP: "550 <wang@…> unknown"): the error is
    # shown on pages and in the API, so addresses and numbers in it are masked.
    values["error"] = mask_contact_text(result.error or "")[:500]
    if result.retryable and m.attempts < max_attempts():
        outcome.retrying += 1
        return {**values, "status": Status.QUEUED, "not_before": now + backoff(m.attempts)}
    outcome.failed += 1
    return {**values, "status": Status.FAILED}


def run_pass(*, channels=None, batch: int | None = None, gateways=None) -> PassResult:
    """Claim, send and record one batch per channel. Returns what happened."""
    total = PassResult()
    gateways = gateways if gateways is not None else {}
    for channel in channels or Channel.values:
        gateway = gateways.get(channel) or gateway_for(channel)
        gateways[channel] = gateway
        rate = rate_for(channel)
        limit = min(batch or gateway.max_batch, batch_cap(rate) or gateway.max_batch)
        token, messages, outcome = claim(
            channel=channel, limit=limit, resend_stale=gateway.dedupes_by_key
        )
        if messages:
            messages = wait_for_slots(gateway, token=token, messages=messages, rate=rate)
        if messages:
            _attach_sender_names(messages)
            results = send_claimed(gateway, messages)
            outcome.add(record(token=token, gateway_name=gateway.name, results=results))
        total.by_channel[channel] = outcome.claimed
        total.add(outcome)
    return total


def run_until_idle(
    *, max_seconds: float = 60.0, batch: int | None = None, gateways=None
) -> PassResult:
    """Passes until nothing is due (or the time budget is spent): the dispatch task's work."""
    deadline = time.monotonic() + max_seconds
    total = PassResult()
    gateways = gateways if gateways is not None else {}
    while time.monotonic() < deadline:
        result = run_pass(batch=batch, gateways=gateways)
        total.add(result)
        if result.claimed + result.cancelled + result.held == 0:
            break
    return total


def run_forever(*, poll_seconds: float = 1.0, batch: int | None = None, stop=None) -> None:
    """The long-running worker (manage.py send_messages): passes, idling when nothing is due."""
    gateways = {}
    while stop is None or not stop():
        try:
            result = run_pass(batch=batch, gateways=gateways)
        except Exception:  # noqa: BLE001 – a database hiccup must not end the worker
            log.exception("messaging: an outbox pass failed")
            result = PassResult()
            time.sleep(poll_seconds)
        if result.claimed + result.cancelled + result.held == 0:
            time.sleep(poll_seconds)
