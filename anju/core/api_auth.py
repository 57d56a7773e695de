"""API authentication: browser session or an integration's bearer token (SEC-1)."""

from auditlog.context import auditlog_value
from ninja.security import HttpBearer, SessionAuth

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user  # so selectors and services see the token's owner
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
