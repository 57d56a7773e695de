"""Add reception activity at volume to a seeded database (issue 10 item 6: benchmarks).

    manage.py seed_demo
    manage.py seed_customers --customers 1000000 --consultants 20
    manage.py seed_activity            # 100k calls, 50k visits, 150k tasks, 20k opportunities

Counts are totals: a table that already holds that many rows gets none, one that holds fewer
is topped up. Rows go in with COPY on PostgreSQL (``bulk_create`` elsewhere) and are
consistent: a call, visit, task or opportunity is the customer's, in the customer's project,
handled by the customer's owner, after the customer registered and never in the future;
visited leads become visitors, open opportunities make intention, won ones subscribed; the
customer's last activity (and so his protection) follows his latest call or visit. Every row
gets the business event the service would have written (``--no-events`` leaves them out).

Each company also gets ONE customer with a long history, named ``LONG_HISTORY_NAME``
(300 calls, 150 visits, 200 tasks, 20 opportunities and 100 customer events over three
years), the 360° page benchmark's customer. No audit rows: this is benchmark data.
"""

import json
import random
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

LONG_HISTORY_NAME = "长历史客户"
LONG_HISTORY = {"calls": 300, "visits": 150, "tasks": 200, "opportunities": 20, "events": 100}
CALL_HOURS = range(9, 20)
VISIT_HOURS = range(10, 18)


def _insert(model, rows: list[dict], *, with_ids=True) -> list[int]:
    """Insert ``rows`` (attname → value; missing fields take their default) and return the new
    ids in order. COPY on PostgreSQL with ids reserved from the sequence; bulk_create else."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        else:
            defaults[f.attname] = f.get_default()
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        cols = [f.column for f in fields]
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        with connection.cursor() as cur:
            ids = []
            if with_ids:
                cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                seq = cur.fetchone()[0]
                cur.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [seq, seq, len(rows)])
                last = cur.fetchone()[0]
                ids = list(range(last - len(rows) + 1, last + 1))
                cols = ["id", *cols]
            raw = cur.cursor
            with raw.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for i, row in enumerate(rows):
                    values = []
                    for f in fields:
                        v = row.get(f.attname, defaults[f.attname])
                        if f.attname in json_fields:
                            v = json.dumps(v, ensure_ascii=False)
                        values.append(v)
                    copy.write_row([ids[i], *values] if with_ids else values)
        return ids
    objs = [model(**{**defaults, **row}) for row in rows]
    model.objects.bulk_create(objs, batch_size=500)
    stamped = [
        f.attname
        for f in fields
        if (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        and any(f.attname in r for r in rows)
    ]
    if stamped:  # auto_now(_add) stamped "now" on the way in: put the intended history back
        for o, r in zip(objs, rows, strict=True):
            for name in stamped:
                setattr(o, name, r.get(name, now))
        model.objects.bulk_update(objs, stamped, batch_size=500)
    return [o.pk for o in objs]


def _moment(rng, after, now, hours):
    """A local office-hours moment between ``after`` and an hour before ``now``."""
    start = timezone.localtime(max(after, now - timedelta(days=3 * 365)))
    latest = now - timedelta(hours=1)
    span = max((latest - start).days, 0)
    for _ in range(5):
        day = start.date() + timedelta(days=rng.randint(0, span))
        moment = timezone.make_aware(
            datetime.combine(day, dtime(rng.choice(hours), rng.randrange(60)))
        )
        if after <= moment <= latest:
            return moment
    return max(min(after + timedelta(minutes=rng.randrange(1, 120)), latest), after)


class Command(BaseCommand):
    help = "Add calls, visits, follow-up tasks and opportunities to a seeded database (bench)."

    def add_arguments(self, parser):
        parser.add_argument("--calls", type=int, default=100_000)
        parser.add_argument("--visits", type=int, default=50_000)
        parser.add_argument("--tasks", type=int, default=150_000)
        parser.add_argument("--opportunities", type=int, default=20_000)
        parser.add_argument(
            "--no-events", action="store_true", help="Leave out the business events."
        )
        parser.add_argument(
            "--no-long-history",
            action="store_true",
            help=f"Do not add the long-history customer ({LONG_HISTORY_NAME}) per company.",
        )
        parser.add_argument("--seed", type=int, default=2028)

    def handle(self, *args, **opts):
        from anju.customers.models import Customer
        from anju.org.models import Project

        from ...models import FollowUpTask, Opportunity, PhoneCall, Visit

        for name in ("calls", "visits", "tasks", "opportunities"):
            if opts[name] < 0:
                raise CommandError(f"--{name} must be 0 or more")
        if not Project.objects.exists():
            raise CommandError("No projects: run `manage.py seed_demo` first.")
        if not Customer.objects.filter(owner__isnull=False, project__isnull=False).exists():
            raise CommandError("No owned customers: run `manage.py seed_customers` first.")
        started = time.monotonic()
        self.rng = random.Random(opts["seed"])
        self.events = not opts["no_events"]
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self._load_reference()
        want = {
            "calls": max(0, opts["calls"] - PhoneCall.objects.count()),
            "visits": max(0, opts["visits"] - Visit.objects.count()),
            "tasks": max(0, opts["tasks"] - FollowUpTask.objects.count()),
            "opportunities": max(0, opts["opportunities"] - Opportunity.objects.count()),
        }
        made = {k: 0 for k in want}
        if any(want.values()):
            with transaction.atomic():
                made = self._bulk(want)
        else:
            self.stdout.write("Activity already at the requested counts: nothing to add.")
        long_made = []
        if not opts["no_long_history"]:
            with transaction.atomic():
                long_made = self._long_histories()
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:  # VACUUM cannot run in a transaction (tests)
                cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"{made['calls']:,} calls, {made['visits']:,} visits, {made['tasks']:,} tasks, "
                f"{made['opportunities']:,} opportunities added; long-history customers: "
                f"{', '.join(long_made) or 'already there'}; "
                f"{time.monotonic() - started:.1f}s."
            )
        )

    # --- reference data ------------------------------------------------------------------------

    def _load_reference(self):
        from django.contrib.contenttypes.models import ContentType

        from anju.customers.models import Customer
        from anju.org.models import Company, Project

        from ...demo import LOSS_REASONS, NEXT_STEPS, OUTCOMES, QUESTIONS, WIN_REASONS
        from ...models import (
            FollowUpTask,
            LossReason,
            Opportunity,
            PhoneCall,
            RiskFactor,
            Visit,
            WinReason,
        )

        self.texts = {
            "questions": QUESTIONS,
            "next_steps": NEXT_STEPS,
            "outcomes": OUTCOMES,
        }
        self.ct = {
            m._meta.model_name: ContentType.objects.get_for_model(m).pk
            for m in (Customer, PhoneCall, Visit, FollowUpTask, Opportunity)
        }
        self.protection = {c.pk: c.customer_protection_days for c in Company.objects.all()}
        self.projects = {p.pk: p for p in Project.objects.all()}
        self.factors: dict[int, list[int]] = {}
        for f in RiskFactor.objects.filter(is_active=True).order_by("sort_order", "id"):
            self.factors.setdefault(f.project_id, []).append(f.pk)
        self.win: dict[int, list[int]] = {}
        self.loss: dict[int, list[int]] = {}
        for company_id in self.protection:
            self.win[company_id] = list(
                WinReason.objects.filter(company_id=company_id).values_list("pk", flat=True)
            )
            self.loss[company_id] = list(
                LossReason.objects.filter(company_id=company_id).values_list("pk", flat=True)
            )
            for model, names, store in (
                (WinReason, WIN_REASONS, self.win),
                (LossReason, LOSS_REASONS, self.loss),
            ):
                if not store[company_id]:
                    store[company_id] = [
                        model.objects.create(company_id=company_id, name=n, sort_order=i).pk
                        for i, n in enumerate(names)
                    ]

    def _pool(self, size):
        """``size`` random owned customers (not the long-history ones), as plain dicts."""
        from anju.customers.models import Customer

        qs = (
            Customer.objects.filter(owner__isnull=False, project__isnull=False)
            .exclude(name=LONG_HISTORY_NAME)
            .order_by("?")
            .values("id", "company_id", "project_id", "owner_id", "phone", "name")
            .annotate(created=models.F("created_at"), st=models.F("status"))
        )
        return list(qs[: max(size, 1)])

    # --- rows ----------------------------------------------------------------------------------

    def _call_row(self, c, called_at, repeat):
        rng = self.rng
        booked = None
        if rng.random() < 0.25:
            day = timezone.localtime(called_at).date() + timedelta(days=rng.randrange(1, 6))
            booked = timezone.make_aware(datetime.combine(day, dtime(rng.choice([10, 14, 15]))))
        return {
            "company_id": c["company_id"],
            "project_id": c["project_id"],
            "consultant_id": c["owner_id"],
            "customer_id": c["id"],
            "called_at": called_at,
            "rings": rng.choice([1, 2, 2, 3, 3, 4, None]),
            "answer_seconds": rng.randrange(3, 25),
            "duration_seconds": rng.randrange(60, 900),
            "form_opened_at": called_at - timedelta(seconds=rng.randrange(5, 60)),
            "phone": c["phone"],
            "caller_name": c["name"],
            "is_repeat": repeat,
            "questions": rng.choice(self.texts["questions"]),
            "visit_wanted": booked is not None or rng.random() < 0.3,
            "visit_booked_for": booked,
            "created_at": called_at,
            "updated_at": called_at,
        }

    def _visit_row(self, c, arrived, booked_call=None):
        rng = self.rng
        total = len(self.factors.get(c["project_id"], []))
        disclosed = total if rng.random() < 0.8 else max(total - 1, 0)
        started = arrived + timedelta(seconds=rng.randrange(5, 150))
        return {
            "company_id": c["company_id"],
            "project_id": c["project_id"],
            "consultant_id": c["owner_id"],
            "received_by_id": c["owner_id"],
            "customer_id": c["id"],
            "arrived_at": arrived,
            "reception_started_at": started,
            "waiting_seconds": int((started - arrived).total_seconds()),
            "form_opened_at": arrived,
            "party_size": rng.choice([1, 1, 2, 2, 2, 3, 4]),
            "products_shown": "样板房参观",
            "layouts_shown": [],
            "booked_call_id": booked_call,
            "risk_factors_total": total,
            "risk_factors_disclosed_count": disclosed,
            "club_invited": rng.random() < 0.7,
            "next_step": rng.choice(self.texts["next_steps"]),
            "created_at": arrived,
            "updated_at": arrived,
        }

    def _task_row(self, c, after, source_kind, source_id):
        from ...followup_rules import (
            RULE_NEXT_DAY_CALL,
            RULE_NO_INTENT_CALL,
            RULE_POST_VISIT,
            RULE_THANK_YOU_SMS,
            RULE_VISIT_CONFIRMATION,
        )
        from ...models import TaskKind, TaskStatus

        rng = self.rng
        day = timezone.localtime(after).date()
        if source_kind == "visit":
            kind, rule, title, days = TaskKind.FOLLOW_UP, RULE_POST_VISIT, "来访后跟进", 1
        else:
            kind, rule, title, days = rng.choice(
                [
                    (TaskKind.SMS, RULE_THANK_YOU_SMS, "感谢来电短信", 0),
                    (TaskKind.CALL, RULE_NEXT_DAY_CALL, "电话邀约来访", 1),
                    (TaskKind.VISIT_CONFIRMATION, RULE_VISIT_CONFIRMATION, "来访确认电话", 2),
                    (TaskKind.FOLLOW_UP, RULE_NO_INTENT_CALL, "电话回访", 3),
                ]
            )
        due = day + timedelta(days=days)
        status, done_at, outcome = TaskStatus.OPEN, None, ""
        if due < self.today:
            r = rng.random()
            if r < 0.85:
                status = TaskStatus.DONE
            elif r < 0.9:
                status = TaskStatus.CANCELLED
        if status != TaskStatus.OPEN:
            done_at = timezone.make_aware(datetime.combine(due, dtime(rng.choice(CALL_HOURS))))
            done_at = min(max(done_at, after), self.now - timedelta(minutes=5))
            outcome = rng.choice(self.texts["outcomes"]) if status == TaskStatus.DONE else "取消"
        return {
            "company_id": c["company_id"],
            "project_id": c["project_id"],
            "kind": kind,
            "rule": rule,
            "status": status,
            "due_date": due,
            "title": f"{title} · {c['name']}",
            "message": "",
            "assignee_id": c["owner_id"],
            "customer_id": c["id"],
            "source_type_id": self.ct[source_kind],
            "source_id": source_id,
            "done_at": done_at,
            "outcome": outcome,
            "created_at": after,
            "updated_at": done_at or after,
        }

    def _opportunity_row(self, c, after, visit_id):
        from ...models import OPEN_STAGES, Stage

        rng = self.rng
        stage = rng.choice([*OPEN_STAGES, Stage.WON, Stage.LOST, Stage.LOST])
        closed = stage in (Stage.WON, Stage.LOST)
        closed_at = None
        if closed:
            closed_at = min(after + timedelta(days=rng.randrange(1, 30)), self.now)
        return {
            "company_id": c["company_id"],
            "project_id": c["project_id"],
            "consultant_id": c["owner_id"],
            "customer_id": c["id"],
            "stage": stage,
            "products_of_interest": rng.choice(["三室两厅", "四室两厅", "两室一厅", "复式"]),
            "source_visit_id": visit_id,
            "expected_value": Decimal(rng.randrange(250, 900) * 10000),
            "expected_close": timezone.localtime(after).date() + timedelta(days=60),
            "win_reason_id": rng.choice(self.win[c["company_id"]]) if stage == Stage.WON else None,
            "loss_reason_id": rng.choice(self.loss[c["company_id"]])
            if stage == Stage.LOST
            else None,
            "close_note": "",
            "closed_at": closed_at,
            "created_at": after,
            "updated_at": closed_at or after,
        }

    def _event(self, c, verb, kind, target_id, when, details=None, actor=None):
        kind = kind if isinstance(kind, str) else kind._meta.model_name
        return {
            "company_id": c["company_id"],
            "project_id": c["project_id"],
            "actor_id": actor if actor is not None else c["owner_id"],
            "verb": verb,
            "target_type_id": self.ct[kind],
            "target_id": target_id,
            "subject_type_id": self.ct["customer"],
            "subject_id": c["id"],
            "details": details or {},
            "created_at": when,
        }

    # --- the bulk of it ------------------------------------------------------------------------

    def _write(self, model, rows, label):
        t0 = time.monotonic()
        ids = _insert(model, rows)
        self.stdout.write(f"  {label}: {len(rows):,} in {time.monotonic() - t0:.1f}s")
        return ids

    def _bulk(self, want):
        from anju.core.models import Event

        from ...models import FollowUpTask, Opportunity, PhoneCall, Visit

        rng = self.rng
        # Callers call 1–3 times; about half of the visitors called first.
        pool = self._pool(max(want["calls"] * 2 // 3, want["visits"], want["opportunities"], 1))
        self.stdout.write(f"  {len(pool):,} customers drawn for the activity")
        touched: dict[int, list] = {}  # customer id → [customer, latest activity, status]

        def touch(c, when, status=None):
            entry = touched.setdefault(c["id"], [c, when, c["st"]])
            entry[1] = max(entry[1], when)
            if status is not None:
                entry[2] = _later_status(entry[2], status)

        events = []
        # calls
        callers = pool[: max(1, want["calls"] * 2 // 3)]
        rows, call_refs = [], []
        seen = set()
        for _ in range(want["calls"]):
            c = rng.choice(callers)
            when = _moment(rng, c["created"], self.now, CALL_HOURS)
            rows.append(self._call_row(c, when, c["id"] in seen))
            seen.add(c["id"])
            touch(c, when)
        rows.sort(key=lambda r: r["called_at"])
        by_id = {c["id"]: c for c in pool}
        call_ids = self._write(PhoneCall, rows, "calls")
        for cid, r in zip(call_ids, rows, strict=True):
            c = by_id[r["customer_id"]]
            call_refs.append((c, r["called_at"], cid))
            if self.events:
                events.append(
                    self._event(
                        c,
                        "reception.call_logged",
                        PhoneCall,
                        cid,
                        r["called_at"],
                        {"consultant": c["owner_id"], "repeat": r["is_repeat"]},
                    )
                )
        del rows
        # visits: about half after one of the calls (booked by it), the rest walk-ins
        rows = []
        for i in range(want["visits"]):
            if call_refs and i % 2 == 0:
                c, called_at, call_id = rng.choice(call_refs)
                when = _moment(rng, called_at, self.now, VISIT_HOURS)
            else:
                c, call_id = rng.choice(pool), None
                when = _moment(rng, c["created"], self.now, VISIT_HOURS)
            rows.append(self._visit_row(c, when, call_id))
            touch(c, when, "visitor")
        rows.sort(key=lambda r: r["arrived_at"])
        visit_ids = self._write(Visit, rows, "visits")
        visit_refs = []
        through = []
        for vid, r in zip(visit_ids, rows, strict=True):
            c = by_id[r["customer_id"]]
            visit_refs.append((c, r["arrived_at"], vid))
            for f in self.factors.get(r["project_id"], [])[: r["risk_factors_disclosed_count"]]:
                through.append({"visit_id": vid, "riskfactor_id": f})
            if self.events:
                events.append(
                    self._event(
                        c,
                        "reception.visit_registered",
                        Visit,
                        vid,
                        r["arrived_at"],
                        {"consultant": c["owner_id"], "received_by": c["owner_id"]},
                    )
                )
        del rows
        _insert(Visit.risk_factors_disclosed.through, through, with_ids=False)
        # tasks: one per call and per visit in turn, then more on the calls
        sources = [("phonecall", ref) for ref in call_refs] + [("visit", ref) for ref in visit_refs]
        rng.shuffle(sources)
        rows, task_calls = [], []
        for i in range(want["tasks"]):
            if sources:
                kind, (c, after, sid) = sources[i % len(sources)]
            else:
                kind, c, sid = "customer", rng.choice(pool), None
                after = _moment(rng, c["created"], self.now, CALL_HOURS)
            row = self._task_row(
                c, after, "phonecall" if kind == "customer" else kind, sid or c["id"]
            )
            if kind == "customer":
                row["source_type_id"], row["source_id"] = None, None
            rows.append(row)
            if row["done_at"]:
                touch(c, row["done_at"])
        rows.sort(key=lambda r: (r["due_date"], r["created_at"]))
        task_ids = self._write(FollowUpTask, rows, "tasks")
        call_type = self.ct["phonecall"]
        for tid, r in zip(task_ids, rows, strict=True):
            if r["source_type_id"] == call_type:
                task_calls.append({"followuptask_id": tid, "phonecall_id": r["source_id"]})
            if self.events:
                c = by_id[r["customer_id"]]
                events.append(
                    self._event(
                        c,
                        "reception.task_created",
                        FollowUpTask,
                        tid,
                        r["created_at"],
                        {"rule": r["rule"]},
                        actor=None,
                    )
                )
                if r["done_at"]:
                    verb = (
                        "reception.task_completed"
                        if r["status"] == "done"
                        else "reception.task_cancelled"
                    )
                    events.append(self._event(c, verb, FollowUpTask, tid, r["done_at"]))
        del rows
        _insert(FollowUpTask.calls.through, task_calls, with_ids=False)
        # opportunities: opened from visits
        rows = []
        for i in range(want["opportunities"]):
            if visit_refs:
                c, after, vid = visit_refs[(i * 7919) % len(visit_refs)]
            else:
                c, vid = rng.choice(pool), None
                after = _moment(rng, c["created"], self.now, VISIT_HOURS)
            row = self._opportunity_row(c, after, vid)
            rows.append(row)
            status = {"won": "subscribed", "lost": None}.get(row["stage"], "intention")
            touch(c, after, status)
        rows.sort(key=lambda r: r["created_at"])
        opp_ids = self._write(Opportunity, rows, "opportunities")
        if self.events:
            for oid, r in zip(opp_ids, rows, strict=True):
                c = by_id[r["customer_id"]]
                events.append(
                    self._event(
                        c, "reception.opportunity_opened", Opportunity, oid, r["created_at"]
                    )
                )
                if r["closed_at"]:
                    events.append(
                        self._event(
                            c,
                            f"reception.opportunity_{r['stage']}",
                            Opportunity,
                            oid,
                            r["closed_at"],
                        )
                    )
        del rows
        if events:
            events.sort(key=lambda e: e["created_at"])
            self._write(Event, events, "events")
        self._update_customers(touched)
        return {
            "calls": len(call_ids),
            "visits": len(visit_ids),
            "tasks": len(task_ids),
            "opportunities": len(opp_ids),
        }

    def _update_customers(self, touched):
        """Last activity, protection and status follow the history just written."""
        from anju.customers.models import Customer

        t0 = time.monotonic()
        rows = []
        for c, last, status in touched.values():
            until = last + timedelta(days=self.protection[c["company_id"]])
            rows.append((c["id"], last, until, status))
        table = Customer._meta.db_table
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("DROP TABLE IF EXISTS _activity")
                cur.execute(
                    "CREATE TEMP TABLE _activity (id bigint, last timestamptz, until timestamptz, "
                    "status varchar(20)) ON COMMIT DROP"
                )
                with cur.cursor.copy("COPY _activity FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
                cur.execute(
                    f"UPDATE {table} c SET status = a.status, "
                    "last_activity_at = GREATEST(c.last_activity_at, a.last), "
                    "protected_until = GREATEST(c.protected_until, a.until) "
                    "FROM _activity a WHERE c.id = a.id"
                )
            else:
                for cid, last, until, status in rows:
                    c = Customer.objects.filter(pk=cid).values(
                        "last_activity_at", "protected_until"
                    )[0]
                    Customer.objects.filter(pk=cid).update(
                        status=status,
                        last_activity_at=max(filter(None, [c["last_activity_at"], last])),
                        protected_until=max(filter(None, [c["protected_until"], until])),
                    )
        self.stdout.write(f"  customers updated: {len(rows):,} in {time.monotonic() - t0:.1f}s")

    # --- the long-history customer -------------------------------------------------------------

    def _long_histories(self):
        from anju.customers.demo import project_consultants, random_mobile
        from anju.customers.models import Customer, CustomerPhone
        from anju.customers.services import customer_register
        from anju.org.models import Company, Project

        made = []
        for company in Company.objects.order_by("pk"):
            if Customer.objects.filter(company=company, name=LONG_HISTORY_NAME).exists():
                continue
            projects = list(Project.objects.filter(company=company).order_by("pk"))
            consultants = project_consultants(projects)
            project = next((p for p in projects if consultants.get(p.pk)), None)
            if project is None:
                continue
            team = consultants[project.pk]
            # The demo's own consultant where there is one, so the demo logins see him.
            owner = next(
                (u for u in team if u.username in ("consultant", "consultant_zh")), team[0]
            )
            phone = random_mobile(self.rng)
            while CustomerPhone.objects.filter(company=company, phone=phone).exists():
                phone = random_mobile(self.rng)
            customer = customer_register(
                by=owner, company=company, project=project, phone=phone, name=LONG_HISTORY_NAME
            ).customer
            self._long_history(customer, owner, [u for u in team if u.pk != owner.pk])
            made.append(f"{company.code}:{customer.pk}")
        return made

    def _long_history(self, customer, owner, colleagues):
        from anju.core.models import Event
        from anju.customers.models import Customer

        from ...models import FollowUpTask, Opportunity, PhoneCall, Visit

        rng = self.rng
        born = self.now - timedelta(days=3 * 365)
        Customer.objects.filter(pk=customer.pk).update(
            created_at=born, status="subscribed", grade="A"
        )
        Event.objects.filter(subject_id=customer.pk, verb="customer.registered").update(
            created_at=born
        )
        c = {
            "id": customer.pk,
            "company_id": customer.company_id,
            "project_id": customer.project_id,
            "owner_id": owner.pk,
            "phone": customer.phone,
            "name": customer.name,
            "created": born,
            "st": "subscribed",
        }
        n = LONG_HISTORY
        calls = sorted(
            (
                self._call_row(c, _moment(rng, born, self.now, CALL_HOURS), i > 0)
                for i in range(n["calls"])
            ),
            key=lambda r: r["called_at"],
        )
        call_ids = _insert(PhoneCall, calls)
        visits = []
        for _ in range(n["visits"]):
            k = rng.randrange(len(call_ids))
            when = _moment(rng, calls[k]["called_at"], self.now, VISIT_HOURS)
            visits.append(self._visit_row(c, when, call_ids[k] if rng.random() < 0.5 else None))
        visits.sort(key=lambda r: r["arrived_at"])
        visit_ids = _insert(Visit, visits)
        tasks = []
        for i in range(n["tasks"]):
            if i % 3 == 2:
                k = rng.randrange(len(visit_ids))
                tasks.append(self._task_row(c, visits[k]["arrived_at"], "visit", visit_ids[k]))
            else:
                k = rng.randrange(len(call_ids))
                tasks.append(self._task_row(c, calls[k]["called_at"], "phonecall", call_ids[k]))
        task_ids = _insert(FollowUpTask, tasks)
        opps = []
        for _ in range(n["opportunities"]):
            k = rng.randrange(len(visit_ids))
            opps.append(self._opportunity_row(c, visits[k]["arrived_at"], visit_ids[k]))
        opp_ids = _insert(Opportunity, opps)
        events = []
        if self.events:
            events += [
                self._event(c, "reception.call_logged", PhoneCall, i, r["called_at"])
                for i, r in zip(call_ids, calls, strict=True)
            ]
            events += [
                self._event(c, "reception.visit_registered", Visit, i, r["arrived_at"])
                for i, r in zip(visit_ids, visits, strict=True)
            ]
            events += [
                self._event(c, "reception.task_created", FollowUpTask, i, r["created_at"])
                for i, r in zip(task_ids, tasks, strict=True)
            ]
            events += [
                self._event(c, "reception.opportunity_opened", Opportunity, i, r["created_at"])
                for i, r in zip(opp_ids, opps, strict=True)
            ]
        # The customer's own events, which the 360° timeline shows as such: hand-overs between
        # the owner and colleagues, profile edits and status changes over the three years.
        statuses = ["lead", "visitor", "intention", "subscribed"]
        holders = [owner.pk, *(u.pk for u in colleagues[:3])]
        for i in range(n["events"]):
            when = born + (self.now - born) * ((i + rng.random()) / (n["events"] + 1))
            pick = i % 3
            if pick == 0 and len(holders) > 1:
                before, after = rng.sample(holders, 2)
                verb, details = (
                    "customer.owner_changed",
                    {"from": before, "to": after, "reason": "工作交接", "handed_over": 0},
                )
            elif pick == 1:
                verb = "customer.updated"
                details = {"changed": rng.sample(["budget_max", "layout_wanted", "address"], 2)}
            else:
                k = min(i * len(statuses) // n["events"], len(statuses) - 2)
                verb = "customer.status_changed"
                details = {"from": statuses[k], "to": statuses[k + 1], "reason": ""}
            events.append(self._event(c, verb, "customer", customer.pk, when, details))
        events.sort(key=lambda e: e["created_at"])
        _insert(Event, events)
        last = max(r["called_at"] for r in calls)
        Customer.objects.filter(pk=customer.pk).update(
            last_activity_at=last,
            protected_until=last + timedelta(days=self.protection[customer.company_id]),
        )


def _later_status(current, wanted):
    """Forward only: history may imply a later stage than the customer shows, never earlier."""
    from anju.customers.models import CustomerStatus

    order = list(CustomerStatus.values)
    if current not in order or wanted not in order:
        return current
    return wanted if order.index(wanted) > order.index(current) else current
