from django.contrib import admin

from anju.core.admin_base import ScopedModelAdmin

from .models import Building, Unit


@admin.register(Building)
class BuildingAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "project", "floors"]
    list_filter = ["company", "project"]


@admin.register(Unit)
class UnitAdmin(ScopedModelAdmin):
    list_display = ["number", "building", "floor", "layout", "area", "list_price", "status"]
    list_filter = ["company", "status", "building__project"]
    search_fields = ["number"]
    # Prices and status change only through the services, which check the rules (a sold
    # unit's price is fixed) and write the event row (SEC-3); the admin may only look.
    readonly_fields = [
        "status",
        "status_changed_at",
        "list_price",
        "project",
        "building",
        "company",
    ]
