"""Customer list and phone lookup timings (issue 3 item 13) against the current DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_bench_100000 python bench/customers.py

Times the selectors the pages and the API use (``customer_list``, ``customer_by_phone``), as
a request would run them: the user's role assignments are read again every time. Prints a
JSON document (one entry per case: p50/p95/max in ms, rows returned).
"""

import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
os.environ.setdefault("ANJU_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from anju.core.pagination import MAX_PAGE, paginate  # noqa: E402
from anju.core.scope import forget_grants  # noqa: E402
from anju.customers.models import Customer, CustomerPhone  # noqa: E402
from anju.customers.selectors import customer_by_phone, customer_list  # noqa: E402
from anju.org.models import User  # noqa: E402

PAGE = 50
RUNS = int(os.environ.get("BENCH_RUNS", "60"))
WARMUP = 5


def timed(fn, runs=RUNS):
    for _ in range(WARMUP):
        fn()
    samples, rows = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        rows = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {
        "p50": round(statistics.median(samples), 2),
        "p95": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max": round(samples[-1], 2),
        "rows": rows,
    }


def fresh(user):
    forget_grants(user)
    return user


def main():
    consultant = User.objects.get(username="consultant")
    management = User.objects.get(username="management")
    company = management.company
    total = Customer.objects.count()
    mgmt_total = customer_list(management).count()
    cons_total = customer_list(consultant).count()
    deep_cons = max(1, cons_total // PAGE // 2)
    phones = list(
        CustomerPhone.objects.filter(company=company)
        .order_by("?")
        .values_list("phone", flat=True)[:500]
    )
    own_phones = list(
        Customer.objects.filter(owner=consultant)
        .order_by("?")
        .values_list("phone", flat=True)[:200]
    )
    rng = random.Random(1)

    def lookup(user, pool):
        def run():
            return 1 if customer_by_phone(fresh(user), company, rng.choice(pool)) else 0

        return run

    def list_page(user, page, **filters):
        """What the list page runs: the capped count plus one page (core.pagination)."""

        def run():
            result = paginate(customer_list(fresh(user), **filters), page, per_page=PAGE)
            return len(result.object_list)

        return run

    last4 = phones[0][-4:]
    cases = [
        ("consultant: list page 1 (count + rows)", list_page(consultant, 1)),
        (f"consultant: list page {min(deep_cons, MAX_PAGE)}", list_page(consultant, min(deep_cons, MAX_PAGE))),
        ("consultant: filtered (status=lead, grade=B) page 1",
         list_page(consultant, 1, status="lead", grade="B")),
        ("management: list page 1 (count + rows)", list_page(management, 1)),
        ("management: filtered (status=visitor, grade=A, source=online) page 1",
         list_page(management, 1, status="visitor", grade="A", source="online")),
        (f"management: list page {MAX_PAGE} (deepest page offered)", list_page(management, MAX_PAGE)),
        ("management: filtered (status=lead) page 20", list_page(management, 20, status="lead")),
        ("management: search last 4 digits", list_page(management, 1, q=last4)),
        ("management: search name prefix 张伟", list_page(management, 1, q="张伟")),
        ("management: search pinyin initials zw", list_page(management, 1, q="zw")),
        ("management: search full phone", list_page(management, 1, q=phones[1])),
        ("phone lookup (management)", lookup(management, phones)),
        ("phone lookup (consultant, own customers)", lookup(consultant, own_phones or phones)),
    ]  # fmt: skip
    results = []
    only = os.environ.get("BENCH_ONLY")
    for name, fn in cases:
        if only and only not in name:
            continue
        r = timed(fn)
        r["case"] = name
        results.append(r)
        print(f"{name:70s} p50 {r['p50']:8.2f}  p95 {r['p95']:8.2f} ms", file=sys.stderr)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    print(
        json.dumps(
            {
                "customers": total,
                "management_sees": mgmt_total,
                "consultant_sees": cons_total,
                "database": version,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
