"""Benchmarks entry point (`make bench`): selectors, then real HTTP through gunicorn.

    python bench/run.py                 # sizes from ANJU_BENCH_SIZES (default 100000,1000000)
    python bench/run.py 100000          # one size
    DATABASE_URL=postgres://…/db python bench/run.py            # that database instead
    DATABASE_URL=… python bench/run.py --build 1000000          # … filled to 1M if short

Each size gets its own database ``anju_bench_<size>`` on ANJU_BENCH_PG (default
postgres://postgres@127.0.0.1:5432), built once (migrate, seed_demo, seed_customers with 20
consultants per project, seed_activity: 100k calls, 50k visits, 150k tasks, 20k
opportunities and a long-history customer per company, VACUUM ANALYZE) and reused. With
DATABASE_URL set, that database is measured; it is built only when it holds no customers
(to 1,000,000, or the size given) or with ``--build``. Results go to var/bench/*.json and
Markdown tables on stdout; docs/benchmarks.md records the numbers with machine and date.
``--no-http`` skips bench/http.py; ``--load`` also runs the load test (bench/load.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("ANJU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PY = sys.executable


def sh(cmd, env=None):
    print("$", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, **(env or {})})


def psql(url, sql):
    return subprocess.run(
        ["psql", url, "-Atc", sql], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


def prepare(size: int, url: str | None = None) -> str:
    if url is None:
        name = f"anju_bench_{size}"
        url = f"{PG}/{name}"
        if psql(f"{PG}/postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
            psql(f"{PG}/postgres", f"CREATE DATABASE {name}")
    have = psql(url, "SELECT count(*) FROM customers_customer") or "0"
    if not have.isdigit() or int(have) == 0:
        env = {"DATABASE_URL": url}
        sh([PY, "manage.py", "migrate", "-v0"], env)
        sh([PY, "manage.py", "seed_demo"], env)
        have = psql(url, "SELECT count(*) FROM customers_customer")
    missing = size - int(have)
    if missing > 0:
        sh(
            [PY, "manage.py", "seed_customers", "--customers", str(missing), "--consultants", "20"],
            {"DATABASE_URL": url},
        )
        psql(url, "VACUUM ANALYZE")
    # activity (totals: tops up what is missing, adds nothing when there; VACUUM ANALYZE)
    sh([PY, "manage.py", "seed_activity"], {"DATABASE_URL": url})
    return url


def has_customers(url: str) -> bool:
    have = psql(url, "SELECT count(*) FROM customers_customer")
    return have.isdigit() and int(have) > 0


def targets(argv):
    """The database URLs to measure, built as needed."""
    flags = {a for a in argv if a.startswith("--")}
    sizes = [int(a) for a in argv if not a.startswith("--")]
    given = os.environ.get("DATABASE_URL", "")
    if given:
        if not given.startswith("postgres"):
            raise SystemExit("DATABASE_URL must be a PostgreSQL database for the benchmarks")
        if "--build" in flags or not has_customers(given):
            prepare(sizes[0] if sizes else 1_000_000, given)
        return [given]
    sizes = sizes or [
        int(s) for s in os.environ.get("ANJU_BENCH_SIZES", "100000,1000000").split(",")
    ]
    return [prepare(size) for size in sizes]


def main(argv):
    flags = {a for a in argv if a.startswith("--")}
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    for url in targets(argv):
        size = url.rsplit("/", 1)[-1].removeprefix("anju_bench_")
        done = subprocess.run(
            [PY, "bench/customers.py"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=True,
        )
        data = json.loads(done.stdout)
        (out_dir / f"customers-{size}.json").write_text(done.stdout)
        print(f"\n### {data['customers']:,} customers ({data['database']}, {data['cpus']} CPUs)\n")
        print("| case | p50 ms | p95 ms |\n|---|---:|---:|")
        for r in data["results"]:
            print(f"| {r['case']} | {r['p50']} | {r['p95']} |")
        env = {**os.environ, "DATABASE_URL": url}
        if "--no-http" not in flags:
            print()
            subprocess.run([PY, "bench/http.py"], cwd=ROOT, env=env, check=True)
        if "--load" in flags:
            print()
            subprocess.run([PY, "bench/load.py"], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
