"""Reads for the consultant's workbench (工作台) and the pipeline board (SAL-6, issue 9).

Every figure is counted from the same FilterSet that the list behind it uses, with the very
parameters its link carries, so a click shows exactly the rows the figure counted. The team
table groups those querysets by consultant: a fixed number of queries whatever the team size.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anju.core.roles import Role
from anju.org.selectors import projects_visible_to, staff_visible_to

from . import selectors
from .models import OPEN_STAGES, Stage

CONSULTANT_ROLES = (Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP)


def names_unit_q(unit) -> Q:
    """Opportunities of the unit's project interested in the unit: picked from the inventory
    (``units_of_interest``) or named in the products of interest.

    Opportunities keep what interests the customer as free text ("1栋 1201 三房"), so a unit
    is named by its building and number written together, with a space, a dash or "·".
    """
    building, number = unit.building.name, unit.number
    spellings = {
        f"{building}{number}",
        f"{building} {number}",
        f"{building}-{number}",
        f"{building}·{number}",
        f"{building} · {number}",
        f"{unit.building.code}-{number}",
    }
    named = Q()
    for text in spellings:
        named |= Q(products_of_interest__icontains=text)
    # Or picked from the inventory (a visit's units shown carried into its opportunity):
    # a subquery, so an opportunity naming the unit both ways is listed once.
    from .models import Opportunity

    picked = Opportunity.units_of_interest.through.objects.filter(unit_id=unit.pk)
    return Q(project_id=unit.project_id) & (named | Q(pk__in=picked.values("opportunity_id")))


# --- links: the list behind each figure ----------------------------------------------------------


def month_start(today: date) -> date:
    return today.replace(day=1)


def _link(url_name, **params) -> str:
    query = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}
    return f"{reverse(url_name)}?{urlencode(query)}"


def figure_params(today: date, consultant_id=None) -> dict:
    """The list parameters of each monthly figure (page and count use the same)."""
    month = {"date_from": month_start(today), "date_to": today}
    who = {"consultant": consultant_id} if consultant_id else {}
    owner = {"owner": consultant_id} if consultant_id else {}
    return {
        "calls": ("reception:calls", {**month, **who}),
        "visits": ("reception:visits", {**month, **who}),
        "customers": (
            "customers:list",
            {"created_from": month_start(today), "created_to": today, **owner},
        ),
        "opportunities": (
            "reception:opportunities",
            {"state": "all", "opened_from": month_start(today), "opened_to": today, **who},
        ),
        "won": (
            "reception:opportunities",
            {"stage": "won", "state": "all", "closed_from": month_start(today), "closed_to": today}
            | who,
        ),
    }


FIGURE_LABELS = {
    "calls": _("Calls"),
    "visits": _("Visits"),
    "customers": _("New customers"),
    "opportunities": _("New opportunities"),
    "won": _("Won"),
}


def _filtersets():
    from anju.customers.filters import CustomerFilter

    from .filters import CallFilter, OpportunityFilter, VisitFilter

    return {
        "calls": (CallFilter, "consultant_id"),
        "visits": (VisitFilter, "consultant_id"),
        "customers": (CustomerFilter, "owner_id"),
        "opportunities": (OpportunityFilter, "consultant_id"),
        "won": (OpportunityFilter, "consultant_id"),
    }


def _rows(user, key, params):
    filter_class, _group = _filtersets()[key]
    rows = filter_class(params, user=user).rows()
    return rows if rows is not None else filter_class(None, user=user).queryset.none()


@dataclass
class Figure:
    key: str
    label: str
    value: int
    url: str


def my_month(user, *, today=None) -> list[Figure]:
    """The user's own month in figures: calls, visits, new customers, opportunities, won."""
    today = today or selectors.local_today()
    figures = []
    for key, (url_name, params) in figure_params(today, user.pk).items():
        figures.append(
            Figure(
                key=key,
                label=FIGURE_LABELS[key],
                value=_rows(user, key, params).count(),
                url=_link(url_name, **params),
            )
        )
    return figures


@dataclass
class TeamRow:
    consultant: object
    values: dict = field(default_factory=dict)
    urls: dict = field(default_factory=dict)

    def cells(self):
        return [(key, self.values.get(key, 0), self.urls[key]) for key in FIGURE_LABELS]


def team_consultants(user):
    """Consultants (and key-account reps) holding a role in a project the user sees."""
    return (
        staff_visible_to(user)
        .filter(
            role_assignments__role__in=CONSULTANT_ROLES,
            role_assignments__project__in=projects_visible_to(user),
        )
        .distinct()
        .order_by("display_name", "username")
    )


def team_month(user, *, today=None) -> tuple[list[TeamRow], TeamRow]:
    """One row per consultant of the user's projects with the same figures as ``my_month``,
    and a total row: one query for the consultants and one grouped query per figure."""
    today = today or selectors.local_today()
    consultants = list(team_consultants(user))
    rows = {c.pk: TeamRow(consultant=c) for c in consultants}
    total = TeamRow(consultant=None)
    for key, (url_name, params) in figure_params(today).items():
        group = _filtersets()[key][1]
        grouped = _rows(user, key, params).order_by().values(group).annotate(n=Count("id"))
        total.values[key] = 0
        for r in grouped:  # the total counts every row its link shows, a team's or not
            total.values[key] += r["n"]
            if r[group] in rows:
                rows[r[group]].values[key] = r["n"]
        total.urls[key] = _link(url_name, **params)
        who = "owner" if group == "owner_id" else "consultant"
        for pk, row in rows.items():
            row.urls[key] = _link(url_name, **params, **{who: pk})
    return list(rows.values()), total


def booked_visits_today(user, *, today=None):
    """Calls that booked a visit for today, the user's own (a manager: his team's)."""
    today = today or selectors.local_today()
    from .filters import CallFilter

    params = {"visit_booked_on": today}
    rows = CallFilter(params, user=user).rows()
    return rows.order_by("visit_booked_for", "id"), _link("reception:calls", **params)


def calls_today(user, *, today=None):
    today = today or selectors.local_today()
    params = {"date_from": today, "date_to": today}
    return _rows(user, "calls", params), _link("reception:calls", **params)


# --- the pipeline board ------------------------------------------------------------------------


@dataclass
class Column:
    stage: str
    label: str
    cards: list
    total: Decimal
    count: int
    is_open: bool
    more: int = 0


BOARD_LIMIT = 100  # cards per column; the column's count and total still cover them all
CLOSED_DAYS = 30  # won/lost columns show the last month's closes


def pipeline_board(user, *, consultant=None, project=None, today=None) -> list[Column]:
    """Opportunities by stage: open stages in full, won and lost of the last 30 days.

    A consultant sees his own, a manager his projects' (``visible_to``). Seven queries
    whatever the size: the per-stage counts and totals, then each column's first cards.
    """
    from datetime import timedelta

    today = today or selectors.local_today()
    qs = selectors.opportunities_visible_to(user, consultant=consultant, project=project)
    recent = selectors.day_start(today - timedelta(days=CLOSED_DAYS))
    qs = qs.filter(Q(stage__in=OPEN_STAGES) | Q(closed_at__gte=recent))
    totals = {
        r["stage"]: (r["n"], r["value"] or Decimal("0"))
        for r in qs.order_by().values("stage").annotate(n=Count("id"), value=Sum("expected_value"))
    }
    columns = []
    for stage in Stage:
        n, value = totals.get(stage.value, (0, Decimal("0")))
        cards = []
        if n:  # an empty column costs no query
            order = ("expected_close", "-expected_value", "id")
            if stage not in OPEN_STAGES:
                order = ("-closed_at", "id")
            cards = list(qs.filter(stage=stage).order_by(*order)[:BOARD_LIMIT])
        columns.append(
            Column(
                stage=stage.value,
                label=stage.label,
                cards=cards,
                total=value,
                count=n,
                is_open=stage in OPEN_STAGES,
                more=max(0, n - len(cards)),
            )
        )
    return columns
