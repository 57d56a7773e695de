"""Shared test fixtures. ``world`` is the demo world (seed_demo), built once per test."""

import io
import itertools
import logging
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import override_settings
from django.test.testcases import LiveServerThread


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_WORLD = []  # the demo world's snapshot once seeded (a DatabaseSnapshot, see below)


@pytest.fixture
def task_queue(settings, transactional_db):
    """The queue ANJU_TASKS configures (database, or Redis with REDIS_URL) instead of the
    immediate backend, and ``.run()`` a real worker in burst mode (issue 10 item 5).

    Mark such tests ``tasks``: CI runs them once more with ANJU_TASKS=rq. Transactional, as
    a worker commits (and db_worker/rqworker close the connection) like in production.
    """
    from anju import settings as project
    from anju.core.testing import TaskQueue

    settings.TASKS = project.TASKS
    queue = TaskQueue(project.ANJU_TASKS)
    queue.flush()
    yield queue
    queue.flush()


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)
def _server_log():
    """Everything the code logs during the run, through the production filter (issue 7 item 9).

    Written to test-artifacts/server.log (server-<worker>.log under xdist); .ci/run fails if
    it holds an 11-digit mobile. The filter is the one settings.LOGGING puts on its handlers.
    """
    from django.conf import settings
    from django.utils.module_loading import import_string

    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    path = ARTIFACTS / (f"server-{worker}.log" if worker else "server.log")
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    filter_class = import_string(settings.LOGGING["filters"]["mask_personal_data"]["()"])
    handler.addFilter(filter_class())
    loggers = [logging.getLogger(), logging.getLogger("django.server")]
    for logger in loggers:
        logger.addHandler(handler)
    yield path
    for logger in loggers:
        logger.removeHandler(handler)
    handler.close()


def _seed_demo_world():
    """The demo world: seeded once per test process, restored from its snapshot later."""
    from anju.core.testing import DatabaseSnapshot

    if _WORLD:
        _WORLD[0].restore()
        return
    _seed_demo_world_anew()
    snapshot = DatabaseSnapshot()
    snapshot.take()
    _WORLD.append(snapshot)


def _seed_demo_world_anew():
    from django_tasks_db.models import DBTaskResult

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("seed_demo", stdout=io.StringIO())
    from anju.messaging.outbox import run_until_idle

    # Seeding queues follow-up work as the product does (the thank-you SMS offers of SAL-2,
    # the outbox's dispatch); each test starts from an empty queue and enqueues its own.
    DBTaskResult.objects.all().delete()
    # The demo's own messages due now (a club event's notices) leave through the development
    # gateway, as under `make run`: each test starts with an empty outbox.
    run_until_idle()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the demo world once per test session: ordinary tests roll back around it."""
    with django_db_blocker.unblock():
        _seed_demo_world()


@pytest.fixture
def no_sms_senders(monkeypatch):
    """Reception's SMS hook on its own, without the messaging app's sender (SAL-2): the
    office that texts by hand, the task open with the text to copy until he ticks it off."""
    from anju.reception import hooks

    monkeypatch.setattr(hooks, "_SMS_SENDERS", [])


_numbers = itertools.count(1)


@pytest.fixture
def make_customer(world):
    """A new customer, registered as a consultant would.

    make_customer(name=…, project="binhai", by="consultant", **profile) → the customer."""
    from anju.customers.services import customer_register

    def _make(name="会员测试", project="binhai", by="consultant", **profile):
        project = world.projects[project]
        phone = f"1390000{next(_numbers):04d}"
        return customer_register(
            by=world.users[by],
            company=project.company,
            project=project,
            phone=phone,
            name=name,
            **profile,
        ).customer

    return _make


@pytest.fixture
def world(db):
    """The demo world: companies sz/zh, projects binhai/yunjing/haiwan, one user per role.

    Transactional tests (browser, concurrency) empty the database when they end, so a later
    one finds nothing and seeds the world again here.
    """
    from anju.inventory.models import Building
    from anju.org.models import Company, Holding, Project, User

    if not Holding.objects.exists():
        _seed_demo_world()
    return SimpleNamespace(
        companies={c.code: c for c in Company.objects.all()},
        projects={p.code: p for p in Project.objects.all()},
        users={u.username: u for u in User.objects.all()},
        buildings=list(Building.objects.select_related("project")),
    )


@pytest.fixture
def colleague(world):
    """consultant2 (云境) also working on 滨海花园: a second consultant for 李娜's customers."""
    from anju.org.services import role_assign

    user = world.users["consultant2"]
    role_assign(
        by=None,
        user=user,
        role="sales_consultant",
        company=world.companies["sz"],
        project=world.projects["binhai"],
    )
    return user


@pytest.fixture
def yunjing_manager(world):
    """A sales manager of 云境 only: he oversees its records, not 滨海花园's customers."""
    from anju.org.models import User
    from anju.org.services import role_assign

    manager = User.objects.create(
        username="yj_manager", display_name="云境销售经理", company=world.companies["sz"]
    )
    role_assign(
        by=None,
        user=manager,
        role="sales_manager",
        company=world.companies["sz"],
        project=world.projects["yunjing"],
    )
    return manager


@pytest.fixture
def empty_db(transactional_db):
    """A database without the demo world, for tests of seeding itself."""
    call_command("flush", "--no-input", verbosity=0)


@pytest.fixture
def login(client):
    """login(user) → a Django test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- Browser tests (headless Chromium from Debian, driven by Playwright) -------------------

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Browser tests skip, with the reason, when Chromium is missing — unless CI demands them."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("ANJU_REQUIRE_BROWSER") == "1":
        return  # the fixture below fails loudly instead
    skip = pytest.mark.skip(reason=f"browser tests need {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


class _OneRequestAtATimeOnSharedSQLite:
    """The live server's request threads all use the test's one in-memory SQLite connection
    (Django shares it: a second connection would see another, empty database). Two requests
    at once on it can deadlock for good: one holds SQLite's connection mutex while a Python
    function Django registers (date truncation …) waits for the GIL, the other holds the GIL
    while it waits for the mutex (seen: the complaint report's charts loading in parallel).
    So on such a connection the application runs one request at a time, body included;
    reading requests stays threaded, so an idle socket Chromium opens ahead cannot stall it.
    """

    def __init__(self, application):
        self.application = application
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        self.lock.acquire()
        try:
            result = self.application(environ, start_response)
        except BaseException:
            self.lock.release()
            raise
        return _ReleasedOnClose(result, self.lock)


class _ReleasedOnClose:
    """A response body that frees the lock when the server closes it (WSGI: always called)."""

    def __init__(self, result, lock):
        self.result, self.lock, self.open = result, lock, True

    def __iter__(self):
        return iter(self.result)

    def close(self):
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            if self.open:
                self.open = False
                self.lock.release()


class _LiveServer(ThreadedWSGIServer):
    def set_app(self, application):
        if self.connections_override:  # only an in-memory SQLite database is shared
            application = _OneRequestAtATimeOnSharedSQLite(application)
        super().set_app(application)


LiveServerThread.server_class = _LiveServer  # pytest-django's live_server builds this thread


@pytest.fixture(scope="session")
def _chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"ANJU_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(_chromium, live_server, settings):
    """A fresh browser page (1366×900, zh-CN) pointed at the live test server."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    context = _chromium.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def nav_to(page):
    """nav_to("跟进任务") opens a menu entry as a person does: on the bar, or first its
    section's drop-down (core.navigation.SECTIONS)."""

    def _go(label):
        link = f'a:text-is("{label}")'
        item = page.locator(f"nav {link}").first
        if not item.is_visible():
            section = page.locator("nav li.dropdown", has=page.locator(link))
            section.locator("[data-testid=nav-section]").click()
        item.click()
        page.wait_for_load_state()

    return _go


@pytest.fixture
def browser_login(page):
    """browser_login(username) logs in through the real login form (demo password)."""

    def _login(username, password="anju2026"):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return _login


@pytest.fixture
def screenshot(page):
    """screenshot(name) saves a full-page PNG under test-artifacts/screenshots/."""

    def _shot(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
