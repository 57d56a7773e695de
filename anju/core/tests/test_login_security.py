"""Login throttling and lockout, session lifetime, password strength (issue 7 item 8, ASVS V2/V3)."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command

from anju.core.errors import ApplicationError
from anju.core.security import LOGIN_AT, SEEN_AT

LOCKED = "登录失败次数过多"


def _login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_25_wrong_passwords_lock_the_account_even_for_the_right_password(client, world):
    """Issue 7 item 8 ("25 wrong passwords lock the account"): the lockout is a clear Chinese
    message on the login page, not a bare 403, and the right password is refused too."""
    for _ in range(25):
        response = _login(client, "consultant", "wrong-password")
        assert response.status_code in (200, 429)
        assert not _logged_in(client)
    response = _login(client, "consultant", "anju2026")
    assert response.status_code == 429
    assert not _logged_in(client)
    body = response.content.decode()
    assert LOCKED in body and "30 分钟" in body
    assert 'name="password"' in body  # still the login page, with its form


def test_the_lock_counts_the_login_name_not_the_address_and_spares_other_users(client, world):
    """Ten failures lock "consultant" from any address (case and spaces do not help);
    a colleague logging in from the same office is not affected."""
    for n in range(10):
        client.post(
            "/login/",
            {"username": " Consultant" if n % 2 else "consultant", "password": "nope"},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )
    response = client.post(
        "/login/", {"username": "consultant", "password": "anju2026"}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert _login(client, "manager", "anju2026").status_code == 302


def test_fewer_failures_than_the_limit_do_not_lock(client, world):
    for _ in range(9):
        _login(client, "consultant", "wrong-password")
    assert _login(client, "consultant", "anju2026").status_code == 302
    assert _logged_in(client)


def test_the_administrator_can_unlock_an_account(client, world):
    """`manage.py axes_reset_username` (or the axes admin) lifts the lock at once."""
    for _ in range(10):
        _login(client, "consultant", "wrong-password")
    assert _login(client, "consultant", "anju2026").status_code == 429
    call_command("axes_reset_username", "consultant", verbosity=0)
    assert _login(client, "consultant", "anju2026").status_code == 302


def test_the_lockout_is_json_with_a_reason_for_the_api(rf, settings):
    from anju.core.security import lockout_response

    request = rf.post("/api/v1/anything")
    response = lockout_response(request, None, {"username": "x"})
    assert response.status_code == 429
    assert b"locked_out" in response.content


def test_the_demo_password_still_logs_in(client, world):
    """The seed sets anju2026 directly (a demo is the one place a known password is wanted)."""
    assert _login(client, "consultant", "anju2026").status_code == 302


# --- session lifetime ----------------------------------------------------------------------


def _age_session(client, *, login=None, seen=None):
    session = client.session
    now = time.time()
    if login is not None:
        session[LOGIN_AT] = now - login.total_seconds()
    if seen is not None:
        session[SEEN_AT] = now - seen.total_seconds()
    session.save()


def test_a_session_idle_for_over_two_hours_is_logged_out_with_a_message(world, login):
    client = login(world.users["consultant"])
    assert client.get("/").status_code == 200
    _age_session(client, seen=timedelta(hours=2, minutes=1))
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not _logged_in(client)
    page = client.get(response["Location"])
    assert "会话已过期，请重新登录" in page.content.decode()


def test_an_active_session_is_capped_twelve_hours_after_login(world, login):
    client = login(world.users["consultant"])
    _age_session(client, login=timedelta(hours=11, minutes=50), seen=timedelta(minutes=5))
    assert client.get("/").status_code == 200  # active and within the cap
    _age_session(client, login=timedelta(hours=12, minutes=1), seen=timedelta(minutes=1))
    assert client.get("/").status_code == 302
    assert not _logged_in(client)


def test_activity_keeps_a_session_alive(world, login):
    client = login(world.users["consultant"])
    _age_session(client, seen=timedelta(hours=1, minutes=50))
    assert client.get("/").status_code == 200
    assert time.time() - client.session[SEEN_AT] < 60  # the request counted as activity
    _age_session(client, login=timedelta(hours=3))
    assert client.get("/").status_code == 200


def test_the_timeouts_are_configurable(world, login, settings):
    settings.ANJU_SESSION_IDLE = timedelta(minutes=15)
    client = login(world.users["consultant"])
    _age_session(client, seen=timedelta(minutes=16))
    assert client.get("/").status_code == 302


def test_an_expired_session_on_the_api_is_a_401_with_the_reason(world, login):
    client = login(world.users["consultant"])
    _age_session(client, seen=timedelta(hours=3))
    response = client.get("/api/v1/projects")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


# --- password strength ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "weak",
    ["anju2026", "12345678901234", "password123", "wangwei2026x", ""],
    ids=["short", "numeric", "common", "like-the-login-name", "empty"],
)
def test_staff_create_refuses_a_weak_password_with_a_clear_message(world, weak):
    """Issue 7 item 8: every Django password validator, also in staff_create."""
    from anju.org.models import User
    from anju.org.services import staff_create

    with pytest.raises(ApplicationError) as exc:
        staff_create(
            by=world.users["admin"],
            username="wangwei2026",
            password=weak,
            display_name="王伟",
            company=world.companies["sz"],
        )
    assert exc.value.field == "password" and str(exc.value.message)
    assert not User.objects.filter(username="wangwei2026").exists()


def test_staff_create_accepts_a_strong_password(world):
    from anju.org.services import staff_create

    user = staff_create(
        by=world.users["admin"],
        username="wangwei2026",
        password="Tide-Harbour-Lantern-77",
        display_name="王伟",
        company=world.companies["sz"],
    )
    assert user.check_password("Tide-Harbour-Lantern-77")


def test_the_admin_refuses_a_weak_password_too(world, login):
    admin = login(world.users["admin"])
    user = world.users["consultant"]
    response = admin.post(
        f"/admin/org/user/{user.pk}/password/",
        {"password1": "anju2027", "password2": "anju2027"},
    )
    assert response.status_code == 200  # the form again, with the reasons
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password("anju2026")


def test_a_user_changes_his_password_only_to_a_strong_one(world, login):
    """The profile's password change applies every validator and needs the current password."""
    user = world.users["consultant"]
    client = login(user)
    page = client.get("/profile/password/")
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    weak = {"old_password": "anju2026", "new_password1": "12345", "new_password2": "12345"}
    assert client.post("/profile/password/", weak).context["form"].errors
    wrong_old = {
        "old_password": "not-mine",
        "new_password1": "Tide-Harbour-Lantern-77",
        "new_password2": "Tide-Harbour-Lantern-77",
    }
    assert client.post("/profile/password/", wrong_old).context["form"].errors
    user.refresh_from_db()
    assert user.check_password("anju2026")
    response = client.post("/profile/password/", {**wrong_old, "old_password": "anju2026"})
    assert response.status_code == 302 and response["Location"] == "/profile/"
    user.refresh_from_db()
    assert user.check_password("Tide-Harbour-Lantern-77")


def test_an_expired_htmx_request_is_sent_to_the_login_page(world, login):
    client = login(world.users["consultant"])
    _age_session(client, seen=timedelta(hours=3))
    response = client.get("/customers/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/login/"
