"""The Django admin may look at business rows, never write them (issue 7 item 9).

Services own every business write: they check the rules and the scope, and record the event
row (SEC-3). A row written through the admin would skip all three, so business models are
registered read-only (``ReadOnlyAdmin``) or, when they hold personal data the admin would
show unmasked (customers, calls, visits, tasks, opportunities), not registered at all.
"""

from .admin_base import ScopedModelAdmin


class ReadOnlyAdmin(ScopedModelAdmin):
    """View only, and only what the user may see: no add, change or delete for anyone."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
