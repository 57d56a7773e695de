"""The production profile's configuration (issue 10 items 3 and 4).

Database connections (persistent on PostgreSQL, PgBouncer transaction mode), logging (text
or one JSON object per line), who may read /metrics, gunicorn's worker count and `make serve`.
The helpers are plain functions of an environment, so each combination is checked without
reloading Django.
"""

import importlib.util
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from anju.settings import database_config, logging_config, metrics_networks

ROOT = Path(__file__).resolve().parents[3]
SQLITE = "sqlite:////tmp/anju-test.sqlite3"
PG = "postgres://anju:pw@db:5432/anju"


def test_postgresql_keeps_connections_for_a_minute_with_health_checks():
    config = database_config({"DATABASE_URL": PG}, default_url=SQLITE)
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True
    assert not config.get("DISABLE_SERVER_SIDE_CURSORS")
    assert "prepare_threshold" not in config.get("OPTIONS", {})


def test_the_connection_age_is_settable():
    env = {"DATABASE_URL": PG, "ANJU_CONN_MAX_AGE": "0"}
    assert database_config(env, default_url=SQLITE)["CONN_MAX_AGE"] == 0
    env["ANJU_CONN_MAX_AGE"] = "300"
    assert database_config(env, default_url=SQLITE)["CONN_MAX_AGE"] == 300


def test_sqlite_opens_its_file_per_request_and_keeps_its_options():
    config = database_config({}, default_url=SQLITE)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_pgbouncer_transaction_mode_turns_off_what_needs_one_server_connection():
    """No server-side cursors (.iterator()), no prepared statements, PgBouncer pools."""
    config = database_config({"DATABASE_URL": PG, "ANJU_PGBOUNCER": "1"}, default_url=SQLITE)
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["OPTIONS"]["prepare_threshold"] is None
    assert config["CONN_MAX_AGE"] == 0
    assert config["CONN_HEALTH_CHECKS"] is True
    # An explicit age still wins (persistent connections to PgBouncer itself).
    env = {"DATABASE_URL": PG, "ANJU_PGBOUNCER": "1", "ANJU_CONN_MAX_AGE": "30"}
    assert database_config(env, default_url=SQLITE)["CONN_MAX_AGE"] == 30


def test_pgbouncer_keeps_options_given_in_the_url():
    url = PG + "?sslmode=require"
    config = database_config({"DATABASE_URL": url, "ANJU_PGBOUNCER": "1"}, default_url=SQLITE)
    assert config["OPTIONS"] == {"sslmode": "require", "prepare_threshold": None}


def test_the_running_settings_use_the_helper():
    """The settings module's DATABASES is what the helper makes of this environment."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        assert db["CONN_HEALTH_CHECKS"] is True
    else:
        assert db["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize("fmt,formatter", [("text", "text"), ("json", "json"), ("", "text")])
def test_logging_format_and_every_handler_filtered(fmt, formatter):
    config = logging_config({"ANJU_LOG_FORMAT": fmt} if fmt else {})
    assert config["handlers"]["console"]["formatter"] == formatter
    for name, handler in config["handlers"].items():
        # Masking on every handler (issue 7 item 9), the request id on every line (issue 10).
        assert handler["filters"] == ["request_id", "mask_personal_data"], name
    if fmt == "json":
        assert config["handlers"]["django.server"]["formatter"] == "json"


def test_metrics_networks_parse_and_refuse_nonsense():
    nets = metrics_networks("127.0.0.1/32, ::1/128,10.0.0.0/8")
    assert [str(n) for n in nets] == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
    assert metrics_networks("") == []
    with pytest.raises(ImproperlyConfigured, match="ANJU_METRICS_ALLOW"):
        metrics_networks("10.0.0.0/33")


def _gunicorn_conf():
    spec = importlib.util.spec_from_file_location("anju_gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_workers_bind_and_kept_rules():
    conf = _gunicorn_conf()
    assert conf.web_workers({}, 1) == 3
    assert conf.web_workers({}, 2) == 5
    assert conf.web_workers({}, 64) == conf.MAX_DEFAULT_WORKERS  # capped
    assert conf.web_workers({"ANJU_WEB_WORKERS": "4"}, 64) == 4
    assert conf.web_workers({"ANJU_WEB_WORKERS": "0"}, 2) == 1
    # Kept from issue 7/8: no query string in the access log, no request-line limit.
    assert "%(U)s" in conf.access_log_format and "%(r)s" not in conf.access_log_format
    assert "%(q)s" not in conf.access_log_format
    assert conf.limit_request_line == 0


def test_gunicorn_empties_the_metrics_directory_and_marks_dead_workers(tmp_path, monkeypatch):
    conf = _gunicorn_conf()
    directory = tmp_path / "prom"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")
    (directory / "gauge_livesum_77.db").write_bytes(b"x")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    conf.on_starting(None)
    assert directory.is_dir() and not any(directory.iterdir())
    (directory / "gauge_livesum_77.db").write_bytes(b"x")
    (directory / "counter_77.db").write_bytes(b"x")

    class Worker:
        pid = 77

    conf.child_exit(None, Worker())
    assert sorted(p.name for p in directory.iterdir()) == ["counter_77.db"]


def test_make_serve_is_the_production_profile():
    """`make serve`: DEBUG off, static collected for whitenoise, gunicorn with its config."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nserve:") :]
    recipe = recipe[: recipe.index("\n## test")]
    assert "serve: export ANJU_DEBUG = 0" in recipe
    assert "collectstatic --no-input" in recipe
    assert "migrate --check" in recipe
    assert re.search(r"gunicorn anju\.wsgi -c gunicorn\.conf\.py", recipe)
    assert "PROMETHEUS_MULTIPROC_DIR" in recipe


def test_request_context_middleware_comes_first():
    """Every answer, also SecurityMiddleware's redirect to https, carries a request id."""
    assert settings.MIDDLEWARE[0] == "anju.core.request_context.RequestContextMiddleware"


def test_logging_is_configured_with_the_filters():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    names = {type(f).__name__ for f in handler.filters}
    assert {"RequestIdFilter", "MaskPersonalDataFilter"} <= names
