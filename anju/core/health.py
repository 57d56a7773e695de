"""/healthz for load balancers and monitors (issue 10 item 4): no login, no personal data.

GET /healthz               database (SELECT 1), task queue (reachable, depth), scheduler
                           (heartbeat younger than ANJU_SCHEDULER_MAX_SILENCE_SECONDS):
                           200 {"status": "ok", ...} when all pass, else 503 "fail";
                           working_days only informs (holiday data missing for a year).
GET /healthz?probe=live    the process answers at all (a liveness probe): always 200, touches
                           nothing, so a database outage does not get every web process
                           restarted by its supervisor.

Each check is one cheap read; an exception becomes a failed check (its class name only, no
message: a message may name hosts or credentials).
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import task_queue


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok"}


def _task_queue() -> dict:
    depths = task_queue.queue_depths()
    return {
        "status": "ok",
        "backend": settings.ANJU_TASKS,
        "depth": sum(depths.values()),
        "queues": depths,
    }


def _scheduler() -> dict:
    beat = task_queue.scheduler_heartbeat()
    if beat is None:
        return {"status": "fail", "error": "no scheduler has run"}
    age = (timezone.now() - beat).total_seconds()
    limit = settings.ANJU_SCHEDULER_MAX_SILENCE.total_seconds()
    answer = {"heartbeat": beat.isoformat(), "age_seconds": round(age, 1)}
    if age > limit:
        return {"status": "fail", "error": f"silent for more than {limit:.0f} s", **answer}
    return {"status": "ok", **answer}


def _working_days() -> dict:
    """Informational, never a failure: revisit due dates still count Monday–Friday for a
    year the installed chinese-calendar has no holidays for (upgrade the package)."""
    from .workdays import missing_years

    missing = missing_years(timezone.localdate())
    answer = {"status": "ok", "missing_years": missing}
    if missing:
        answer["warning"] = "upgrade chinese-calendar: no holiday data for " + ", ".join(
            str(y) for y in missing
        )
    return answer


CHECKS = {
    "database": _database,
    "task_queue": _task_queue,
    "scheduler": _scheduler,
    "working_days": _working_days,
}


def _run(check) -> dict:
    try:
        return check()
    except Exception as exc:  # an unreachable dependency is the answer, not a 500
        return {"status": "fail", "error": type(exc).__name__}


@never_cache  # Cache-Control: no-store etc.: a proxy must never answer for the server
@require_GET
def healthz(request):
    if request.GET.get("probe") == "live":
        return JsonResponse({"status": "ok", "checks": {}})
    checks = {name: _run(check) for name, check in CHECKS.items()}
    ok = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503
    )
