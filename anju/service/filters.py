"""The ticket list's filters (issue 7 item 16's rule): one FilterSet serves the page and its
export (and the API where it lists tickets), so they cannot disagree."""

import re
from datetime import timedelta

import django_filters
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import IdChoiceFilter, ProjectListFilter, _CheckboxFilter
from anju.reception.filters import DATE_WIDGET, PeriodFilterForm
from anju.reception.selectors import day_start

from . import page_selectors, selectors
from .models import OPEN_STATUSES, Category, Severity, Status, TicketType

# "open" (what the desk works on, the default), "all", or one exact status.
STATES = [("open", _("Open tickets")), ("all", _("All statuses")), *Status.choices]
NUMBER = re.compile(r"^(?:KF)?0*(\d{1,9})$", re.IGNORECASE)


class TicketFilter(ProjectListFilter):
    """Type, status (open by default), category, severity, project, responsible (or only
    mine), overdue, received between two local days, number or subject."""

    q = django_filters.CharFilter(
        label=_("Number or subject"), max_length=50, method="filter_search"
    )
    ticket_type = django_filters.ChoiceFilter(
        label=_("Type"), choices=TicketType.choices, empty_label=_("All types")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATES, method="filter_status", empty_label=None
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Category.choices, empty_label=_("All categories")
    )
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Severity.choices, empty_label=_("Any severity")
    )
    responsible = IdChoiceFilter(
        label=_("Responsible"), queryset=None, empty_label=_("Anyone responsible")
    )
    mine = _CheckboxFilter(label=_("Mine only"), method="filter_mine", required=False)
    overdue = _CheckboxFilter(label=_("Overdue only"), method="filter_overdue", required=False)
    date_from = django_filters.DateFilter(
        label=_("Received from"), method="filter_from", widget=DATE_WIDGET
    )
    date_to = django_filters.DateFilter(
        label=_("Received to"), method="filter_to", widget=DATE_WIDGET
    )

    class Meta:
        form = PeriodFilterForm

    def __init__(self, data=None, *, user, **kwargs):
        data = QueryDict(mutable=True) if data is None else data.copy()
        if not data.get("status"):
            data["status"] = "open"  # the desk's working list; "all" shows the closed too
        queryset = selectors.tickets_visible_to(user).order_by("-received_at", "-pk")
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["responsible"].queryset = page_selectors.staff_for_filter(user)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        found = NUMBER.match(value.replace(" ", ""))
        q = Q(subject__icontains=value)
        if found:
            q |= Q(number=int(found.group(1)))
        return queryset.filter(q)

    def filter_status(self, queryset, name, value):
        """Open tickets the most urgent first (the next due time); closed ones newest first."""
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES).order_by("next_due_at", "pk")
        if value == "all":
            return queryset
        if value == Status.CLOSED:
            return queryset.filter(status=value).order_by("-closed_at", "-pk")
        return queryset.filter(status=value).order_by("next_due_at", "pk")

    def filter_mine(self, queryset, name, value):
        return queryset.filter(responsible=self.user) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        late = Q(overdue=True) | Q(next_due_at__lte=timezone.now())
        return queryset.filter(late, status__in=OPEN_STATUSES)

    def filter_from(self, queryset, name, value):
        return queryset.filter(received_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(received_at__lt=day_start(value + timedelta(days=1)))
