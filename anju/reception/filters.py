"""The reception lists' filters, parsed once per list (issue 7 item 16).

One FilterSet per list (calls, visits, follow-up tasks, opportunities) validates and applies
the filters for its page, its API endpoint and its export, so they cannot disagree. Project
choices are the projects the user may see; invalid input gives no rows and a form error on
the page, a 400 from the API and the export — never the whole list.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import (
    ConsultantListFilter,
    IdChoiceFilter,
    ProjectListFilter,
)
from anju.inventory.selectors import units_visible_to

from . import selectors
from .forms import BootstrapForm
from .models import CLOSED_STAGES, OPEN_STAGES, Stage, TaskStatus
from .workbench import names_unit_q

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodFilterForm(BootstrapForm):
    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


_ProjectFilter = ProjectListFilter


class _PeriodFilter(_ProjectFilter):
    """Project and a local-date range on ``date_field``, both days included; date_from ≤
    date_to."""

    date_field = ""
    date_from = django_filters.DateFilter(label=_("From"), method="filter_from", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(label=_("To"), method="filter_to", widget=DATE_WIDGET)

    class Meta:
        form = PeriodFilterForm

    def filter_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": selectors.day_start(value)})

    def filter_to(self, queryset, name, value):
        end = selectors.day_start(value + timedelta(days=1))
        return queryset.filter(**{f"{self.date_field}__lt": end})


_ConsultantFilter = ConsultantListFilter


class CallFilter(_ConsultantFilter, _PeriodFilter):
    """``visit_booked_on``: calls that booked a visit for that local day (today's visits)."""

    date_field = "called_at"
    visit_booked_on = django_filters.DateFilter(
        label=_("Visit booked for"), method="filter_booked_on", widget=DATE_WIDGET
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=selectors.calls_visible_to(user), **kwargs)

    def filter_booked_on(self, queryset, name, value):
        start = selectors.day_start(value)
        return queryset.filter(
            visit_booked_for__gte=start,
            visit_booked_for__lt=selectors.day_start(value + timedelta(days=1)),
        )


class VisitFilter(_ConsultantFilter, _PeriodFilter):
    date_field = "arrived_at"

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=selectors.visits_visible_to(user), **kwargs)


class OpportunityFilter(_ConsultantFilter, _ProjectFilter):
    """``state`` open (the default), closed or all; ``stage`` one exact stage; opened or
    closed between two local days; ``unit``: the opportunities naming a unit of the
    sales-control board in their products of interest."""

    STATES = [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))]
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATES, method="filter_state", empty_label=None
    )
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=Stage.choices, empty_label=_("All stages")
    )
    opened_from = django_filters.DateFilter(
        label=_("Opened from"), method="filter_opened_from", widget=DATE_WIDGET
    )
    opened_to = django_filters.DateFilter(
        label=_("Opened to"), method="filter_opened_to", widget=DATE_WIDGET
    )
    closed_from = django_filters.DateFilter(
        label=_("Closed from"), method="filter_closed_from", widget=DATE_WIDGET
    )
    closed_to = django_filters.DateFilter(
        label=_("Closed to"), method="filter_closed_to", widget=DATE_WIDGET
    )
    unit = IdChoiceFilter(label=_("Unit"), queryset=None, method="filter_unit")

    class Meta:
        form = BootstrapForm

    def __init__(self, data=None, *, user, **kwargs):
        data = QueryDict(mutable=True) if data is None else data.copy()
        if not data.get("state"):
            data["state"] = "open"  # what the page shows first; absent means open everywhere
        queryset = selectors.opportunities_visible_to(user)
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["unit"].queryset = units_visible_to(user)

    def filter_opened_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=selectors.day_start(value))

    def filter_opened_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=selectors.day_start(value + timedelta(days=1)))

    def filter_closed_from(self, queryset, name, value):
        return queryset.filter(closed_at__gte=selectors.day_start(value))

    def filter_closed_to(self, queryset, name, value):
        return queryset.filter(closed_at__lt=selectors.day_start(value + timedelta(days=1)))

    def filter_unit(self, queryset, name, value):
        return queryset.filter(names_unit_q(value))

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(stage__in=OPEN_STAGES)
        if value == "closed":
            return queryset.filter(stage__in=CLOSED_STAGES)
        return queryset


class TaskFilter(_ProjectFilter):
    """``bucket`` overdue / today / upcoming (open tasks), ``status``; ``mine``: only the
    user's own (the My tasks page and ``GET /tasks``)."""

    BUCKETS = [("overdue", _("Overdue")), ("today", _("Today")), ("upcoming", _("Upcoming"))]
    bucket = django_filters.ChoiceFilter(
        label=_("Due"), choices=BUCKETS, method="filter_bucket", empty_label=_("Any time")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=TaskStatus.choices, empty_label=_("All statuses")
    )
    mine = django_filters.BooleanFilter(
        label=_("My tasks only"), method="filter_mine", widget=forms.HiddenInput
    )

    class Meta:
        form = BootstrapForm

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=selectors.tasks_visible_to(user), **kwargs)

    def filter_bucket(self, queryset, name, value):
        today = selectors.local_today()
        due = {"overdue": "due_date__lt", "today": "due_date", "upcoming": "due_date__gt"}
        return queryset.filter(status=TaskStatus.OPEN, **{due[value]: today})

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.user) if value else queryset
