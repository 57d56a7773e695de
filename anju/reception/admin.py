from django.contrib import admin

from anju.core.admin_base import ScopedModelAdmin

from .models import FollowUpTask, LossReason, Opportunity, PhoneCall, RiskFactor, Visit, WinReason


@admin.register(RiskFactor)
class RiskFactorAdmin(ScopedModelAdmin):
    list_display = ["title", "project", "sort_order", "is_active"]
    list_filter = ["company", "project", "is_active"]


@admin.register(WinReason, LossReason)
class ReasonAdmin(ScopedModelAdmin):
    list_display = ["name", "company", "sort_order", "is_active"]
    list_filter = ["company", "is_active"]


@admin.register(PhoneCall)
class PhoneCallAdmin(ScopedModelAdmin):
    list_display = ["called_at", "caller_name", "project", "consultant", "rings", "is_repeat"]
    list_filter = ["project", "is_repeat", "details_declined"]
    raw_id_fields = ["customer", "consultant"]


@admin.register(Visit)
class VisitAdmin(ScopedModelAdmin):
    list_display = ["arrived_at", "customer", "project", "consultant", "waiting_seconds"]
    list_filter = ["project", "club_invited"]
    raw_id_fields = ["customer", "consultant"]


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(ScopedModelAdmin):
    list_display = ["title", "kind", "status", "due_date", "assignee", "project"]
    list_filter = ["kind", "status", "project"]
    raw_id_fields = ["customer", "assignee"]


@admin.register(Opportunity)
class OpportunityAdmin(ScopedModelAdmin):
    list_display = ["customer", "project", "stage", "expected_value", "consultant", "closed_at"]
    list_filter = ["stage", "project"]
    raw_id_fields = ["customer", "consultant"]
