"""The outbox list's filters (issue 11 item 6), one FilterSet for its page and its API."""

from datetime import timedelta

import django_filters
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import IdChoiceFilter, ListFilter
from anju.org.selectors import projects_visible_to
from anju.reception.filters import DATE_WIDGET, PeriodFilterForm
from anju.reception.selectors import day_start

from . import selectors
from .models import Channel, Kind, Status


class MessageFilter(ListFilter):
    """Status, channel, kind, project, source (a campaign …) and the day range it was queued."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("All statuses")
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("All channels")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Kind.choices, empty_label=_("All kinds")
    )
    project = IdChoiceFilter(label=_("Project"), queryset=None, empty_label=_("All projects"))
    source = django_filters.CharFilter(label=_("Source"), max_length=80)
    date_from = django_filters.DateFilter(label=_("From"), method="filter_from", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(label=_("To"), method="filter_to", widget=DATE_WIDGET)

    class Meta:
        form = PeriodFilterForm

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=selectors.messages_visible_to(user), **kwargs)
        self.filters["project"].queryset = projects_visible_to(user)

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))
