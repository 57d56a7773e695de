"""Benchmarks entry point (`make bench`): customer list and phone lookup on PostgreSQL.

    python bench/run.py                 # sizes from ANJU_BENCH_SIZES (default 100000,1000000)
    python bench/run.py 100000          # one size

Each size gets its own database ``anju_bench_<size>`` on ANJU_BENCH_PG (default
postgres://postgres@127.0.0.1:5432), built once (migrate, seed_demo, seed_customers with 20
consultants per project, VACUUM ANALYZE) and reused. Results go to var/bench/*.json and a
Markdown table on stdout; docs/benchmarks.md records the numbers with machine and date.
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


def prepare(size: int) -> str:
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
    return url


def main(argv):
    sizes = [
        int(s) for s in (argv or os.environ.get("ANJU_BENCH_SIZES", "100000,1000000").split(","))
    ]
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        url = prepare(size)
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


if __name__ == "__main__":
    main(sys.argv[1:])
