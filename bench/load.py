"""Load test (issue 10 item 7): a sales office's morning, with locust, headless, on loopback.

    DATABASE_URL=postgres://…/anju_bench_1000000 python bench/load.py --users 200 --rate 50 \\
        --run-time 3m

Starts gunicorn as bench/http.py does (4 workers, DEBUG off, persistent connections), then
``--users`` simulated staff ramp up and sign in through the login form: sales consultants
spread over the bench consultants ``bench_<project>_NN`` (``seed_customers --consultants``),
a few sales managers and call-centre agents. Each logs calls and visits (the API, session and
CSRF as the pages' scripts do), searches customers, opens his customers' 360° pages and the
lists, looks numbers up and completes his tasks, paced so that all of them together send
about ``--rate`` requests a second: each user at random (exponential) intervals, so that the
office's requests arrive as independent people's do (``--pacing constant`` for locust's
fixed period, which locks users into step). Bounded: ``--run-time`` and ``--users``;
loopback only.

Two phases are reported: the sign-in wave (until every user has signed in: password hashing
is the heaviest request) and the steady morning after it, which the targets judge (0 errors,
p95 < 300 ms per request type at the target rate). Prints p50/p95 per request type, errors
and throughput; writes var/bench/load-<db>.json.
"""

import os
import sys
from pathlib import Path

# bench/http.py is named like the standard library's ``http``: keep this folder last.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]

from gevent import monkey  # noqa: E402

monkey.patch_all()  # before anything imports socket or ssl (locust would do it on import)

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import gevent  # noqa: E402
import server  # noqa: E402
from locust import HttpUser, constant_throughput, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from pacing import poisson_throughput  # noqa: E402

SHANGHAI = timezone(timedelta(hours=8))
P95_TARGET = 300.0
OUTCOMES = ["已电话联系，客户周六上午来访", "客户暂时没空，下周再约", "已确认来访时间"]
QUESTIONS = ["询问均价和首付比例", "三房户型还有没有", "问学区和交付时间", "样板房开放时间"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def parse_duration(text: str) -> int:
    m = re.fullmatch(r"(\d+)([smh]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError("a duration like 90s, 3m or 1h")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def staff_and_books(database_url: str, per_person: int = 40):
    """Who signs in: the bench consultants with their project and some of their customers
    (id, phone), plus the demo's managers and call-centre agent; read once, before the run."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT u.id, u.username, ra.project_id, p.company_id FROM org_user u "
            "JOIN org_roleassignment ra ON ra.user_id = u.id "
            "JOIN org_project p ON p.id = ra.project_id "
            "WHERE u.username LIKE 'bench\\_%%' AND ra.role = 'sales_consultant' "
            "AND u.is_active ORDER BY u.username"
        ).fetchall()
        if not rows:
            raise SystemExit("no bench consultants: run seed_customers --consultants 20")
        ids = [r[0] for r in rows]
        books: dict[int, list] = {i: [] for i in ids}
        for owner, cid, phone in conn.execute(
            "SELECT owner_id, id, phone FROM ("
            " SELECT owner_id, id, phone, row_number() OVER (PARTITION BY owner_id"
            " ORDER BY last_activity_at DESC NULLS LAST, id DESC) AS n"
            " FROM customers_customer WHERE owner_id = ANY(%s)) t WHERE n <= %s",
            [ids, per_person],
        ):
            books[owner].append((cid, phone))
        company_phones = {}
        for (company_id,) in conn.execute("SELECT id FROM org_company"):
            company_phones[company_id] = [
                p
                for (p,) in conn.execute(
                    "SELECT phone FROM customers_customerphone WHERE company_id = %s "
                    "AND customer_id > (SELECT max(id) FROM customers_customer) - 200000 "
                    "LIMIT 500",
                    [company_id],
                )
            ]
    consultants = [
        {
            "username": u,
            "project_id": pid,
            "company_id": cid,
            "book": books[uid],
        }
        for uid, u, pid, cid in rows
        if books[uid]
    ]
    return consultants, company_phones


PACINGS = {"poisson": poisson_throughput, "constant": constant_throughput}


def make_user_class(
    consultants, company_phones, per_user_rate, *, users=0, signed_in=None, pacing="poisson"
):
    """The simulated staff; ``signed_in()`` is called once all ``users`` have signed in."""
    pool = itertools.cycle(consultants)
    done = [0]
    others = itertools.cycle(["manager", "manager_zh", "callcentre", "management"])
    sz_phones = next(iter(company_phones.values()), [])

    class Staff(HttpUser):
        wait_time = PACINGS[pacing](per_user_rate)

        def on_start(self):
            self.rng = random.Random()
            # nine in ten are consultants; the rest managers and the call centre
            if self.rng.random() < 0.9:
                self.me = next(pool)
                self.username = self.me["username"]
            else:
                self.me = None
                self.username = next(others)
            self.client.get("/login/", name="GET /login/")
            token = self.client.cookies.get("csrftoken")
            with self.client.post(
                "/login/",
                data={
                    "username": self.username,
                    "password": server.DEMO_PASSWORD,
                    "csrfmiddlewaretoken": token,
                    "next": "/",
                },
                headers={"Referer": f"{self.host}/login/"},
                allow_redirects=False,
                name="POST /login/ (sign in)",
                catch_response=True,
            ) as r:
                if r.status_code == 302:
                    r.success()
                else:
                    r.failure(f"sign-in as {self.username}: HTTP {r.status_code}")
            self.client.headers["X-CSRFToken"] = self.client.cookies.get("csrftoken") or ""
            self.client.headers["Referer"] = f"{self.host}/"
            done[0] += 1  # greenlets: no race between the increment and the test
            if done[0] == users and signed_in:
                signed_in()

        # --- helpers ---------------------------------------------------------------------------

        def _customer(self):
            return self.rng.choice(self.me["book"]) if self.me else (None, None)

        def _phone(self):
            if self.me:
                return self._customer()[1]
            return self.rng.choice(sz_phones) if sz_phones else "13800000000"

        def _new_caller(self):
            prefix = self.rng.choice(["138", "139", "136", "150", "158", "186", "188"])
            phone = f"{prefix}{self.rng.randrange(10**8):08d}"
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + self.rng.choice(GIVEN)
            return phone, name

        def _now(self, minutes_ago=0):
            return (datetime.now(SHANGHAI) - timedelta(minutes=minutes_ago)).isoformat(
                timespec="seconds"
            )

        def _post(self, path, body, name, ok=(200, 201)):
            with self.client.post(path, json=body, name=name, catch_response=True) as r:
                if r.status_code in ok:  # a 404 or 409 that is an answer, not an error
                    r.success()
                else:
                    r.failure(f"HTTP {r.status_code}: {r.text[:200]}")
                return r

        # --- the morning -----------------------------------------------------------------------

        @task(3)
        def log_call(self):
            if not self.me:
                return self.lists()
            if self.rng.random() < 0.5:  # a customer of his calls back
                _cid, phone = self._customer()
                name = "回访客户"
            else:
                phone, name = self._new_caller()
            self._post(
                "/api/v1/calls",
                {
                    "project_id": self.me["project_id"],
                    "rings": self.rng.randint(1, 3),
                    "answer_seconds": self.rng.randint(3, 15),
                    "duration_seconds": self.rng.randint(60, 600),
                    "phone": phone,
                    "name": name,
                    "questions": self.rng.choice(QUESTIONS),
                    "visit_wanted": self.rng.random() < 0.3,
                },
                "POST /api/v1/calls (log a call)",
                ok=(201, 409),  # 409: a colleague's protected number, an answer not an error
            )

        @task(2)
        def register_visit(self):
            if not self.me:
                return self.lists()
            cid, _phone = self._customer()
            self._post(
                "/api/v1/visits",
                {
                    "project_id": self.me["project_id"],
                    "customer_id": cid,
                    "arrived_at": self._now(minutes_ago=10),
                    "reception_started_at": self._now(minutes_ago=9),
                    "party_size": self.rng.randint(1, 3),
                    "products_shown": "样板房参观",
                    "next_step": "周末带家人再来看房",
                },
                "POST /api/v1/visits (register a visit)",
                ok=(201, 409),
            )

        @task(2)
        def search(self):
            phone = self._phone()
            if self.rng.random() < 0.5:
                self._post(
                    "/api/v1/customers/search",
                    {"q": phone[-4:]},
                    "POST /api/v1/customers/search (last 4)",
                )
            else:  # the list page's search form: POST, redirect to ?s=<token>
                with self.client.post(
                    "/customers/",
                    data={"q": phone, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken")},
                    name="POST /customers/ → ?s= (search by phone)",
                    catch_response=True,
                ) as r:
                    if r.status_code == 200:
                        r.success()
                    else:
                        r.failure(f"HTTP {r.status_code}")

        @task(2)
        def open_360(self):
            if not self.me:
                return self.lookup()
            cid, _phone = self._customer()
            self.client.get(f"/customers/{cid}/", name="GET /customers/<id>/ (360°)")

        @task(3)
        def lists(self):
            path = self.rng.choice(
                [
                    "/customers/",
                    "/reception/tasks/",
                    "/reception/calls/",
                    "/reception/visits/",
                    "/reception/opportunities/",
                    "/api/v1/customers",
                    "/api/v1/tasks",
                ]
            )
            self.client.get(path, name=f"GET {path}")

        @task(1)
        def lookup(self):
            self._post(
                "/api/v1/customers/lookup",
                {"phone": self._phone()},
                "POST /api/v1/customers/lookup",
                ok=(200, 404),
            )

        @task(1)
        def complete_task(self):
            if not self.me:
                return self.lists()
            bucket = self.rng.choice(["today", "overdue"])
            r = self.client.get(f"/api/v1/tasks?bucket={bucket}", name="GET /api/v1/tasks?bucket=")
            if r.status_code != 200:
                return
            items = [t for t in r.json().get("items", []) if t.get("status") == "open"]
            if not items:
                return
            t = self.rng.choice(items)
            self._post(
                f"/api/v1/tasks/{t['id']}/complete",
                {"outcome": self.rng.choice(OUTCOMES)},
                "POST /api/v1/tasks/<id>/complete",
                ok=(200, 409),  # 409: a colleague of the same login completed it first
            )

    return Staff


def collect(stats, elapsed=None):
    """Rows per request type, the total and the errors of a locust stats object."""

    def row(name, e):
        return {
            "request": name,
            "requests": e.num_requests,
            "failures": e.num_failures,
            "p50": e.get_response_time_percentile(0.5),
            "p95": e.get_response_time_percentile(0.95),
            "max": round(e.max_response_time or 0, 1),
        }

    rows = [row(name, e) for (name, _m), e in sorted(stats.entries.items()) if e.num_requests]
    errors = [
        {"request": e.name, "error": str(e.error)[:300], "count": e.occurrences}
        for e in stats.errors.values()
    ]
    return rows, row("all", stats.total), errors


def table(rows, total, errors, elapsed):
    rate = round(total["requests"] / elapsed, 2) if elapsed else "–"
    print(
        f"Overall: {total['requests']:,} requests, {total['failures']} failures, {rate} req/s, "
        f"p50 {total['p50']} ms, p95 {total['p95']} ms\n"
    )
    print("| request | n | failures | p50 ms | p95 ms | max ms | req/s | p95 < 300 & 0 errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ok = "✓" if r["failures"] == 0 and r["p95"] < P95_TARGET else "✗"
        r_rate = round(r["requests"] / elapsed, 2) if elapsed else "–"
        print(
            f"| {r['request']} | {r['requests']} | {r['failures']} | {r['p50']} | "
            f"{r['p95']} | {r['max']} | {r_rate} | {ok} |"
        )
    for e in errors[:10]:
        print(f"\nerror ×{e['count']} {e['request']}: {e['error']}")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second, overall")
    parser.add_argument("--run-time", type=parse_duration, default=parse_duration("3m"))
    parser.add_argument(
        "--ramp", type=parse_duration, default=None, help="spawn time (default run-time / 3)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--pacing",
        choices=sorted(PACINGS),
        default="poisson",
        help="when each user acts: at random intervals (poisson, independent people) or "
        "exactly every users/rate seconds (constant: locust's constant_throughput)",
    )
    parser.add_argument("--host", default=None, help="an already running server (loopback)")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL (or --database-url) to a PostgreSQL bench database")
    if args.users < 1 or args.users > 2000 or args.run_time > 3600:
        raise SystemExit("bounded: 1–2000 users, at most 1h")
    if args.host and urlparse(args.host).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("loopback only")

    def log(m):
        print(m, file=sys.stderr, flush=True)

    consultants, company_phones = staff_and_books(args.database_url)
    log(f"{len(consultants)} bench consultants with their customers")
    # each task is about one request; sign-in and page search make two
    per_user = args.rate / args.users
    ramp = args.ramp if args.ramp is not None else max(1, args.run_time // 3)
    phases = {}
    current = {}

    def ramped():
        # The sign-in wave is its own phase; the steady morning is measured from here.
        env = current["env"]
        phases["ramp"] = (collect(env.stats), time.monotonic() - current["started"])
        phases["steady_from"] = time.monotonic()
        env.stats.reset_all()

    user_class = make_user_class(
        consultants,
        company_phones,
        per_user,
        users=args.users,
        signed_in=ramped,
        pacing=args.pacing,
    )

    def run(base):
        env = Environment(user_classes=[user_class], host=base)
        runner = env.create_local_runner()
        started = time.monotonic()
        current.update(env=env, started=started)
        runner.start(args.users, spawn_rate=max(args.users / ramp, 0.1))
        gevent.spawn_later(args.run_time, runner.quit)
        runner.greenlet.join()
        elapsed = time.monotonic() - phases.get("steady_from", started)
        return env, elapsed

    if args.host:
        env, elapsed = run(args.host.rstrip("/"))
    else:
        with server.gunicorn(args.database_url, workers=args.workers, log=log) as base:
            env, elapsed = run(base)
    stats = env.stats
    rows, total, errors = collect(stats, elapsed)
    ramp_rows, ramp_total, ramp_errors = phases.get("ramp", ((None, None, None), 0))[0]
    ramp_elapsed = phases.get("ramp", (None, 0))[1]
    doc = {
        "database": urlparse(args.database_url).path.lstrip("/"),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "users": args.users,
        "target_rate": args.rate,
        "run_time_s": args.run_time,
        "ramp_s": ramp,
        "workers": args.workers,
        "pacing": args.pacing,
        "steady_s": round(elapsed, 1),
        "requests": total["requests"],
        "failures": total["failures"],
        "throughput_rps": round(total["requests"] / elapsed, 2) if elapsed else None,
        "p50": total["p50"],
        "p95": total["p95"],
        "results": rows,
        "errors": errors,
        "ramp": {
            "seconds": round(ramp_elapsed, 1),
            "total": ramp_total,
            "results": ramp_rows,
            "errors": ramp_errors,
        },
    }
    out = server.ROOT / "var" / "bench" / f"load-{doc['database']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
    print(
        f"### Load test — {doc['database']}, {doc['date']}: {args.users} users "
        f"(ramp {ramp}s), target {args.rate:g} req/s, {args.run_time}s, "
        f"{args.workers} gunicorn workers, {doc['cpus']} CPUs, {args.pacing} pacing\n"
    )
    if ramp_rows is not None:
        print(f"#### Sign-in wave (until all {args.users} signed in, {ramp_elapsed:.0f}s)\n")
        table(ramp_rows, ramp_total, ramp_errors, ramp_elapsed)
    if ramp_rows is None:
        print(f"#### Not everyone signed in within the run: the whole run ({elapsed:.0f}s)\n")
    else:
        print(f"#### Steady morning (everyone signed in, {elapsed:.0f}s): judged\n")
    table(rows, total, errors, elapsed)
    log(f"written {out}")
    return doc


if __name__ == "__main__":
    main()
