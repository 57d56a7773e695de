"""Customer-service benchmarks (issue 13 item 9, SVC-5 and SVC-6) on 1,000,000 tickets:
the monthly complaint report over real HTTP, and the every-minute SLA sweep.

    python bench/service.py                # builds anju_bench_service once, then measures
    python bench/service.py --rebuild      # drops it first
    python bench/service.py --tickets 200000

The database ``anju_bench_service`` (on ANJU_BENCH_PG) is migrated and seeded with the demo,
whose year of service history (a few hundred tickets of every type, their revisits, the
seasons, the waves after each delivery) is then copied in SQL until it holds the number of
tickets asked: copy *g* of a ticket is numbered ``number + g × 100000`` in its company and
moved 0–30 days earlier (its revisits with it), so the report's 13 months hold the demo's
shape a thousand times over. Open tickets that the copying made late are flagged, as a
sweep that kept up would have left them. VACUUM ANALYZE.

1. **The report** (target < 2 s): ``GET /api/v1/service/report`` and the report page, for
   the group's relations centre (every company), a company's management and a project's
   sales manager, through gunicorn (4 workers, production settings, bench/server.py), after
   a warm-up; p50 / p95 / max of the client's wall time.
2. **The sweep** (target < 5 s): ``escalation.sweep()`` in this process with 500 open tickets
   of both companies due a minute ago (none escalated before: each writes its escalation,
   audit entry, event and notices) — each run inside a transaction rolled back afterwards,
   so every run does the same work; and the sweep of an ordinary minute (nothing due).

Prints Markdown tables and writes var/bench/service.json; docs/benchmarks.md keeps the
numbers with the machine and date.
"""

import os
import sys
from pathlib import Path

# bench/http.py is named like the standard library's ``http``: this folder goes to the end of
# the path, so ``import http`` finds the real one and ``import server`` still works.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("ANJU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "anju_bench_service"
URL = f"{PG}/{DB}"
PY = sys.executable
COPY_STRIDE = 100_000  # copy g of ticket n is numbered n + g × COPY_STRIDE
DUE = 500  # tickets due at once in the sweep's run
RUNS, WARMUP = 15, 2
ROLES = {  # who asks for the report: the group, a company, a project
    "group": "group",
    "company management": "management",
    "project sales manager": "manager",
}


def log(message):
    print(message, file=sys.stderr, flush=True)


def psql(db_url, sql):
    done = subprocess.run(
        ["psql", db_url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"psql failed: {done.stderr.strip()}\n{sql[:400]}")
    return done.stdout.strip()


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))]


def summary(samples):
    return {
        "p50": round(statistics.median(samples), 1),
        "p95": round(pct(samples, 0.95), 1),
        "max": round(max(samples), 1),
        "n": len(samples),
    }


# --- the database ---------------------------------------------------------------------------


def prepare(tickets: int, rebuild: bool) -> None:
    exists = psql(f"{PG}/postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1"
    if exists and rebuild:
        psql(f"{PG}/postgres", f"DROP DATABASE {DB} WITH (FORCE)")
        exists = False
    if not exists:
        psql(f"{PG}/postgres", f"CREATE DATABASE {DB}")
    env = {**os.environ, "DATABASE_URL": URL, "ANJU_DEBUG": "1"}
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if psql(URL, "SELECT count(*) FROM org_company") in ("", "0"):
        log("seed_demo …")
        subprocess.run([PY, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True)
    have = int(psql(URL, "SELECT count(*) FROM service_ticket"))
    if have >= tickets:
        return
    copy_tickets(tickets)


def _columns(table):
    rows = psql(
        URL,
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_name = '{table}' ORDER BY ordinal_position",
    )
    return [line.split("|") for line in rows.splitlines()]


def _shifted(columns, alias, replace):
    """The SELECT list copying ``alias``'s row: times moved by ``shift``, some replaced."""
    out = []
    for name, kind in columns:
        if name == "id":
            continue
        if name in replace:
            out.append(replace[name])
        elif kind.startswith("timestamp") or kind == "date":
            out.append(f"{alias}.{name} - shift")
        else:
            out.append(f"{alias}.{name}")
    return ", ".join(out)


def copy_tickets(tickets: int) -> None:
    originals = int(psql(URL, f"SELECT count(*) FROM service_ticket WHERE number < {COPY_STRIDE}"))
    copies = -(-(tickets - originals) // originals)
    log(f"copying {originals} demo tickets {copies}× (≈{originals * (copies + 1):,}) …")
    started = time.monotonic()
    ticket_cols = _columns("service_ticket")
    names = ", ".join(n for n, _k in ticket_cols if n != "id")
    select = _shifted(ticket_cols, "o", {"number": f"o.number + g * {COPY_STRIDE}"})
    # one copy per statement: each a few hundred rows × every index, committed as it goes
    shift = "make_interval(days => ((g * 7919) % 31))"
    done = int(psql(URL, f"SELECT coalesce(max(number / {COPY_STRIDE}), 0) FROM service_ticket"))
    batch = 50
    for first in range(done + 1, copies + 1, batch):
        last = min(first + batch - 1, copies)
        psql(
            URL,
            f"INSERT INTO service_ticket ({names}) "
            f"SELECT {select} FROM service_ticket o "
            f"CROSS JOIN generate_series({first}, {last}) g "
            f"CROSS JOIN LATERAL (SELECT {shift} AS shift) s "
            f"WHERE o.number < {COPY_STRIDE}",
        )
        log(f"  tickets: copies {first}–{last} of {copies}")
    revisit_cols = _columns("service_ticketrevisit")
    rnames = ", ".join(n for n, _k in revisit_cols if n != "id")
    rselect = _shifted(revisit_cols, "r", {"ticket_id": "n.id"})
    for first in range(1, copies + 1, batch):
        last = min(first + batch - 1, copies)
        psql(
            URL,
            f"INSERT INTO service_ticketrevisit ({rnames}) "
            f"SELECT {rselect} FROM service_ticketrevisit r "
            f"JOIN service_ticket o ON o.id = r.ticket_id AND o.number < {COPY_STRIDE} "
            f"CROSS JOIN generate_series({first}, {last}) g "
            f"JOIN service_ticket n ON n.company_id = o.company_id "
            f"AND n.number = o.number + g * {COPY_STRIDE} "
            f"CROSS JOIN LATERAL (SELECT {shift} AS shift) s",
        )
        log(f"  revisits: copies {first}–{last} of {copies}")
    # what a sweep that kept up would have left: every open late ticket flagged
    psql(
        URL,
        "UPDATE service_ticket SET overdue = true "
        "WHERE status <> 'closed' AND NOT overdue AND next_due_at <= now()",
    )
    psql(URL, "VACUUM ANALYZE")
    log(f"built in {time.monotonic() - started:.0f} s")


def counts() -> dict:
    row = psql(
        URL,
        "SELECT count(*), count(*) FILTER (WHERE ticket_type = 'complaint'), "
        "count(*) FILTER (WHERE status <> 'closed'), "
        "(SELECT count(*) FROM service_ticketrevisit), "
        "min(received_at)::date, max(received_at)::date FROM service_ticket",
    ).split("|")
    keys = ("tickets", "complaints", "open", "revisits", "first_day", "last_day")
    return dict(zip(keys, row, strict=True))


# --- 1. the report over HTTP --------------------------------------------------------------------


def report_over_http(month: str) -> list[dict]:
    from server import gunicorn, sign_in

    rows = []
    with gunicorn(URL, log=log) as base:
        for label, username in ROLES.items():
            session = sign_in(base, username)
            for kind, path in (
                ("API", f"/api/v1/service/report?month={month}"),
                ("page", f"/service/report/?month={month}"),
            ):
                samples = []
                for i in range(WARMUP + RUNS):
                    started = time.perf_counter()
                    answer = session.get(base + path, timeout=120)
                    elapsed = (time.perf_counter() - started) * 1000
                    if answer.status_code != 200:
                        raise SystemExit(f"{username} {path}: HTTP {answer.status_code}")
                    if i >= WARMUP:
                        samples.append(elapsed)
                received = answer.json()["received"] if kind == "API" else None
                rows.append({"role": label, "kind": kind, "received": received, **summary(samples)})
                log(f"  {label} {kind}: {rows[-1]}")
    return rows


# --- 2. the sweep -------------------------------------------------------------------------------


def sweep_runs() -> dict:
    from server import server_env

    os.environ.update(server_env(URL))  # production settings: DEBUG off, as the worker runs
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    import django

    django.setup()
    from contextlib import nullcontext
    from datetime import timedelta

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from anju.service import escalation

    def timed(prepare_due, count=False):
        with transaction.atomic():
            prepare_due()
            capture = CaptureQueriesContext(connection) if count else nullcontext()
            with capture:
                started = time.perf_counter()
                result = escalation.sweep()
                elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        return elapsed, result, len(capture.captured_queries) if count else None

    def make_due():
        # 500 open tickets of both companies (the newest copies), due a minute ago
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE service_ticket SET overdue = false, level = 0, "
                "next_due_at = %s, first_response_due = %s, responded_at = NULL "
                "WHERE id IN (SELECT id FROM service_ticket WHERE status <> 'closed' "
                "AND NOT EXISTS (SELECT 1 FROM service_ticketescalation e "
                "WHERE e.ticket_id = service_ticket.id) "
                "ORDER BY number DESC LIMIT %s)",
                [timezone.now() - timedelta(minutes=1)] * 2 + [DUE],
            )

    _elapsed, result, queries = timed(make_due, count=True)  # how many queries, once
    if result != {"flagged": DUE, "escalated": DUE}:
        raise SystemExit(f"the sweep flagged {result}, not {DUE}")
    loaded, idle = [], []
    for _ in range(5):
        elapsed, result, _queries = timed(make_due)
        loaded.append(elapsed)
        log(f"  sweep, {DUE} due: {elapsed:.0f} ms, {result}")
    for _ in range(10):
        elapsed, _result, _queries = timed(lambda: None)
        idle.append(elapsed)
    return {"due": DUE, "queries": queries, "with_due": summary(loaded), "idle": summary(idle)}


def main(argv):
    tickets = 1_000_000
    if "--tickets" in argv:
        tickets = int(argv[argv.index("--tickets") + 1])
    prepare(tickets, "--rebuild" in argv)
    data = {
        "database": counts(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    log(f"database: {data['database']}")
    month = psql(URL, "SELECT to_char(date_trunc('month', now()) - interval '1 month', 'YYYY-MM')")
    data["month"] = month
    data["report"] = report_over_http(month)
    data["sweep"] = sweep_runs()
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "service.json").write_text(json.dumps(data, ensure_ascii=False, indent=2))
    d = data["database"]
    print(
        f"\n### {int(d['tickets']):,} tickets ({int(d['complaints']):,} complaints, "
        f"{int(d['revisits']):,} revisits, {d['first_day']} – {d['last_day']}), "
        f"month {month}\n"
    )
    print("| report for | request | p50 ms | p95 ms | max ms |\n|---|---|---:|---:|---:|")
    for r in data["report"]:
        print(f"| {r['role']} | {r['kind']} | {r['p50']} | {r['p95']} | {r['max']} |")
    s = data["sweep"]
    print("\n| sweep | p50 ms | max ms |\n|---|---:|---:|")
    print(
        f"| {s['due']} due, each escalated ({s['queries']} queries) | "
        f"{s['with_due']['p50']} | {s['with_due']['max']} |"
    )
    print(f"| nothing due | {s['idle']['p50']} | {s['idle']['max']} |")


if __name__ == "__main__":
    main(sys.argv[1:])
