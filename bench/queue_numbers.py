"""500 concurrent queue numbers over HTTP (issue 12 item 11, QUE-1): exactly 1..500, and the rate.

    python bench/queue_numbers.py                       # 500 at once, 3 runs, then 200 one by one
    python bench/queue_numbers.py --runs 5 --workers 4  # more runs
    python bench/queue_numbers.py --smoke               # CI: 100 at once, one run, ~20 s

The database is the benchmark's own, ``anju_bench_queue`` on ANJU_BENCH_PG (default
postgres://postgres@127.0.0.1:5432; ``--database-url`` for another), created, migrated and
seeded with ``seed_demo`` once (about a minute), then reused. Each run prepares, in the
company 深圳:

- a new project (``project_create``), so its queue starts at 1 and the run must end with
  exactly 1..N;
- ``--sellers`` sales consultants of it (default 20) and one sales manager (``staff_create``
  with the role), each with an API token (``api_token_create``): on a launch day many
  consultants ask at once;
- N customers of the project (``customers.demo.bulk_seed``: COPY, valid rows with phones and
  codes, spread over the consultants' books like real ones; about 8 % have no owner).

gunicorn runs as production does (bench/server.py: ``gunicorn.conf.py``, sync workers, DEBUG
off, persistent connections; here also PROMETHEUS_MULTIPROC_DIR, as ``make serve`` sets it).
N client threads each open their own connection and, released together by a barrier, send
``POST /api/v1/queue-numbers`` for one customer with the token of his owner (the manager's
for a customer without one); every other request records a deposit (诚意金). Measured:

- the rate: N / wall time from the barrier to the last answer;
- latency per request as the client saw it (with N at once and 4 workers, most of it is the
  wait for a free worker) and gunicorn's own time per request (access log, ``%(L)s``);
- CPU per request of the gunicorn processes, of the PostgreSQL backends of this database
  and of the client (from /proc), and the rate that CPU would allow if the machine's cores
  did nothing else — the figure that holds on a shared machine, where the rate does not.

Then the database is checked: N tickets in the project, numbers exactly 1..N (no gap, no
duplicate), one per customer, the counter at N, one ``deals.queue_issued`` event each, the
deposits recorded, every answer a 201 carrying its ticket's number.

Last, ``--one-at-a-time`` requests (default 200) run in this process through Django's test
client, one after the other: queries per request, CPU per request, and how long the
project's counter row stays locked (``allocate_number`` → commit), which bounds one
project's rate whatever the number of workers.

Exit status 1 if any check fails, 2 if the median rate is below ``--min-rate`` (default
300/s; 0 turns it off). Prints a Markdown table; writes var/bench/queue-numbers.json
(``--smoke``: queue-numbers-smoke.json). Results and analysis: docs/benchmarks.md, Issue 12.
"""

import os
import sys
from pathlib import Path

# bench/http.py is named like the standard library's ``http``: put this folder last on the
# path so ``import http`` finds the real one, and ``import server`` still works.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import server  # noqa: E402

ROOT = server.ROOT
PG = os.environ.get("ANJU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "anju_bench_queue"
PY = sys.executable
PATH = "/api/v1/queue-numbers"


def log(message):
    print(message, file=sys.stderr, flush=True)


def psql(url, sql):
    done = subprocess.run(["psql", url, "-Atc", sql], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def prepare_database(url: str, *, migrate: bool = True) -> None:
    """Create (if missing), migrate and seed (if empty) the benchmark's database."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    if psql(admin, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        log(f"creating {name}")
        psql(admin, f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "ANJU_DEBUG": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if migrate:
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if psql(url, "SELECT count(*) FROM org_project") in ("", "0"):
        log("seed_demo …")
        subprocess.run(
            [PY, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summary(samples):
    if not samples:
        return None
    return {
        "p50": round(statistics.median(samples), 1),
        "p95": round(pct(samples, 0.95), 1),
        "max": round(max(samples), 1),
    }


# --- the run's project, sellers and customers ---------------------------------------------------


def prepare_run(n: int, sellers: int, stamp: str) -> dict:
    """A new project with its sellers (each with a token) and ``n`` customers of it."""
    from django.db.models import Count

    from anju.core.roles import Role
    from anju.core.services import api_token_create
    from anju.customers import demo
    from anju.customers.models import Customer
    from anju.org import services as org_services
    from anju.org.models import Company, Department

    company = Company.objects.unscoped("bench set-up").get(code="sz")
    dept = (
        Department.objects.unscoped("bench set-up")
        .filter(company=company, kind=Department.Kind.SALES)
        .first()
    )
    project = org_services.project_create(
        by=None, company=company, code=f"qb{stamp}", name=f"压测排号{stamp}"
    )

    def staff(username, role):
        return org_services.staff_create(
            by=None,
            username=username,
            password=None,
            display_name=username,
            company=company,
            department=dept,
            roles=[(role, project)],
        )

    consultants = [
        staff(f"qb{stamp}_{k:02d}", Role.SALES_CONSULTANT) for k in range(1, sellers + 1)
    ]
    manager = staff(f"qb{stamp}_mgr", Role.SALES_MANAGER)
    tokens = {
        u.pk: api_token_create(by=u, name="bench queue numbers")[1] for u in [*consultants, manager]
    }
    world = demo.load_world()
    world["projects"] = {project.code: project}
    world.rng = random.Random(int(stamp))
    demo.bulk_seed(world, n)
    customers = list(
        Customer.objects.unscoped("bench set-up")
        .filter(project=project)
        .order_by("pk")
        .values_list("pk", "owner_id")
    )
    if len(customers) != n:
        raise SystemExit(f"expected {n} customers in the new project, found {len(customers)}")
    owners = (
        Customer.objects.unscoped("bench set-up")
        .filter(project=project)
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    return {
        "project": project,
        "customers": customers,
        "tokens": tokens,
        "manager": manager.pk,
        "book_sizes": sorted((row["n"] for row in owners if row["owner_id"]), reverse=True),
        "unowned": next((row["n"] for row in owners if row["owner_id"] is None), 0),
    }


# --- the requests -------------------------------------------------------------------------------


def post(host, port, token, body, timeout=300):
    """One request on its own connection: (status, parsed body or text, seconds)."""
    data = json.dumps(body).encode()
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(
            "POST",
            PATH,
            body=data,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept-Language": "zh-hans",
            },
        )
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        status = response.status
    except OSError as exc:
        return None, f"{type(exc).__name__}: {exc}", time.perf_counter() - started
    finally:
        conn.close()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = text[:200]
    return status, answer, time.perf_counter() - started


def get(host, port, path, token=None, timeout=300) -> int | None:
    """A GET on its own connection, as ``post`` sends: its status (None: no answer)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


def floor(base, port, n, token) -> list[dict]:
    """What any request costs here, whatever it does: ``n`` at once, as the numbers are
    sent, of the liveness probe (no login, no database) and of the cheapest signed-in API
    read (``GET /api/v1/notifications``: the token, its roles, one empty page). Their CPU per
    request bounds the rate of every endpoint on this machine from below."""
    parsed = urlparse(base)
    rows = []
    for path, auth in (("/healthz?probe=live", None), ("/api/v1/notifications", token)):
        barrier = threading.Barrier(n)

        def one(_, path=path, auth=auth, barrier=barrier):
            barrier.wait()
            return get(parsed.hostname, parsed.port, path, auth)

        workers, _backends = server_pids(port)
        before, client = cpu_by_pid(workers), resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            statuses = list(pool.map(one, range(n)))
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        web = used_since(before, cpu_by_pid(server_pids(port)[0])) * 1000 / n
        own = ((after.ru_utime - client.ru_utime) + (after.ru_stime - client.ru_stime)) * 1000 / n
        rows.append(
            {
                "path": path,
                "rate_per_s": round(n / wall, 1),
                "cpu_ms_per_request": {"gunicorn": round(web, 2), "client": round(own, 2)},
                "cpu_bound_rate_per_s": round((os.cpu_count() or 1) * 1000 / (web + own), 1),
                "all 200": set(statuses) == {200},
            }
        )
        log(f"floor {path}: {rows[-1]['rate_per_s']}/s, CPU/request {web:.2f} + {own:.2f} ms")
    return rows


def warm_up(base, token, project_id, workers):
    """Each worker answers the API once or more before the clock starts (imports, URLconf,
    its database connection) — reads only, no number taken."""
    parsed = urlparse(base)

    def get(_):
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        try:
            conn.request(
                "GET",
                f"{PATH}?project_id={project_id}",
                headers={"Authorization": f"Bearer {token}"},
            )
            return conn.getresponse().status
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=workers * 2) as pool:
        statuses = list(pool.map(get, range(workers * 8)))
    if set(statuses) != {200}:
        raise SystemExit(f"warm-up answers: {sorted(set(statuses))}")


def fire(base, prepared) -> dict:
    parsed = urlparse(base)
    project_id = prepared["project"].pk
    tokens, manager = prepared["tokens"], prepared["manager"]
    jobs = []
    for i, (customer_id, owner_id) in enumerate(prepared["customers"]):
        body = {"project_id": project_id, "customer_id": customer_id}
        if i % 2:
            body |= {
                "deposit_amount": "20000.00",
                "deposit_method": "transfer",
                "deposit_receipt_no": f"QB{i:05d}",
                "intention": "三房",
            }
        jobs.append((tokens.get(owner_id) or tokens[manager], body))
    n = len(jobs)
    released = []
    barrier = threading.Barrier(n, action=lambda: released.append(time.perf_counter()))

    def one(job):
        token, body = job
        barrier.wait()
        status, answer, seconds = post(parsed.hostname, parsed.port, token, body)
        return status, answer, seconds, time.perf_counter()

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    with ThreadPoolExecutor(max_workers=n) as pool:
        done = list(pool.map(one, jobs))
    after = resource.getrusage(resource.RUSAGE_SELF)
    wall = max(end for *_, end in done) - released[0]
    return {
        "jobs": jobs,
        "done": done,
        "wall_s": wall,
        "client_cpu_s": (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime),
    }


# --- the checks ---------------------------------------------------------------------------------


def check(prepared, fired) -> dict:
    """The database and the answers agree: exactly 1..N, one each, all 201."""
    from anju.core.models import Event
    from anju.core.numbering import peek_last_number
    from anju.deals.models import QueueTicket
    from anju.deals.services.queue import QUEUE_NUMBER_KIND

    project = prepared["project"]
    n = len(prepared["customers"])
    rows = list(
        QueueTicket.objects.unscoped("bench check")
        .filter(project=project)
        .values_list("pk", "number", "customer_id", "consultant_id", "deposit_amount")
    )
    numbers = sorted(r[1] for r in rows)
    statuses = {}
    for status, *_ in fired["done"]:
        statuses[status] = statuses.get(status, 0) + 1
    answered = sorted(answer["number"] for status, answer, *_ in fired["done"] if status == 201)
    by_customer = {r[2]: r for r in rows}
    mismatched = [
        answer
        for status, answer, *_ in fired["done"]
        if status == 201
        and by_customer.get(answer["customer_id"], (None, None))[1] != answer["number"]
    ]
    events = (
        Event.objects.unscoped("bench check")
        .filter(verb="deals.queue_issued", target_id__in=[r[0] for r in rows])
        .count()
        if rows
        else 0
    )
    deposits = sum(1 for r in rows if r[4] > 0)
    errors = [f"HTTP {status}: {answer}" for status, answer, *_ in fired["done"] if status != 201][
        :5
    ]
    checks = {
        "all 201": statuses == {201: n},
        f"numbers exactly 1..{n}": numbers == list(range(1, n + 1)),
        "one ticket per customer": len(by_customer) == n == len(rows),
        f"counter at {n}": peek_last_number(kind=QUEUE_NUMBER_KIND, scope=project) == n,
        "answers carry their ticket's number": answered == numbers and not mismatched,
        "one event per ticket": events == len(rows),
        "deposits recorded": deposits == n // 2,
    }
    return {"checks": checks, "statuses": statuses, "error_samples": errors, "tickets": len(rows)}


def server_times(access_log: Path, start: int) -> list[float]:
    with open(access_log, "rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    line = re.compile(r'"POST (\S+)" (\d+) \S+ ([0-9.]+)s$')
    return [float(m[3]) * 1000 for m in map(line.search, text.splitlines()) if m and m[1] == PATH]


# --- where the time goes -----------------------------------------------------------------------


def process_cpu(pids) -> float:
    """CPU seconds (user + system) the processes used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def server_pids(port: int) -> tuple[list[int], list[int]]:
    """gunicorn's processes on ``port`` and the PostgreSQL backends of this database (the
    workers' persistent connections), not this process's own."""
    from django.db import connection

    bind = f"127.0.0.1:{port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"gunicorn" in cmdline and bind in cmdline:
                pids.append(int(entry.name))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return pids, backends


def one_at_a_time(n: int, stamp: str) -> dict:
    """``n`` issues in this process through Django's test client, one after the other (no
    contention): queries per request, CPU per request, and how long the project's counter
    row stays locked — from ``allocate_number`` to the commit (PostgreSQL's fsync included),
    which bounds the rate of any number of workers at 1 / that time."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from anju.deals.services import queue as queue_service

    prepared = prepare_run(n, 3, stamp)
    project, tokens, manager = prepared["project"], prepared["tokens"], prepared["manager"]
    clients = {}
    held = []
    allocate = queue_service.allocate_number

    def timed_allocate(**kwargs):
        started = time.perf_counter()
        transaction.on_commit(lambda: held.append((time.perf_counter() - started) * 1000))
        return allocate(**kwargs)

    def issue(customer_id, owner_id):
        token = tokens.get(owner_id) or tokens[manager]
        if token not in clients:
            clients[token] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            clients[token].get(f"{PATH}?project_id={project.pk}")  # this token's first use
        return clients[token].post(
            PATH,
            {"project_id": project.pk, "customer_id": customer_id},
            content_type="application/json",
        )

    customers = prepared["customers"]
    first, rest = customers[0], customers[1:]
    issue(*first)  # imports, caches
    for customer in rest:  # every token used once before the clock starts
        token = tokens.get(customer[1]) or tokens[manager]
        if token not in clients:
            clients[token] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            clients[token].get(f"{PATH}?project_id={project.pk}")
    with CaptureQueriesContext(connection) as ctx:
        answer = issue(*rest[0])
    queries = [q["sql"] for q in ctx.captured_queries]
    queue_service.allocate_number = timed_allocate
    try:
        cpu, wall, statuses = [], [], set()
        for customer in rest[1:]:
            c, t = time.thread_time(), time.perf_counter()
            statuses.add(issue(*customer).status_code)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    finally:
        queue_service.allocate_number = allocate
    from anju.deals.models import QueueTicket

    numbers = sorted(
        QueueTicket.objects.unscoped("bench check")
        .filter(project=project)
        .values_list("number", flat=True)
    )
    return {
        "requests": n,
        "status": answer.status_code,
        "statuses": sorted(statuses),
        "exact": numbers == list(range(1, n + 1)),
        "queries": len(queries),
        "sql": [q[:120] for q in queries],
        "cpu_ms": summary(cpu),
        "wall_ms": summary(wall),
        "counter_locked_ms": summary(held),
    }


# --- main ---------------------------------------------------------------------------------------


def cpu_by_pid(pids) -> dict:
    return {pid: process_cpu([pid]) for pid in pids}


def used_since(before: dict, after: dict) -> float:
    """CPU seconds used between two snapshots; a process born in between counts whole."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=f"{PG}/{DB}")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sellers", type=int, default=20, help="consultants of the project")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--min-rate", type=float, default=300.0, help="requests/s; 0: no check")
    parser.add_argument(
        "--one-at-a-time", type=int, default=200, help="in-process requests (0: skip)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: 100 requests, one run, no rate target; no migrate (the database must be "
        "migrated), no collectstatic (API only)",
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    if args.smoke:
        args.requests, args.runs, args.one_at_a_time, args.min_rate = 100, 1, 0, 0
    url = args.database_url
    if not url.startswith("postgres"):
        raise SystemExit("the benchmark needs PostgreSQL (--database-url)")

    # the smoke runs on a database CI has just migrated, seeded and restored
    prepare_database(url, migrate=not args.smoke)
    os.environ.update(server.server_env(url))
    # as `make serve` runs: metrics shared by the workers through files
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(server.VAR / "prometheus"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "anju.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    access_log = server.VAR / f"access-queue-{os.getpid()}.log"
    access_log.write_text("")
    runs, floors = [], []
    stamp = time.strftime("%m%d%H%M%S")
    with server.gunicorn(
        url, workers=args.workers, log=log, access_log=access_log, static=not args.smoke
    ) as base:
        port = urlparse(base).port
        for r in range(1, args.runs + 1):
            prepared = prepare_run(args.requests, args.sellers, f"{stamp}{r:02d}")
            token = prepared["tokens"][prepared["manager"]]
            warm_up(base, token, prepared["project"].pk, args.workers)
            if r == 1 and not args.smoke:
                floors = floor(base, port, args.requests, token)
            log(f"run {r}: {args.requests} requests at once, project {prepared['project'].code} …")
            psql(url, "CHECKPOINT")  # not in the middle of the run
            load_before = os.getloadavg()
            mark = access_log.stat().st_size
            workers, backends = server_pids(port)
            cpu_before = cpu_by_pid(workers), cpu_by_pid(backends)
            fired = fire(base, prepared)
            workers_after, backends_after = server_pids(port)
            web_cpu = used_since(cpu_before[0], cpu_by_pid(workers_after))
            db_cpu = used_since(cpu_before[1], cpu_by_pid(set(backends) | set(backends_after)))
            time.sleep(0.5)  # the access log's last lines
            result = check(prepared, fired)
            latencies = [s * 1000 for status, _a, s, _e in fired["done"] if status == 201]
            n = args.requests
            per_request = {
                "gunicorn": round(web_cpu * 1000 / n, 2),
                "postgresql": round(db_cpu * 1000 / n, 2),
                "client": round(fired["client_cpu_s"] * 1000 / n, 2),
            }
            run = {
                "run": r,
                "project": prepared["project"].code,
                "requests": n,
                "sellers": len(prepared["tokens"]),
                "book_sizes": prepared["book_sizes"],
                "unowned": prepared["unowned"],
                "wall_s": round(fired["wall_s"], 3),
                "rate_per_s": round(n / fired["wall_s"], 1),
                "cpu_ms_per_request": per_request,
                # what the same work would allow if the machine's cores were ours alone
                "cpu_bound_rate_per_s": round(
                    (os.cpu_count() or 1) * 1000 / sum(per_request.values()), 1
                ),
                "latency_ms": summary(latencies),
                "server_ms": summary(server_times(access_log, mark)),
                "load_average_before": [round(x, 2) for x in load_before],
                **result,
            }
            runs.append(run)
            ok = all(result["checks"].values())
            log(
                f"run {r}: {run['rate_per_s']}/s, wall {run['wall_s']} s, CPU/request "
                f"{per_request}, numbers {'exact' if ok else 'WRONG'} "
                + ", ".join(k for k, v in result["checks"].items() if not v)
            )
    access_log.unlink(missing_ok=True)
    sequential = None
    if args.one_at_a_time:
        log(f"{args.one_at_a_time} requests one at a time, in-process …")
        sequential = one_at_a_time(args.one_at_a_time, f"{stamp}00")

    rates = [r["rate_per_s"] for r in runs]
    doc = {
        "database": urlparse(url).path.lstrip("/"),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "workers": args.workers,
        "requests": args.requests,
        "min_rate": args.min_rate,
        "runs": runs,
        "floor": floors,
        "one_at_a_time": sequential,
    }
    out = (
        ROOT
        / "var"
        / "bench"
        / ("queue-numbers-smoke.json" if args.smoke else "queue-numbers.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    print(markdown(doc))
    log(f"written {out}; {time.monotonic() - began:.0f} s in all")
    if not all(all(r["checks"].values()) for r in runs) or (sequential and not sequential["exact"]):
        return 1
    if args.min_rate and statistics.median(rates) < args.min_rate:
        return 2
    return 0


def markdown(doc) -> str:
    lines = [
        f"{doc['requests']} concurrent `POST {PATH}` — {doc['database']}, {doc['date']}, "
        f"{doc['cpus']} CPUs, gunicorn {doc['workers']} sync workers.",
        "",
        "| run | sellers | wall s | req/s | client p50 / p95 ms | server p50 / p95 ms "
        "| CPU ms/request: gunicorn + PostgreSQL + client | req/s the CPU allows "
        "| load avg before | exact 1..N | all 201 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for r in doc["runs"]:
        lat, srv, cpu = r["latency_ms"] or {}, r["server_ms"] or {}, r["cpu_ms_per_request"]
        exact = all(v for k, v in r["checks"].items() if k != "all 201")
        lines.append(
            f"| {r['run']} | {r['sellers']} | {r['wall_s']} | {r['rate_per_s']} "
            f"| {lat.get('p50')} / {lat.get('p95')} | {srv.get('p50')} / {srv.get('p95')} "
            f"| {cpu['gunicorn']} + {cpu['postgresql']} + {cpu['client']} "
            f"| {r['cpu_bound_rate_per_s']} "
            f"| {', '.join(str(x) for x in r['load_average_before'])} "
            f"| {'✓' if exact else '✗'} "
            f"| {'✓' if r['checks']['all 201'] else '✗ ' + str(r['statuses'])} |"
        )
    for f in doc.get("floor") or ():
        cpu = f["cpu_ms_per_request"]
        lines += [
            "",
            f"The floor, `GET {f['path']}` {doc['requests']} at once: {f['rate_per_s']}/s, CPU "
            f"ms/request gunicorn + client {cpu['gunicorn']} + {cpu['client']} → at most "
            f"{f['cpu_bound_rate_per_s']} req/s on these cores for any endpoint"
            + ("" if f["all 200"] else " (NOT all 200)")
            + ".",
        ]
    seq = doc.get("one_at_a_time")
    if seq:
        lines += [
            "",
            f"One at a time, in-process (Django test client, {seq['requests']} requests, "
            f"numbers {'exactly 1..N' if seq['exact'] else 'WRONG'}): "
            f"{seq['queries']} queries per request; CPU p50 {seq['cpu_ms']['p50']} ms, "
            f"wall p50 {seq['wall_ms']['p50']} ms; the project's counter row locked "
            f"p50 {seq['counter_locked_ms']['p50']} ms, p95 {seq['counter_locked_ms']['p95']} ms "
            f"(allocate → commit; at most {round(1000 / seq['counter_locked_ms']['p50'])} "
            "numbers/s per project, whatever the number of workers).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
