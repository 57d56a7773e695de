"""API authentication: browser session or an integration's bearer token (SEC-1)."""

from auditlog.context import auditlog_value
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from .errors import NotPermitted
from .scope_middleware import load_role_assignments_once
from .services import api_token_authenticate

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """Bearer tokens: an expired or revoked one is refused with the reason (401); a read-only
    one may not write (403) — issue 7 item 12."""

    def authenticate(self, request, token):
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        if api_token.read_only and request.method not in READ_METHODS:
            raise NotPermitted(
                _("This API token is read-only: it may only read (GET), not change data."),
                code="token_read_only",
            )
        user = api_token.user
        # One read of his roles for the whole request, as ScopeMiddleware does for a session's
        # user: scope and permission checks then ask this list (issue 12: it was read twice).
        load_role_assignments_once(user)
        request.user = user  # so selectors and services see the token's owner
        request.api_token = api_token
        _set_audit_actor(user)
        return user


def _set_audit_actor(user) -> None:
    """Make the token's owner the actor of this request's audit entries (SEC-3).

    AuditlogMiddleware fixes the actor before ninja authenticates the token, so it saw an
    anonymous request. Its context (django-auditlog 3.4: a dict in ``auditlog_value``, read
    when each LogEntry is saved) is still open for this request; name the actor there.
    """
    try:
        context = auditlog_value.get()
    except LookupError:  # no AuditlogMiddleware around this call
        return
    if context.get("actor") is None:
        context["actor"] = user


class SessionAuthUnlessBearer(SessionAuth):
    """Browser session auth, except for requests that present a token: a revoked or wrong
    token is refused even if the same browser also has a session."""

    def authenticate(self, request, key):
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return None
        return super().authenticate(request, key)


session_auth = SessionAuthUnlessBearer()
token_auth = TokenAuth()
