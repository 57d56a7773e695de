"""Aliyun SMS (阿里云短信服务, API ``dysmsapi`` version 2017-05-25) behind the gateway interface (MSG-5).

**Requests.** RPC style: a POST of ``application/x-www-form-urlencoded`` parameters to the
endpoint (``https://dysmsapi.aliyuncs.com/``): the common parameters (``Action``,
``Version``, ``Format=JSON``, ``AccessKeyId``, ``SignatureMethod=HMAC-SHA1``,
``SignatureVersion=1.0``, ``SignatureNonce``, ``Timestamp`` in UTC ``yyyy-MM-ddTHH:mm:ssZ``,
``RegionId``) plus the action's own, and ``Signature``: Base64 of HMAC-SHA1, keyed with
``AccessKeySecret + "&"``, over ``"POST&%2F&" + percent(canonical query)``, where the
canonical query is every parameter but ``Signature`` sorted by name, each name and value
percent-encoded as RFC 3986 says (UTF-8; only ``A-Z a-z 0-9 - _ . ~`` stay as they are, a
space is ``%20``) and joined as ``name=value`` with ``&`` (the "signature v1" of Aliyun's RPC
APIs; ``sign_parameters`` below).

**Sending.** Aliyun sends only approved templates: a ``MessageTemplate`` names its
``provider_template_code`` (SMS_…) and each ``{字段}`` of Anju's text is the template
variable ``${pinyin}`` (``{称呼}`` → ``${chenghu}``, ``provider_template_text``). The
variables of one message are read back from its final text against its template and
checked by rendering again (``template_params``), so every caller of the outbox (campaigns,
care, the thank-you SMS) works unchanged. A message without such a template (free text, a
template without a code, a text edited after rendering) goes out through the free-text
template ``ANJU_ALIYUN_SMS_FREE_TEXT_TEMPLATE`` (one approved template whose whole text is
``${content}``) or, when none is configured, fails for good with ``no_provider_template``.
The signature (``SignName``) is the message's own (the company's 【签名】), else
``ANJU_ALIYUN_SMS_SIGN_NAME``.

One message goes out with ``SendSms``, its ``OutId`` the message's idempotency key. Several
messages of one template go out with ``SendBatchSms`` (at most 100 numbers a call, each
with its own signature and variables); its single ``OutId`` is a digest of the batch's keys.
The provider's id of each message is ``<BizId>:<number>`` — what the delivery report
(``SmsReport``) names it by. Aliyun does not deduplicate by ``OutId`` ("不支持幂等"): sending
exactly once is the outbox's work (``outbox.py``), which hands each row to one call.

**Errors** (``Code`` of the reply; ``OK`` is success): throttling (``Throttling.*``,
``isv.BUSINESS_LIMIT_CONTROL``) is waited out here with back-off for a bounded time, then
retryable; 5xx, ``isp.SYSTEM_ERROR``, timeouts and connection errors are retryable; a number
the provider refuses (``isv.MOBILE_NUMBER_ILLEGAL``, ``isv.BLACK_KEY_CONTROL_LIMIT``) fails
for good — in a batch the batch is sent again one number at a time, so only that number
fails; an account problem (``isv.AMOUNT_NOT_ENOUGH``, day/month limits) is retryable, a
configuration problem (``SignatureDoesNotMatch``, an unknown AccessKey, a template or
signature not approved) is not; after either, no more calls are made in this batch. Every
request has a timeout and the whole ``send()`` a deadline, so a provider that hangs never
holds a worker.

Settings (environment only; docs/operations.md "Messaging gateways"): ``ANJU_ALIYUN_SMS_ACCESS_KEY_ID``,
``ANJU_ALIYUN_SMS_ACCESS_KEY_SECRET``, ``ANJU_ALIYUN_SMS_SIGN_NAME``,
``ANJU_ALIYUN_SMS_FREE_TEXT_TEMPLATE``, ``ANJU_ALIYUN_SMS_ENDPOINT``, ``ANJU_ALIYUN_SMS_REGION``,
``ANJU_ALIYUN_SMS_TIMEOUT`` (seconds per request, default 5), ``ANJU_ALIYUN_SMS_DEADLINE``
(seconds per batch, default 30).
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured
from pypinyin import lazy_pinyin

from ..models import Kind
from ..templating import with_opt_out
from .base import Gateway, SendResult

log = logging.getLogger(__name__)

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
BATCH_LIMIT = 100  # SendBatchSms: at most 100 numbers per call
FREE_TEXT_VARIABLE = "content"

# Flow control: wait and send the same request again (it was refused, so it was not sent).
THROTTLE_CODES = frozenset(
    {"Throttling", "Throttling.User", "Throttling.Api", "isv.BUSINESS_LIMIT_CONTROL"}
)
# The provider's trouble: retry later (the outbox backs off).
TRANSIENT_CODES = frozenset({"isp.SYSTEM_ERROR", "InternalError", "ServiceUnavailable"})
# The account cannot send now (top up, a limit resets): retry later, but stop this batch.
ACCOUNT_CODES = frozenset(
    {
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.DAY_LIMIT_CONTROL",
        "isv.MONTH_LIMIT_CONTROL",
    }
)
# Our configuration is wrong: nothing will go out until an operator fixes it. Not retried
# (a wrong secret would otherwise be hammered); the failures are retried by hand afterwards.
CONFIGURATION_CODES = frozenset(
    {
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "InvalidTimeStamp.Expired",
        "isp.RAM_PERMISSION_DENY",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
    }
)
# One recipient is refused: in a batch, send the numbers one by one to find which.
RECIPIENT_CODES = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"})

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
FIELD = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class AliyunSettings:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    sign_name: str = ""
    free_text_template: str = ""
    endpoint: str = DEFAULT_ENDPOINT
    region: str = "cn-hangzhou"
    timeout: float = 5.0
    deadline: float = 30.0
    # Throttled: wait 0.5 s, 1 s, 2 s … (or the reply's Retry-After), at most this many times.
    throttle_retries: int = 4
    throttle_backoff: float = 0.5

    @classmethod
    def from_environ(cls, environ=None) -> "AliyunSettings":
        environ = os.environ if environ is None else environ

        def seconds(name, default):
            try:
                value = float(environ.get(name, "") or default)
            except ValueError:
                raise ImproperlyConfigured(f"{name} must be a number of seconds") from None
            if not 0 < value <= 300:
                raise ImproperlyConfigured(f"{name} must be between 0 and 300 seconds")
            return value

        key_id = environ.get("ANJU_ALIYUN_SMS_ACCESS_KEY_ID", "").strip()
        secret = environ.get("ANJU_ALIYUN_SMS_ACCESS_KEY_SECRET", "").strip()
        if not key_id or not secret:
            raise ImproperlyConfigured(
                "ANJU_SMS_GATEWAY=aliyun needs ANJU_ALIYUN_SMS_ACCESS_KEY_ID and "
                "ANJU_ALIYUN_SMS_ACCESS_KEY_SECRET in the environment"
            )
        return cls(
            access_key_id=key_id,
            access_key_secret=secret,
            sign_name=environ.get("ANJU_ALIYUN_SMS_SIGN_NAME", "").strip(),
            free_text_template=environ.get("ANJU_ALIYUN_SMS_FREE_TEXT_TEMPLATE", "").strip(),
            endpoint=environ.get("ANJU_ALIYUN_SMS_ENDPOINT", "").strip() or DEFAULT_ENDPOINT,
            region=environ.get("ANJU_ALIYUN_SMS_REGION", "").strip() or "cn-hangzhou",
            timeout=seconds("ANJU_ALIYUN_SMS_TIMEOUT", 5),
            deadline=seconds("ANJU_ALIYUN_SMS_DEADLINE", 30),
        )


# --- signing -------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986: UTF-8, everything but ``A-Z a-z 0-9 - _ . ~`` as %XY (a space is %20)."""
    return urllib.parse.quote(str(value), safe="~")


def canonical_query(params: dict) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )


def string_to_sign(method: str, params: dict) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def sign_parameters(secret: str, method: str, params: dict) -> str:
    key = f"{secret}&".encode()
    digest = hmac.new(key, string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# --- templates -----------------------------------------------------------------------------


def variable_name(field_name: str) -> str:
    """The Aliyun variable of an Anju field: its pinyin, ASCII only (``顾问电话`` → ``guwendianhua``)."""
    name = "".join(lazy_pinyin(field_name.strip()))
    return re.sub(r"[^A-Za-z0-9_]", "", name).lower() or "field"


def provider_body(body: str, kind: str) -> str:
    """The template's text as the provider sends it: marketing SMS end with 回T退订 (MSG-3)."""
    return with_opt_out(body) if kind == Kind.MARKETING else body


def provider_template_text(body: str, kind: str = Kind.SERVICE) -> str:
    """The text to register in Aliyun's console for an Anju template (``${pinyin}`` variables)."""
    return FIELD.sub(lambda m: "${" + variable_name(m.group(1)) + "}", provider_body(body, kind))


def template_params(template_body: str, text: str) -> dict | None:
    """The values of the template's fields in ``text`` (a rendering of it), or None.

    The template's literal parts anchor the fields; the result is accepted only if putting the
    values back into the template gives ``text`` exactly, so the recipient reads what Anju
    rendered. Fields side by side ({姓}{称呼}) may split differently but still render the same.
    """
    parts = FIELD.split(template_body)
    literals, names = parts[0::2], parts[1::2]
    if not names:
        return {} if template_body == text else None
    pattern = re.escape(literals[0])
    for index, literal in enumerate(literals[1:]):
        pattern += f"(?P<f{index}>.*?)" + re.escape(literal)
    match = re.fullmatch(pattern, text, flags=re.DOTALL)
    if match is None:
        return None
    values: dict[str, str] = {}
    for index, name in enumerate(names):
        value = match.group(f"f{index}")
        if values.setdefault(name, value) != value:
            return None  # the same field twice with two values: not a rendering of this text
    rendered = FIELD.sub(lambda m: values[m.group(1)], template_body)
    if rendered != text:
        return None
    return {variable_name(name): value for name, value in values.items()}


def mainland_number(address: str) -> str | None:
    """The 11-digit mainland mobile number Aliyun takes, from +86/0086/86 forms; else None."""
    digits = re.sub(r"[\s\-()]", "", address or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if MAINLAND_MOBILE.match(digits) else None


# --- talking to the provider ---------------------------------------------------------------


@dataclass
class Reply:
    """What one call answered: the reply's ``Code`` or a transport failure's own code."""

    code: str
    message: str = ""
    biz_id: str = ""
    request_id: str = ""
    http_status: int = 0
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLE_CODES or self.http_status == 429

    @property
    def retryable(self) -> bool:
        if self.ok:
            return False
        if self.code in CONFIGURATION_CODES or self.code in RECIPIENT_CODES:
            return False
        if self.throttled or self.code in TRANSIENT_CODES or self.code in ACCOUNT_CODES:
            return True
        # A timeout, a refused connection, the provider's 5xx: retry. Any other refusal of
        # the request itself (isv.INVALID_PARAMETERS, …) would be refused again: do not.
        return self.http_status == 0 or self.http_status >= 500

    @property
    def stops_batch(self) -> bool:
        """No more calls in this send(): still throttled, or the account or our configuration
        is the problem."""
        return self.throttled or self.code in ACCOUNT_CODES or self.code in CONFIGURATION_CODES

    def text(self) -> str:
        parts = [self.code]
        if self.http_status:
            parts.append(f"HTTP {self.http_status}")
        if self.message:
            parts.append(self.message)
        if self.request_id:
            parts.append(f"RequestId {self.request_id}")
        return " · ".join(parts)[:500]


@dataclass
class Outgoing:
    """One message as the provider gets it."""

    message: object
    number: str
    sign_name: str
    template_code: str
    params: dict


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _retry_after(headers) -> float | None:
    value = (headers or {}).get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


class AliyunSmsGateway(Gateway):
    name = "aliyun"
    channel = "sms"
    max_batch = BATCH_LIMIT
    dedupes_by_key = False  # "不支持幂等": OutId is only echoed back

    def __init__(self, config: AliyunSettings | None = None, *, sleep=time.sleep):
        self.config = config or AliyunSettings.from_environ()
        self._sleep = sleep

    def describe(self) -> str:
        return f"aliyun → {self.config.endpoint} (AccessKey {self.config.access_key_id[:4]}…)"

    # one call ----------------------------------------------------------------------------

    def call(self, action: str, params: dict, *, timeout: float) -> Reply:
        """POST one signed request; never raises (a transport failure is a Reply too)."""
        signed = {
            "Action": action,
            "Version": API_VERSION,
            "Format": "JSON",
            "RegionId": self.config.region,
            "AccessKeyId": self.config.access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": _timestamp(),
            **params,
        }
        signed["Signature"] = sign_parameters(self.config.access_key_secret, "POST", signed)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in signed.items())
        request = urllib.request.Request(
            self.config.endpoint,
            data=body.encode("ascii"),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return self._reply(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return self._reply(error.code, error.read(), error.headers)
        except TimeoutError:
            return Reply("timeout", message=f"no answer within {timeout:g} s")
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            return Reply("connection_error", message=str(reason)[:300])

    @staticmethod
    def _reply(status: int, raw: bytes, headers) -> Reply:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("Code"), str):
            code = "http_error" if status >= 400 else "bad_reply"
            return Reply(
                code=code, message=raw[:200].decode("utf-8", "replace"), http_status=status
            )
        return Reply(
            code=data["Code"],
            message=str(data.get("Message", ""))[:300],
            biz_id=str(data.get("BizId", "") or ""),
            request_id=str(data.get("RequestId", "") or ""),
            http_status=status,
            retry_after=_retry_after(headers),
        )

    def call_with_backoff(self, action: str, params: dict, *, until: float) -> Reply:
        """One call; a throttled refusal is waited out (bounded by ``until``) and sent again."""
        delay = self.config.throttle_backoff
        attempt = 0
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return Reply("deadline", message="the batch's time ran out before sending")
            reply = self.call(action, params, timeout=min(self.config.timeout, left))
            if not reply.throttled or attempt >= self.config.throttle_retries:
                return reply
            wait = reply.retry_after if reply.retry_after is not None else delay
            if time.monotonic() + wait >= until:
                return reply
            log.info("aliyun sms throttled (%s); waiting %.1f s", reply.code, wait)
            self._sleep(wait)
            delay *= 2
            attempt += 1

    # sending -----------------------------------------------------------------------------

    def send(self, messages: list) -> list[SendResult]:
        until = time.monotonic() + self.config.deadline
        results: dict[int, SendResult] = {}
        groups: dict[str, list[Outgoing]] = {}
        for message in messages:
            outgoing, refusal = self.prepare(message)
            if refusal is not None:
                results[message.pk] = refusal
            else:
                groups.setdefault(outgoing.template_code, []).append(outgoing)
        stop: Reply | None = None
        for batch in (
            g[i : i + BATCH_LIMIT] for g in groups.values() for i in range(0, len(g), BATCH_LIMIT)
        ):
            if stop is not None:
                results.update(self._failed(batch, stop))
                continue
            sent, stop = self._send_batch(batch, until)
            results.update(sent)
        return [results[m.pk] for m in messages]

    def prepare(self, message) -> tuple[Outgoing | None, SendResult | None]:
        """The message as Aliyun takes it, or the reason it cannot go out at all."""
        number = mainland_number(message.to)
        if number is None:
            return None, self._refuse(message, "invalid_number", "not a mainland mobile number")
        sign_name = message.signature or self.config.sign_name
        if not sign_name:
            return None, self._refuse(
                message,
                "no_sign_name",
                "no SMS signature: set the company's or ANJU_ALIYUN_SMS_SIGN_NAME",
            )
        template = getattr(message, "template", None)
        code = (getattr(template, "provider_template_code", "") or "").strip() if template else ""
        if code:
            params = template_params(provider_body(template.body, message.kind), message.body)
            if params is not None:
                return Outgoing(message, number, sign_name, code, params), None
        if self.config.free_text_template:
            params = {FREE_TEXT_VARIABLE: message.body}
            return Outgoing(
                message, number, sign_name, self.config.free_text_template, params
            ), None
        return None, self._refuse(
            message,
            "no_provider_template",
            "no approved Aliyun template for this text: give the template its provider "
            "template code, or set ANJU_ALIYUN_SMS_FREE_TEXT_TEMPLATE",
        )

    def _send_batch(self, batch: list[Outgoing], until: float):
        if len(batch) == 1:
            reply = self.call_with_backoff("SendSms", self._single_params(batch[0]), until=until)
        else:
            reply = self.call_with_backoff("SendBatchSms", self._batch_params(batch), until=until)
        if reply.ok:
            return self._accepted(batch, reply), None
        if len(batch) > 1 and reply.code in RECIPIENT_CODES:
            # One number spoils the batch: send them one by one so only that one fails.
            results: dict[int, SendResult] = {}
            stop = None
            for outgoing in batch:
                if stop is not None:
                    results.update(self._failed([outgoing], stop))
                    continue
                sent, stop = self._send_batch([outgoing], until)
                results.update(sent)
            return results, stop
        log.warning("aliyun sms refused a batch of %s: %s", len(batch), reply.text())
        return self._failed(batch, reply), (
            reply if reply.stops_batch or reply.code == "deadline" else None
        )

    @staticmethod
    def _single_params(outgoing: Outgoing) -> dict:
        params = {
            "PhoneNumbers": outgoing.number,
            "SignName": outgoing.sign_name,
            "TemplateCode": outgoing.template_code,
            "OutId": outgoing.message.idempotency_key,
        }
        if outgoing.params:
            params["TemplateParam"] = json.dumps(outgoing.params, ensure_ascii=False)
        return params

    @staticmethod
    def _batch_params(batch: list[Outgoing]) -> dict:
        keys = "\n".join(o.message.idempotency_key for o in batch)
        params = {
            "PhoneNumberJson": json.dumps([o.number for o in batch]),
            "SignNameJson": json.dumps([o.sign_name for o in batch], ensure_ascii=False),
            "TemplateCode": batch[0].template_code,
            # One OutId per call: a digest of the batch's idempotency keys (the same batch
            # sent again carries the same OutId; reports name each number by BizId anyway).
            "OutId": "batch-" + hashlib.sha256(keys.encode()).hexdigest()[:40],
        }
        if any(o.params for o in batch):
            params["TemplateParamJson"] = json.dumps([o.params for o in batch], ensure_ascii=False)
        return params

    @staticmethod
    def _accepted(batch: list[Outgoing], reply: Reply) -> dict[int, SendResult]:
        return {
            o.message.pk: SendResult(
                message_id=o.message.pk, accepted=True, provider_id=f"{reply.biz_id}:{o.number}"
            )
            for o in batch
        }

    @staticmethod
    def _failed(batch: list[Outgoing], reply: Reply) -> dict[int, SendResult]:
        return {
            o.message.pk: SendResult(
                message_id=o.message.pk,
                accepted=False,
                error_code=reply.code[:60],
                error=reply.text(),
                retryable=reply.retryable or reply.code == "deadline",
            )
            for o in batch
        }

    @staticmethod
    def _refuse(message, code: str, text: str) -> SendResult:
        return SendResult(message_id=message.pk, accepted=False, error_code=code, error=text)


def report_provider_id(biz_id: str, phone_number: str) -> str:
    """The provider's id of one message as a delivery report names it (see ``_accepted``)."""
    return f"{biz_id}:{mainland_number(phone_number) or phone_number}"
