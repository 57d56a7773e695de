"""The deals lists' filters (issue 7 item 16's rule): one FilterSet per list serves its
page, its API endpoint and its export, so they cannot disagree."""

import django_filters
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import ConsultantListFilter, ProjectListFilter
from anju.reception.filters import DATE_WIDGET, PeriodFilterForm
from anju.reception.selectors import day_start

from . import selectors
from .models import QueueStatus, SubscriptionStatus


class _DealFilter(ConsultantListFilter, ProjectListFilter):
    """Project, consultant, status, created between two local days (both included)."""

    date_from = django_filters.DateFilter(label=_("From"), method="filter_from", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(label=_("To"), method="filter_to", widget=DATE_WIDGET)

    class Meta:
        form = PeriodFilterForm

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        from datetime import timedelta

        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))


class QueueFilter(_DealFilter):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=QueueStatus.choices, empty_label=_("All")
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=selectors.queue_tickets_visible_to(user))


class SubscriptionFilter(_DealFilter):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=SubscriptionStatus.choices, empty_label=_("All")
    )

    def __init__(self, data=None, *, user, **kwargs):
        queryset = selectors.subscriptions_visible_to(user).order_by("-created_at", "-id")
        super().__init__(data, user=user, queryset=queryset)
