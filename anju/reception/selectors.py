"""Reception reads, scoped (ORG-2): lists, task buckets, win/loss analysis, reception metrics.

Every read starts from ``visible_to(user)``: a consultant sees his own calls, visits, tasks
and opportunities, a sales manager his project's, company roles their company's.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from anju.core.rows import person_columns
from anju.core.scope import can_see, get_visible_or_404
from anju.customers.models import Customer
from anju.customers.sources import source_choices

from .models import (
    CLOSED_STAGES,
    MAX_CALL_SECONDS,
    MAX_RINGS,
    MAX_WAIT_SECONDS,
    OPEN_STAGES,
    FollowUpTask,
    LossReason,
    Opportunity,
    PhoneCall,
    RiskFactor,
    Stage,
    TaskStatus,
    Visit,
    WinReason,
)


def local_today() -> date:
    return timezone.localdate()


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _period(qs, field_name, date_from, date_to):
    if date_from:
        qs = qs.filter(**{f"{field_name}__gte": day_start(date_from)})
    if date_to:
        qs = qs.filter(**{f"{field_name}__lt": day_start(date_to + timedelta(days=1))})
    return qs


# --- calls and visits --------------------------------------------------------------------------


def _with_customer_visibility(calls, user):
    """Mark each call (visit, opportunity) with ``customer_visible``: may this user see its
    customer?

    A consultant may log a call from a colleague's protected customer (issue 7 item 1): the
    call is his, the customer is not, so pages, API and exports show that customer only when
    this is true.
    """
    visible = Customer.objects.visible_to(user).filter(pk=OuterRef("customer_id"))
    return calls.annotate(customer_visible=Exists(visible))


def calls_visible_to(user, *, project=None, consultant=None, date_from=None, date_to=None):
    qs = _with_customer_visibility(PhoneCall.objects.visible_to(user), user)
    if project:
        qs = qs.filter(project=project)
    if consultant:
        qs = qs.filter(consultant=consultant)
    qs = _period(qs, "called_at", date_from, date_to)
    return qs.select_related("customer", "consultant", "project").order_by("-called_at", "-id")


def call_detail(user, call_id) -> PhoneCall:
    calls = PhoneCall.objects.select_related("customer", "consultant", "project")
    return get_visible_or_404(_with_customer_visibility(calls, user), user, pk=call_id)


def visits_visible_to(user, *, project=None, consultant=None, date_from=None, date_to=None):
    # A visit is seen by its project's managers even when its customer is another project's
    # (a walk-in of a colleague's protected customer, issue 9 item 3): name him only if visible.
    qs = _with_customer_visibility(Visit.objects.visible_to(user), user)
    if project:
        qs = qs.filter(project=project)
    if consultant:
        qs = qs.filter(consultant=consultant)
    qs = _period(qs, "arrived_at", date_from, date_to)
    return (
        qs.select_related("customer", "consultant", "received_by", "project")
        .prefetch_related("units_shown")
        .order_by("-arrived_at", "-id")
    )


def visit_detail(user, visit_id) -> Visit:
    visits = Visit.objects.select_related(
        "customer", "consultant", "received_by", "project"
    ).prefetch_related("risk_factors_disclosed", "units_shown__building")
    return get_visible_or_404(_with_customer_visibility(visits, user), user, pk=visit_id)


def risk_factors_of(project, *, include_inactive=False):
    qs = RiskFactor.objects.unscoped("the caller scoped the project").filter(project=project)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "id")


def risk_factors_visible_to(user, *, project=None):
    qs = RiskFactor.objects.visible_to(user).select_related("project")
    if project:
        qs = qs.filter(project=project)
    return qs.order_by("project__code", "sort_order", "id")


def visit_disclosure(visit) -> list[tuple[RiskFactor, bool]]:
    """Each of the project's factors at the time, with whether it was disclosed."""
    disclosed = {f.pk for f in visit.risk_factors_disclosed.all()}
    factors = list(
        RiskFactor.objects.unscoped("the caller scoped the visit")
        .filter(project_id=visit.project_id)
        .order_by("sort_order")
    )
    factors = [f for f in factors if f.is_active or f.pk in disclosed]
    return [(f, f.pk in disclosed) for f in factors]


# --- tasks -------------------------------------------------------------------------------------


def _tasks_qs(user):
    return FollowUpTask.objects.visible_to(user).select_related("customer", "assignee", "project")


def tasks_visible_to(user, *, status=None, assignee=None, bucket=None, today=None):
    """Tasks the user may see; ``bucket`` is overdue / today / upcoming (open tasks only)."""
    today = today or local_today()
    qs = _tasks_qs(user)
    if status:
        qs = qs.filter(status=status)
    if assignee:
        qs = qs.filter(assignee=assignee)
    if bucket:
        qs = qs.filter(status=TaskStatus.OPEN)
        if bucket == "overdue":
            qs = qs.filter(due_date__lt=today)
        elif bucket == "today":
            qs = qs.filter(due_date=today)
        elif bucket == "upcoming":
            qs = qs.filter(due_date__gt=today)
    return qs.order_by("due_date", "id")


def holds_open_task_for(user, customer) -> bool:
    """Is the user assigned an open follow-up task about this customer? (He must call him.)"""
    return (
        FollowUpTask.objects.visible_to(user)
        .filter(customer_id=customer.pk, assignee_id=user.pk, status=TaskStatus.OPEN)
        .exists()
    )


@dataclass
class CallFollowUps:
    """The follow-up tasks of one call as its page lists them (issue 9 item 2): the ones
    the user may see, and how many went to someone he may not see (a protecting owner)."""

    tasks: list
    elsewhere: int = 0

    @property
    def total(self):
        return len(self.tasks) + self.elsewhere


def call_followups(user, call) -> CallFollowUps:
    """Tasks made by the call or that a repeated call of the same day folded into."""
    tasks = list(_tasks_qs(user).filter(calls=call).order_by("due_date", "id"))
    total = (
        FollowUpTask.objects.unscoped("how many of the visible call's tasks went elsewhere")
        .filter(calls=call)
        .count()
    )
    return CallFollowUps(tasks, max(0, total - len(tasks)))


def task_detail(user, task_id) -> FollowUpTask:
    return get_visible_or_404(_tasks_qs(user), user, pk=task_id)


# A bucket shows its first rows and says how many there are: a consultant with thousands of
# overdue tasks (an import, a leaver's book) must not get a page of thousands (issue 10).
TASKS_SHOWN = 50


@dataclass
class TaskBuckets:
    overdue: list = field(default_factory=list)
    today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    done_recently: list = field(default_factory=list)
    overdue_count: int = 0
    today_count: int = 0
    upcoming_count: int = 0

    @property
    def open_count(self):
        return self.overdue_count + self.today_count + self.upcoming_count


def my_tasks(user, *, today=None, upcoming_days=14, shown=None) -> TaskBuckets:
    """The consultant's open tasks split into overdue / today / upcoming: the counts in one
    query, then the first ``shown`` of each non-empty bucket in due order, and the tasks
    done today."""
    today = today or local_today()
    shown = shown or TASKS_SHOWN
    open_tasks = _my_task_rows(user).filter(
        assignee=user,
        status=TaskStatus.OPEN,
        due_date__lte=today + timedelta(days=upcoming_days),
    )
    splits = {
        "overdue": Q(due_date__lt=today),
        "today": Q(due_date=today),
        "upcoming": Q(due_date__gt=today),
    }
    counts = open_tasks.aggregate(**{k: Count("pk", filter=q) for k, q in splits.items()})
    buckets = TaskBuckets(**{f"{k}_count": n for k, n in counts.items()})
    for name, condition in splits.items():
        if counts[name]:
            rows = open_tasks.filter(condition).order_by("due_date", "id")[:shown]
            setattr(buckets, name, list(rows))
    buckets.done_recently = list(
        _my_task_rows(user)
        .filter(assignee=user, status=TaskStatus.DONE, done_at__gte=day_start(today))
        .order_by("-done_at")[:20]
    )
    return buckets


def _my_task_rows(user):
    """The columns a list of one's own tasks shows (the page and the workbench): up to 170
    rows a page, so no assignee or project rows and only the customer's name, number and
    scope (issue 10: four full rows per task were a third of the page's CPU)."""
    return (
        FollowUpTask.objects.visible_to(user)
        .select_related("customer")
        .only(
            *_SCOPE_IDS,
            "assignee_id",
            "kind",
            "title",
            "status",
            "due_date",
            "done_at",
            "message",
            "outcome",
            "customer__company_id",
            "customer__project_id",
            "customer__owner_id",
            "customer__name",
            "customer__phone",
        )
    )


def team_overdue_tasks(user, *, today=None, project=None):
    """Overdue open tasks of everyone the user oversees (a manager's team view, SAL-2)."""
    today = today or local_today()
    qs = _tasks_qs(user).filter(status=TaskStatus.OPEN, due_date__lt=today).exclude(assignee=user)
    if project:
        qs = qs.filter(project=project)
    return qs.order_by("assignee__username", "due_date", "id")


def team_task_summary(user, *, today=None):
    """Per consultant: open, overdue and due-today counts (one grouped query)."""
    today = today or local_today()
    rows = (
        FollowUpTask.objects.visible_to(user)
        .filter(status=TaskStatus.OPEN)
        .values("assignee_id", "assignee__username", "assignee__display_name")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(due_date__lt=today)),
            due_today=Count("id", filter=Q(due_date=today)),
        )
        .order_by("-overdue", "assignee__username")
    )
    return [
        {
            "assignee_id": r["assignee_id"],
            "name": r["assignee__display_name"] or r["assignee__username"],
            "open": r["open"],
            "overdue": r["overdue"],
            "due_today": r["due_today"],
        }
        for r in rows
    ]


# --- opportunities -----------------------------------------------------------------------------


def opportunities_visible_to(user, *, stage=None, project=None, consultant=None, state=None):
    """``state``: "open" or "closed"; ``stage`` one exact stage."""
    qs = Opportunity.objects.visible_to(user)
    if stage:
        qs = qs.filter(stage=stage)
    if state == "open":
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif state == "closed":
        qs = qs.filter(stage__in=CLOSED_STAGES)
    if project:
        qs = qs.filter(project=project)
    if consultant:
        qs = qs.filter(consultant=consultant)
    # Its customer may be another project's, whom the viewer of this one may not see (ORG-2):
    # named only where ``customer_visible``, as a visit's (issue 9 item 3).
    return (
        _with_customer_visibility(qs, user)
        .select_related("customer", "consultant", "project", "win_reason", "loss_reason")
        .order_by("-created_at", "-id")
    )


def opportunity_detail(user, opportunity_id) -> Opportunity:
    opportunities = Opportunity.objects.select_related(
        "customer", "consultant", "project", "win_reason", "loss_reason", "source_visit"
    ).prefetch_related("units_of_interest__building")
    return get_visible_or_404(
        _with_customer_visibility(opportunities, user),
        user,
        pk=opportunity_id,
    )


def reasons_to_manage(company_id, *, won: bool):
    """Active and retired reasons of a company, for the managed-list page."""
    model = WinReason if won else LossReason
    return (
        model.objects.unscoped("the caller scoped the company")
        .filter(company_id=company_id)
        .order_by("-is_active", "sort_order", "id")
    )


def reasons_for(company_id, *, won: bool):
    model = WinReason if won else LossReason
    return (
        model.objects.unscoped("the caller scoped the project or opportunity")
        .filter(company_id=company_id, is_active=True)
        .order_by("sort_order", "id")
    )


@dataclass
class WinLossRow:
    key: object
    label: str
    won: int = 0
    lost: int = 0
    won_value: object = 0

    @property
    def closed(self):
        return self.won + self.lost

    @property
    def win_rate(self):
        return round(100 * self.won / self.closed, 1) if self.closed else None


@dataclass
class WinLossAnalysis:
    total: WinLossRow
    by_project: list
    by_channel: list
    by_consultant: list
    win_reasons: list
    loss_reasons: list


def _win_loss_rows(qs, fields, label):
    rows = (
        qs.values(*fields)
        .annotate(
            won=Count("id", filter=Q(stage=Stage.WON)),
            lost=Count("id", filter=Q(stage=Stage.LOST)),
            won_value=Sum("expected_value", filter=Q(stage=Stage.WON)),
        )
        .order_by(*fields)
    )
    result = [
        WinLossRow(
            key=r[fields[0]],
            label=label(r),
            won=r["won"],
            lost=r["lost"],
            won_value=r["won_value"] or 0,
        )
        for r in rows
    ]
    result.sort(key=lambda r: (-r.closed, str(r.label)))
    return result


def _companies_of(user):
    from anju.org.selectors import companies_visible_to

    return companies_visible_to(user).values_list("pk", flat=True)


def win_loss_analysis(user, *, project=None, date_from=None, date_to=None) -> WinLossAnalysis:
    """Closed opportunities by project, channel (customer source), consultant and reason."""
    qs = Opportunity.objects.visible_to(user).filter(stage__in=CLOSED_STAGES)
    if project:
        qs = qs.filter(project=project)
    qs = _period(qs, "closed_at", date_from, date_to)
    # channel names from the user's companies' lists (issue 9 item 12)
    sources = dict(source_choices(_companies_of(user), include_retired=True))
    total = qs.aggregate(
        won=Count("id", filter=Q(stage=Stage.WON)),
        lost=Count("id", filter=Q(stage=Stage.LOST)),
        won_value=Sum("expected_value", filter=Q(stage=Stage.WON)),
    )

    def reasons(field_name):
        rows = (
            qs.filter(**{f"{field_name}__isnull": False})
            .values(f"{field_name}_id", f"{field_name}__name")
            .annotate(n=Count("id"))
            .order_by("-n", f"{field_name}__name")
        )
        return [(r[f"{field_name}__name"], r["n"]) for r in rows]

    return WinLossAnalysis(
        total=WinLossRow(
            key=None,
            label="",
            won=total["won"],
            lost=total["lost"],
            won_value=total["won_value"] or 0,
        ),
        by_project=_win_loss_rows(
            qs, ["project_id", "project__name"], lambda r: r["project__name"]
        ),
        by_channel=_win_loss_rows(
            qs,
            ["customer__source"],
            lambda r: sources.get(r["customer__source"], r["customer__source"]),
        ),
        by_consultant=_win_loss_rows(
            qs,
            ["consultant_id", "consultant__display_name", "consultant__username"],
            lambda r: r["consultant__display_name"] or r["consultant__username"],
        ),
        win_reasons=reasons("win_reason"),
        loss_reasons=reasons("loss_reason"),
    )


# --- reception metrics (seed 001 standards) ----------------------------------------------------


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


@dataclass
class MetricsRow:
    """One line of the reception metrics. A share is over the records that carry the measure;
    records without it are counted as missing (issue 9 item 6), never as met."""

    label: str
    calls: int = 0
    rings_recorded: int = 0
    answered_in_time: int = 0
    avg_answer_seconds: float | None = None
    durations_recorded: int = 0
    too_long: int = 0
    visits: int = 0
    waits_recorded: int = 0
    waited_in_time: int = 0
    factors_total: int = 0
    factors_disclosed: int = 0
    fully_disclosed: int = 0

    @property
    def rings_missing(self):
        return self.calls - self.rings_recorded

    @property
    def durations_missing(self):
        return self.calls - self.durations_recorded

    @property
    def waits_missing(self):
        return self.visits - self.waits_recorded

    @property
    def answered_in_time_pct(self):
        return _share(self.answered_in_time, self.rings_recorded)

    @property
    def too_long_pct(self):
        return _share(self.too_long, self.durations_recorded)

    @property
    def waited_in_time_pct(self):
        return _share(self.waited_in_time, self.waits_recorded)

    @property
    def disclosure_pct(self):
        """Disclosed factors out of the factors due, over all visits."""
        return _share(self.factors_disclosed, self.factors_total)

    @property
    def fully_disclosed_pct(self):
        return _share(self.fully_disclosed, self.visits)


_CALL_AGG = {
    "calls": Count("id"),
    "rings_recorded": Count("rings"),  # COUNT(column) skips NULL: the missing ones
    "answered_in_time": Count("id", filter=Q(rings__lte=MAX_RINGS)),
    "avg_answer_seconds": Avg("answer_seconds"),
    "durations_recorded": Count("duration_seconds"),
    "too_long": Count("id", filter=Q(duration_seconds__gt=MAX_CALL_SECONDS)),
}
_VISIT_AGG = {
    "visits": Count("id"),
    "waits_recorded": Count("waiting_seconds"),
    "waited_in_time": Count("id", filter=Q(waiting_seconds__lt=MAX_WAIT_SECONDS)),
    "factors_total": Sum("risk_factors_total"),
    "factors_disclosed": Sum("risk_factors_disclosed_count"),
    "fully_disclosed": Count(
        "id", filter=Q(risk_factors_disclosed_count__gte=F("risk_factors_total"))
    ),
}


def _fill(row: MetricsRow, values: dict):
    for key, value in values.items():
        if hasattr(row, key) and key != "label":
            setattr(row, key, value if value is not None or key == "avg_answer_seconds" else 0)
    if row.avg_answer_seconds is not None:
        row.avg_answer_seconds = round(float(row.avg_answer_seconds), 1)
    return row


@dataclass
class ReceptionMetrics:
    total: MetricsRow
    by_project: list
    by_consultant: list


def reception_metrics(user, *, project=None, date_from=None, date_to=None) -> ReceptionMetrics:
    """The reception standards of seed 001, measured: 6 aggregate queries whatever the size."""
    calls = PhoneCall.objects.visible_to(user)
    visits = Visit.objects.visible_to(user)
    if project:
        calls, visits = calls.filter(project=project), visits.filter(project=project)
    calls = _period(calls, "called_at", date_from, date_to)
    visits = _period(visits, "arrived_at", date_from, date_to)
    total = MetricsRow(label="")
    _fill(total, calls.aggregate(**_CALL_AGG))
    _fill(total, visits.aggregate(**_VISIT_AGG))

    def grouped(key, label_fields, label):
        rows: dict = {}
        for qs, agg in ((calls, _CALL_AGG), (visits, _VISIT_AGG)):
            for r in qs.values(key, *label_fields).annotate(**agg).order_by(key):
                row = rows.setdefault(r[key], MetricsRow(label=label(r)))
                _fill(row, {k: r[k] for k in agg})
        return sorted(rows.values(), key=lambda r: r.label)

    return ReceptionMetrics(
        total=total,
        by_project=grouped("project_id", ["project__name"], lambda r: r["project__name"]),
        by_consultant=grouped(
            "consultant_id",
            ["consultant__display_name", "consultant__username"],
            lambda r: r["consultant__display_name"] or r["consultant__username"],
        ),
    )


def _of_customer(model, user, customer):
    """A customer's records for his 360° page (CUS-6): whoever may see the customer sees his
    whole reception history, including what a former consultant logged, so nothing is lost
    when customers change hands (CUS-5). Scope is the customer's: none if he is out of it.
    """
    if not can_see(user, customer, remember=True):  # one check per page, not per provider
        return model.objects.none()
    return model.objects.unscoped("checked above: the user sees the customer").filter(
        customer=customer
    )


# The 360° timeline reads up to ``limit`` rows of each kind to show ``limit`` in all: narrow
# rows (the columns the entries show), no join back to the customer it is about (issue 10
# item 2: the wide rows with four joins were 64% of the page's time at 1M customers).
_SCOPE_IDS = ("company_id", "project_id")


def customer_calls(user, customer, limit):
    return (
        _of_customer(PhoneCall, user, customer)
        .select_related("consultant")
        .only(
            *_SCOPE_IDS,
            *person_columns("consultant"),
            "called_at",
            "questions",
            "visit_booked_for",
            "rings",
            "duration_seconds",
            "is_repeat",
        )
        .order_by("-called_at", "-id")[:limit]
    )


def customer_visits(user, customer, limit):
    return (
        _of_customer(Visit, user, customer)
        .select_related("consultant", "project")
        .only(
            *_SCOPE_IDS,
            *person_columns("consultant"),
            "project__name",
            "arrived_at",
            "products_shown",
            "next_step",
            "risk_factors_total",
            "risk_factors_disclosed_count",
        )
        .order_by("-arrived_at", "-id")[:limit]
    )


def customer_tasks(user, customer, limit):
    return (
        _of_customer(FollowUpTask, user, customer)
        .select_related("assignee")
        .only(
            *_SCOPE_IDS,
            *person_columns("assignee"),
            "title",
            "status",
            "due_date",
            "done_at",
            "outcome",
            "message",
        )
        .order_by("-due_date", "-id")[:limit]
    )


def customer_opportunities(user, customer, limit):
    return (
        _of_customer(Opportunity, user, customer)
        .select_related("consultant", "win_reason", "loss_reason")
        .only(
            *_SCOPE_IDS,
            *person_columns("consultant"),
            "win_reason__name",
            "loss_reason__name",
            "products_of_interest",
            "stage",
            "created_at",
            "closed_at",
            "expected_value",
        )
        .order_by("-created_at", "-id")[:limit]
    )
