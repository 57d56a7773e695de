"""What the kernel knows about the request being served, for code that has no request.

A selector or service deep inside a request (the phone search, a reveal, an export) writes the
personal-data access log without the request object; the log still needs the client's address
(SEC-2, issue 7 item 10). Every log line names the request it belongs to by its request id
(issue 10 item 4). ``RequestContextMiddleware`` sets both for the request's duration, echoes
the id in the ``X-Request-ID`` response header, writes one summary line per request (logger
``anju.request``: method, path without its query string, status, duration, view, user) and
records the request's latency for /metrics (``core/metrics.py``).
"""

import logging
import re
import secrets
import time
from contextvars import ContextVar

from django.conf import settings
from django.utils.functional import empty

_client_ip: ContextVar[str | None] = ContextVar("anju_client_ip", default=None)
_request_id: ContextVar[str | None] = ContextVar("anju_request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# An id from a proxy or a client is kept only if it cannot forge or break a log line.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_log = logging.getLogger("anju.request")


def current_client_ip() -> str | None:
    """The address of the client of the request being served; None outside a request."""
    return _client_ip.get()


def current_request_id() -> str | None:
    """The id of the request being served; None outside a request."""
    return _request_id.get()


def request_id_from(incoming: str | None) -> str:
    """The incoming id if it is a safe token (≤ 64 of [A-Za-z0-9._-]), else a new one."""
    if incoming and _SAFE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return secrets.token_hex(16)


def view_label(request) -> str:
    """The route's name, never the raw path: a bounded set of values for logs and metrics."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route.startswith("api/"):
        # django-ninja names a path's URL after its first operation (GET /customers would
        # read "register_customer"); the route pattern names all of them rightly.
        return match.route
    if match is not None:
        return match.view_name or match.route or "unnamed"
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"  # whitenoise answers before URL resolution
    return "unresolved"  # a 404 for an unknown path, a redirect to https, …


def _loaded_user_id(request) -> int | None:
    """The signed-in user's id if the request already loaded him: no query just for a log."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestContextMiddleware:
    """First in MIDDLEWARE: the request's address and id, its summary line and its latency."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import metrics

        started = time.perf_counter()
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # for django.request's lines, logged after us
        ip_token = _client_ip.set(request.META.get("REMOTE_ADDR") or None)
        id_token = _request_id.set(request_id)
        try:
            with metrics.in_flight():
                response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration = time.perf_counter() - started
            view = view_label(request)
            metrics.observe_request(view, request.method, response.status_code, duration)
            fields = {
                "method": request.method,
                "path": request.path,  # never the query string: it may hold a search
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
                "view": view,
                "user_id": _loaded_user_id(request),
            }
            request_log.info(
                "%(method)s %(path)s %(status)s %(duration_ms)sms view=%(view)s user=%(user_id)s",
                fields,
                extra=fields,
            )
            return response
        finally:
            _request_id.reset(id_token)
            _client_ip.reset(ip_token)
