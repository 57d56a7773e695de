"""The filters of the contract and overdue lists (SUB-4), one FilterSet per list shared by
its page, its API endpoint and its export (issue 7 item 16)."""

from datetime import timedelta

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import IdChoiceFilter, ListFilter
from anju.org.selectors import projects_visible_to
from anju.reception.forms import BootstrapForm

from . import contract_selectors as selectors
from .models import PaymentPlan

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OVERDUE_DAYS = [
    ("1", _("1 day or more")),
    ("7", _("7 days or more")),
    ("30", _("30 days or more")),
    ("90", _("90 days or more")),
]


class _ProjectFilter(ListFilter):
    project = IdChoiceFilter(label=_("Project"), queryset=None, empty_label=_("All projects"))

    class Meta:
        form = BootstrapForm

    def __init__(self, data=None, *, user, queryset, **kwargs):
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["project"].queryset = projects_visible_to(user)


class OverdueFilter(_ProjectFilter):
    """Overdue instalments: ``project``, ``overdue_days`` (at least that many days late)."""

    project = IdChoiceFilter(
        label=_("Project"),
        queryset=None,
        field_name="contract__project",
        empty_label=_("All projects"),
    )
    overdue_days = django_filters.ChoiceFilter(
        label=_("Overdue"),
        choices=OVERDUE_DAYS,
        method="filter_overdue_days",
        empty_label=_("Any time"),
    )

    def __init__(self, data=None, *, user, today=None, **kwargs):
        self.today = today or selectors.local_today()
        queryset = selectors.overdue_instalments(user, today=self.today)
        super().__init__(data, user=user, queryset=queryset, **kwargs)

    def filter_overdue_days(self, queryset, name, value):
        return queryset.filter(due_date__lte=self.today - timedelta(days=int(value)))


class ContractFilter(_ProjectFilter):
    """Contracts: ``project``, ``payment_plan``, signed between two local days."""

    payment_plan = django_filters.ChoiceFilter(
        label=_("Payment plan"), choices=PaymentPlan.choices, empty_label=_("All plans")
    )
    signed_from = django_filters.DateFilter(
        label=_("Signed from"), method="filter_signed_from", widget=DATE_WIDGET
    )
    signed_to = django_filters.DateFilter(
        label=_("Signed to"), method="filter_signed_to", widget=DATE_WIDGET
    )

    def __init__(self, data=None, *, user, **kwargs):
        queryset = selectors.contracts_visible_to(user)
        super().__init__(data, user=user, queryset=queryset, **kwargs)

    def filter_signed_from(self, queryset, name, value):
        return queryset.filter(signed_at__gte=_day_start(value))

    def filter_signed_to(self, queryset, name, value):
        return queryset.filter(signed_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day):
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time.min))
