"""What the kernel knows about the request being served, for code that has no request.

A selector or service deep inside a request (the phone search, a reveal, an export) writes the
personal-data access log without the request object; the log still needs the client's address
(SEC-2, issue 7 item 10). ``RequestContextMiddleware`` sets it for the request's duration.
"""

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("anju_client_ip", default=None)


def current_client_ip() -> str | None:
    """The address of the client of the request being served; None outside a request."""
    return _client_ip.get()


class RequestContextMiddleware:
    """Remember the client's address while the request is served (and forget it after)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)
