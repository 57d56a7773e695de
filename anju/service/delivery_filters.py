"""The repair-order list's filters (SVC-7): status, project, contractor, overdue."""

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from anju.customers.filters import IdChoiceFilter, ListFilter, _CheckboxFilter
from anju.org.selectors import projects_visible_to
from anju.reception.forms import BootstrapForm

from .delivery_models import RepairStatus, Room
from .delivery_selectors import overdue_q, repairs_visible_to


class RepairFilter(ListFilter):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=RepairStatus.choices, empty_label=_("All statuses")
    )
    project = IdChoiceFilter(label=_("Project"), queryset=None, empty_label=_("All projects"))
    room = django_filters.ChoiceFilter(
        label=_("Room"), choices=Room.choices, empty_label=_("All rooms"), field_name="defect__room"
    )
    contractor = django_filters.CharFilter(
        label=_("Contractor"), max_length=60, lookup_expr="icontains"
    )
    overdue = _CheckboxFilter(label=_("Overdue only"), method="filter_overdue", required=False)

    class Meta:
        form = BootstrapForm

    def __init__(self, data=None, *, user, **kwargs):
        # open orders first, the most urgent on top; signed-off ones after them
        queryset = repairs_visible_to(user).order_by(
            F("signed_off_at").asc(nulls_first=True), "due_on", "pk"
        )
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["project"].queryset = projects_visible_to(user)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset
