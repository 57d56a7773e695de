"""Row locks for inventory writes (one place, as Saleor's lock_objects)."""

from .models import Unit


def unit_for_update(pk) -> Unit:
    return Unit.objects.unscoped("lock the unit the caller scoped").select_for_update().get(pk=pk)
