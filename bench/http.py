"""Benchmarks over real HTTP (issue 10 item 6): gunicorn, signed-in sessions, every list.

    DATABASE_URL=postgres://…/anju_bench_1000000 python bench/http.py [--runs 30] [--warmup 3]

Starts gunicorn as production runs it (bench/server.py: 4 workers, DEBUG off, persistent
connections), signs in over HTTP as each role and times, one request at a time (concurrency
1), every list page and list API, filtered lists, deep pages, searches (the page's POST
search flow included), the phone lookup API and the 360° page of the long-history customer
(``seed_activity``), against two baselines: raw SQL over a persistent psycopg connection and
the login page. Then 500 concurrent customer registrations over HTTP (each allocates the
next customer code, ``core.numbering``) and the numbering kernel itself from 500 threads.
Queries per request come from running each case once in-process through Django's test
Client under ``CaptureQueriesContext``.

Writes var/bench/http-<database>.json and prints a Markdown table with targets.
"""

import os
import sys
from pathlib import Path

# This file is named like the standard library's ``http``: put its folder last on the path so
# ``import http`` (requests, Django) finds the real one, and ``import server`` still works.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import requests  # noqa: E402
import server  # noqa: E402

ROOT = server.ROOT
LONG_HISTORY_NAME = "长历史客户"  # anju/reception/management/commands/seed_activity.py
ROLES = [
    ("group", "group centre (集团)"),
    ("management", "company management"),
    ("manager", "sales manager"),
    ("consultant", "sales consultant"),
    ("callcentre", "call-centre agent"),
]
LIST_P95 = 150.0
LOOKUP_P95 = 20.0
TIMELINE_SERVER_P95 = 100.0
API_QUERIES, PAGE_QUERIES = 6, 10
QUEUE_RATE = 300.0


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))]


def summary(samples):
    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(pct(samples, 0.95), 2),
        "max": round(max(samples), 2),
        "n": len(samples),
    }


def server_ms(response):
    """Server time from a ``Server-Timing`` header (largest ``dur``), if the app sends one."""
    header = response.headers.get("Server-Timing", "")
    durs = [float(d) for d in re.findall(r"dur=([0-9.]+)", header)]
    return max(durs) if durs else None


ACCESS_LINE = re.compile(r'"(\w+) (\S+)" (\d+) \S+ ([0-9.]+)s$')


def access_times(log_path, start):
    """(method, path, ms) of the access-log lines written after byte ``start``."""
    with open(log_path, "rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    out = []
    for line in text.splitlines():
        m = ACCESS_LINE.search(line)
        if m:
            out.append((m[1], m[2], float(m[4]) * 1000))
    return out


class Case:
    def __init__(self, name, role, kind, method, path, body=None, form=False):
        self.name, self.role, self.kind = name, role, kind
        self.method, self.path, self.body, self.form = method, path, body, form

    def payload(self, i):
        return self.body(i) if callable(self.body) else self.body

    def send(self, session, base, i):
        data = self.payload(i)
        if self.method == "GET":
            return session.get(base + self.path, timeout=120)
        if self.form:  # the list page's search: POST, 302 to ?s=<token>, GET that
            data = {**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken")}
            return session.post(base + self.path, data=data, timeout=120)
        return session.post(base + self.path, json=data, timeout=120)


# --- what to measure ---------------------------------------------------------------------------


def discover():
    """Users, the long-history customer and phone numbers to search for, from the database."""
    from anju.customers.models import Customer, CustomerPhone
    from anju.org.models import Company, User

    users = {u.username: u for u in User.objects.filter(username__in=[r for r, _ in ROLES])}
    missing = [r for r, _ in ROLES if r not in users]
    if missing:
        raise SystemExit(f"demo users missing: {missing} (run seed_demo)")
    sz = Company.objects.get(code="sz")
    long_id = (
        Customer.objects.filter(company=sz, name=LONG_HISTORY_NAME)
        .values_list("pk", flat=True)
        .first()
    )
    max_id = Customer.objects.order_by("-pk").values_list("pk", flat=True).first()
    rng = random.Random(7)
    ids = [rng.randrange(1, max_id + 1) for _ in range(3000)]
    phones = list(
        CustomerPhone.objects.filter(company=sz, customer_id__in=ids).values_list(
            "phone", flat=True
        )[:300]
    )
    project_phones = list(
        Customer.objects.filter(project__code="binhai", pk__in=ids).values_list("phone", flat=True)
    )
    own = list(
        Customer.objects.filter(owner=users["consultant"])
        .order_by("-pk")
        .values_list("phone", flat=True)[:300]
    )
    rng.shuffle(own)
    return {
        "users": users,
        "company": sz,
        "long_id": long_id,
        "phones": phones or ["13800000000"],
        "own_phones": own or phones or ["13800000000"],
        "project_phones": project_phones or phones or ["13800000000"],
        "customers": Customer.objects.count(),
    }


def cases(d):
    phones, own = d["phones"], d["own_phones"]
    out = []

    def pick(pool):
        return lambda i: pool[i % len(pool)]

    for role, _label in ROLES:
        # numbers the role may find: his own, his project's (the manager), his company's
        mine = {"consultant": own, "manager": d["project_phones"]}.get(role, phones)
        p = pick(mine)
        out += [
            Case("customers page 1", role, "page", "GET", "/customers/"),
            Case("customers page 150", role, "page", "GET", "/customers/?page=150"),
            Case("customers filtered status=lead", role, "page", "GET", "/customers/?status=lead"),
            Case(
                "customers filtered visitor+A+online",
                role,
                "page",
                "GET",
                "/customers/?status=visitor&grade=A&source=online",
            ),
            Case("customers search name prefix 张伟", role, "page", "GET", "/customers/?q=张伟"),
            Case(
                "customers search last 4 (POST → ?s=)",
                role,
                "page",
                "POST",
                "/customers/",
                lambda i, p=p: {"q": p(i)[-4:]},
                form=True,
            ),
            Case(
                "customers search full phone (POST → ?s=)",
                role,
                "page",
                "POST",
                "/customers/",
                lambda i, p=p: {"q": p(i)},
                form=True,
            ),
            Case("API customers page 1", role, "api", "GET", "/api/v1/customers"),
            Case("API customers page 150", role, "api", "GET", "/api/v1/customers?page=150"),
            Case(
                "API customers filtered visitor+A+online",
                role,
                "api",
                "GET",
                "/api/v1/customers?status=visitor&grade=A&source=online",
            ),
            Case("API customers q=张伟", role, "api", "GET", "/api/v1/customers?q=张伟"),
            Case(
                "API search last 4",
                role,
                "api",
                "POST",
                "/api/v1/customers/search",
                lambda i, p=p: {"q": p(i)[-4:]},
            ),
            Case(
                "API search full phone",
                role,
                "api",
                "POST",
                "/api/v1/customers/search",
                lambda i, p=p: {"q": p(i)},
            ),
            Case("calls page", role, "page", "GET", "/reception/calls/"),
            Case("visits page", role, "page", "GET", "/reception/visits/"),
            Case("tasks page", role, "page", "GET", "/reception/tasks/"),
            Case("opportunities page", role, "page", "GET", "/reception/opportunities/"),
            Case("API calls", role, "api", "GET", "/api/v1/calls"),
            Case("API visits", role, "api", "GET", "/api/v1/visits"),
            Case("API tasks", role, "api", "GET", "/api/v1/tasks"),
            Case("API opportunities", role, "api", "GET", "/api/v1/opportunities"),
            Case(
                "phone lookup API",
                role,
                "lookup",
                "POST",
                "/api/v1/customers/lookup",
                lambda i, p=p: {"phone": p(i), "company_id": d["company"].pk},
            ),
        ]
        if role == "manager":
            out.append(Case("team tasks page", role, "page", "GET", "/reception/tasks/team/"))
        if d["long_id"]:
            out.append(
                Case(
                    "360° long-history customer", role, "360", "GET", f"/customers/{d['long_id']}/"
                )
            )
    return out


# --- running -----------------------------------------------------------------------------------


def run_http(base, sessions, case_list, runs, warmup, log, access_log=None):
    results = []
    for case in case_list:
        s = sessions[case.role]
        first = case.send(s, base, 0)
        status = first.status_code
        row = {
            "case": case.name,
            "role": case.role,
            "kind": case.kind,
            "path": case.path,
            "status": status,
        }
        if status != 200 and not (case.kind == "lookup" and status == 404):
            row["skipped"] = f"HTTP {status}"
            results.append(row)
            log(f"  {case.role:11} {case.name}: HTTP {status}")
            continue
        for i in range(1, warmup):
            case.send(s, base, i)
        samples, server = [], []
        start = access_log.stat().st_size if access_log else 0
        for i in range(runs):
            t0 = time.perf_counter()
            r = case.send(s, base, warmup + i)
            samples.append((time.perf_counter() - t0) * 1000)
            if r.status_code not in (200, 404):  # a lookup may miss: 404 is an answer
                row.setdefault("errors", 0)
                row["errors"] += 1
            sm = server_ms(r)
            if sm is not None:
                server.append(sm)
        row.update(summary(samples))
        if server:
            row["server"] = summary(server)
            row["server_source"] = "Server-Timing"
        elif access_log:
            time.sleep(0.3)  # gunicorn logs after sending the answer
            path = urlparse(case.path).path
            times = [ms for _m, p, ms in access_times(access_log, start) if p == path]
            if case.form:  # the POST and its redirected GET: one search
                times = [a + b for a, b in zip(times[::2], times[1::2], strict=False)]
            if times:
                row["server"] = summary(times[-runs:])
                row["server_source"] = "gunicorn access log (%(L)s)"
        results.append(row)
        log(f"  {case.role:11} {case.name}: p50 {row['p50']} p95 {row['p95']} ms")
    return results


def count_queries(d, case_list):
    """Queries per request, in-process: the same requests once through the test Client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    clients = {}
    for case in case_list:
        c = clients.get(case.role)
        if c is None:
            c = clients[case.role] = Client()
            c.force_login(d["users"][case.role])
        path = case.path
        with CaptureQueriesContext(connection) as ctx:
            if case.method == "GET":
                r = c.get(path)
            elif case.form:
                r = c.post(path, case.payload(0), follow=True)
            else:
                r = c.post(path, case.payload(0), content_type="application/json")
        counts[(case.role, case.name)] = (len(ctx.captured_queries), r.status_code)
    return counts


def baselines(base, database_url, d, runs, warmup):
    import psycopg

    out = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        cid = d["company"].pk
        phones = d["phones"]
        for name, sql, args in (
            ("raw SQL: SELECT 1", "SELECT 1", lambda i: ()),
            (
                "raw SQL: indexed phone lookup",
                "SELECT customer_id FROM customers_customerphone WHERE company_id = %s "
                "AND phone = %s",
                lambda i: (cid, phones[i % len(phones)]),
            ),
        ):
            for i in range(warmup):
                conn.execute(sql, args(i)).fetchall()
            samples = []
            for i in range(runs):
                t0 = time.perf_counter()
                conn.execute(sql, args(i)).fetchall()
                samples.append((time.perf_counter() - t0) * 1000)
            out.append({"case": name, "role": "-", "kind": "baseline", **summary(samples)})
    s = requests.Session()
    for _ in range(warmup):
        s.get(f"{base}/login/", timeout=30)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.get(f"{base}/login/", timeout=30)
        samples.append((time.perf_counter() - t0) * 1000)
    out.append(
        {"case": "login page GET (anonymous)", "role": "-", "kind": "baseline", **summary(samples)}
    )
    return out


# A signed-in API that reads nothing of its own (the message-template fields are a constant
# list): what remains is what every signed-in request reads — the session, the user and his
# roles — and so the floor under the phone lookup (issue 10).
SIGNED_IN_FLOOR_PATH = "/api/v1/message-templates/fields"


def signed_in_floor(base, sessions, runs, warmup):
    url = f"{base}{SIGNED_IN_FLOOR_PATH}"
    for role in sorted(sessions):
        s = sessions[role]
        if s.get(url, timeout=30).status_code == 200:  # a role that may read the templates
            break
    else:
        return []
    for _ in range(warmup):
        s.get(url, timeout=30)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.get(url, timeout=30)
        samples.append((time.perf_counter() - t0) * 1000)
    return [
        {
            "case": "signed-in API, no reads of its own (session, user, roles)",
            "role": role,
            "kind": "baseline",
            **summary(samples),
        }
    ]


def queue_over_http(base, d, n=500):
    """``n`` customer registrations at once, each on its own connection; codes must be
    exactly consecutive (the numbering under contention), rate in requests per second."""
    from anju.customers.demo import random_mobile
    from anju.customers.models import CustomerPhone
    from anju.org.models import Project

    consultant = d["users"]["consultant"]
    project = Project.objects.filter(code="binhai").first()
    signed = server.sign_in(base, consultant.username)
    cookies = signed.cookies.get_dict()
    headers = dict(signed.headers)
    rng = random.Random(time.time_ns())
    phones = set()
    while len(phones) < n:
        phone = random_mobile(rng)
        if (
            phone not in phones
            and not CustomerPhone.objects.filter(
                company_id=project.company_id, phone=phone
            ).exists()
        ):
            phones.add(phone)
    phones = sorted(phones)
    barrier = threading.Barrier(n)

    def one(phone):
        s = requests.Session()  # its own TCP connection
        s.cookies.update(cookies)
        s.headers.update(headers)
        barrier.wait()
        t0 = time.perf_counter()
        try:
            r = s.post(
                f"{base}/api/v1/customers",
                json={"project_id": project.pk, "phone": phone, "name": "压测客户"},
                timeout=300,
            )
        except requests.RequestException as exc:
            return None, str(exc), time.perf_counter() - t0
        finally:
            s.close()
        if r.status_code != 201:
            return None, f"HTTP {r.status_code}", time.perf_counter() - t0
        return r.json()["customer"]["code"], None, time.perf_counter() - t0

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        done = list(pool.map(one, phones))
    wall = time.perf_counter() - started
    codes = [c for c, err, _ in done if c]
    errors = [err for c, err, _ in done if err]
    numbers = sorted(int(re.sub(r"\D", "", c)) for c in codes)
    consecutive = bool(numbers) and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    latencies = [t * 1000 for c, _e, t in done if c]
    return {
        "case": f"{n} concurrent customer registrations (customer codes) over HTTP",
        "requests": n,
        "ok": len(codes),
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_s": round(wall, 3),
        "rate_per_s": round(n / wall, 1),
        "first": numbers[0] if numbers else None,
        "last": numbers[-1] if numbers else None,
        "exactly_consecutive": consecutive and len(numbers) == n,
        "latency": summary(latencies) if latencies else None,
    }


def queue_kernel(n=500, max_connections=60):
    """``allocate_number`` from ``n`` threads, each on its own new database connection (at most
    ``max_connections`` open at once: PostgreSQL's max_connections is 100 here)."""
    from django.db import connections, transaction

    from anju.core.numbering import allocate_number

    scope = f"bench:{time.time_ns()}"
    gate = threading.Semaphore(max_connections)
    barrier = threading.Barrier(n)

    def one(_):
        barrier.wait()
        with gate:
            try:
                with transaction.atomic():
                    return allocate_number(kind="bench_queue", scope=scope)
            finally:
                connections.close_all()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        numbers = sorted(pool.map(one, range(n)))
    wall = time.perf_counter() - started
    return {
        "case": f"allocate_number from {n} threads, a new connection each "
        f"(≤ {max_connections} open at once)",
        "requests": n,
        "wall_s": round(wall, 3),
        "rate_per_s": round(n / wall, 1),
        "exactly_1_to_n": numbers == list(range(1, n + 1)),
    }


def queue_kernel_pooled(n=500, threads=8):
    """``allocate_number`` ``n`` times from ``threads`` threads that keep their connections,
    as web workers with persistent connections do: what the numbering itself costs, a
    transaction and its commit each, without opening a connection per number."""
    from django.db import connections, transaction

    from anju.core.numbering import allocate_number

    scope = f"bench:{time.time_ns()}"

    def one(_):
        with transaction.atomic():
            return allocate_number(kind="bench_queue", scope=scope)

    def warm(_):
        connections["default"].ensure_connection()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(warm, range(threads)))
        started = time.perf_counter()
        numbers = sorted(pool.map(one, range(n)))
        wall = time.perf_counter() - started
        pool.map(lambda _: connections.close_all(), range(threads))
    return {
        "case": f"allocate_number {n} times from {threads} threads with persistent connections",
        "requests": n,
        "wall_s": round(wall, 3),
        "rate_per_s": round(n / wall, 1),
        "exactly_1_to_n": numbers == list(range(1, n + 1)),
    }


# --- verdicts and output -----------------------------------------------------------------------


def judge(rows, queries, base_rows):
    by = {r["case"]: r for r in base_rows}
    bound = None
    if "raw SQL: indexed phone lookup" in by and "login page GET (anonymous)" in by:
        bound = round(
            2
            * (
                by["raw SQL: indexed phone lookup"]["p95"] + by["login page GET (anonymous)"]["p95"]
            ),
            2,
        )
    for r in rows:
        q, status = queries.get((r["role"], r["case"]), (None, None))
        r["queries"] = q
        if status not in (None, 200, 404):
            r["queries_status"] = status  # the in-process run was answered otherwise
        if "p95" not in r:
            r["target"], r["pass"] = "-", None
            continue
        if r["kind"] in ("page", "api"):
            limit = PAGE_QUERIES if r["kind"] == "page" else API_QUERIES
            if r["case"].endswith("(POST → ?s=)"):
                limit *= 2  # two requests: the POST and the redirected GET
            elif r["case"].startswith("API search"):
                # a phone search also reads the searcher's last hour (the rate limit, issue 7
                # item 2) and writes its access-log row (SEC-2), on top of a list's queries
                limit += 2
            r["target"] = f"p95 < {LIST_P95:g} ms, ≤ {limit} queries"
            r["pass"] = r["p95"] < LIST_P95 and (q is None or q <= limit)
        elif r["kind"] == "lookup":
            r["target"] = f"p95 < {LOOKUP_P95:g} ms and ≤ {bound} ms (2× raw SQL + login)"
            r["pass"] = r["p95"] < LOOKUP_P95 and (bound is None or r["p95"] <= bound)
        elif r["kind"] == "360":
            server_p95 = r.get("server", {}).get("p95")
            r["target"] = f"server p95 < {TIMELINE_SERVER_P95:g} ms" + (
                "" if server_p95 is not None else " (no server time: client time judged)"
            )
            r["pass"] = (server_p95 if server_p95 is not None else r["p95"]) < TIMELINE_SERVER_P95
    return bound


def queries_cell(r):
    q = r.get("queries")
    if q is None:
        return "–"
    return f"{q} (HTTP {r['queries_status']})" if r.get("queries_status") else str(q)


def markdown(doc):
    lines = [
        f"### HTTP benchmark — {doc['database']} ({doc['customers']:,} customers), "
        f"{doc['date']}, {doc['cpus']} CPUs, gunicorn {doc['workers']} workers, "
        f"{doc['runs']} runs after {doc['warmup']} warm-ups, concurrency 1",
        "",
        "| role | case | p50 ms | p95 ms | max ms | server p95 | queries | target | pass |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in doc["results"]:
        if "p95" not in r:
            lines.append(
                f"| {r['role']} | {r['case']} | – | – | – | – | {r.get('queries') or '–'} | "
                f"{r.get('skipped', '')} | – |"
            )
            continue
        server_p95 = r.get("server", {}).get("p95", "–")
        verdict = {True: "✓", False: "✗", None: ""}[r.get("pass")]
        lines.append(
            f"| {r['role']} | {r['case']} | {r['p50']} | {r['p95']} | {r['max']} | "
            f"{server_p95} | {queries_cell(r)} | "
            f"{r.get('target', '')} | {verdict} |"
        )
    for q in doc.get("queue", []):
        ok = q.get("exactly_consecutive", q.get("exactly_1_to_n"))
        verdict = "✓" if ok and q["rate_per_s"] >= QUEUE_RATE else "✗"
        extra = f", errors {q['errors']}" if "errors" in q else ""
        lines.append(
            f"| - | {q['case']} | | | | | | ≥ {QUEUE_RATE:g}/s, exact: "
            f"{q['rate_per_s']}/s, exact={ok}{extra} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "30")))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--roles", default=",".join(r for r, _ in ROLES))
    parser.add_argument("--only", default="", help="case names containing this text")
    parser.add_argument("--no-queue", action="store_true")
    parser.add_argument("--no-queries", action="store_true")
    parser.add_argument("--queue-size", type=int, default=500)
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL (or --database-url) to a PostgreSQL bench database")

    def log(m):
        print(m, file=sys.stderr, flush=True)

    os.environ.update(server.server_env(args.database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "anju.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    d = discover()
    if not d["long_id"]:
        log("no long-history customer: run `manage.py seed_activity` (360° case left out)")
    roles = set(args.roles.split(","))
    case_list = [c for c in cases(d) if c.role in roles and args.only in c.name]
    db_name = urlparse(args.database_url).path.lstrip("/")
    access_log = server.VAR / f"access-{os.getpid()}.log"
    access_log.write_text("")
    with server.gunicorn(
        args.database_url, workers=args.workers, log=log, access_log=access_log
    ) as base:
        sessions = {r: server.sign_in(base, r) for r in roles}
        base_rows = baselines(base, args.database_url, d, args.runs, args.warmup)
        base_rows += signed_in_floor(base, sessions, args.runs, args.warmup)
        rows = run_http(base, sessions, case_list, args.runs, args.warmup, log, access_log)
        queue = []
        if not args.no_queue:
            log("queue numbers over HTTP …")
            queue.append(queue_over_http(base, d, args.queue_size))
    if not args.no_queue:
        log("queue numbers, kernel …")
        queue.append(queue_kernel(args.queue_size))
        queue.append(queue_kernel_pooled(args.queue_size))
    queries = {} if args.no_queries else count_queries(d, case_list)
    bound = judge(rows, queries, base_rows)
    doc = {
        "database": db_name,
        "customers": d["customers"],
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "workers": args.workers,
        "runs": args.runs,
        "warmup": args.warmup,
        "long_history_customer": d["long_id"],
        "lookup_bound_ms": bound,
        "results": base_rows + rows,
        "queue": queue,
    }
    out = ROOT / "var" / "bench" / f"http-{db_name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    print(markdown(doc))
    access_log.unlink(missing_ok=True)
    log(f"written {out}")
    return doc


if __name__ == "__main__":
    main()
