from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin

from .models import LossReason, RiskFactor, WinReason

# Calls, visits, follow-up tasks and opportunities are not registered: they hold customers'
# numbers and names, which the admin would show unmasked (issue 7 item 9), and only the
# services may write them. The managed lists are read-only here: the reception pages and
# their services (risk_factor_create, reason_create, …) change them.


@admin.register(RiskFactor)
class RiskFactorAdmin(ReadOnlyAdmin):
    list_display = ["title", "project", "sort_order", "is_active"]
    list_filter = ["company", "project", "is_active"]


@admin.register(WinReason, LossReason)
class ReasonAdmin(ReadOnlyAdmin):
    list_display = ["name", "company", "sort_order", "is_active"]
    list_filter = ["company", "is_active"]
