"""The API's one error shape (INT-1, issue 8 item 1).

Every 4xx and 5xx answer under ``/api/`` is a JSON object::

    {"code": "protected_by_colleague", "detail": "此客户受置业顾问李*保护……", "field": "phone"}
    {"code": "invalid", "detail": "部分字段无效。",
     "errors": [{"field": "name", "code": "string_too_long", "detail": "最多 50 个字符。"}]}

``code`` is a stable machine code, ``detail`` a message in the user's language, ``field``
names the one field at fault, ``errors`` lists every field problem of a 422. The statuses:
400 unreadable request, 401 not signed in, 403 not permitted, 404 not found (or out of
scope), 405 method, 409 conflict with the current state, 413 too large, 422 invalid values,
429 too many (with ``Retry-After``), 500 our fault. ``anju/api.py`` turns exceptions into
this shape; ``ApiErrorShapeMiddleware`` does it for answers made outside the API's views
(Django's 404/405/500, the NUL guard, session expiry, lockout).
"""

from __future__ import annotations

import json
import re

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

API_PREFIX = "/api/"

# The machine code of a status when nothing more specific is known.
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class FieldErrorOut(Schema):
    field: str = Field(description="the field at fault, dotted for nested fields")
    code: str = Field(description="a stable machine code, e.g. string_too_long, missing")
    detail: str = Field(description="what is wrong, in the user's language")


class ErrorOut(Schema):
    """Every error the API answers (4xx and 5xx)."""

    code: str = Field(description="a stable machine code (docs/api.md lists them)")
    detail: str = Field(description="what went wrong, in the user's language")
    field: str | None = Field(None, description="the one field at fault, when there is one")
    errors: list[FieldErrorOut] | None = Field(
        None, description="every field problem (422 from schema validation)"
    )


def status_message(status: int) -> str:
    messages = {
        400: _("The request could not be read."),
        401: _("Sign in, or send a valid API token (Authorization: Bearer …)."),
        403: _("You are not permitted to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state of the data."),
        413: _("The request is too large."),
        415: _("Send JSON (Content-Type: application/json)."),
        422: _("Some fields are not valid."),
        429: _("Too many requests. Try again later."),
        500: _("Something went wrong on our side. It has been logged; please try again."),
        503: _("The service is briefly unavailable. Try again shortly."),
    }
    return str(messages.get(status, messages[500] if status >= 500 else messages[400]))


def error_body(code: str, detail, *, field=None, errors=None) -> dict:
    body = {"code": code, "detail": str(detail)}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return body


def error_response(status: int, code: str | None = None, detail=None, **kwargs) -> JsonResponse:
    """The error shape as a response, for code outside the API's handlers (middleware)."""
    body = error_body(
        code or STATUS_CODES.get(status, "error"), detail or status_message(status), **kwargs
    )
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


class ApiErrorShapeMiddleware:
    """Give the one error shape to every API error answered outside the API's handlers.

    Django answers an unknown path (404), a wrong method (ninja's 405), an oversized body or a
    crash (500) with HTML or plain text; an integrator must always get the JSON shape.
    Outermost but one, so it also sees the answers of the other middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not is_api_request(request):
            return response
        if _has_error_shape(response):
            return response
        shaped = error_response(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


def _has_error_shape(response) -> bool:
    if "json" not in response.get("Content-Type", "") or getattr(response, "streaming", False):
        return False
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    return isinstance(body, dict) and "code" in body and "detail" in body


# --- pydantic's field errors, in the user's language -------------------------------------

# The parts of a location that name where a value came from, not which field it is.
_LOCATION_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_errors_from_pydantic(errors: list[dict], *, wrappers=()) -> list[dict]:
    """ninja/pydantic validation errors → ``[{"field", "code", "detail"}]`` (translated)."""
    result, seen = [], set()
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        while loc and (loc[0] in _LOCATION_SOURCES or loc[0] in wrappers):
            loc = loc[1:]
        # A union's branches appear in the location ("constrained-str", "literal['']"):
        # they are not fields. One problem per field, the first branch's (the main form).
        field = ".".join(part for part in loc if _FIELD_PART.fullmatch(part)) or "body"
        if field in seen:
            continue
        seen.add(field)
        result.append(
            {
                "field": field,
                "code": str(error.get("type", "invalid")),
                "detail": _pydantic_message(error),
            }
        )
    return result


_FIELD_PART = re.compile(r"\w+")


def _pydantic_message(error: dict) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field: check its name against the API documentation.")
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "email_local_part":
        return _("The part before the @ is at most 64 characters.")
    if kind == "string_pattern_mismatch":
        return _pattern_message(str(ctx.get("pattern", "")))
    if kind in {"greater_than_equal", "greater_than"}:
        bound = ctx.get("ge", ctx.get("gt"))
        return _("Must be at least %(n)s.") % {"n": bound}
    if kind in {"less_than_equal", "less_than"}:
        bound = ctx.get("le", ctx.get("lt"))
        return _("Must be at most %(n)s.") % {"n": bound}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"decimal_max_places", "decimal_whole_digits", "decimal_max_digits"}:
        return _("Too many digits: amounts have at most 2 decimal places.")
    if kind.startswith(("decimal_", "float_", "finite_number")):
        return _("Enter a number.")
    if kind in {"enum", "literal_error"}:
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind.startswith("bool_"):
        return _("Enter true or false.")
    if kind.startswith("datetime_") or kind == "timezone_aware":
        return _("Enter a date and time in ISO 8601, e.g. 2026-11-25T10:30:00+08:00.")
    if kind.startswith("date_"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind in {"string_type", "list_type", "dict_type", "model_type", "model_attributes_type"}:
        return _("This value has the wrong type.")
    return _("This value is not valid.")


# Patterns with a message of their own (core/api_types.py registers its text and phone
# patterns here), so a refusal says what is wanted instead of quoting a regex.
PATTERN_MESSAGES: dict[str, str] = {}


def _pattern_message(pattern: str) -> str:
    message = PATTERN_MESSAGES.get(pattern)
    return str(message) if message else _("The format is not valid.")
