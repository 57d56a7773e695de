"""Shared test fixtures. ``world`` is the demo world (seed_demo), built once per test."""

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(db, settings):
    """The demo world: companies sz/zh, projects binhai/yunjing/haiwan, one user per role."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())
    from anju.inventory.models import Building
    from anju.org.models import Company, Project, User

    companies = {c.code: c for c in Company.objects.all()}
    projects = {p.code: p for p in Project.objects.all()}
    users = {u.username: u for u in User.objects.all()}
    return SimpleNamespace(
        companies=companies,
        projects=projects,
        users=users,
        buildings=list(Building.objects.select_related("project")),
    )


@pytest.fixture
def login(client):
    """login(user) → a Django test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
