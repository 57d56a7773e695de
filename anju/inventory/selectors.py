"""Inventory reads, scoped (ORG-2): lists, the sales-control board and status counts."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count

from anju.core.scope import get_visible_or_404

from .hooks import unit_deals
from .models import Building, Unit, UnitStatus


def buildings_visible_to(user, *, project=None):
    qs = Building.objects.visible_to(user).select_related("project", "company")
    if project is not None:
        qs = qs.filter(project=project)
    return qs.order_by("project__company__code", "project__code", "sort_order", "code")


def units_visible_to(user, *, project=None, building=None, status=None):
    qs = Unit.objects.visible_to(user).select_related("building", "project")
    if project is not None:
        qs = qs.filter(project=project)
    if building is not None:
        qs = qs.filter(building=building)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("building__code", "-floor", "position")


def status_counts(units_qs) -> dict[str, int]:
    """{status: count} for every status (zeros included), from one GROUP BY query."""
    counts = dict.fromkeys(UnitStatus.values, 0)
    for row in units_qs.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def status_counts_by_building(user, building_ids) -> dict[int, dict[str, int]]:
    rows = (
        Unit.objects.visible_to(user)
        .filter(building_id__in=building_ids)
        .order_by()
        .values("building_id", "status")
        .annotate(n=Count("id"))
    )
    result = {bid: dict.fromkeys(UnitStatus.values, 0) for bid in building_ids}
    for row in rows:
        result[row["building_id"]][row["status"]] = row["n"]
    return result


@dataclass
class SalesBoard:
    """销控表: a building's floors (top first) × positions, each cell a unit or None."""

    building: Building
    positions: list[int]
    rows: list[tuple[int, list[Unit | None]]]
    counts: dict[str, int]
    total: int
    sold_value: object = 0
    statuses: list = field(default_factory=lambda: list(UnitStatus))
    deals: dict = field(default_factory=dict)  # unit id → hooks.UnitDeal (the deals app)


def sales_board(user, building_id) -> SalesBoard:
    building = get_visible_or_404(
        Building.objects.select_related("project", "company"), user, pk=building_id
    )
    units = list(
        Unit.objects.unscoped("the building was scoped above")
        .filter(building=building)
        .order_by("-floor", "position")
    )
    positions = sorted({u.position for u in units})
    by_floor: dict[int, dict[int, Unit]] = {}
    for u in units:
        by_floor.setdefault(u.floor, {})[u.position] = u
    rows = [
        (floor, [by_floor[floor].get(p) for p in positions])
        for floor in sorted(by_floor, reverse=True)
    ]
    counts = dict.fromkeys(UnitStatus.values, 0)
    counts.update(Counter(u.status for u in units))
    sold = sum(
        (
            u.list_price
            for u in units
            if u.status in (UnitStatus.SUBSCRIBED, UnitStatus.SIGNED, UnitStatus.DELIVERED)
        ),
        start=0,
    )
    board = SalesBoard(building, positions, rows, counts, len(units), sold)
    board.deals = unit_deals(user, units)  # one query per provider, whatever the statuses
    for u in units:
        u.deal = board.deals.get(u.pk)
    return board


def unit_detail(user, unit_id) -> Unit:
    return get_visible_or_404(Unit.objects.select_related("building", "project"), user, pk=unit_id)
