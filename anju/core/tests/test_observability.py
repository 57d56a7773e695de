"""Request ids, structured logs and Prometheus metrics (issue 10 item 4).

An operator sees a slow day in the p95 of a view, a growing queue or failing tasks, and
follows one request through every log line by its id.
"""

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from anju.core import metrics
from anju.core.logging import JsonFormatter, MaskPersonalDataFilter, RequestIdFilter
from anju.core.request_context import REQUEST_ID_HEADER, request_id_from
from anju.settings import metrics_networks

ROOT = Path(__file__).resolve().parents[3]
GENERATED = re.compile(r"[0-9a-f]{32}")

pytestmark = pytest.mark.django_db


# --- request ids ----------------------------------------------------------------------------
def test_a_request_gets_an_id_echoed_in_the_response():
    first = Client().get("/login/")
    second = Client().get("/login/")
    assert GENERATED.fullmatch(first[REQUEST_ID_HEADER])
    assert first[REQUEST_ID_HEADER] != second[REQUEST_ID_HEADER]


def test_an_incoming_safe_id_is_reused():
    response = Client().get("/login/", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert response[REQUEST_ID_HEADER] == "lb-7f3a.2_x"


@pytest.mark.parametrize(
    "incoming",
    ["", "a" * 65, "has space", "semi;colon", "新", 'quote"', "x/y", "%0d%0a", "a\tb"],
)
def test_an_unsafe_id_is_replaced(incoming):
    assert GENERATED.fullmatch(request_id_from(incoming))
    assert request_id_from("a" * 64) == "a" * 64


def test_an_unsafe_incoming_header_is_replaced_in_the_response():
    response = Client().get("/login/", headers={"X-Request-ID": "x" * 65})
    assert GENERATED.fullmatch(response[REQUEST_ID_HEADER])


def test_errors_and_unknown_paths_carry_an_id_too():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert GENERATED.fullmatch(response[REQUEST_ID_HEADER])


# --- logs -----------------------------------------------------------------------------------
@pytest.fixture
def json_log():
    """The root logger also writes through a JSON handler built as settings.LOGGING builds it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskPersonalDataFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_one_json_summary_line_per_request_with_the_request_id(world, login, json_log):
    user = world.users["consultant"]
    client = login(user)
    response = client.get("/customers/?grade=A&q=13812345678", headers={"X-Request-ID": "r-1"})
    assert response.status_code == 200
    lines = [line for line in json_log() if line["logger"] == "anju.request"]
    assert len(lines) == 1
    (line,) = lines
    assert line["request_id"] == "r-1" == response[REQUEST_ID_HEADER]
    assert line["method"] == "GET" and line["status"] == 200
    assert line["path"] == "/customers/"  # never the query string
    assert line["view"] == "customers:list" and line["user_id"] == user.pk
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", line["time"])
    assert "13812345678" not in json.dumps(lines)


def test_a_mobile_and_an_id_number_are_masked_in_json_output(json_log):
    logging.getLogger("anju.test").warning("caller %s, id %s", "13812345678", "440301199001011234")
    logging.getLogger("anju.test").warning("path", extra={"path": "/x/13912345678/"})
    try:
        raise ValueError("duplicate phone 13700001111")
    except ValueError:
        logging.getLogger("anju.test").exception("failed")
    lines = json_log()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert not re.search(r"1[3-9]\d{9}", text)
    assert lines[0]["message"] == "caller 138****5678, id 4403**********1234"
    assert lines[0]["request_id"] == "-"  # outside a request
    assert lines[1]["path"] == "/x/139****5678/"
    assert "137****1111" in lines[2]["exc"]


def test_every_log_line_within_a_request_names_it(json_log, monkeypatch):
    """A line a view writes carries the same id as the summary line and the header."""
    from django.contrib.auth.views import LoginView

    real = LoginView.get

    def noisy(self, request, *args, **kwargs):
        logging.getLogger("anju.test").warning("looking")
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(LoginView, "get", noisy)
    response = Client().get("/login/")
    lines = json_log()
    assert [line["logger"] for line in lines] == ["anju.test", "anju.request"]
    assert {line["request_id"] for line in lines} == {response[REQUEST_ID_HEADER]}


def test_djangos_own_404_line_carries_the_id(json_log):
    """django.request logs "Not Found" after the middleware; the line still names the id."""
    response = Client().get("/no-such-page/")
    lines = json_log()
    assert [line["logger"] for line in lines] == ["anju.request", "django.request"]
    assert {line["request_id"] for line in lines} == {response[REQUEST_ID_HEADER]}


def test_the_text_format_names_the_request():
    from anju.settings import logging_config

    config = logging_config({})
    formatter = logging.Formatter(config["formatters"]["text"]["format"])
    record = logging.LogRecord("anju.x", logging.INFO, __file__, 1, "hello 13812345678", (), None)
    RequestIdFilter().filter(record)
    MaskPersonalDataFilter().filter(record)
    assert formatter.format(record).endswith("INFO anju.x [-] hello 138****5678")


# --- metrics --------------------------------------------------------------------------------
@pytest.fixture
def queue(monkeypatch):
    figures = {"depths": {"default": 3, "messaging": 0}, "failed": 2}

    def fake():
        if isinstance(figures.get("error"), Exception):
            raise figures["error"]
        return figures["depths"], figures["failed"]

    monkeypatch.setattr(metrics, "task_queue_figures", fake)
    return figures


def _sample(text, name, **labels):
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(value)
    return None


def _scrape(client=None, **extra):
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_the_scrape_shows_the_latency_histogram_of_a_view(world, login, queue):
    labels = {"view": "customers:list", "method": "GET", "status": "2xx"}
    before = _sample(_scrape(), "anju_http_request_duration_seconds_count", **labels) or 0
    assert login(world.users["consultant"]).get("/customers/").status_code == 200
    text = _scrape()
    assert _sample(text, "anju_http_request_duration_seconds_count", **labels) == before + 1
    bucket = {**labels, "le": "10.0"}
    assert _sample(text, "anju_http_request_duration_seconds_bucket", **bucket) >= before + 1
    assert _sample(text, "anju_http_requests_in_flight") is not None


def test_the_task_queue_is_read_at_scrape_time(queue):
    text = _scrape()
    assert _sample(text, "anju_task_queue_up") == 1
    assert _sample(text, "anju_task_queue_depth", queue="default") == 3
    assert _sample(text, "anju_task_queue_depth", queue="messaging") == 0
    assert _sample(text, "anju_tasks_failed") == 2
    queue["depths"]["default"] = 40
    assert _sample(_scrape(), "anju_task_queue_depth", queue="default") == 40


def test_an_unreadable_queue_does_not_break_the_scrape(queue):
    queue["error"] = ConnectionError("redis down")
    text = _scrape()
    assert _sample(text, "anju_task_queue_up") == 0
    assert "anju_http_request_duration_seconds" in text
    assert _sample(text, "anju_task_queue_depth", queue="default") is None


def test_messages_sent_are_counted(queue):
    before = _sample(_scrape(), "anju_messages_sent_total", channel="sms", kind="birthday") or 0
    metrics.record_message_sent("sms", "birthday")
    metrics.record_message_sent("sms", "birthday")
    text = _scrape()
    assert _sample(text, "anju_messages_sent_total", channel="sms", kind="birthday") == before + 2


def test_unknown_paths_are_one_label(queue):
    """Bounded cardinality: a crawler's thousand 404s add no series, only counts."""
    labels = {"view": "unresolved", "method": "GET", "status": "4xx"}
    before = _sample(_scrape(), "anju_http_request_duration_seconds_count", **labels) or 0
    for path in ("/no-such-1/", "/wp-admin/x.php", "/customers/999999999/nothing"):
        assert Client().get(path).status_code == 404
    Client().generic("BREW", "/no-such-2/")
    text = _scrape()
    assert _sample(text, "anju_http_request_duration_seconds_count", **labels) == before + 3
    assert "no-such" not in text and "wp-admin" not in text and "BREW" not in text
    views = set(re.findall(r'view="([^"]*)"', text))
    assert all(re.fullmatch(r"[\w:./<>-]+", v) for v in views), views


def test_metrics_from_an_allowed_address_only(queue):
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::ffff:127.0.0.1").get("/metrics").status_code == 200
    with override_settings(ANJU_METRICS_ALLOW=metrics_networks("10.0.0.0/8")):
        assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_a_proxied_request_is_not_trusted_by_its_loopback_address(queue):
    """nginx on the same host relays the Internet from 127.0.0.1: that is not a scraper."""
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 404
    assert client.get("/metrics", HTTP_X_REAL_IP="198.51.100.4").status_code == 404
    assert client.get("/metrics", HTTP_FORWARDED="for=198.51.100.4").status_code == 404


@override_settings(ANJU_METRICS_TOKEN="s3cret-token-for-prometheus")
def test_metrics_with_the_bearer_token_from_anywhere(queue):
    outside = Client(REMOTE_ADDR="203.0.113.9")
    good = {"HTTP_AUTHORIZATION": "Bearer s3cret-token-for-prometheus"}
    assert outside.get("/metrics", **good).status_code == 200
    assert outside.get("/metrics", HTTP_X_FORWARDED_FOR="1.2.3.4", **good).status_code == 200
    for bad in ("Bearer wrong", "Bearer ", "s3cret-token-for-prometheus", "Basic eA=="):
        assert outside.get("/metrics", HTTP_AUTHORIZATION=bad).status_code == 404, bad


def test_the_404_does_not_reveal_the_endpoint(queue):
    """Refused, /metrics looks exactly like a page that does not exist."""
    refused = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    missing = Client(REMOTE_ADDR="203.0.113.9").get("/metricz")
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content


def test_metrics_add_up_across_gunicorn_workers(tmp_path):
    """Multiprocess mode: each process writes its files; one scrape sums every process."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    observe = (
        "from anju.core import metrics; metrics.observe_request('home', 'GET', 200, 0.02);"
        "metrics.record_message_sent('sms', 'birthday')"
    )
    for _ in range(2):  # two workers
        run = subprocess.run([sys.executable, "-c", observe], cwd=ROOT, env=env, timeout=60)
        assert run.returncode == 0
    show = (
        "import sys; from anju.core import metrics;"
        "metrics.task_queue_figures = lambda: ({'default': 1}, 0);"
        "sys.stdout.write(metrics.scrape().decode())"
    )
    run = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    labels = {"view": "home", "method": "GET", "status": "2xx"}
    assert _sample(run.stdout, "anju_http_request_duration_seconds_count", **labels) == 2
    assert _sample(run.stdout, "anju_messages_sent_total", channel="sms", kind="birthday") == 2
    assert _sample(run.stdout, "anju_task_queue_depth", queue="default") == 1


def test_an_api_operation_is_labelled_by_its_route_not_its_neighbours_name(world, login):
    """GET and POST /api/v1/customers share one URL, which django-ninja names after the
    first operation; the label is the route pattern, bounded and right for both."""
    from django.urls import resolve

    from anju.core.request_context import view_label

    class Request:
        path = "/api/v1/customers"
        resolver_match = resolve("/api/v1/customers")

    assert view_label(Request()) == "api/v1/customers"
    detail = type("R", (), {"path": "/api/v1/customers/5", "resolver_match": None})()
    detail.resolver_match = resolve("/api/v1/customers/5")
    assert view_label(detail) == "api/v1/customers/<int:customer_id>"
