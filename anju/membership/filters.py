"""The member list's filters (tier, member type), shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from anju.core.errors import NotFound
from anju.customers.filters import ListFilter
from anju.reception.forms import BootstrapForm

from . import selectors
from .models import TIER_CODE_PATTERN, MemberType


class MemberFilter(ListFilter):
    """``tier``: a tier's code (``gold``), ``member_type``: customer/owner/family/employee."""

    tier = django_filters.CharFilter(label=_("Tier"), method="filter_tier", max_length=20)
    member_type = django_filters.ChoiceFilter(
        label=_("Member type"), choices=MemberType.choices, empty_label=_("All types")
    )

    class Meta:
        form = BootstrapForm

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, queryset=selectors.member_list(user), **kwargs)

    def filter_tier(self, queryset, name, value):
        import re

        code = (value or "").strip()
        if not code:
            return queryset
        if not re.match(TIER_CODE_PATTERN, code) or code not in selectors.tier_codes(self.user):
            raise NotFound(_("Unknown tier."), field="tier", code="unknown_tier")
        return queryset.filter(tier__code=code)
