"""Deprecating an API operation (docs/api.md, Versioning and deprecation; issue 8 item 5).

Put ``@deprecated(...)`` right under the router's decorator::

    @router.get("/old-things", response=list[ThingOut])
    @deprecated(since=date(2027, 1, 1), sunset=date(2027, 7, 1), use_instead="GET /things")
    def list_old_things(request): ...

The operation keeps working; the OpenAPI document marks it ``deprecated: true`` and says
what to use instead, and every answer it gives carries ``Deprecation`` (RFC 9745),
``Sunset`` (RFC 8594) and a ``Link`` to that document. The notice is at least six months.
"""

import calendar
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime

from django.core.exceptions import ImproperlyConfigured

MINIMUM_NOTICE_MONTHS = 6
# The interactive document shows each deprecated operation with what to use instead.
DOCUMENTATION_URL = "/api/v1/docs"


@dataclass(frozen=True)
class Deprecation:
    since: date
    sunset: date
    use_instead: str

    def headers(self) -> dict[str, str]:
        since = datetime.combine(self.since, time(), UTC)
        sunset = datetime.combine(self.sunset, time(), UTC)
        return {
            "Deprecation": f"@{int(since.timestamp())}",  # RFC 9745: a structured-field date
            "Sunset": format_datetime(sunset, usegmt=True),  # RFC 8594: an HTTP-date
            "Link": f'<{DOCUMENTATION_URL}>; rel="deprecation"',
        }

    def description(self) -> str:
        text = f"**Deprecated** since {self.since}; removed on {self.sunset}."
        return f"{text} Use {self.use_instead} instead." if self.use_instead else text


# operationId (ninja's: module and function name) → its deprecation, for the document.
DEPRECATED_OPERATIONS: dict[str, Deprecation] = {}


def operation_id(view) -> str:
    return f"{view.__module__}_{view.__name__}".replace(".", "_")


def deprecated(*, since: date, sunset: date, use_instead: str = ""):
    if sunset < _months_after(since, MINIMUM_NOTICE_MONTHS):
        raise ImproperlyConfigured("An API deprecation gives at least six months' notice.")
    info = Deprecation(since, sunset, use_instead)

    def wrap(view):
        @functools.wraps(view)
        def deprecated_view(request, *args, **kwargs):
            request.anju_deprecation = info
            return view(request, *args, **kwargs)

        DEPRECATED_OPERATIONS[operation_id(view)] = info
        return deprecated_view

    return wrap


def _months_after(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def document_deprecations(schema: dict) -> None:
    """Mark the deprecated operations of an OpenAPI document (``AnjuAPI`` calls it)."""
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            info = DEPRECATED_OPERATIONS.get(operation.get("operationId", ""))
            if info is None:
                continue
            operation["deprecated"] = True
            described = operation.get("description", "")
            operation["description"] = f"{info.description()}\n\n{described}".strip()


class ApiDeprecationMiddleware:
    """Adds the deprecation headers to every answer of a deprecated operation, errors too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        info = getattr(request, "anju_deprecation", None)
        if info is not None:
            for name, value in info.headers().items():
                response.headers[name] = value
        return response
