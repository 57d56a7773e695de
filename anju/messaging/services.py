"""Every messaging write (MSG-1, MSG-3, MSG-5): templates, the outbox, consent, settings.

``message_enqueue`` is called inside the caller's business transaction: the outbox row commits
or rolls back with the action that causes it, and the dispatch task is enqueued only after
the commit. What happens to a row afterwards (claimed, sent, retried, delivered) is the
workers' (``outbox.py``); the row itself records it with its timestamps, so no event row is
written per send. Enqueueing, consent changes, template and settings changes, and staff
retries are events.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.events import record_event
from anju.core.masking import mask_email, mask_phone
from anju.core.permissions import has_perm, require_perm
from anju.core.roles import Perm
from anju.core.scope import grants_for, sees_loaded
from anju.core.validation import validate_fields
from anju.customers.phones import normalise_phone

from . import clock
from .models import (
    KEY_MAX_LENGTH,
    Channel,
    ConsentChange,
    Kind,
    Message,
    MessageTemplate,
    MessagingSettings,
    OptOut,
    Status,
)
from .templating import (
    check_template_text,
    context_values,
    sms_segments,
    template_fields,  # noqa: F401 – part of the public seam (SEAMS.md)
    template_render,  # noqa: F401 – part of the public seam (SEAMS.md)
    with_opt_out,
)

log = logging.getLogger(__name__)

OPT_OUT_WORDS = {"T", "TD", "退订", "N", "退"}


# --- addresses and consent ---------------------------------------------------------------------


def normalise_address(channel: str, address: str, *, field: str = "to") -> str:
    """A mobile number in its stored form, or a lower-case e-mail; ApplicationError if neither."""
    if channel == Channel.SMS:
        return normalise_phone(address, field=field)
    if channel == Channel.EMAIL:
        text = (address or "").strip().lower()
        try:
            validate_email(text)
        except ValidationError as exc:
            raise ApplicationError(
                _("“%(address)s” is not an e-mail address.") % {"address": address}, field=field
            ) from exc
        return text
    raise ApplicationError(_("Unknown channel."), field="channel")


def mask_address(channel: str, address: str) -> str:
    """The one way an address is shown: every list, detail page and API answer uses it."""
    if channel == Channel.SMS:
        return mask_phone(address)
    return mask_email(address)


def is_opted_out(channel: str, address: str, *, holding) -> bool:
    """True if ``address`` refused marketing in ``holding``'s group (a refusal given to one
    group says nothing to another, and is not shown there)."""
    return OptOut.objects.filter(holding=holding, channel=channel, address=address).exists()


def opted_out_addresses(wanted) -> set[tuple[str, str, int]]:
    """Which of ``wanted`` — (channel, address, holding id) triples — refused marketing, in
    one query for a whole batch (the outbox's re-check at send time)."""
    wanted = set(wanted)
    if not wanted:
        return set()
    rows = OptOut.objects.filter(
        channel__in={c for c, _a, _h in wanted},
        address__in={a for _c, a, _h in wanted},
        holding_id__in={h for _c, _a, h in wanted},
    ).values_list("channel", "address", "holding_id")
    return wanted & set(rows)


def _holdings_for(*, by, company):
    from anju.org.models import Company, Holding

    if company is not None:
        return [company.holding]
    if by is not None:
        company_ids = {g.company_id for g in grants_for(by) if g.company_id}
        if getattr(by, "company_id", None):
            company_ids.add(by.company_id)
        holding_ids = set(
            Company.objects.unscoped("the acting user's own group")
            .filter(pk__in=company_ids)
            .values_list("holding_id", flat=True)
        )
        if holding_ids:
            return list(Holding.objects.filter(pk__in=holding_ids))
    return list(Holding.objects.all())


def _event_company(*, by, company, holding):
    from anju.org.models import Company

    if company is not None:
        return company
    if by is not None and getattr(by, "company_id", None):
        return by.company
    return (
        Company.objects.unscoped("an event needs a company of the group")
        .filter(holding=holding)
        .order_by("pk")
        .first()
    )


def _consent_change(*, by, holding, company, channel, address, opted_out, source, note, at):
    change = ConsentChange(
        holding=holding,
        via_company=company,
        channel=channel,
        address=address,
        opted_out=opted_out,
        source=source,
        note=(note or "").strip()[:200],
        by=by if getattr(by, "pk", None) else None,
        at=at or clock.now(),
    )
    validate_fields(change, ["note", "source", "channel"])
    change.save()
    event_company = _event_company(by=by, company=company, holding=holding)
    if event_company is not None:
        record_event(
            by=by,
            verb="messaging.opted_out" if opted_out else "messaging.opted_in",
            target=change,
            company=event_company,
            details={
                "channel": channel,
                "address": mask_address(channel, address),
                "source": source,
            },
        )
    return change


def _require_staff(by) -> None:
    if by is None:
        return
    if not getattr(by, "is_authenticated", False) or not grants_for(by):
        raise NotPermitted()


@transaction.atomic
def opt_out(
    *, by, channel, address, source=ConsentChange.Source.STAFF, note="", company=None, at=None
) -> ConsentChange | None:
    """退订: no more marketing to ``address`` in the group, and queued marketing is cancelled.

    Any staff member may record a customer's refusal (it only ever stops messages); the
    system does it for a reply T/TD/退订. Returns the change, or None if already opted out.
    """
    _require_staff(by)
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    if source not in ConsentChange.Source.values:
        raise ApplicationError(_("Unknown source."), field="source")
    address = normalise_address(channel, address, field="address")
    last = None
    for holding in _holdings_for(by=by, company=company):
        _row, created = OptOut.objects.get_or_create(
            holding=holding, channel=channel, address=address
        )
        if created:
            last = _consent_change(
                by=by,
                holding=holding,
                company=company,
                channel=channel,
                address=address,
                opted_out=True,
                source=source,
                note=note,
                at=at,
            )
        _cancel_queued_marketing(holding=holding, channel=channel, address=address)
    return last


def _cancel_queued_marketing(*, holding, channel, address) -> int:
    return (
        Message.objects.unscoped("an opt-out stops every queued marketing send to the address")
        .filter(
            company__holding=holding,
            channel=channel,
            to=address,
            kind=Kind.MARKETING,
            status__in=[Status.QUEUED, Status.HELD],
        )
        .update(status=Status.CANCELLED, error_code="opted_out", not_before=None)
    )


@transaction.atomic
def opt_in(
    *, by, channel, address, source=ConsentChange.Source.STAFF, note="", company=None, at=None
) -> ConsentChange | None:
    """Marketing allowed again: only staff who run campaigns, with the evidence in ``note``."""
    if by is None or not has_perm(by, Perm.RUN_CAMPAIGNS, company=company):
        raise NotPermitted()
    if not (note or "").strip():
        raise ApplicationError(
            _("Say how the customer agreed to receive marketing again."), field="note"
        )
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    address = normalise_address(channel, address, field="address")
    last = None
    for holding in _holdings_for(by=by, company=company):
        deleted, _rows = OptOut.objects.filter(
            holding=holding, channel=channel, address=address
        ).delete()
        if deleted:
            last = _consent_change(
                by=by,
                holding=holding,
                company=company,
                channel=channel,
                address=address,
                opted_out=False,
                source=source,
                note=note,
                at=at,
            )
    return last


def inbound_reply(*, provider, from_address, text, at=None) -> ConsentChange | None:
    """A reply to an SMS (gateway callback): T/TD/退订 opts the number out at once (MSG-3)."""
    word = "".join(ch for ch in (text or "").strip().upper() if ch.isalnum())
    if word not in OPT_OUT_WORDS:
        return None
    address = normalise_address(Channel.SMS, from_address, field="from_address")
    from anju.org.models import Holding

    holding_ids = set(
        Message.objects.unscoped("which groups texted the number that replied")
        .filter(channel=Channel.SMS, to=address)
        .values_list("company__holding_id", flat=True)
        .distinct()
    )
    holdings = (
        list(Holding.objects.filter(pk__in=holding_ids))
        if holding_ids
        else list(Holding.objects.all())
    )
    change = None
    for holding in holdings:
        company = _last_sender(address, holding)
        change = (
            opt_out(
                by=None,
                channel=Channel.SMS,
                address=address,
                source=ConsentChange.Source.REPLY,
                note=f"{provider}: {(text or '').strip()[:40]}",
                company=company,
                at=at,
            )
            or change
        )
        if company is None:
            break  # no company known: opt_out covered every group already
    return change


def _last_sender(address, holding):
    message = (
        Message.objects.unscoped("the company whose SMS the number answered")
        .filter(channel=Channel.SMS, to=address, company__holding=holding)
        .select_related("company")
        .order_by("-created_at")
        .first()
    )
    return message.company if message else None


# --- settings ---------------------------------------------------------------------------------


def messaging_settings_for(company) -> MessagingSettings:
    """The company's settings, or the defaults (unsaved) when it never changed them."""
    row = (
        MessagingSettings.objects.unscoped("the company's own settings")
        .filter(company=company)
        .first()
    )
    return row or MessagingSettings(company=company)


def signature_for(company) -> str:
    row = messaging_settings_for(company)
    return (row.signature or company.name)[:20]


@transaction.atomic
def messaging_settings_update(
    *, by, company, quiet_start, quiet_end, signature="", email_from_name=""
) -> MessagingSettings:
    require_perm(by, Perm.MANAGE_TEMPLATES, company=company)
    row = (
        MessagingSettings.objects.unscoped("lock the company's settings")
        .select_for_update()
        .filter(company=company)
        .first()
    ) or MessagingSettings(company=company)
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if not isinstance(value, datetime.time):
            raise ApplicationError(_("Enter a time as HH:MM."), field=name)
    row.quiet_start = quiet_start.replace(second=0, microsecond=0)
    row.quiet_end = quiet_end.replace(second=0, microsecond=0)
    row.signature = (signature or "").strip()
    row.email_from_name = (email_from_name or "").strip()
    validate_fields(row, ["quiet_start", "quiet_end", "signature", "email_from_name"])
    row.save()
    record_event(
        by=by,
        verb="messaging.settings_changed",
        target=row,
        details={
            "quiet_start": row.quiet_start.strftime("%H:%M"),
            "quiet_end": row.quiet_end.strftime("%H:%M"),
            "signature": row.signature,
        },
    )
    return row


def quiet_until(settings_row, at) -> datetime.datetime | None:
    """When quiet hours end if ``at`` falls in them (local time), else None."""
    start, end = settings_row.quiet_start, settings_row.quiet_end
    if start == end:
        return None
    local = timezone.localtime(at)
    moment = local.time()
    if start < end:  # a window within one day, e.g. 12:00–14:00
        quiet, day = start <= moment < end, local.date()
    else:  # across midnight, e.g. 21:00–08:00
        quiet = moment >= start or moment < end
        day = local.date() if moment < end else local.date() + datetime.timedelta(days=1)
    if not quiet:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, end), local.tzinfo)


# --- templates ----------------------------------------------------------------------------------

TEMPLATE_FIELDS = [
    "name",
    "channel",
    "kind",
    "subject",
    "body",
    "is_active",
    "provider_template_code",
]


def _template_rules(template) -> None:
    template.name = (template.name or "").strip()
    template.subject = (template.subject or "").strip()
    template.body = (template.body or "").strip()
    template.provider_template_code = (template.provider_template_code or "").strip()
    if template.provider_template_code and template.channel != Channel.SMS:
        raise ApplicationError(
            _("Only SMS templates have a provider template code."), field="provider_template_code"
        )
    if not template.name:
        raise ApplicationError(_("Give the template a name."), field="name")
    if not template.body:
        raise ApplicationError(_("Write the text."), field="body")
    validate_fields(template, TEMPLATE_FIELDS)
    check_template_text(template.body, field="body")
    check_template_text(template.subject, field="subject")
    if template.channel == Channel.EMAIL and not template.subject:
        raise ApplicationError(_("An e-mail needs a subject."), field="subject")
    clash = (
        MessageTemplate.objects.unscoped("template names are unique per company")
        .filter(company_id=template.company_id, name=template.name)
        .exclude(pk=template.pk)
        .exists()
    )
    if clash:
        raise Conflict(
            _("A template with this name exists already."), field="name", code="duplicate"
        )


@transaction.atomic
def template_create(
    *,
    by,
    company,
    name,
    body,
    channel=Channel.SMS,
    kind=Kind.MARKETING,
    subject="",
    provider_template_code="",
) -> MessageTemplate:
    require_perm(by, Perm.MANAGE_TEMPLATES, company=company)
    template = MessageTemplate(
        company=company,
        name=name,
        channel=channel,
        kind=kind,
        subject=subject,
        body=body,
        provider_template_code=provider_template_code,
        created_by=by,
    )
    _template_rules(template)
    template.save()
    record_event(
        by=by, verb="messaging.template_created", target=template, details={"name": template.name}
    )
    return template


@transaction.atomic
def template_update(*, by, template, **changes) -> MessageTemplate:
    require_perm(by, Perm.MANAGE_TEMPLATES, company=template.company_id)
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    template = (
        MessageTemplate.objects.unscoped("lock the template the caller passed")
        .select_for_update()
        .get(pk=template.pk)
    )
    if (
        changes.get("channel", Channel.SMS) != Channel.SMS
        and "provider_template_code" not in changes
    ):
        changes["provider_template_code"] = ""  # an SMS provider's template: not for e-mail
    code = (changes.get("provider_template_code") or "").strip()
    if code and "channel" not in changes and template.channel != Channel.SMS:
        # the stored channel, not the body, refuses it (found by the contract run)
        raise Conflict(
            _("Only SMS templates have a provider template code."),
            field="provider_template_code",
            code="not_sms_template",
        )
    for name, value in changes.items():
        setattr(template, name, value)
    _template_rules(template)
    template.save()
    record_event(
        by=by,
        verb="messaging.template_changed",
        target=template,
        details={"fields": sorted(changes)},
    )
    return template


def context_for_customer(*, by, customer, extra: dict | None = None) -> dict:
    """Field values for ``customer`` ({称呼} {姓名} {项目} {顾问} {顾问电话} …) plus ``extra``.

    The caller must see the customer (``by`` None: the system). Values are real, not masked:
    they go into a message to the customer himself; previews mask (selectors.template_preview).
    """
    if by is not None and not sees_loaded(by, customer):
        raise NotPermitted()
    return context_values(customer, extra)


# --- the outbox ---------------------------------------------------------------------------------


def message_enqueue(
    *,
    by,
    company,
    channel,
    kind,
    to: str,
    body: str,
    idempotency_key: str,
    customer=None,
    subject: str = "",
    source: str = "",
    template=None,
    project=None,
) -> Message:
    """Put one message in the outbox, inside the caller's transaction (issue 11 item 6).

    The key is unique: a second call with the same key returns the first row and sends nothing
    more. Consent is applied here (marketing to an opted-out address, or to no valid address,
    is written SUPPRESSED and never sent), marketing SMS get 回T退订, marketing in quiet hours
    is HELD until they end. Permission is the caller's business (the action it performs).
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ApplicationError(_("A message needs an idempotency key."), field="idempotency_key")
    existing = _by_key(key)
    if existing is not None:
        return existing
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    if kind not in Kind.values:
        raise ApplicationError(_("Unknown kind of message."), field="kind")
    message = _new_message(
        by=by,
        company=company,
        channel=channel,
        kind=kind,
        to=to,
        body=body,
        key=key,
        customer=customer,
        subject=subject,
        source=source,
        template=template,
        project=project,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = _by_key(key)  # the same key committed meanwhile by another transaction
        if existing is None:
            raise
        return existing
    record_event(
        by=by,
        verb="messaging.message_queued",
        target=message,
        subject=customer,
        details={
            "channel": channel,
            "kind": kind,
            "status": message.status,
            "source": source,
            "to": mask_address(channel, message.to),
        },
    )
    if message.status in (Status.QUEUED, Status.HELD):
        dispatch_soon()
    return message


def _by_key(key):
    return (
        Message.objects.unscoped("idempotency: the key is unique across the outbox")
        .filter(idempotency_key=key)
        .first()
    )


def _new_message(
    *, by, company, channel, kind, to, body, key, customer, subject, source, template, project
):
    now = clock.now()
    settings_row = messaging_settings_for(company)
    text = (body or "").strip()
    if channel == Channel.SMS and kind == Kind.MARKETING:
        text = with_opt_out(text)
    if project is None and customer is not None:
        project = customer.project
    message = Message(
        company=company,
        project=project,
        customer=customer,
        template=template,
        created_by=by if getattr(by, "pk", None) else None,
        channel=channel,
        kind=kind,
        subject=(subject or "").strip(),
        body=text,
        signature=signature_for(company) if channel == Channel.SMS else "",
        idempotency_key=key,
        source=(source or "")[:80],
    )
    if not text:
        raise ApplicationError(_("The message has no text."), field="body")
    try:
        message.to = normalise_address(channel, to)
    except ApplicationError as exc:
        message.to = (to or "").strip()[:254]
        message.status = Status.SUPPRESSED
        message.error_code, message.error = "no_address", str(exc)[:500]
    if message.status != Status.SUPPRESSED:
        if kind == Kind.MARKETING and is_opted_out(channel, message.to, holding=company.holding):
            message.status, message.error_code = Status.SUPPRESSED, "opted_out"
        elif kind == Kind.MARKETING and (opening := quiet_until(settings_row, now)):
            message.status, message.not_before = Status.HELD, opening
    message.segments = sms_segments(message.full_text) if channel == Channel.SMS else 0
    validate_fields(message, ["to", "subject", "body", "source", "signature"])
    return message


def dispatch_soon(using=None) -> None:
    """Have a worker look at the outbox once the current transaction commits (once per commit)."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        func is _enqueue_dispatch for _sids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_dispatch, using=using, robust=True)


def _enqueue_dispatch() -> None:
    from .tasks import send_due_messages

    try:
        send_due_messages.enqueue()
    except Exception:  # noqa: BLE001 – the periodic sweep sends it; the action stands
        log.warning("messaging: the dispatch task could not be enqueued", exc_info=True)


@transaction.atomic
def message_retry(*, by, message) -> Message:
    """A failed message — or an UNCERTAIN one a person checked and found not received — goes
    back to the queue, with the same key."""
    require_perm(by, Perm.RUN_CAMPAIGNS, company=message.company_id, project=message.project_id)
    message = (
        Message.objects.unscoped("lock the message the caller passed")
        .select_for_update()
        .get(pk=message.pk)
    )
    if message.status not in (Status.FAILED, Status.UNCERTAIN):
        raise Conflict(  # its state, not the request, is wrong
            _("Only a failed or uncertain message can be sent again."), field="status"
        )
    was = message.status
    _requeue([message])
    record_event(
        by=by,
        verb="messaging.message_retried",
        target=message,
        subject=message.customer,
        details={"error_code": message.error_code, "was": was},
    )
    return message


@transaction.atomic
def message_mark_sent(*, by, message) -> Message:
    """An UNCERTAIN message a person found received (the provider's console, the customer):
    SENT, so nothing sends it again."""
    require_perm(by, Perm.RUN_CAMPAIGNS, company=message.company_id, project=message.project_id)
    message = (
        Message.objects.unscoped("lock the message the caller passed")
        .select_for_update()
        .get(pk=message.pk)
    )
    if message.status != Status.UNCERTAIN:
        raise Conflict(_("Only an uncertain message can be marked as sent."), field="status")
    message.status = Status.SENT
    message.sent_at = message.sent_at or timezone.now()
    message.claim, message.lease_until = "", None
    message.error_code = message.error = ""
    message.save(update_fields=["status", "sent_at", "claim", "lease_until", "error_code", "error"])
    record_event(
        by=by, verb="messaging.message_marked_sent", target=message, subject=message.customer
    )
    return message


@transaction.atomic
def messages_retry_failed(*, by, messages) -> int:
    """Retry every failed message of ``messages`` (a queryset the user sees). Returns how many."""
    if not has_perm(by, Perm.RUN_CAMPAIGNS):
        raise NotPermitted()
    rows = list(
        messages.filter(status=Status.FAILED)
        .select_related(None)
        .select_for_update(of=("self",))  # the scope may join customers: lock only messages
        .order_by("pk")[:10000]
    )
    allowed = [
        m
        for m in rows
        if has_perm(by, Perm.RUN_CAMPAIGNS, company=m.company_id, project=m.project_id)
    ]
    if rows and not allowed:
        raise NotPermitted()
    _requeue(allowed)
    if allowed:
        from anju.core.events import record_events

        record_events(by=by, verb="messaging.message_retried", targets=allowed)
    return len(allowed)


def _requeue(messages) -> None:
    for m in messages:
        m.status = Status.QUEUED
        m.not_before = None
        m.attempts = 0
        m.error_code = m.error = ""
        m.claim = ""
        m.lease_until = None
    Message.objects.bulk_update(
        messages,
        ["status", "not_before", "attempts", "error_code", "error", "claim", "lease_until"],
    )
    if messages:
        dispatch_soon()


@transaction.atomic
def message_delivery_report(*, provider, provider_id, delivered: bool, code="", at=None):
    """A provider's delivery receipt (回执): SENT → DELIVERED, or → FAILED with its code."""
    message = (
        Message.objects.unscoped("a gateway's receipt names the provider's id")
        .select_for_update()
        .filter(gateway=provider, provider_id=provider_id)
        .first()
    )
    if message is None or message.status not in (Status.SENT, Status.SENDING):
        return message
    if delivered:
        message.status, message.delivered_at = Status.DELIVERED, at or clock.now()
    else:
        message.status = Status.FAILED
        message.error_code = (code or "undelivered")[:60]
        message.error = _("The provider reports the message was not delivered.")
    message.save(update_fields=["status", "delivered_at", "error_code", "error"])
    return message
