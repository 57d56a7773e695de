"""The sales-change list's filters (SUB-5), shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import IdChoiceFilter, ListFilter
from anju.org.selectors import projects_visible_to
from anju.reception.forms import BootstrapForm

from .change_selectors import sales_changes_visible_to
from .models import ChangeKind, ChangeStatus


class SalesChangeFilter(ListFilter):
    kind = django_filters.ChoiceFilter(
        label=_("Change"), choices=ChangeKind.choices, empty_label=_("All changes")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ChangeStatus.choices, empty_label=_("All statuses")
    )
    project = IdChoiceFilter(label=_("Project"), queryset=None, empty_label=_("All projects"))

    class Meta:
        form = BootstrapForm

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=sales_changes_visible_to(user), **kwargs)
        self.filters["project"].queryset = projects_visible_to(user)
