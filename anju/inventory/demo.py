"""Demo buildings and units in every status; lower floors sell first, as in real launches."""

from decimal import Decimal

from django.utils import timezone

from . import services
from .models import Orientation, Unit, UnitStatus

BUILDINGS = [("1", "1栋", 18), ("2", "2栋", 24), ("3", "3栋", 12)]
LAYOUTS = [
    ("三室两厅两卫", Decimal("118.50"), Orientation.SOUTH),
    ("两室两厅一卫", Decimal("89.20"), Orientation.SOUTH_EAST),
    ("两室两厅一卫", Decimal("89.20"), Orientation.SOUTH_WEST),
    ("四室两厅两卫", Decimal("143.80"), Orientation.NORTH_SOUTH),
]
PRICE_PER_M2 = {"sz": Decimal("62000"), "zh": Decimal("28000")}


def _status_for(rng, floor, floors):
    """Sold share falls with height: most low floors gone, high floors mostly available."""
    sold = 0.85 - 0.6 * (floor / floors)
    r = rng.random()
    if r < sold * 0.15:
        return UnitStatus.DELIVERED
    if r < sold * 0.6:
        return UnitStatus.SIGNED
    if r < sold:
        return UnitStatus.SUBSCRIBED
    if r < sold + 0.06:
        return UnitStatus.RESERVED
    return UnitStatus.AVAILABLE


def seed(world):
    now = timezone.now()
    buildings = []
    for project in world["projects"].values():
        price = PRICE_PER_M2[project.company.code]
        for code, name, floors in BUILDINGS:
            buildings.append(
                services.building_create(
                    by=None,
                    project=project,
                    code=code,
                    name=name,
                    floors=floors,
                    units_per_floor=len(LAYOUTS),
                    layouts=LAYOUTS,
                    price_per_m2=price,
                )
            )
    units = list(Unit.objects.filter(building__in=buildings).select_related("building"))
    for unit in units:
        unit.status = _status_for(world.rng, unit.floor, unit.building.floors)
        if unit.status != UnitStatus.AVAILABLE:
            unit.status_changed_at = now
    Unit.objects.bulk_update(units, ["status", "status_changed_at"], batch_size=2000)
    world["buildings"] = buildings
    world.log(f"    {len(buildings)} buildings, {len(units)} units")
