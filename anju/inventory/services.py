"""Inventory writes: buildings with their unit grid, unit status and prices (UNT-1, SEC-3)."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict
from anju.core.events import record_event
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.transitions import check_transition
from anju.core.validation import money_amount, money_too_large

from .lock_objects import unit_for_update
from .models import UNIT_TRANSITIONS, Building, Unit, UnitStatus

# The largest amount a money column holds: DecimalField(max_digits=14, decimal_places=2).
MONEY_MAX = Decimal("999999999999.99")


def _money(value, field) -> Decimal:
    return money_amount(value, field=field)


def _too_large(field) -> ApplicationError:
    return money_too_large(field)


@transaction.atomic
def building_create(
    *,
    by,
    project,
    code: str,
    name: str,
    floors: int,
    units_per_floor: int,
    layouts: list[tuple[str, Decimal, str]],
    price_per_m2: Decimal,
    floor_premium: Decimal = Decimal("0.005"),
) -> Building:
    """Create a building and its floor × position grid of available units in one step.

    ``layouts`` gives, per position on a floor, (layout name, area m², orientation). Price is
    area × price_per_m2, rising by ``floor_premium`` per floor, as sales offices usually set it.
    """
    if by is not None:
        require_perm(by, Perm.MANAGE_INVENTORY, project=project)
    if not (1 <= floors <= 200):
        raise ApplicationError(_("Floors must be between 1 and 200."), field="floors")
    if not (1 <= units_per_floor <= 40) or len(layouts) != units_per_floor:
        raise ApplicationError(_("Give one layout per unit on a floor."), field="layouts")
    if (
        Building.objects.unscoped("codes are unique in the project")
        .filter(project=project, code=code)
        .exists()
    ):
        raise ApplicationError(
            _("This project already has building %(c)s.") % {"c": code}, field="code"
        )
    price_per_m2 = _money(price_per_m2, "price_per_m2")
    building = Building.objects.create(
        company_id=project.company_id, project=project, code=code, name=name, floors=floors
    )
    units = []
    for floor in range(1, floors + 1):
        premium = 1 + floor_premium * (floor - 1)
        for pos, (layout, area, orientation) in enumerate(layouts, start=1):
            area = Decimal(str(area))
            price = (area * price_per_m2 * Decimal(str(premium))).quantize(Decimal("1"))
            if price > MONEY_MAX:
                raise _too_large("price_per_m2")
            units.append(
                Unit(
                    company_id=project.company_id,
                    project=project,
                    building=building,
                    number=f"{floor:02d}{pos:02d}",
                    floor=floor,
                    position=pos,
                    layout=layout,
                    area=area,
                    orientation=orientation,
                    list_price=price,
                )
            )
    Unit.objects.bulk_create(units, batch_size=1000)
    record_event(
        by=by,
        verb="building.created",
        target=building,
        details={"floors": floors, "units": len(units)},
    )
    return building


@transaction.atomic
def unit_change_status(*, by, unit: Unit, to: str, reason: str = "", subject=None) -> Unit:
    """Move a unit along its sales workflow. Deals call this; the row is locked meanwhile."""
    unit = unit_for_update(unit.pk)
    check_transition(
        allowed=UNIT_TRANSITIONS,
        current=UnitStatus(unit.status),
        to=UnitStatus(to),
        label=_("The unit status"),
    )
    before = unit.status
    unit.status = to
    unit.status_changed_at = timezone.now()
    unit.save(update_fields=["status", "status_changed_at", "updated_at"])
    record_event(
        by=by,
        verb="unit.status_changed",
        target=unit,
        subject=subject,
        details={"from": before, "to": to, "reason": reason},
    )
    return unit


@transaction.atomic
def unit_set_list_price(*, by, unit: Unit, list_price, reason: str) -> Unit:
    """Change a unit's list price (audited; SEC-3). Only units not yet sold may be repriced."""
    require_perm(by, Perm.MANAGE_INVENTORY, project=unit.project_id)
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the price changes."), field="reason")
    unit = unit_for_update(unit.pk)
    if unit.status not in (UnitStatus.AVAILABLE, UnitStatus.RESERVED):
        raise Conflict(
            _("A sold unit's price is changed through a sales change."), code="unit_sold"
        )
    before = unit.list_price
    unit.list_price = _money(list_price, "list_price")
    unit.save(update_fields=["list_price", "updated_at"])
    record_event(
        by=by,
        verb="unit.price_changed",
        target=unit,
        details={"from": str(before), "to": str(unit.list_price), "reason": reason},
    )
    return unit
