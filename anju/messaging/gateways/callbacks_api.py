"""The gateway callback endpoints (issue 11 item 11): what an SMS provider pushes to Anju.

No session or API token: a provider has neither. Each push proves the shared secret instead
(``callbacks.authenticate``), is read whole before anything is applied, and is answered as
Aliyun expects, ``{"code": 0, "msg": "接收成功"}`` with HTTP 200 — also for a repeated push,
which changes nothing. Refusals use Anju's error shape: 401 ``callback_unsigned``, 403
``callback_bad_signature`` / ``callbacks_disabled``, 400 ``callback_malformed`` (with the
reason); Aliyun retries anything but 200, a few times.
"""

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja import Router

from anju.core.api_types import may_answer
from anju.core.errors import TooLarge

from .callbacks import (
    SIGNATURE_HEADER,
    TOKEN_PARAMETER,
    apply_replies,
    apply_reports,
    authenticate,
    read_replies,
    read_reports,
)

router = Router(tags=["messaging: gateway callbacks"], auth=None)

PROVIDER = "aliyun"


def _body_schema(example: dict) -> dict:
    return may_answer(413) | {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "maxItems": 5000, "items": {"type": "object"}},
                    "example": [example],
                }
            },
        },
        "parameters": [
            {
                "name": TOKEN_PARAMETER,
                "in": "query",
                "required": False,
                "schema": {"type": "string", "maxLength": 200, "pattern": "^[!-~]+$"},
                "description": "the shared secret, for a provider that cannot sign",
            },
            {
                "name": SIGNATURE_HEADER,
                "in": "header",
                "required": False,
                "schema": {
                    "type": "string",
                    "maxLength": 200,
                    "pattern": "^t=[0-9]{1,12},v1=[0-9a-fA-F]{1,128}$",
                },
                "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.<body>')>",
            },
        ],
    }


def _authenticated_body(request) -> bytes:
    try:
        body = request.body
    except RequestDataTooBig as exc:  # a provider never sends this much: refuse, not 500
        raise TooLarge(_("The request is too large.")) from exc
    authenticate(
        body=body,
        signature=request.headers.get(SIGNATURE_HEADER, "").strip(),
        token=request.GET.get(TOKEN_PARAMETER, "").strip(),
    )
    return body


def _received(count: int, **extra) -> dict:
    return {"code": 0, "msg": "接收成功", "received": count, **extra}


@router.post(
    "/aliyun/sms-report",
    summary="Aliyun SMS delivery reports (SmsReport, HTTP batch push)",
    openapi_extra=_body_schema(
        {
            "phone_number": "13800138000",
            "send_time": "2026-11-25 10:30:00",
            "report_time": "2026-11-25 10:30:05",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": "900619746936498440^0",
            "out_id": "campaign:12:customer:345",
        }
    ),
)
def aliyun_sms_report(request):
    """Each report moves its message SENT → DELIVERED (or FAILED with the carrier's code)."""
    reports = read_reports(_authenticated_body(request))
    return _received(apply_reports(provider=PROVIDER, reports=reports))


@router.post(
    "/aliyun/sms-up",
    summary="Aliyun SMS replies (SmsUp, HTTP batch push): T/TD/退订 opts the number out",
    openapi_extra=_body_schema(
        {
            "phone_number": "13800138000",
            "send_time": "2026-11-25 10:31:00",
            "content": "TD",
            "sign_name": "安居",
            "dest_code": "1234",
            "sequence_id": "1234567890",
        }
    ),
)
def aliyun_sms_up(request):
    """A reply T/TD/退订 opts the number out at once and cancels its queued marketing. A reply
    from a number that is no usable mobile is skipped and counted (``unusable``)."""
    replies = read_replies(_authenticated_body(request))
    counts = apply_replies(provider=PROVIDER, replies=replies.usable)
    return _received(len(replies.usable) + replies.unusable, **counts, unusable=replies.unusable)
