"""API authentication: browser session or an integration's bearer token (SEC-1)."""

from ninja.security import HttpBearer, SessionAuth

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user  # so selectors and services see the token's owner
        return user


class SessionAuthUnlessBearer(SessionAuth):
    """Browser session auth, except for requests that present a token: a revoked or wrong
    token is refused even if the same browser also has a session."""

    def authenticate(self, request, key):
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return None
        return super().authenticate(request, key)


session_auth = SessionAuthUnlessBearer()
token_auth = TokenAuth()
