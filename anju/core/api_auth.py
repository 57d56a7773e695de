"""API authentication: browser session or an integration's bearer token (SEC-1)."""

from ninja.security import HttpBearer, SessionAuth

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user  # so selectors and services see the token's owner
        return user


session_auth = SessionAuth()
token_auth = TokenAuth()
