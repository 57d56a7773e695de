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


def page_of(user, page=1, **filters):
    def run():
        qs = customer_list(fresh(user), **filters)
        start = (page - 1) * PAGE
        return len(list(qs[start : start + PAGE]))

    return run


def keyset_of(user, after, **filters):
    """The same deep page by keyset (created_at, id) < cursor: what 'next page' links can use."""
    created_at, pk = after

    def run():
        from django.db.models import Q

        qs = customer_list(fresh(user), **filters).filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
        )
        return len(list(qs[:PAGE]))

    return run


def count_of(user, **filters):
    def run():
        return customer_list(fresh(user), **filters).count()

    return run


def main():
    consultant = User.objects.get(username="consultant")
    management = User.objects.get(username="management")
    company = management.company
    total = Customer.objects.count()
    mgmt_total = customer_list(management).count()
    cons_total = customer_list(consultant).count()
    deep_mgmt = max(1, min(2000, mgmt_total // PAGE // 2))
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

    def cursor_at(user, page, **filters):
        start = (page - 1) * PAGE - 1
        row = customer_list(user, **filters).values_list("created_at", "id")[start]
        return tuple(row)

    def lookup_proposed(user, pool):
        """customer_by_phone with the phone's company in the join: the unique index serves it."""

        def run():
            ph = rng.choice(pool)
            qs = (
                Customer.objects.visible_to(fresh(user))
                .filter(company=company, phones__company=company, phones__phone=ph)
                .select_related("owner", "project")
            )
            return 1 if qs.first() else 0

        return run

    def search_proposed(user, text):
        """Name/pinyin search with code compared exactly (codes are upper case), no DISTINCT."""
        from django.db.models import Q

        def run():
            lower = text.lower()
            if text.isascii():
                q = Q(name_initials__startswith=lower) | Q(name_pinyin__startswith=lower)
            else:
                q = Q(name__startswith=text)
            q |= Q(code=text.upper())
            qs = customer_list(fresh(user)).filter(q)
            return len(list(qs[:PAGE]))

        return run

    def keyset_proposed(user, after):
        """Keyset with a plain range on created_at first, so the index scan starts there."""
        created_at, pk = after
        from django.db.models import Q

        def run():
            qs = customer_list(fresh(user)).filter(
                Q(created_at__lte=created_at),
                Q(created_at__lt=created_at) | Q(id__lt=pk),
            )
            return len(list(qs[:PAGE]))

        return run

    def capped_count(user, cap=10_000, **filters):
        def run():
            return customer_list(fresh(user), **filters)[: cap + 1].count()

        return run

    last4 = phones[0][-4:]
    cases = [
        ("consultant: list page 1", page_of(consultant)),
        (f"consultant: list page {deep_cons} (OFFSET)", page_of(consultant, deep_cons)),
        ("consultant: filtered (status=lead, grade=B) page 1",
         page_of(consultant, status="lead", grade="B")),
        ("consultant: count for the pager", count_of(consultant)),
        ("management: list page 1", page_of(management)),
        ("management: filtered (status=visitor, grade=A, source=online) page 1",
         page_of(management, status="visitor", grade="A", source="online")),
        (f"management: list page {deep_mgmt} (OFFSET)", page_of(management, deep_mgmt)),
        (f"management: list page {deep_mgmt} (keyset)",
         keyset_of(management, cursor_at(management, deep_mgmt))),
        (f"management: filtered page {max(1, deep_mgmt // 10)} (OFFSET)",
         page_of(management, max(1, deep_mgmt // 10), status="lead")),
        ("management: count for the pager", count_of(management)),
        ("management: count, filtered (status=lead)", count_of(management, status="lead")),
        ("management: search last 4 digits", page_of(management, q=last4)),
        ("management: search name prefix 张伟", page_of(management, q="张伟")),
        ("management: search pinyin initials zw", page_of(management, q="zw")),
        ("proposed: management keyset page (range on created_at)",
         keyset_proposed(management, cursor_at(management, deep_mgmt))),
        ("proposed: management count capped at 10,000", capped_count(management)),
        ("proposed: search name prefix 张伟 (code exact, no DISTINCT)",
         search_proposed(management, "张伟")),
        ("proposed: search pinyin initials zw (code exact, no DISTINCT)",
         search_proposed(management, "zw")),
        ("proposed: phone lookup with phones__company", lookup_proposed(management, phones)),
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
