"""Prometheus metrics and the /metrics endpoint (issue 10 item 4).

``prometheus_client`` directly rather than django-prometheus: the few metrics an operator
alerts on, labelled by route name (bounded), plus the task queue read at scrape time.

Under gunicorn every worker is a process with its own counters. With
``PROMETHEUS_MULTIPROC_DIR`` set (``make serve`` sets it; gunicorn.conf.py empties it on start
and marks dead workers), each process writes its values to files there and a scrape adds up
the files of every process, whichever worker answers it. Without it (runserver, tests) the
process's own registry is scraped.

/metrics is not public: it answers only a direct client from ANJU_METRICS_ALLOW (networks,
default loopback) or a request bearing ANJU_METRICS_TOKEN; anyone else gets the plain 404
of a page that does not exist.
"""

import hmac
import ipaddress
import logging
import os
from contextlib import contextmanager

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Each metric opens its file there when defined (below): a missing directory would stop
    # every process that imports this module, a management command before gunicorn too.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Seconds; 0.15 and 0.3 are the targets (list pages, the load test's p95).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_LATENCY = Histogram(
    "anju_http_request_duration_seconds",
    "Time to answer a request, by route name, method and status class.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS_IN_FLIGHT = Gauge(
    "anju_http_requests_in_flight",
    "Requests being answered now (all web processes).",
    multiprocess_mode="livesum",
)
MESSAGES_SENT = Counter(
    "anju_messages_sent_total", "Messages handed to a gateway.", ["channel", "kind"]
)
WEBHOOK_DELIVERIES = Counter(
    "anju_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (delivered, retry, failed).",
    ["outcome"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"  # a client may send any verb
    REQUEST_LATENCY.labels(view, method, f"{status // 100}xx").observe(seconds)


@contextmanager
def in_flight():
    REQUESTS_IN_FLIGHT.inc()
    try:
        yield
    finally:
        REQUESTS_IN_FLIGHT.dec()


def record_message_sent(channel: str, kind: str) -> None:
    """Count one message handed to a gateway (for the messaging app: sms/email/wechat, …)."""
    MESSAGES_SENT.labels(channel, kind).inc()


def record_webhook_delivery(outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()


# --- the task queue, read at scrape time ---------------------------------------------------
def task_queue_figures() -> tuple[dict[str, int], int]:
    """(queue depths by queue, failed tasks): the one seam to ``core.task_queue``.

    Imported lazily: that module speaks to the task backend (database or Redis), which a
    process that never scrapes need not touch. Tests replace this function.
    """
    from anju.core import task_queue

    return task_queue.queue_depths(), task_queue.failed_task_count()


class TaskQueueCollector:
    """Queue depth per queue and failed tasks, asked of the task backend at each scrape."""

    def collect(self):
        up = GaugeMetricFamily("anju_task_queue_up", "1 if the task queue could be read.")
        try:
            depths, failed = task_queue_figures()
        except Exception:  # noqa: BLE001 – a scrape must still show the web metrics
            log.warning("metrics: the task queue could not be read", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "anju_task_queue_depth", "Tasks waiting to run, per queue.", labels=["queue"]
        )
        for queue, count in sorted(depths.items()):
            depth.add_metric([queue], count)
        yield depth
        yield GaugeMetricFamily(
            "anju_tasks_failed", "Failed tasks kept by the task backend.", value=failed
        )


class _ThisProcess:
    """The default registry, as one collector of a scrape's registry."""

    def collect(self):
        yield from REGISTRY.collect()


def scrape() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(TaskQueueCollector())
    return generate_latest(registry)


# --- who may scrape -------------------------------------------------------------------------
_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def may_scrape(request) -> bool:
    token = settings.ANJU_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    # A request relayed by a reverse proxy arrives from the proxy's (often loopback) address:
    # the address rule holds only for a direct client, so the Internet never scrapes through
    # the proxy on the same host.
    if any(request.META.get(h) for h in _FORWARDED):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket
    return any(address in network for network in settings.ANJU_METRICS_ALLOW)


def metrics_view(request):
    if not may_scrape(request):
        raise Http404  # the same answer as for a page that does not exist
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
