"""The shell: audit actor (SEC-3), tokens on the profile page (SEC-1), background work, demo."""

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from anju.core.models import ApiToken
from anju.inventory.models import Unit


def test_audit_records_the_acting_user_of_a_request(world, client):
    unit = Unit.objects.filter(project=world.projects["binhai"], status="available").first()
    client.force_login(world.users["manager"])
    response = client.post(
        f"/api/v1/units/{unit.pk}/price",
        {"list_price": "1000000", "reason": "调价"},
        content_type="application/json",
    )
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_object(unit).latest("timestamp")
    assert entry.actor == world.users["manager"]
    assert entry.changes_dict["list_price"][1] == "1000000.00"


def test_profile_page_creates_shows_once_and_revokes_a_token(world, login):
    client = login(world.users["consultant"])
    posted = client.post(
        "/profile/", {"name": "电话系统", "expires_in_days": "90", "password": "anju2026"}
    )
    assert posted.status_code == 302  # Post/Redirect/Get (issue 7 item 12)
    page = client.get(posted.url)
    secret = page.context["new_secret"]
    assert secret.startswith("anju_") and secret in page.content.decode()
    token = ApiToken.objects.get(user=world.users["consultant"])
    assert secret not in token.key_hash  # only the hash is stored
    assert secret not in client.get("/profile/").content.decode()
    assert client.get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert client.get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_profile_token_needs_a_name_and_others_tokens_are_404(world, login):
    other = ApiToken.objects.create(user=world.users["manager"], name="x", prefix="x", key_hash="h")
    client = login(world.users["consultant"])
    page = client.post("/profile/", {"name": "", "expires_in_days": "90", "password": "anju2026"})
    assert page.status_code == 200 and page.context["form"].errors
    assert client.post(f"/profile/tokens/{other.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


def test_scheduler_lists_periodic_jobs():
    out = io.StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    assert "anju.core.tasks.prune_finished_task_results" in out.getvalue()


def test_seed_demo_scale_multiplies_projects_and_units(empty_db):
    from anju.org.models import Project

    call_command("seed_demo", "--scale", "3", stdout=io.StringIO())
    assert Project.objects.count() == 9
    assert Unit.objects.count() == 3 * 648


def test_seed_demo_if_empty_is_idempotent(empty_db):
    from anju.org.models import User

    call_command("seed_demo", stdout=io.StringIO())
    users = User.objects.count()
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    assert User.objects.count() == users


@pytest.fixture
def media_under_debug(settings, tmp_path):
    """MEDIA_ROOT in tmp_path, and anju.urls as a development server (DEBUG=True) builds it;
    rebuilt as it was afterwards."""
    import importlib

    from django.urls import clear_url_caches

    import anju.urls

    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEBUG = True
    importlib.reload(anju.urls)
    clear_url_caches()
    yield tmp_path
    settings.DEBUG = False
    importlib.reload(anju.urls)
    clear_url_caches()


def test_uploaded_files_are_not_served_even_under_debug(world, client, media_under_debug):
    """SEC-2: import uploads carry personal data; only server code reads them, no URL does."""
    tmp_path = media_under_debug
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "customers.csv").write_text("name,phone\n张三,13800138000\n")
    assert client.get("/media/imports/customers.csv").status_code == 404
    client.force_login(world.users["consultant"])
    assert client.get("/media/imports/customers.csv").status_code == 404


def test_api_token_creation_and_revocation_are_audited(world):
    from auditlog.models import LogEntry

    from anju.core.services import api_token_create

    token, _secret = api_token_create(by=world.users["manager"], name="集成")
    entries = LogEntry.objects.get_for_object(token)
    assert entries.filter(action=LogEntry.Action.CREATE).exists()
    assert "key_hash" not in entries.first().changes_dict
