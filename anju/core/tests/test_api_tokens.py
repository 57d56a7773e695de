"""API tokens: expiry, revocation list, re-authentication, read-only tokens (issue 7 item 12)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.core.models import ApiToken
from anju.core.services import api_token_create, api_token_revoke

FORM = {"name": "电话系统", "expires_in_days": "90", "password": "anju2026"}


def _get(client, secret, path="/api/v1/projects"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_token_expires_after_the_chosen_days_default_90(world):
    user = world.users["manager"]
    default, _s = api_token_create(by=user, name="默认")
    month, _s = api_token_create(by=user, name="一个月", expires_in_days=30)
    year, _s = api_token_create(by=user, name="一年", expires_in_days=365)
    for token, days in ((default, 90), (month, 30), (year, 365)):
        left = token.expires_at - timezone.now()
        assert timedelta(days=days) - timedelta(minutes=1) < left <= timedelta(days=days)
    with pytest.raises(ApplicationError) as exc:
        api_token_create(by=user, name="永久", expires_in_days=100000)
    assert exc.value.field == "expires_in_days"


def test_an_expired_token_is_refused_with_a_clear_401_reason(world, client):
    token, secret = api_token_create(by=world.users["manager"], name="t", expires_in_days=30)
    assert _get(client, secret).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(client, secret)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "过期" in response.json()["detail"]


def test_a_revoked_token_is_refused_with_the_reason_and_the_revocation_is_audited(world, client):
    user = world.users["manager"]
    token, secret = api_token_create(by=user, name="t")
    api_token_revoke(by=user, token=token)
    response = _get(client, secret)
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"
    change = LogEntry.objects.get_for_object(token).filter(action=LogEntry.Action.UPDATE).get()
    assert "revoked_at" in change.changes_dict


def test_an_unknown_token_is_still_a_plain_401(client, db):
    assert _get(client, "anju_not-a-real-token").status_code == 401


def test_a_read_only_token_reads_but_may_not_write(world, client):
    """Issue 7 item 12: any non-GET/HEAD/OPTIONS request with a read-only token → 403."""
    from anju.inventory.models import Unit

    manager = world.users["manager"]
    unit = Unit.objects.filter(project=world.projects["binhai"], status="available").first()
    price = unit.list_price
    _t, read_only = api_token_create(by=manager, name="报表", read_only=True)
    _t, read_write = api_token_create(by=manager, name="集成")
    assert _get(client, read_only, f"/api/v1/units/{unit.pk}").status_code == 200
    body = {"list_price": str(price + Decimal("1000")), "reason": "调价"}
    response = client.post(
        f"/api/v1/units/{unit.pk}/price",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_only}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "token_read_only"
    unit.refresh_from_db()
    assert unit.list_price == price
    response = client.post(
        f"/api/v1/units/{unit.pk}/price",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_write}",
    )
    assert response.status_code == 200


def test_creating_a_token_on_the_profile_page_needs_the_current_password(world, login):
    """Re-authentication: a wrong password is a form error and no token is made."""
    client = login(world.users["consultant"])
    page = client.post("/profile/", {**FORM, "password": "wrong-password"})
    assert page.status_code == 200
    assert page.context["form"].errors["password"]
    assert page.context["new_secret"] is None
    assert not ApiToken.objects.filter(user=world.users["consultant"]).exists()
    page = client.post("/profile/", {**FORM, "password": ""})
    assert not ApiToken.objects.filter(user=world.users["consultant"]).exists()
    page = client.post("/profile/", {**FORM, "expires_in_days": "30", "read_only": "on"})
    token = ApiToken.objects.get(user=world.users["consultant"])
    assert page.context["new_secret"] and token.read_only
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)


def test_the_profile_lists_tokens_with_scope_dates_and_a_revoke_button(world, login):
    user = world.users["consultant"]
    active, _s = api_token_create(by=user, name="只读报表", read_only=True, expires_in_days=30)
    revoked, _s = api_token_create(by=user, name="旧系统")
    api_token_revoke(by=user, token=revoked)
    expired, _s = api_token_create(by=user, name="过期的")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = login(user)
    html = client.get("/profile/").content.decode()
    for token in (active, revoked, expired):
        assert token.name in html and token.prefix in html
    assert "只读" in html and "读写" in html
    assert timezone.localtime(active.expires_at).strftime("%Y-%m-%d") in html
    assert "已撤销" in html and "已过期" in html
    assert html.count("/revoke/") == 1  # only the active one can still be revoked
    client.post(f"/profile/tokens/{active.pk}/revoke/")
    active.refresh_from_db()
    assert active.revoked_at is not None


def test_tokens_made_before_expiry_existed_get_ninety_days(world):
    """The migration api_token_expiry_readonly gives old tokens the default lifetime."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("anju.core.migrations.0004_api_token_expiry_readonly")
    token, _s = api_token_create(by=world.users["manager"], name="旧")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    migration.expire_existing_tokens(apps, None)
    token.refresh_from_db()
    assert token.expires_at == token.created_at + timedelta(days=90)


def test_guessing_the_password_on_the_token_form_counts_towards_the_lockout(world, login):
    """Re-authentication is a login: ten wrong passwords lock it like the login page does."""
    client = login(world.users["consultant"])
    for _ in range(10):
        client.post("/profile/", {**FORM, "password": "wrong-password"})
    response = client.post("/profile/", FORM)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert not ApiToken.objects.filter(user=world.users["consultant"]).exists()
