"""Safe-by-default settings (issue 7 item 8, OWASP ASVS level 2).

Production refuses to start without a secret key; DEBUG is off unless asked; HTTPS turns on
secure cookies and HSTS; `check --deploy` is clean in a production settings run; the demo's
error pages are Chinese pages of the product, not Django's technical page.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings

import anju.settings as anju_settings

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_KEY = "k" * 10 + "Zq7-Pw9_Xr3!Lm5@Tn8#Vb2$Hc6%Jd4^Fg1&Ks0*Qa" + "y" * 10


def _run(code_or_args, tmp_path, **env):
    """Run Python in a clean environment: no ANJU_* variable but the ones given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANJU_", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(DJANGO_SETTINGS_MODULE="anju.settings", ANJU_VAR_DIR=str(tmp_path), **env)
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps("
    "{k: getattr(s, k, None) for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
    " 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT',"
    " 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE',"
    " 'X_FRAME_OPTIONS', 'SECRET_KEY']}))"
)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    """Issue 7 item 8: no known fallback key; wsgi (gunicorn) and manage.py both refuse."""
    for code in ("import django; django.setup()", "import anju.wsgi"):
        run = _run(code, tmp_path)
        assert run.returncode != 0
        assert "ImproperlyConfigured" in run.stderr
        assert "ANJU_SECRET_KEY is not set" in run.stderr


def test_the_secret_key_comes_from_the_environment_or_the_key_file(tmp_path):
    """ANJU_SECRET_KEY wins; else the file `make run` writes; nothing else is a key."""
    run = _run(SHOW_SETTINGS, tmp_path, ANJU_SECRET_KEY=PRODUCTION_KEY)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["SECRET_KEY"] == PRODUCTION_KEY
    (tmp_path / "secret_key").write_text("from-the-file-" + "x" * 50 + "\n")
    run = _run(SHOW_SETTINGS, tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["SECRET_KEY"] == "from-the-file-" + "x" * 50


def test_only_tests_or_explicit_debug_get_a_throwaway_key(tmp_path):
    """The settings' rule itself: a random key per process for pytest/ANJU_DEBUG=1 only."""
    load = anju_settings.load_secret_key
    a = load({}, tmp_path, debug=False, testing=True)
    b = load({}, tmp_path, debug=True, testing=False)
    assert len(a) >= 50 and len(b) >= 50 and a != b
    assert "insecure" not in a and "dev-only" not in a
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        load({}, tmp_path, debug=False, testing=False)


def test_debug_is_off_unless_explicitly_on_and_https_turns_on_secure_cookies_and_hsts(tmp_path):
    """DEBUG off by default (even with no key file); ANJU_HTTPS=1: secure cookies, HSTS 1 year."""
    plain = json.loads(_run(SHOW_SETTINGS, tmp_path, ANJU_SECRET_KEY=PRODUCTION_KEY).stdout)
    assert plain["DEBUG"] is False
    assert plain["SESSION_COOKIE_SECURE"] is False  # plain http demo: cookies must still work
    assert plain["SESSION_COOKIE_HTTPONLY"] is True
    assert plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert plain["X_FRAME_OPTIONS"] == "DENY"
    debug = json.loads(_run(SHOW_SETTINGS, tmp_path, ANJU_DEBUG="1").stdout)
    assert debug["DEBUG"] is True
    https = json.loads(
        _run(SHOW_SETTINGS, tmp_path, ANJU_SECRET_KEY=PRODUCTION_KEY, ANJU_HTTPS="1").stdout
    )
    assert https["SESSION_COOKIE_SECURE"] is True
    assert https["CSRF_COOKIE_SECURE"] is True
    assert https["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert https["SECURE_SSL_REDIRECT"] is True
    assert https["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_check_deploy_is_clean_in_a_production_settings_run(tmp_path):
    """Issue 7 item 8: `manage.py check --deploy --fail-level WARNING` passes (also in CI)."""
    run = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        ANJU_SECRET_KEY=PRODUCTION_KEY,
        ANJU_DEBUG="0",
        ANJU_HTTPS="1",
        ANJU_ALLOWED_HOSTS="crm.example.com",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_responses_carry_the_security_headers(client, db):
    response = client.get("/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = client.post("/login/", {"username": "consultant", "password": "anju2026"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_a_missing_page_is_the_products_chinese_404_not_djangos(client, world, login):
    """Issue 7 item 8: DEBUG off, the demo shows Chinese error pages."""
    for c in (client, login(world.users["consultant"])):
        response = c.get("/no-such-page/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "页面不存在" in body
        assert "Using the URLconf" not in body and "Page not found at" not in body


def test_400_403_and_500_pages_are_chinese_and_render_without_a_request_context():
    """The 400/500 handlers render without a request: the pages must stand alone."""
    from django.core.exceptions import PermissionDenied
    from django.views import defaults

    request = RequestFactory().get("/")
    cases = [
        (defaults.server_error(request), 500, "出错了"),
        (defaults.bad_request(request, Exception()), 400, "请求无效"),
        (defaults.permission_denied(request, PermissionDenied()), 403, "无权"),
    ]
    for response, status, chinese in cases:
        assert response.status_code == status
        assert chinese in response.content.decode()


@pytest.mark.django_db
@pytest.mark.once  # static files and settings, no database
def test_static_files_are_served_with_debug_off_after_collectstatic(tmp_path):
    """`make run` runs with DEBUG off: it collects static files, whitenoise serves them hashed."""
    from django.core.management import call_command

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages, DEBUG=False):
        call_command("collectstatic", "--no-input", verbosity=0)
        client = Client()
        page = client.get("/login/").content.decode()
        css = page.split('href="/static/anju/anju.')[1].split('"')[0]
        assert css.endswith(".css") and css != "css"  # anju.<hash>.css, not anju.css
        response = client.get(f"/static/anju/anju.{css}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)


DEMO_404 = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.core.management import call_command; "
    "settings.DEBUG or call_command('collectstatic', '--no-input', verbosity=0); "  # as make run
    "from django.test import Client; r = Client().get('/no-such-page/', HTTP_HOST='127.0.0.1'); "
    "print(settings.DEBUG, r.status_code); print(r.content.decode())"
)


@pytest.mark.once  # static files and settings, no database
def test_the_demo_shows_the_products_404_even_with_debug_exported(tmp_path):
    """Issue 9 item 4: `make run` with ANJU_DEBUG=1 in the shell still runs with DEBUG off,
    so a missing URL is the product's Chinese page, not Django's technical one."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import run_dev
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    env = run_dev.demo_environ({"ANJU_DEBUG": "1", "ANJU_SECRET_KEY": PRODUCTION_KEY})
    run = _run(DEMO_404, tmp_path, **env)
    first, _, body = run.stdout.partition("\n")
    assert first == "False 404", run.stdout + run.stderr
    assert "页面不存在" in body
    assert "Using the URLconf" not in body and "Page not found at" not in body
    # the same request with DEBUG really on is Django's page: the test would see the difference
    debug = _run(DEMO_404, tmp_path, ANJU_DEBUG="1", ANJU_SECRET_KEY=PRODUCTION_KEY)
    assert debug.stdout.startswith("True 404") and "页面不存在" not in debug.stdout


def test_run_dev_creates_a_private_secret_key_once(tmp_path, monkeypatch):
    """`make run` writes var/secret_key once, mode 0600, and reuses it."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import run_dev
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    monkeypatch.setenv("ANJU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ANJU_SECRET_KEY_FILE", raising=False)
    path = run_dev.ensure_secret_key()
    assert path == tmp_path / "secret_key"
    first = path.read_text().strip()
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600
    assert run_dev.ensure_secret_key().read_text().strip() == first
