from django.contrib import admin

from anju.core.admin import ReadOnlyAdmin

from .models import Building, Unit

# Buildings, units, prices and statuses change only through the services, which check the
# rules (a sold unit's price is fixed) and write the event row (SEC-3); the admin only looks.


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "project", "floors"]
    list_filter = ["company", "project"]


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ["number", "building", "floor", "layout", "area", "list_price", "status"]
    list_filter = ["company", "status", "building__project"]
    search_fields = ["number"]
