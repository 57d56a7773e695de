"""Campaign benchmarks (issue 11 item 12, MSG-2): the pending-send list of 1,000,000 recipients,
and the send rate through the outbox with 4 workers.

    python bench/campaigns.py            # builds anju_bench_campaigns once, then measures

The database is a copy of ``anju_bench_1000000`` (bench/run.py builds that one: seed_demo
plus 1,000,000 customers) named ``anju_bench_campaigns``, so the shared benchmark database
keeps its migrations: made once with ``CREATE DATABASE … TEMPLATE`` and migrated with this
checkout. In the copy every customer is moved into one company (seed_customers spreads
them over two), so ONE campaign has a million candidates, and every 100th number has opted
out (10,000 opt-outs): the consent check works on real rows.

1. **Generate**: a marketing SMS campaign of the group centre (he sees every customer) to
   the whole company, text with {称呼} {项目} {顾问}: the background job
   (``run_campaign_generate``) runs in this process; wall time, rows per second, and the
   process's resident memory sampled every second (start, peak, at each quarter) — flat
   means the peak does not grow with the rows done.
2. **Release and send**: a service campaign to one consultant's customers (≈16,000) is
   approved and released into the outbox (``run_campaign_send``: ``message_enqueue`` per row,
   in batches), then 4 ``manage.py send_messages --once`` worker processes send it through
   the development gateway with the rate limit lifted (``ANJU_SMS_RATE``); the rate is
   messages sent per second of wall time, every message sent exactly once (keys checked).

Prints a Markdown table and writes var/bench/campaigns.json.
"""

import os
import sys
from pathlib import Path

# bench/http.py is named like the standard library's ``http``: keep this folder off the path
# so ``import http`` (urllib3, Django) finds the real one.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]

import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("ANJU_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SOURCE_DB = "anju_bench_1000000"
DB = "anju_bench_campaigns"
WORKERS = 4
PY = sys.executable


def psql(db, sql):
    done = subprocess.run(
        ["psql", f"{PG}/{db}", "-Atc", sql], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def prepare() -> str:
    url = f"{PG}/{DB}"
    if psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") != "1":
        if psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{SOURCE_DB}'") != "1":
            raise SystemExit(f"build {SOURCE_DB} first: python bench/run.py 1000000 --no-http")
        psql("postgres", f"CREATE DATABASE {DB} TEMPLATE {SOURCE_DB}")
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    company = psql(DB, "SELECT id FROM org_company WHERE code = 'sz'")
    psql(DB, f"UPDATE customers_customer SET company_id = {company} WHERE company_id <> {company}")
    if psql(DB, "SELECT count(*) FROM messaging_optout") in ("", "0"):
        psql(
            DB,
            "INSERT INTO messaging_optout (holding_id, channel, address, created_at) "
            "SELECT DISTINCT ON (c.phone) co.holding_id, 'sms', c.phone, now() "
            "FROM customers_customer c JOIN org_company co ON co.id = c.company_id "
            "WHERE c.id % 100 = 0 ORDER BY c.phone",
        )
    # the previous run's campaigns, lists and messages (this database is the benchmark's own)
    psql(
        DB,
        "DELETE FROM messaging_campaignrecipient; "
        "DELETE FROM messaging_message WHERE source LIKE 'campaign:%'; "
        "UPDATE messaging_campaign SET approval_id = NULL; "
        "DELETE FROM approvals_approvalrequest WHERE kind = 'messaging.campaign'; "
        "DELETE FROM messaging_campaign; "
        "DELETE FROM core_job WHERE kind LIKE 'campaign_%'",
    )
    psql(DB, "VACUUM ANALYZE customers_customer")
    psql(DB, "VACUUM messaging_campaignrecipient")
    return url


class RssSampler(threading.Thread):
    """The process's resident memory (MB) every second, with the rows done at the time."""

    def __init__(self, job_ref):
        super().__init__(daemon=True)
        self.samples, self.stop, self.job_ref = [], threading.Event(), job_ref

    @staticmethod
    def rss_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def run(self):
        while not self.stop.wait(1.0):
            self.samples.append((self.job_ref(), self.rss_mb()))


def bench_generate(group, company):
    from anju.core.models import Job
    from anju.messaging.campaign_services import (
        campaign_create,
        campaign_generate,
        run_campaign_generate,
    )

    campaign = campaign_create(
        by=group,
        company=company,
        name=f"bench 1M {time.strftime('%H:%M:%S')}",
        text="{称呼}您好，{项目}万客会周末软装讲座，置业顾问{顾问}已为您预留座位。",
        source_params={},
    )
    job = campaign_generate(by=group, campaign=campaign)

    def done():
        row = Job.objects.unscoped("bench").filter(pk=job.pk).values("progress_done").first()
        return row["progress_done"] if row else 0

    sampler = RssSampler(done)
    start_rss = sampler.rss_mb()
    sampler.start()
    started, cpu = time.perf_counter(), time.process_time()
    run_campaign_generate(job_id=job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    sampler.stop.set()
    sampler.join()
    campaign.refresh_from_db()
    counts = campaign.counts
    quarters = {}
    for fraction in (0.25, 0.5, 0.75, 1.0):
        target = counts["candidates"] * fraction
        quarters[f"{int(fraction * 100)}%"] = round(
            next((rss for n, rss in sampler.samples if n >= target), sampler.rss_mb()), 1
        )
    return {
        "campaign": campaign.pk,
        "candidates": counts["candidates"],
        "to_send": counts["to_send"],
        "excluded": {k: v for k, v in counts.items() if k not in ("candidates", "to_send")},
        "segments": campaign.segments,
        "seconds": round(seconds, 1),
        "rows_per_second": round(counts["candidates"] / seconds),
        "python_cpu_seconds": round(cpu, 1),
        "load_average": os.getloadavg(),
        "rss_start_mb": round(start_rss, 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_at": quarters,
    }


def bench_send(group, approver, company, url):
    from anju.customers.models import Customer
    from anju.messaging.campaign_services import (
        campaign_create,
        campaign_decide,
        campaign_generate,
        campaign_send,
        campaign_submit,
        run_campaign_generate,
        run_campaign_send,
    )
    from anju.messaging.models import Message, Status

    owner = (
        Customer.objects.unscoped("bench")
        .filter(company=company)
        .exclude(owner=None)
        .values_list("owner_id", flat=True)
        .order_by("owner_id")
        .first()
    )
    campaign = campaign_create(
        by=group,
        company=company,
        name=f"bench send {time.strftime('%H:%M:%S')}",
        kind="service",
        text="{称呼}您好，您的交付资料已准备好，请到{项目}客服中心领取。",
        source_params={"owner": str(owner)},
    )
    run_campaign_generate(job_id=campaign_generate(by=group, campaign=campaign).pk)
    campaign_submit(by=group, campaign=campaign)
    campaign = campaign_decide(by=approver, campaign=campaign)
    job = campaign_send(by=group, campaign=campaign)
    started = time.perf_counter()
    run_campaign_send(job_id=job.pk)
    release_seconds = time.perf_counter() - started
    messages = Message.objects.unscoped("bench").filter(source=campaign.source_name)
    total = messages.count()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ANJU_SMS_RATE": "1000000",
        "ANJU_SMS_GATEWAY": "dev",
        "ANJU_VAR_DIR": str(ROOT / "var" / "bench" / "campaign-send"),
    }
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [PY, "manage.py", "send_messages", "--once", "--batch", "100"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [w.communicate()[0].strip() for w in workers]
    send_seconds = time.perf_counter() - started
    sent = messages.filter(status=Status.SENT).count()
    keys = messages.values("idempotency_key").distinct().count()
    return {
        "campaign": campaign.pk,
        "messages": total,
        "release_seconds": round(release_seconds, 1),
        "release_per_second": round(total / release_seconds),
        "workers": WORKERS,
        "send_seconds": round(send_seconds, 1),
        "sent": sent,
        "distinct_keys": keys,
        "sent_per_second": round(sent / send_seconds),
        "worker_output": outputs,
    }


def main():
    # as production runs: DEBUG off (no query log), a random secret key
    os.environ["ANJU_DEBUG"] = "0"
    os.environ.setdefault("ANJU_SECRET_KEY", secrets.token_urlsafe(50))
    url = prepare()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # the jobs run in this process: the tasks the services enqueue are only recorded
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    from anju.org.models import Company, User

    company = Company.objects.get(code="sz")
    group = User.objects.get(username="group")
    approver = User.objects.get(username="management")
    generate = bench_generate(group, company)
    send = bench_send(group, approver, company, url)
    result = {
        "database": DB,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "generate": generate,
        "send": send,
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "campaigns.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    g, s = generate, send
    print("| measure | result | target |\n|---|---:|---|")
    print(f"| pending-send list, {g['candidates']:,} candidates | {g['seconds']} s "
          f"({g['rows_per_second']:,} rows/s) | < 300 s |")  # fmt: skip
    print(f"| … CPU time of the Python process (the machine's load: "
          f"{', '.join(f'{x:.1f}' for x in g['load_average'])}) | {g['python_cpu_seconds']} s | |")  # fmt: skip
    print(f"| … to send / left out | {g['to_send']:,} / {g['candidates'] - g['to_send']:,} | |")
    print(f"| … resident memory start → peak | {g['rss_start_mb']} → {g['rss_peak_mb']} MB "
          f"(at 25/50/75/100 %: {', '.join(str(v) for v in g['rss_at'].values())}) | flat |")  # fmt: skip
    print(f"| release into the outbox, {s['messages']:,} messages | {s['release_seconds']} s "
          f"({s['release_per_second']:,}/s) | |")  # fmt: skip
    print(f"| send through the outbox, {s['workers']} workers, dev gateway | "
          f"{s['sent']:,} in {s['send_seconds']} s = {s['sent_per_second']:,}/s | |")  # fmt: skip


if __name__ == "__main__":
    main()
