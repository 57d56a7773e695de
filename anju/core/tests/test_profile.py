"""Issue 9 item 13: the profile names every user's roles, changes his password under the
password rules and keeps him signed in."""

import pytest

from anju.core.roles import Role

pytestmark = pytest.mark.django_db


def test_every_demo_user_sees_his_roles_on_the_profile(world, login):
    labels = dict(Role.choices)
    for username, user in world.users.items():
        html = login(user).get("/profile/").content.decode()
        roles = html[html.index('data-testid="profile-roles"') :]
        roles = roles[: roles.index("</dd>")]
        held = {a.role for a in user.role_assignments.all()}
        assert held, username
        for role in held:
            assert str(labels[role]) in roles, (username, role)
        assert "—" not in roles, username


def test_changing_the_password_keeps_the_session(world, login):
    user = world.users["steward"]
    client = login(user)
    new = "Lantern-Harbour-Tide-42"
    response = client.post(
        "/profile/password/",
        {"old_password": "anju2026", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302 and response["Location"] == "/profile/"
    assert client.get("/profile/").status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password(new)


def test_a_password_like_the_login_name_is_refused(world, login):
    client = login(world.users["steward"])
    response = client.post(
        "/profile/password/",
        {"old_password": "anju2026", "new_password1": "steward1", "new_password2": "steward1"},
    )
    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
