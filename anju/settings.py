"""Anju settings: one module, configured by environment variables (safe by default, issue 7 item 8).

DATABASE_URL          selects the database (default: embedded SQLite under var/).
ANJU_SECRET_KEY       the secret key. Without it: the file ANJU_SECRET_KEY_FILE (default
                      var/secret_key, written once by `make run`); without that, only a test run
                      (pytest) or explicit development (ANJU_DEBUG=1) gets a random key for the
                      life of the process. Anything else (gunicorn, manage.py) refuses to start.
ANJU_DEBUG            "1" turns DEBUG on; anything else (or unset) keeps it off.
ANJU_HTTPS            "1" when served over HTTPS (behind a proxy that sets X-Forwarded-Proto):
                      secure cookies, HSTS for a year, redirect to https.
ANJU_SESSION_IDLE_MINUTES / ANJU_SESSION_MAX_HOURS   idle timeout (120) and absolute cap (12).
ANJU_LOGIN_FAILURE_LIMIT / ANJU_LOGIN_COOLOFF_MINUTES  lockout after 10 failures for 30 min.
ANJU_CONN_MAX_AGE / ANJU_PGBOUNCER   database connections (database_config below).
ANJU_LOG_FORMAT / ANJU_LOG_LEVEL     "json" for one JSON object per line; the root level.
ANJU_METRICS_ALLOW / ANJU_METRICS_TOKEN  who may read /metrics (core/metrics.py).
"""

import ipaddress
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ANJU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("ANJU_DEBUG", "0") == "1"
# pytest imports this module; a test run on a fresh clone needs no configuration.
TESTING = "pytest" in sys.modules


def load_secret_key(environ, var_dir: Path, *, debug: bool, testing: bool) -> str:
    """The secret key, or ImproperlyConfigured: there is no known fallback key (issue 7 item 8)."""
    key = environ.get("ANJU_SECRET_KEY", "").strip()
    if key:
        return key
    key_file = Path(environ.get("ANJU_SECRET_KEY_FILE") or var_dir / "secret_key")
    if key_file.is_file():
        key = key_file.read_text().strip()
        if key:
            return key
    if debug or testing:
        # Sessions do not survive a restart, which is all a test run or a debug server needs.
        return secrets.token_urlsafe(50)
    raise ImproperlyConfigured(
        "ANJU_SECRET_KEY is not set. Set it to a long random value (e.g. `python -c "
        "'import secrets; print(secrets.token_urlsafe(50))'`), or point ANJU_SECRET_KEY_FILE "
        "at a file holding one. For development use `make run` (it creates var/secret_key) "
        "or ANJU_DEBUG=1."
    )


SECRET_KEY = load_secret_key(os.environ, VAR_DIR, debug=DEBUG, testing=TESTING)
ALLOWED_HOSTS = os.environ.get("ANJU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("ANJU_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# --- transport and cookies (ASVS V3, V14) ---------------------------------------------------
HTTPS = os.environ.get("ANJU_HTTPS", "0") == "1"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- sessions: idle timeout and absolute cap (core.security.SessionTimeoutMiddleware) -------
ANJU_SESSION_IDLE = timedelta(minutes=int(os.environ.get("ANJU_SESSION_IDLE_MINUTES", "120")))
ANJU_SESSION_MAX_AGE = timedelta(hours=int(os.environ.get("ANJU_SESSION_MAX_HOURS", "12")))
SESSION_COOKIE_AGE = int(ANJU_SESSION_MAX_AGE.total_seconds())  # the cookie dies at the cap too

# --- login throttling and lockout (django-axes) ----------------------------------------------
AXES_FAILURE_LIMIT = int(os.environ.get("ANJU_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ANJU_LOGIN_COOLOFF_MINUTES", "30")))
# Per login name (an attacker rotating addresses is still stopped) and per name+address. Not
# per address alone: a sales office behind one NAT must not lock itself out.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "anju.core.security.lockout_response"
AXES_USERNAME_CALLABLE = "anju.core.security.login_username"
AXES_IPWARE_PROXY_COUNT = 1 if HTTPS else None  # behind the TLS proxy: its X-Forwarded-For
AXES_VERBOSE = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "bootstrap",
    "ninja",  # serves Swagger UI from the package, not from a CDN
    "auditlog",
    "django_tasks",
    "django_tasks_db",
    "django_filters",
    "axes",
    "template_partials",
    "anju.core",
    "anju.org",
    "anju.inventory",
    "anju.customers",
    "anju.approvals",  # kernel-level: apps register their kinds of approval (issue 12/6)
    "anju.reception",
    "anju.messaging",
    "anju.membership",  # issue 11: the customer club (万客会), MEM-1 … MEM-4
    "anju.deals",  # issue 12: queue numbers, launch day, subscriptions, contracts (QUE-1, SUB-*)
    "anju.service",  # issue 13: tickets, the complaint loop, SLA, delivery and repairs (SVC-*)
    "anju.surveys",  # SUR-1 … SUR-5: satisfaction and loyalty surveys
    "anju.webhooks",  # INT-2: after every app whose events it publishes
    "anju.site",  # project level: seed_demo (knows every app)
]

MIDDLEWARE = [
    # First: every answer (a redirect to https too) gets a request id, a log line, a latency.
    "anju.core.request_context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "anju.core.api_errors.ApiErrorShapeMiddleware",  # every /api/ error in one shape (issue 8)
    "anju.core.api_deprecation.ApiDeprecationMiddleware",  # Deprecation/Sunset headers
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "anju.core.middleware.LanguageMiddleware",  # cookie or zh-hans, never Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "anju.core.scope_middleware.ScopeMiddleware",  # scoped reads need a decision (issue 7/6)
    "anju.core.middleware.NulCharacterMiddleware",  # 400, not a PostgreSQL error (SEC-4)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "anju.core.security.SessionTimeoutMiddleware",  # after auth, messages and htmx
    "auditlog.middleware.AuditlogMiddleware",
    "anju.core.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the login page's message
]

ROOT_URLCONF = "anju.urls"
WSGI_APPLICATION = "anju.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "anju" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "anju.core.context_processors.navigation",
            ],
        },
    },
]


def database_config(environ, *, default_url: str) -> dict:
    """The default database from the environment (issue 10 item 3).

    PostgreSQL keeps each process's connection for ANJU_CONN_MAX_AGE seconds (default 60):
    a new connection costs ~8 ms per request. A health check before reuse replaces one the
    server or a failover closed. ANJU_PGBOUNCER=1 is for PgBouncer in transaction mode,
    where consecutive transactions of one client may run on different server connections:
    no server-side cursors (``.iterator()`` would open one in a transaction and fetch from it
    in another), no prepared statements (psycopg prepares a query after 5 runs, on one
    server connection), and no persistent connections (PgBouncer keeps the pool). SQLite
    opens a file, so it keeps 0.
    """
    config = dj_database_url.parse(environ.get("DATABASE_URL", default_url))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL + a busy timeout let the web process, the worker and the scheduler share the file.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = int(environ.get("ANJU_CONN_MAX_AGE", "0"))
        return config
    pgbouncer = environ.get("ANJU_PGBOUNCER", "0") == "1"
    default_age = "0" if pgbouncer else "60"
    config["CONN_MAX_AGE"] = int(environ.get("ANJU_CONN_MAX_AGE", default_age))
    config["CONN_HEALTH_CHECKS"] = True
    if pgbouncer:
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return config


DATABASES = {
    "default": database_config(os.environ, default_url=f"sqlite:///{VAR_DIR / 'anju.sqlite3'}")
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login outright
    "django.contrib.auth.backends.ModelBackend",
]

# Every password set through a form or a service (staff_create) is checked (ASVS V2.1).
_PV = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": _PV + "UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email", "phone")},
    },
    {"NAME": _PV + "MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": _PV + "CommonPasswordValidator"},
    {"NAME": _PV + "NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "anju" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "anju" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("ANJU_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production and `make run` serve collected, hashed files (run_dev collects them);
        # tests and a debug server read the sources, so they need no collectstatic.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Source maps (several MB in the API docs' bundles) are read only with the browser's
# developer tools open: compressing them took most of collectstatic's half minute.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# --- background tasks (issue 10 item 5) -------------------------------------------------------
# ANJU_TASKS=db (the default): the queue is a table of this database, run by `manage.py
# db_worker`; nothing else to install. ANJU_TASKS=rq with REDIS_URL: the queue is Redis
# (django-tasks-rq), run by `manage.py rqworker --job-class django_tasks_rq.Job <queues>`.
# Task code is the same either way. The scheduler's lease and its record of firings stay in
# the database in both cases (anju/core/scheduler.py).
TASK_QUEUES = ["default", "messaging", "reports"]
ANJU_TASKS = os.environ.get("ANJU_TASKS", "").strip().lower() or "db"
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if "ANJU_TASK_BACKEND" in os.environ:
    # The old variable named a backend path; a site still setting it must not silently get
    # the database queue instead of the Redis one it asked for.
    raise ImproperlyConfigured(
        "ANJU_TASK_BACKEND is no longer read: set ANJU_TASKS=db, or ANJU_TASKS=rq with REDIS_URL."
    )
if ANJU_TASKS == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
elif ANJU_TASKS == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("ANJU_TASKS=rq needs REDIS_URL, e.g. redis://127.0.0.1:6379/0.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {name: {"URL": REDIS_URL} for name in TASK_QUEUES}
    RQ_SHOW_ADMIN_LINK = False  # no RQ dashboard in the admin: /healthz and metrics report queues
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
else:
    raise ImproperlyConfigured(f"ANJU_TASKS={ANJU_TASKS!r}: use db or rq.")
# /healthz fails when the scheduler's last heartbeat (lease renewal) is older than this.
ANJU_SCHEDULER_MAX_SILENCE = timedelta(
    seconds=int(os.environ.get("ANJU_SCHEDULER_MAX_SILENCE_SECONDS", "120"))
)

# --- messaging gateways (issue 11, MSG-5) ------------------------------------------------------
# ANJU_SMS_GATEWAY / ANJU_EMAIL_GATEWAY: "dev" (default: writes var/messages/dev-gateway.jsonl,
# shown at /messaging/dev-outbox/), a registered adapter's name, or a Gateway class's dotted
# path. Credentials are read by the adapters from their own environment variables.
ANJU_MESSAGE_GATEWAYS = {
    "sms": os.environ.get("ANJU_SMS_GATEWAY", "").strip() or "dev",
    "email": os.environ.get("ANJU_EMAIL_GATEWAY", "").strip() or "dev",
}
# Messages per second each channel's gateway may take, shared by every worker (0: no limit).
ANJU_MESSAGE_RATES = {
    "sms": float(os.environ.get("ANJU_SMS_RATE", "") or 50),
    "email": float(os.environ.get("ANJU_EMAIL_RATE", "") or 10),
}
# A worker's claim on a row lasts this long; a row still SENDING after it (the worker died) is
# sent again with the same idempotency key. Retryable failures back off from BACKOFF seconds.
ANJU_MESSAGE_LEASE_SECONDS = int(os.environ.get("ANJU_MESSAGE_LEASE_SECONDS", "") or 120)
ANJU_MESSAGE_BACKOFF_SECONDS = float(os.environ.get("ANJU_MESSAGE_BACKOFF_SECONDS", "") or 30)
ANJU_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("ANJU_MESSAGE_MAX_ATTEMPTS", "") or 8)
# The shared secret gateway callbacks (delivery reports, replies) prove: an HMAC signature or
# ?token= in the URL set in the provider's console (gateways/callbacks.py). Empty: callbacks off.
ANJU_SMS_CALLBACK_SECRET = os.environ.get("ANJU_SMS_CALLBACK_SECRET", "").strip()
# The public web form (issue 13 item 6) proves the phone with an SMS code ("sms") or, where
# messaging is absent, a self-made picture ("captcha"); "auto": SMS when the SMS gateway above
# can be built (the dev gateway writes var/messages/), else the picture.
# The site's address as customers reach it (survey links in SMS and e-mail, SUR-2), e.g.
# https://crm.example.com; empty: the address of the page that opened the survey.
ANJU_SITE_URL = os.environ.get("ANJU_SITE_URL", "").strip()
ANJU_PUBLIC_FORM_VERIFICATION = (
    os.environ.get("ANJU_PUBLIC_FORM_VERIFICATION", "").strip() or "auto"
)

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_STORE_JSON_CHANGES = True
# Fields registered with mask_fields (phones, ID numbers) are stored masked (issue 7 item 9).
AUDITLOG_MASK_CALLABLE = "anju.core.masking.mask_for_audit"
AUDITLOG_USE_BASE_MANAGER = True  # the old row for a diff, whoever may see it (issue 7/6)

MESSAGE_TAGS = {40: "danger"}


def logging_config(environ) -> dict:
    """LOGGING: every handler masks personal numbers and names the request (issue 10 item 4).

    Every handler masks mobiles and ID numbers before a line is written (issue 7 item 9). The
    "django" and "django.server" loggers are re-declared so that Django's default handlers
    (which have no filter) never write a request line: both end in filtered handlers here.
    ANJU_LOG_FORMAT=json writes one JSON object per line (for a log shipper); every line
    carries the request id that the response's X-Request-ID header shows. ``anju.request``
    writes one line per request with its duration (core/request_context.py).
    """
    json_lines = environ.get("ANJU_LOG_FORMAT", "text") == "json"
    filters = ["request_id", "mask_personal_data"]  # the id first: the masking sees it all
    line = "json" if json_lines else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "anju.core.logging.RequestIdFilter"},
            "mask_personal_data": {"()": "anju.core.logging.MaskPersonalDataFilter"},
        },
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "anju.core.logging.JsonFormatter"},
            "django.server": {
                "()": "django.utils.log.ServerFormatter",
                "format": "[{server_time}] {message}",
                "style": "{",
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": line, "filters": filters},
            "django.server": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "django.server",
                "filters": filters,
            },
        },
        "root": {"handlers": ["console"], "level": environ.get("ANJU_LOG_LEVEL", "INFO")},
        "loggers": {
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},  # not a line per successful login
        },
    }


LOGGING = logging_config(os.environ)

# Business settings
ANJU_PAGE_SIZE = 50
# Phone searches an hour for a role that sees numbers masked: a masked 152****5496 hides four
# digits, so the full-number search must not be a way to try all 10,000 (issue 7 item 2).
ANJU_PHONE_SEARCHES_PER_HOUR = int(os.environ.get("ANJU_PHONE_SEARCHES_PER_HOUR", "120"))
# Webhooks (INT-2) may target private, loopback and link-local addresses only in a test run,
# a debug server, or where ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS=1 (an intranet receiver).


def metrics_networks(value: str) -> list:
    """ANJU_METRICS_ALLOW: the networks that may read /metrics without the token."""
    try:
        return [ipaddress.ip_network(n.strip()) for n in value.split(",") if n.strip()]
    except ValueError as error:
        raise ImproperlyConfigured(f"ANJU_METRICS_ALLOW: {error}") from None


# /metrics (issue 10 item 4): from these networks (a direct client, not via a proxy) or with
# "Authorization: Bearer <ANJU_METRICS_TOKEN>"; everyone else gets a 404.
ANJU_METRICS_ALLOW = metrics_networks(os.environ.get("ANJU_METRICS_ALLOW", "127.0.0.1/32,::1/128"))
ANJU_METRICS_TOKEN = os.environ.get("ANJU_METRICS_TOKEN", "").strip()
ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS = (
    os.environ.get("ANJU_WEBHOOK_ALLOW_PRIVATE_TARGETS", "0") == "1" or DEBUG or TESTING
)
