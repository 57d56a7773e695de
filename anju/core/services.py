"""Kernel writes: API tokens and the personal-data access log (SEC-1, SEC-2)."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApplicationError
from .models import ApiToken, PersonalDataAccess, content_type_of
from .request_context import current_client_ip

TOKEN_PREFIX_LEN = 8


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    by,
    name: str,
    expires_in_days: int = ApiToken.DEFAULT_EXPIRY_DAYS,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token for ``by``; returns (token, secret). The secret is shown once, never stored.

    It expires after ``expires_in_days`` (30, 90 or 365) and may be read-only (issue 7 item
    12). The profile page re-authenticates the user before calling this (``ApiTokenForm``).
    """
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the token a name."), field="name")
    if len(name) > 100:
        raise ApplicationError(_("The name is too long (100 characters at most)."), field="name")
    if expires_in_days not in dict(ApiToken.EXPIRY_CHOICES):
        raise ApplicationError(
            _("Choose how long the token is valid: 30, 90 or 365 days."), field="expires_in_days"
        )
    start = ApiToken.SECRET_START
    secret = start + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=by,
        name=name,
        prefix=secret[len(start) : len(start) + TOKEN_PREFIX_LEN],
        key_hash=_hash_key(secret),
        expires_at=timezone.now() + timedelta(days=expires_in_days),
        read_only=bool(read_only),
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, by, token: ApiToken) -> None:
    """Revoke at once; the audit log keeps who revoked it and when (SEC-3)."""
    if token.user_id != by.pk and not by.is_superuser:
        raise ApplicationError(_("You can only revoke your own tokens."), code="forbidden")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


class TokenRefused(ApplicationError):
    """A bearer token that was presented but may not be used: 401 with the reason."""

    status_code = 401


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The usable token behind a bearer secret, or None if no such token exists.

    An expired or revoked token, or one whose owner was deactivated, raises TokenRefused
    with the reason, so an integration learns why instead of a bare "Unauthorized".
    """
    if not secret or not secret.startswith(ApiToken.SECRET_START):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_key(secret)).first()
    if token is None:
        return None
    if token.revoked_at is not None:
        raise TokenRefused(_("This API token was revoked."), code="token_revoked")
    if token.is_expired:
        raise TokenRefused(
            _("This API token expired. Create a new one on your profile page."),
            code="token_expired",
        )
    if not token.user.is_active:
        raise TokenRefused(_("The account of this API token is disabled."), code="user_inactive")
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def personal_data_access_log(
    *, by, action, target=None, company=None, fields="", record_count=1, description="", ip=None
) -> PersonalDataAccess:
    """Log that ``by`` saw in full (or exported) personal data. Call where the data is revealed.

    Without ``ip`` the client address of the request being served is recorded, so a caller
    that has no request (a selector) still logs where the access came from.
    """
    if ip is None:
        ip = current_client_ip()
    return PersonalDataAccess.objects.create(
        user=by,
        company_id=getattr(company, "pk", company) or getattr(target, "company_id", None),
        action=action,
        target_type=content_type_of(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        fields=fields,
        record_count=record_count,
        description=description[:300],
        ip_address=ip,
    )
