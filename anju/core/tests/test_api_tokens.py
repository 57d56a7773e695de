"""API tokens: expiry, revocation list, re-authentication, read-only tokens (issue 7 item 12)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from anju.core.errors import ApplicationError
from anju.core.models import ApiToken
from anju.core.services import api_token_authenticate, api_token_create, api_token_revoke

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
    assert page.status_code == 302
    token = ApiToken.objects.get(user=world.users["consultant"])
    assert token.read_only
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


def test_creating_a_token_redirects_and_shows_the_secret_exactly_once(world, login):
    """Issue 7 item 12 (browser review): Post/Redirect/Get. A reload after creating must not
    re-post (a second token), and the secret is shown once, with a "copy it now" note."""
    user = world.users["consultant"]
    client = login(user)
    response = client.post("/profile/", FORM)
    assert response.status_code == 302 and response.url == "/profile/"
    assert ApiToken.objects.filter(user=user).count() == 1
    first = client.get("/profile/")
    secret = first.context["new_secret"]
    html = first.content.decode()
    assert secret and secret.startswith("anju_") and html.count(secret) == 1
    assert "请立即复制" in html and "不会再次显示" in html
    token = ApiToken.objects.get(user=user)
    assert api_token_authenticate(secret) == token
    again = client.get("/profile/")  # the reload
    assert again.context["new_secret"] is None
    assert secret not in again.content.decode()
    assert ApiToken.objects.filter(user=user).count() == 1


def test_the_token_table_names_tokens_shows_the_real_start_and_confirms_revoke(world, login):
    """Issue 7 item 12 (browser review): the column is the token's 名称 (not a person's
    姓名), "starts with" shows how the secret really begins (``anju_…``), and revoking asks
    first."""
    user = world.users["consultant"]
    token, secret = api_token_create(by=user, name="电话系统")
    html = login(user).get("/profile/").content.decode()
    table = html[html.index('data-testid="tokens"') :]
    head = table[: table.index("</thead>")]
    assert "名称" in head and "姓名" not in head
    assert f"<code>{secret[:13]}…</code>" in table and secret[:13] == token.shown_prefix
    form = table[table.index('action="/profile/tokens/') :]
    form = form[: form.index(">")]
    assert "confirm(" in form and "撤销令牌“电话系统”" in form


def test_the_profile_lists_every_role_and_where_it_is_held(world, login):
    """Issue 7 item 12 (browser review): the manager's 角色 showed "—" because the header
    hides a role the display name already states; the profile always lists them, with the
    company (and project) where each is held."""
    from anju.org.models import RoleAssignment

    user = world.users["manager"]
    held = RoleAssignment._base_manager.filter(user=user).select_related("company")
    assert held.exists()
    response = login(user).get("/profile/")
    html = response.content.decode()
    roles = html[html.index('data-testid="profile-roles"') :]
    roles = roles[: roles.index("</dd>")]
    assert "销售经理" in roles
    for assignment in held:
        assert str(assignment.company) in roles
