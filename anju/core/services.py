"""Kernel writes: API tokens and the personal-data access log (SEC-1, SEC-2)."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ApplicationError
from .models import ApiToken, PersonalDataAccess, content_type_of

TOKEN_PREFIX_LEN = 8


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, by, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``by``; returns (token, secret). The secret is shown once, never stored."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the token a name."), field="name")
    if len(name) > 100:
        raise ApplicationError(_("The name is too long (100 characters at most)."), field="name")
    secret = "anju_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=by, name=name, prefix=secret[5 : 5 + TOKEN_PREFIX_LEN], key_hash=_hash_key(secret)
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, by, token: ApiToken) -> None:
    if token.user_id != by.pk and not by.is_superuser:
        raise ApplicationError(_("You can only revoke your own tokens."), code="forbidden")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_authenticate(secret: str):
    """The active user behind a bearer secret, or None."""
    if not secret or not secret.startswith("anju_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_key(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def personal_data_access_log(
    *, by, action, target=None, company=None, fields="", record_count=1, description="", ip=None
) -> PersonalDataAccess:
    """Log that ``by`` saw in full (or exported) personal data. Call where the data is revealed."""
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
