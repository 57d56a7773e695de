"""SVC-6 The monthly complaint report (客户投诉处理统计分析报告) for the management meeting.

Pure reads, like a selector: everything starts from ``Ticket.objects.visible_to(user)`` (the
revisits from ``TicketRevisit.objects.visible_to(user)``) narrowed to the scope the user
chose — the whole group, one company or one project — and only where he holds
``Perm.VIEW_REPORTS`` for all of it.

For a month M (calendar month, Asia/Shanghai: from local midnight on the 1st to local
midnight on the 1st of the next month) and complaints (``TicketType.COMPLAINT``) only:

- **received**: complaints received in M, by customer class (A/B/C/D = the customer's grade
  taken at receipt, blank = unclassified) and by category;
- **handling**: complaints closed in M by how they were handled (当即处理 / 期限内处理 / 超期处理
  / 循环往复处理, ``Ticket.handling`` set at closure), and the complaints **still open** at
  the end of M (received before its end and not closed by then);
- **satisfaction**: the revisits (回访) made in M, by the customer's answer; the satisfaction
  rate is (非常满意 + 满意) / revisits;
- **trend**: the same per month for M and the 12 months before it — received (and by
  class), closed (and by handling), revisits, the satisfaction rate and the share handled
  within the limit ((当即 + 期限内) / closed).

The database aggregates: one GROUP BY per kind of figure over the 13 months (``TruncMonth``
in local time, conditional on the month boundaries) plus one count for the open ones —
four queries whatever the number of tickets, plus two small reads for the scope choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotFound, NotPermitted
from anju.core.permissions import has_perm
from anju.core.roles import ROLE_PERMS, ROLE_SCOPE, Perm, ScopeLevel
from anju.core.shares import percent
from anju.org.selectors import companies_visible_to, projects_visible_to

from .models import Category, Handling, Satisfaction, Ticket, TicketRevisit, TicketType

CLASSES = ("A", "B", "C", "D")
UNCLASSIFIED = ""
TREND_MONTHS = 13  # the month itself and the 12 before it
IN_TIME = (Handling.AT_ONCE, Handling.WITHIN_LIMIT)
SATISFIED = (Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED)
FIRST_MONTH = date(2000, 1, 1)
LAST_MONTH = date(2100, 12, 1)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


# --- the month ----------------------------------------------------------------------------------


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_start(first: date) -> datetime:
    """Local midnight (Asia/Shanghai) on the month's first day, as an aware datetime."""
    return timezone.make_aware(
        datetime(first.year, first.month, 1), timezone.get_default_timezone()
    )


def default_month(today: date | None = None) -> date:
    """The month the management meeting reviews: the last complete one."""
    today = today or timezone.localdate()
    return add_months(date(today.year, today.month, 1), -1)


def parse_month(value, *, today: date | None = None) -> date:
    """``YYYY-MM`` → the month's first day; empty → the last complete month."""
    value = (value or "").strip()
    if not value:
        return default_month(today)
    match = _MONTH.fullmatch(value)
    first = None
    if match and 1 <= int(match[2]) <= 12:
        first = date(int(match[1]), int(match[2]), 1)
    if first is None or not FIRST_MONTH <= first <= LAST_MONTH:
        raise ApplicationError(
            _("Give the month as YYYY-MM, e.g. 2026-10."), field="month", code="invalid"
        )
    today = today or timezone.localdate()
    if first > date(today.year, today.month, 1):  # its "open at month end" would be guesses
        raise ApplicationError(
            _("%(month)s has not begun yet: choose this month or an earlier one.")
            % {"month": value},
            field="month",
            code="invalid",
        )
    return first


# --- the scope ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """What the report covers: the whole group, one company or one project."""

    kind: str  # "group" | "company" | "project"
    pk: int | None
    label: str
    company_ids: tuple[int, ...]
    project_id: int | None = None
    company_label: str = ""  # the company named on the printed report

    @property
    def params(self) -> dict:
        """The query parameters that choose this scope (links, exports, the chart data)."""
        if self.kind == "project":
            return {"project": self.pk}
        if self.kind == "company":
            return {"company": self.pk}
        return {}

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk or ''}"


def _group_wide(user) -> tuple[bool, set]:
    """(reports over the whole group?, companies he may report on as a whole)."""
    if user.is_superuser:
        return True, set()
    group, companies = False, set()
    for a in user.role_assignments.all():
        if Perm.VIEW_REPORTS not in ROLE_PERMS[a.role]:
            continue
        level = ROLE_SCOPE[a.role]
        if level == ScopeLevel.ALL:
            group = True
        elif level == ScopeLevel.COMPANY:
            companies.add(a.company_id)
    return group, companies


def report_scopes(user) -> list[ReportScope]:
    """The scopes the user may report on, the default first (two queries)."""
    group, whole_companies = _group_wide(user)
    companies = list(companies_visible_to(user))
    projects = list(projects_visible_to(user))
    options = []
    if group and len(companies) > 1:
        options.append(
            ReportScope(
                "group",
                None,
                _("All companies"),
                tuple(c.pk for c in companies),
                company_label=_("All companies"),
            )
        )
    for c in companies:
        if group or c.pk in whole_companies:
            options.append(ReportScope("company", c.pk, c.name, (c.pk,), company_label=c.name))
    for p in projects:
        if has_perm(user, Perm.VIEW_REPORTS, project=p):
            options.append(
                ReportScope(
                    "project",
                    p.pk,
                    f"{p.company.name} · {p.name}",
                    (p.company_id,),
                    project_id=p.pk,
                    company_label=p.company.name,
                )
            )
    return options


def _as_id(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else (-1 if text else None)


def resolve_scope(user, *, company=None, project=None) -> tuple[ReportScope, list[ReportScope]]:
    """The scope named by ``company``/``project`` (query values) and every choice.

    Nothing named: the first choice (the group, else the user's company, else his project).
    Not visible → NotFound (404); visible but no ``VIEW_REPORTS`` over it → NotPermitted.
    """
    if not has_perm(user, Perm.VIEW_REPORTS):
        raise NotPermitted()
    options = report_scopes(user)
    project_id, company_id = _as_id(project), _as_id(company)
    if project_id is not None:
        wanted = ("project", project_id)
    elif company_id is not None:
        wanted = ("company", company_id)
    else:
        if not options:
            raise NotPermitted()
        return options[0], options
    for option in options:
        if (option.kind, option.pk) == wanted:
            return option, options
    kind, pk = wanted
    visible = projects_visible_to(user) if kind == "project" else companies_visible_to(user)
    if pk > 0 and visible.filter(pk=pk).exists():
        raise NotPermitted()
    raise NotFound(_("No such company or project."), field=kind)


# --- the figures --------------------------------------------------------------------------------


@dataclass
class Line:
    key: str
    label: str
    count: int
    share: Decimal | None = None  # percent of the table's total


@dataclass
class TrendMonth:
    month: date
    received: int = 0
    by_class: dict = field(default_factory=dict)
    closed: int = 0
    by_handling: dict = field(default_factory=dict)
    revisits: int = 0
    satisfied: int = 0

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percent(self.satisfied, self.revisits)

    @property
    def in_time(self) -> int:
        return sum(self.by_handling.get(h, 0) for h in IN_TIME)

    @property
    def in_time_rate(self) -> Decimal | None:
        return percent(self.in_time, self.closed)


@dataclass
class MonthlyReport:
    month: date
    scope: ReportScope
    generated_at: datetime
    received: int
    by_class: list[Line]
    by_category: list[Line]
    closed: int
    by_handling: list[Line]
    open_at_end: int
    revisits: int
    by_satisfaction: list[Line]
    trend: list[TrendMonth]

    @property
    def current(self) -> TrendMonth:
        return self.trend[-1]

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return self.current.satisfaction_rate

    @property
    def in_time_rate(self) -> Decimal | None:
        return self.current.in_time_rate


def class_label(code: str) -> str:
    return _("Class %(c)s") % {"c": code} if code else _("Unclassified")


def _lines(counts: dict, choices) -> list[Line]:
    total = sum(counts.get(key, 0) for key, _label in choices)
    return [
        Line(key, str(label), counts.get(key, 0), percent(counts.get(key, 0), total))
        for key, label in choices
    ]


def _month_key(value) -> date:
    """A ``TruncMonth`` value (aware datetime, or a date on some backends) → the month."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()
    return date(value.year, value.month, 1)


def _scoped(qs, scope: ReportScope, prefix: str = ""):
    if scope.project_id is not None:
        return qs.filter(**{f"{prefix}project_id": scope.project_id})
    return qs.filter(**{f"{prefix}company_id__in": scope.company_ids})


def complaints_in_scope(user, scope: ReportScope):
    return _scoped(Ticket.objects.visible_to(user).filter(ticket_type=TicketType.COMPLAINT), scope)


def monthly_report(user, *, month: date, scope: ReportScope) -> MonthlyReport:
    """SVC-6 for ``month`` (its first day) over ``scope`` (from ``resolve_scope``): four
    aggregate queries, whatever the number of tickets."""
    first = add_months(month, -(TREND_MONTHS - 1))
    since, end = month_start(first), month_start(add_months(month, 1))
    tz = timezone.get_default_timezone()
    trend = {add_months(first, k): TrendMonth(add_months(first, k)) for k in range(TREND_MONTHS)}
    complaints = complaints_in_scope(user, scope)
    by_category: dict = {}

    received = (
        complaints.filter(received_at__gte=since, received_at__lt=end)
        .annotate(m=TruncMonth("received_at", tzinfo=tz))
        .values_list("m", "customer_class", "category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for m, klass, category, n in received:
        row = trend[_month_key(m)]
        klass = klass if klass in CLASSES else UNCLASSIFIED
        row.received += n
        row.by_class[klass] = row.by_class.get(klass, 0) + n
        if row.month == month:
            by_category[category] = by_category.get(category, 0) + n

    closed = (
        complaints.filter(closed_at__gte=since, closed_at__lt=end)
        .annotate(m=TruncMonth("closed_at", tzinfo=tz))
        .values_list("m", "handling")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for m, handling, n in closed:
        row = trend[_month_key(m)]
        row.closed += n
        row.by_handling[handling] = row.by_handling.get(handling, 0) + n

    revisits = (
        _scoped(TicketRevisit.objects.visible_to(user), scope, "ticket__")
        .filter(
            ticket__ticket_type=TicketType.COMPLAINT,
            revisited_at__gte=since,
            revisited_at__lt=end,
        )
        .annotate(m=TruncMonth("revisited_at", tzinfo=tz))
        .values_list("m", "satisfaction")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_satisfaction: dict = {}
    for m, satisfaction, n in revisits:
        row = trend[_month_key(m)]
        row.revisits += n
        row.satisfied += n if satisfaction in SATISFIED else 0
        if row.month == month:
            by_satisfaction[satisfaction] = n

    open_at_end = (
        complaints.filter(received_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        .count()
    )
    current = trend[month]
    class_choices = [(c, class_label(c)) for c in (*CLASSES, UNCLASSIFIED)]
    return MonthlyReport(
        month=month,
        scope=scope,
        generated_at=timezone.now(),
        received=current.received,
        by_class=_lines(current.by_class, class_choices),
        by_category=_lines(by_category, Category.choices),
        closed=current.closed,
        by_handling=_lines(current.by_handling, Handling.choices),
        open_at_end=open_at_end,
        revisits=current.revisits,
        by_satisfaction=_lines(by_satisfaction, Satisfaction.choices),
        trend=[trend[m] for m in sorted(trend)],
    )


# --- the same as tables (page, print, Excel) and as chart data (JSON) ---------------------------


def month_label(first: date) -> str:
    """A month in a table or a chart's axis: 2026-10 (sorts, and Excel reads it)."""
    return first.strftime("%Y-%m")


def month_title(first: date) -> str:
    """A month in a heading: 2026年10月."""
    return _("%(year)s-%(month)s") % {"year": first.year, "month": f"{first.month:02d}"}


def _share(value: Decimal | None):
    return "—" if value is None else value


@dataclass
class Table:
    key: str  # also the chart's id: every chart has its table
    title: str
    sheet: str  # the workbook's sheet (at most 31 characters)
    headers: list[str]
    rows: list[list]
    footer: list[list] = field(default_factory=list)  # totals, rates

    @property
    def lines(self) -> list[list]:
        """Header, rows and footer, as a sheet holds them."""
        return [self.headers, *self.rows, *self.footer]


def _breakdown(key, title, sheet, first_header, count_header, lines, total_label, total):
    return Table(
        key,
        title,
        sheet,
        [first_header, count_header, _("Share (%)")],
        [[line.label, line.count, _share(line.share)] for line in lines],
        [[total_label, total, _share(Decimal(100) if total else None)]],
    )


def report_tables(report: MonthlyReport) -> list[Table]:
    """Every table of the report, in the order the page, the print and the workbook show."""
    handling = _breakdown(
        "handling",
        _("Complaints closed in the month by handling"),
        _("By handling"),
        _("Handling"),
        _("Complaints"),
        report.by_handling,
        _("Closed in the month"),
        report.closed,
    )
    handling.footer.append([_("Still open at the end of the month"), report.open_at_end, ""])
    handling.footer.append([_("Handled within the limit (%)"), _share(report.in_time_rate), ""])
    satisfaction = _breakdown(
        "satisfaction",
        _("Revisits in the month by satisfaction"),
        _("By satisfaction"),
        _("Satisfaction"),
        _("Revisits"),
        report.by_satisfaction,
        _("Revisits in the month"),
        report.revisits,
    )
    satisfaction.footer.append([_("Satisfaction rate (%)"), _share(report.satisfaction_rate), ""])
    trend_headers = [
        _("Month"),
        _("Complaints received"),
        *(class_label(c) for c in (*CLASSES, UNCLASSIFIED)),
        _("Complaints closed"),
        *(str(label) for _key, label in Handling.choices),
        _("Revisits"),
        _("Satisfaction rate (%)"),
        _("Handled within the limit (%)"),
    ]
    trend_rows = [
        [
            month_label(t.month),
            t.received,
            *(t.by_class.get(c, 0) for c in (*CLASSES, UNCLASSIFIED)),
            t.closed,
            *(t.by_handling.get(h, 0) for h in Handling.values),
            t.revisits,
            _share(t.satisfaction_rate),
            _share(t.in_time_rate),
        ]
        for t in report.trend
    ]
    return [
        _breakdown(
            "class",
            _("Complaints received by customer class"),
            _("By customer class"),
            _("Customer class"),
            _("Complaints"),
            report.by_class,
            _("Received in the month"),
            report.received,
        ),
        _breakdown(
            "category",
            _("Complaints received by category"),
            _("By category"),
            _("Category"),
            _("Complaints"),
            report.by_category,
            _("Received in the month"),
            report.received,
        ),
        handling,
        satisfaction,
        Table("trend", _("Trend over 13 months"), _("Trend"), trend_headers, trend_rows),
    ]


def _num(value: Decimal | None):
    return None if value is None else float(value)


def report_data(report: MonthlyReport) -> dict:
    """The report as JSON for the charts (and for integrators): labels in the user's
    language, rates in percent (null where nothing was counted)."""

    def lines(items):
        return [{"key": i.key, "label": i.label, "count": i.count} for i in items]

    trend = report.trend
    return {
        "month": report.month.strftime("%Y-%m"),
        "scope": {"kind": report.scope.kind, "id": report.scope.pk, "label": report.scope.label},
        "received": report.received,
        "closed": report.closed,
        "open_at_end": report.open_at_end,
        "revisits": report.revisits,
        "satisfaction_rate": _num(report.satisfaction_rate),
        "in_time_rate": _num(report.in_time_rate),
        "by_class": lines(report.by_class),
        "by_category": lines(report.by_category),
        "by_handling": lines(report.by_handling),
        "by_satisfaction": lines(report.by_satisfaction),
        "trend": {
            "months": [t.month.strftime("%Y-%m") for t in trend],
            "received": [t.received for t in trend],
            "by_class": [
                {
                    "key": c,
                    "label": class_label(c),
                    "counts": [t.by_class.get(c, 0) for t in trend],
                }
                for c in (*CLASSES, UNCLASSIFIED)
            ],
            "closed": [t.closed for t in trend],
            "revisits": [t.revisits for t in trend],
            "satisfaction_rate": [_num(t.satisfaction_rate) for t in trend],
            "in_time_rate": [_num(t.in_time_rate) for t in trend],
        },
        "labels": {
            "received": _("Complaints received"),
            "closed": _("Complaints closed"),
            "satisfaction_rate": _("Satisfaction rate (%)"),
            "in_time_rate": _("Handled within the limit (%)"),
            "complaints": _("Complaints"),
            "revisits": _("Revisits"),
            "nothing": _("Nothing counted in this month."),
        },
    }
