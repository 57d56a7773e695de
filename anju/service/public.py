"""The public web form (SVC-2 web-form channel, issue 13 item 6): no login, a phone to prove.

A customer files a complaint or a request at ``/s/<company code>/`` and later looks up its
status with the ticket number and the phone it was filed with. Both prove the phone with a
one-time 6-digit code sent by SMS through the messaging outbox — only an HMAC of the code is
kept, for 10 minutes and 5 tries — or, where messaging cannot send, with a self-made
arithmetic picture (``verification_method``). Every public action is throttled per network
address and per phone (``LIMITS``); a refusal is ``RateLimited`` (429 + Retry-After) and
writes nothing.

The ticket itself is received by ``services.ticket_receive(by=None, channel="web_form")``:
numbered in the company's sequence, in the company's queue (its intake person), the
customer linked only when the *verified* phone names exactly one customer of that company.
Reads here are system reads (``unscoped`` with the reason): the visitor is nobody, and is
shown nothing but what he typed and the public part of his own ticket's history.
"""

import base64
import io
import ipaddress
import math
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError, NotFound, RateLimited

from .models import Channel, Level, Status, Ticket, TicketAttachment
from .photos import PhotoRefused, read_photo
from .public_models import PublicThrottle, PublicVerification

Method = PublicVerification.Method
Purpose = PublicVerification.Purpose

CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
CAPTCHA_LIFETIME = timedelta(minutes=10)
HOUR, MINUTE = 3600, 60

PHOTO_MAX_COUNT = 3

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_NUMBER = re.compile(r"^(?:KF)?0*(\d{1,9})$", re.IGNORECASE)


# --- rate limits (shared by every web process: rows in the database) ----------------------------


@dataclass(frozen=True)
class Limit:
    """A bucket's rules: at most ``hits`` in ``seconds``, for each pair."""

    name: str
    rules: tuple
    message: str


SUBMIT_IP = Limit(
    "submit_ip", ((20, HOUR),), gettext_lazy("Too many submissions from your network.")
)
SUBMIT_PHONE = Limit(
    "submit_phone", ((5, HOUR),), gettext_lazy("Too many tickets filed with this phone.")
)
CODE_PHONE = Limit(
    "code_phone",
    ((1, MINUTE), (5, HOUR)),
    gettext_lazy("A code was sent to this phone only just now."),
)
CODE_IP = Limit(
    "code_ip", ((20, HOUR),), gettext_lazy("Too many codes asked for from your network.")
)
LOOKUP_IP = Limit("lookup_ip", ((30, HOUR),), gettext_lazy("Too many look-ups from your network."))


def _digest(*parts) -> str:
    """A keyed hash (SECRET_KEY): no phone or address is stored in clear, none can be guessed
    back from a row without the key."""
    return salted_hmac("anju.service.public", "|".join(str(p) for p in parts), algorithm="sha256")


def _hex(*parts) -> str:
    return _digest(*parts).hexdigest()


def _bucket(limit: Limit, key: str) -> str:
    return f"{limit.name}:{_hex('throttle', limit.name, key)[:40]}"


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return _("%(n)s second(s)") % {"n": seconds}
    return _("%(n)s minute(s)") % {"n": (seconds + 59) // 60}


def _retry_after(hits, limit: Limit, now: float) -> int:
    """Seconds until one more hit fits every rule of ``limit`` (0: it fits now)."""
    wait = 0.0
    for count, seconds in limit.rules:
        recent = sorted(h for h in hits if h > now - seconds)
        if len(recent) >= count:
            # the oldest hit that must leave the window before one more fits
            wait = max(wait, recent[len(recent) - count] + seconds - now)
    return math.ceil(wait) if wait > 0 else 0


def _refuse(limit: Limit, wait: int):
    return RateLimited(
        _("%(why)s Please try again in %(wait)s.")
        % {"why": limit.message, "wait": _wait_text(wait)},
        retry_after=wait,
        code="rate_limited",
    )


def _locked_row(bucket: str, now) -> PublicThrottle:
    rows = PublicThrottle.objects.select_for_update()
    row = rows.filter(bucket=bucket).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = PublicThrottle.objects.create(bucket=bucket, hits=[], updated_at=now)
    except IntegrityError:  # another process created it meanwhile: wait for its lock
        return rows.get(bucket=bucket)
    # A new bucket: forget buckets nobody used for a day (the longest window is an hour).
    PublicThrottle.objects.filter(updated_at__lt=now - timedelta(days=1)).delete()
    return row


def throttle_take(*pairs, now=None) -> None:
    """Count one hit in each (limit, key) bucket — or, if any is full, none at all and raise
    ``RateLimited`` with the longest wait. The rows are locked while counted, so processes
    running at the same moment cannot both take the last place. Inside the caller's
    transaction, a later refusal there rolls the hits back with everything else."""
    now = now or timezone.now()
    stamp = now.timestamp()
    pairs = sorted(((limit, key) for limit, key in pairs if key), key=lambda p: p[0].name)
    with transaction.atomic():
        rows = [(limit, _locked_row(_bucket(limit, key), now)) for limit, key in pairs]
        refusals = [(_retry_after(row.hits, limit, stamp), limit) for limit, row in rows]
        wait, limit = max(refusals, key=lambda r: r[0], default=(0, None))
        if wait:
            raise _refuse(limit, wait)
        for limit, row in rows:
            longest = max(seconds for _count, seconds in limit.rules)
            row.hits = [h for h in row.hits if h > stamp - longest] + [stamp]
            row.updated_at = now
            row.save(update_fields=["hits", "updated_at"])


def throttle_check(*pairs, now=None) -> None:
    """Refuse now, without counting, what ``throttle_take`` would refuse (so a refused
    submission does not spend one of the code's tries first)."""
    now = now or timezone.now()
    for limit, key in pairs:
        if not key:
            continue
        row = PublicThrottle.objects.filter(bucket=_bucket(limit, key)).first()
        wait = _retry_after(row.hits if row else [], limit, now.timestamp())
        if wait:
            raise _refuse(limit, wait)


def client_ip(request) -> str:
    """The visitor's address. Behind ``AXES_IPWARE_PROXY_COUNT`` trusted proxies (the login
    throttle's own setting: 1 with ANJU_HTTPS) the one they saw, from the right of
    X-Forwarded-For; otherwise the socket's peer. A forged header cannot pick the address."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    hops = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if hops:
        chain = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(chain) >= hops:
            try:
                return str(ipaddress.ip_address(chain[-hops]))
            except ValueError:
                pass
    return remote


# --- the phone and how it is proved -------------------------------------------------------------


def mobile_number(raw: str, *, field: str = "phone") -> str:
    """A mainland mobile number, normalised (codes go by SMS)."""
    from anju.customers.phones import normalise_phone

    number = normalise_phone(raw, field=field)
    if not _MOBILE.match(number):
        raise ApplicationError(_("Enter a mainland mobile number (11 digits)."), field=field)
    return number


def verification_method() -> str:
    """SMS where messaging can send a code, the captcha where it is absent.

    ``ANJU_PUBLIC_FORM_VERIFICATION`` decides ("sms", "captcha"); unset or "auto": SMS when
    the messaging app is installed and its SMS gateway can be built from the settings (the
    dev gateway writes var/messages/, a provider needs its credentials), else the captcha.
    """
    wanted = (getattr(settings, "ANJU_PUBLIC_FORM_VERIFICATION", "") or "auto").strip().lower()
    if wanted in (Method.SMS, Method.CAPTCHA):
        return wanted
    if not apps.is_installed("anju.messaging"):
        return Method.CAPTCHA
    from anju.messaging.gateways.registry import gateway_for

    try:
        gateway_for("sms")
    except ImproperlyConfigured:
        return Method.CAPTCHA
    return Method.SMS


def _phone_key(company, purpose, phone) -> str:
    return _hex("phone", company.pk, purpose, phone)


def _code_hash(key, code) -> str:
    return _hex("code", key, code)


CODE_TEXTS = {
    Purpose.SUBMIT: "验证码{码}，用于在线提交客服工单，10分钟内有效。如非本人操作，请忽略本短信。",
    Purpose.LOOKUP: "验证码{码}，用于查询客服工单进度，10分钟内有效。如非本人操作，请忽略本短信。",
}


def code_request(*, company, phone: str, purpose: str, ip: str) -> None:
    """Send a one-time code to ``phone`` (SMS, kind service: never held by quiet hours).

    At most one a minute and five an hour per phone, twenty an hour per address; a new code
    replaces the phone's earlier one. Nothing is written when refused."""
    from anju.messaging.models import Channel as MessageChannel
    from anju.messaging.models import Kind
    from anju.messaging.services import message_enqueue

    if purpose not in Purpose.values:
        raise ApplicationError(_("Unknown purpose."), field="purpose")
    phone = mobile_number(phone)
    now = timezone.now()
    key = _phone_key(company, purpose, phone)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        throttle_take((CODE_PHONE, phone), (CODE_IP, ip), now=now)
        PublicVerification.objects.filter(
            method=Method.SMS, key=key, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        PublicVerification.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
        row = PublicVerification.objects.create(
            method=Method.SMS,
            purpose=purpose,
            key=key,
            code_hash=_code_hash(key, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        message_enqueue(
            by=None,
            company=company,
            channel=MessageChannel.SMS,
            kind=Kind.SERVICE,
            to=phone,
            body=CODE_TEXTS[purpose].replace("{码}", code),
            idempotency_key=f"service:public-code:{row.pk}",
            source=f"service:public_code:{purpose}",
        )


def _code_expired():
    return ApplicationError(
        _("The code has expired or was already used: ask for a new one."),
        field="code",
        code="code_expired",
    )


def code_check(*, company, phone: str, purpose: str, code: str) -> int:
    """The id of the phone's open verification if ``code`` is its code. A wrong code counts
    one of its 5 tries (kept, even though the request is refused); after the fifth, even
    the right code is refused until a new one is asked for."""
    code = (code or "").strip()
    key = _phone_key(company, purpose, phone)
    now = timezone.now()
    with transaction.atomic():
        row = (
            PublicVerification.objects.select_for_update()
            .filter(method=Method.SMS, purpose=purpose, key=key)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            error = _code_expired()
        elif row.tries >= CODE_TRIES:
            error = ApplicationError(
                _("Too many wrong codes: ask for a new one."), field="code", code="code_tries"
            )
        elif not constant_time_compare(row.code_hash, _code_hash(key, code)):
            row.tries += 1
            row.save(update_fields=["tries"])
            left = CODE_TRIES - row.tries
            error = ApplicationError(
                _("The code is not right (%(left)s tries left).") % {"left": left}
                if left
                else _("Too many wrong codes: ask for a new one."),
                field="code",
                code="code_wrong",
            )
        else:
            return row.pk
    raise error  # after the block: the counted try is committed


def _code_consume(pk, now) -> None:
    """Inside the action's transaction: the code is used once, even by racing requests."""
    row = PublicVerification.objects.select_for_update().get(pk=pk)
    if row.used_at is not None or row.expires_at <= now:
        raise _code_expired()
    row.used_at = now
    row.save(update_fields=["used_at"])


# --- the captcha (where messaging is absent) --------------------------------------------------

CAPTCHA_SALT = "anju.service.public.captcha"


@dataclass(frozen=True)
class Captcha:
    token: str  # signed: the nonce and a keyed hash of the answer; no row until answered
    image: str  # a data: URI of the PNG


def captcha_new() -> Captcha:
    """A sum or difference of two small numbers, drawn as a noisy picture."""
    rng = random.SystemRandom()
    a, b = rng.randint(11, 49), rng.randint(2, 9)
    op = rng.choice("+-")
    answer = a + b if op == "+" else a - b
    nonce = secrets.token_hex(16)
    token = signing.dumps({"n": nonce, "h": _hex("captcha", nonce, answer)[:32]}, salt=CAPTCHA_SALT)
    png = _captcha_png(f"{a} {op} {b} = ?", rng)
    return Captcha(token=token, image="data:image/png;base64," + base64.b64encode(png).decode())


def _captcha_png(text: str, rng) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = 180, 60
    image = Image.new("RGB", (width, height), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    for _i in range(6):
        draw.line(
            [(rng.randint(0, width), rng.randint(0, height)) for _j in range(2)],
            fill=tuple(rng.randint(120, 200) for _k in range(3)),
            width=2,
        )
    try:
        font = ImageFont.load_default(size=30)
    except (TypeError, OSError):  # a Pillow without FreeType: the bitmap font
        font = ImageFont.load_default()
    x = 10
    for char in text:
        y = rng.randint(6, 18)
        draw.text((x, y), char, font=font, fill=tuple(rng.randint(10, 90) for _k in range(3)))
        x += 12 if char == " " else 20
    for _i in range(150):
        draw.point((rng.randint(0, width - 1), rng.randint(0, height - 1)), fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def captcha_check(*, token: str, answer: str, purpose: str) -> None:
    """The picture's answer. Any answer, right or wrong, uses the picture up (a new one is
    shown), so each picture gets one try; a replayed one is refused."""
    expired = ApplicationError(
        _("The picture has expired: answer the new one."), field="captcha", code="captcha_expired"
    )
    try:
        data = signing.loads(
            token or "", salt=CAPTCHA_SALT, max_age=CAPTCHA_LIFETIME.total_seconds()
        )
        nonce, expected = str(data["n"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise expired from exc
    now = timezone.now()
    try:
        with transaction.atomic():
            PublicVerification.objects.create(
                method=Method.CAPTCHA,
                purpose=purpose,
                key=nonce[:64],
                created_at=now,
                expires_at=now + CAPTCHA_LIFETIME,
                used_at=now,
            )
    except IntegrityError as exc:
        raise expired from exc
    answer = (answer or "").strip()
    if not re.fullmatch(r"-?\d{1,3}", answer) or not constant_time_compare(
        expected, _hex("captcha", nonce, int(answer))[:32]
    ):
        raise ApplicationError(
            _("The answer to the picture is not right."), field="captcha", code="captcha_wrong"
        )


# --- photos -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    name: str
    content_type: str
    data: bytes


def photo_check(upload, *, field: str = "photos") -> Photo:
    """An image (JPEG, PNG or WebP) of at most 5 MB, as Pillow reads it (``photos``) —
    never the name or the type the browser claims."""
    label = {"name": (upload.name or "")[:60]}
    try:
        photo = read_photo(upload)
    except PhotoRefused as refused:
        if refused.reason == "too_large":
            message = _("“%(name)s” is larger than 5 MB.")
        else:
            message = _("“%(name)s” is not a photo (JPEG, PNG or WebP).")
        raise ApplicationError(message % label, field=field) from None
    name = re.sub(r"[^\w.\-]+", "_", (upload.name or "photo").rsplit("/", 1)[-1])[-80:]
    return Photo(name=name or "photo", content_type=photo.content_type, data=photo.data)


def _attach(ticket, photo: Photo) -> TicketAttachment:
    attachment = TicketAttachment(
        ticket=ticket,
        token=secrets.token_urlsafe(24),
        name=photo.name,
        content_type=photo.content_type,
        size=len(photo.data),
        uploaded_by=None,
    )
    attachment.file.save(attachment.token, ContentFile(photo.data), save=False)
    attachment.save()
    return attachment


# --- the submission -----------------------------------------------------------------------------


@dataclass
class Submission:
    project: object
    ticket_type: str
    category: str
    subject: str
    description: str
    demand: str
    name: str
    phone: str  # normalised mobile
    unit: object = None
    photos: list = field(default_factory=list)


def customer_for_phone(company, phone):
    """The one customer of ``company`` holding ``phone``, or None (none, or more than one)."""
    from anju.customers.models import Customer, CustomerPhone

    holders = CustomerPhone.objects.filter(company=company, phone=phone).values("customer_id")
    found = list(
        Customer.objects.unscoped("public form: the customer the verified phone names")
        .filter(company=company, merged_into__isnull=True, anonymised_at__isnull=True)
        .filter(Q(phone=phone) | Q(pk__in=holders))
        .distinct()[:2]
    )
    return found[0] if len(found) == 1 else None


def public_ticket_submit(
    *, company, submission: Submission, method: str, code: str = "", captcha=("", "")
) -> Ticket:
    """受理 a ticket from the public form: the phone proved (code or picture), then in one
    transaction the code used, the phone's count taken, the ticket received into the
    company's queue and the photos stored. Refused → nothing written but the counted try."""
    from .services import ticket_receive

    project = submission.project
    if project.company_id != company.pk or not project.is_active:
        raise NotFound(_("No such project."), field="project")
    if submission.unit is not None and submission.unit.project_id != project.pk:
        raise NotFound(_("No such unit in this project."), field="unit_number")
    phone = submission.phone
    throttle_check((SUBMIT_PHONE, phone))
    verified = None
    if method == Method.SMS:
        verified = code_check(company=company, phone=phone, purpose=Purpose.SUBMIT, code=code)
    else:
        captcha_check(token=captcha[0], answer=captcha[1], purpose=Purpose.SUBMIT)
    now = timezone.now()
    with transaction.atomic():
        if verified is not None:
            _code_consume(verified, now)
        throttle_take((SUBMIT_PHONE, phone), now=now)
        # Only a proved phone links the customer: an unproved one is kept as the contact.
        customer = customer_for_phone(company, phone) if verified is not None else None
        ticket = ticket_receive(
            by=None,
            project=project,
            ticket_type=submission.ticket_type,
            channel=Channel.WEB_FORM,
            category=submission.category,
            subject=submission.subject,
            description=submission.description,
            demand=submission.demand,
            customer=customer,
            unit=submission.unit,
            contact_name=submission.name,
            contact_phone=phone,  # the filing phone: the look-up asks for it
            received_at=now,
        )
        for photo in submission.photos[:PHOTO_MAX_COUNT]:
            _attach(ticket, photo)
    return ticket


# --- the look-up --------------------------------------------------------------------------------


def ticket_number(text: str) -> int:
    found = _NUMBER.match(re.sub(r"\s+", "", text or ""))
    if not found:
        raise ApplicationError(
            _("Enter the ticket number, e.g. KF000123."), field="number", code="invalid"
        )
    return int(found.group(1))


RECEIVED = gettext_lazy("Received")
HANDLING = gettext_lazy("Being handled")
HANDLING_AGAIN = gettext_lazy("Being handled again")
CARRIED_OUT = gettext_lazy("Solution carried out")
COMPLETED = gettext_lazy("Handled and closed")

# The events a customer may see, as the step they mean to him (others are internal).
PUBLIC_STEPS = {
    "service.ticket_received": lambda d: RECEIVED,
    "service.ticket_judged": lambda d: HANDLING if d.get("valid") else COMPLETED,
    "service.ticket_assigned": lambda d: HANDLING,
    "service.cause_found": lambda d: HANDLING,
    "service.solution_proposed": lambda d: HANDLING,
    "service.solution_approved": lambda d: HANDLING,
    "service.solution_rejected": lambda d: HANDLING,
    "service.ticket_implemented": lambda d: CARRIED_OUT,
    "service.revisit_unsatisfied": lambda d: HANDLING_AGAIN,
    "service.ticket_closed": lambda d: COMPLETED,
}

PUBLIC_STATUS = {
    Status.RECEIVED: gettext_lazy("Received, waiting to be handled"),
    Status.IMPLEMENTED: gettext_lazy("Solution carried out, we will call you back"),
    Status.CLOSED: COMPLETED,
}


@dataclass(frozen=True)
class PublicStep:
    label: str
    at: datetime


@dataclass(frozen=True)
class PublicStatus:
    """What the look-up shows: this ticket's own public facts, no person named."""

    number: str
    project: str
    type_label: str
    subject: str
    status: str
    handled_by: str  # a role, never a name
    received_at: datetime
    steps: list
    reply: str
    is_open: bool


def _find_ticket(company, number: int, phone: str):
    from anju.customers.models import CustomerPhone

    holders = CustomerPhone.objects.filter(company=company, phone=phone).values("customer_id")
    return (
        Ticket.objects.unscoped("public look-up: the ticket whose number and phone were proved")
        .filter(company=company, number=number)
        .filter(Q(contact_phone=phone) | Q(customer__phone=phone) | Q(customer_id__in=holders))
        .select_related("project")
        .first()
    )


def _public_status(ticket) -> PublicStatus:
    from django.contrib.contenttypes.models import ContentType

    from anju.core.models import Event

    events = (
        Event.objects.unscoped("public look-up: the proved ticket's own history")
        .filter(
            target_type=ContentType.objects.get_for_model(Ticket),
            target_id=ticket.pk,
            verb__in=list(PUBLIC_STEPS),
        )
        .order_by("created_at", "pk")
        .only("verb", "details", "created_at")
    )
    steps = []
    for event in events:
        label = PUBLIC_STEPS[event.verb](event.details or {})
        if not steps or steps[-1].label != label:
            steps.append(PublicStep(label=label, at=event.created_at))
    reply = ""
    if ticket.status in (Status.IMPLEMENTED, Status.CLOSED):
        reply = ticket.reply or (ticket.summary if ticket.status == Status.CLOSED else "")
    return PublicStatus(
        number=str(ticket),
        project=ticket.project.name,
        type_label=ticket.get_ticket_type_display(),
        subject=ticket.subject,
        status=str(PUBLIC_STATUS.get(ticket.status, HANDLING)),
        handled_by=str(Level(ticket.level).label),
        received_at=ticket.received_at,
        steps=steps,
        reply=reply,
        is_open=ticket.is_open,
    )


def not_found_error():
    return NotFound(
        _("No ticket with this number was filed with this phone."), field="number", code="not_found"
    )


def public_ticket_lookup(
    *, company, number_text: str, phone: str, method: str, code: str = "", captcha=("", "")
) -> PublicStatus:
    """The status of the ticket with this number filed with this phone, once the phone is
    proved. A missing ticket and a wrong number/phone pair are the same "not found"; the
    code is used up only by a look-up that found its ticket."""
    number = ticket_number(number_text)
    phone = mobile_number(phone)
    verified = None
    if method == Method.SMS:
        verified = code_check(company=company, phone=phone, purpose=Purpose.LOOKUP, code=code)
    else:
        captcha_check(token=captcha[0], answer=captcha[1], purpose=Purpose.LOOKUP)
    with transaction.atomic():
        ticket = _find_ticket(company, number, phone)
        if ticket is None:
            raise not_found_error()
        if verified is not None:
            _code_consume(verified, timezone.now())
        return _public_status(ticket)


def company_for_code(code: str):
    """The active company a public address names, or None."""
    from anju.org.models import Company

    return (
        Company.objects.unscoped("public form: the company its public address names")
        .filter(code=(code or "").lower(), is_active=True)
        .first()
    )


def company_projects(company):
    """The company's active projects, for the form's choice."""
    from anju.org.models import Project

    return list(
        Project.objects.unscoped("public form: the company's own active projects")
        .filter(company=company, is_active=True)
        .order_by("code")
    )


def project_buildings(projects):
    """The buildings of these projects, for the optional unit."""
    from anju.inventory.models import Building

    return list(
        Building.objects.unscoped("public form: the buildings of the company's projects")
        .filter(project__in=projects)
        .order_by("project_id", "sort_order", "code")
    )


def project_unit(project, building_id, number: str):
    """The unit ``number`` of that building of ``project``, or None."""
    from anju.inventory.models import Unit

    return (
        Unit.objects.unscoped("public form: the unit the visitor named in his project")
        .filter(project=project, building_id=building_id, number=number.strip())
        .select_related("building")
        .first()
    )
