from decimal import Decimal

from ninja import Router, Schema
from ninja.pagination import paginate

from anju.core.api_types import Id, Input, Money, Pagination, Text, may_answer

from . import selectors, services
from .models import UnitStatus

router = Router(tags=["units"])


class BuildingOut(Schema):
    id: int
    company_id: int
    project_id: int
    code: str
    name: str
    floors: int


class UnitOut(Schema):
    id: int
    company_id: int
    project_id: int
    building_id: int
    number: str
    floor: int
    position: int
    layout: str
    area: Decimal
    orientation: str
    list_price: Decimal
    status: UnitStatus


class BoardCell(Schema):
    id: int
    number: str
    status: UnitStatus
    layout: str
    area: Decimal
    list_price: Decimal


class BoardRow(Schema):
    floor: int
    cells: list[BoardCell | None]


class BoardOut(Schema):
    building: BuildingOut
    positions: list[int]
    counts: dict[str, int]
    rows: list[BoardRow]


@router.get("/buildings", response=list[BuildingOut])
@paginate(Pagination, page_size=50)
def list_buildings(request, project_id: Id | None = None):
    return selectors.buildings_visible_to(request.user, project=project_id)


@router.get("/buildings/{int:building_id}/board", response=BoardOut)
def building_board(request, building_id: Id):
    board = selectors.sales_board(request.user, building_id)
    return {
        "building": board.building,
        "positions": board.positions,
        "counts": board.counts,
        "rows": [{"floor": floor, "cells": cells} for floor, cells in board.rows],
    }


@router.get("/units", response=list[UnitOut])
@paginate(Pagination, page_size=100)
def list_units(
    request,
    project_id: Id | None = None,
    building_id: Id | None = None,
    status: UnitStatus | None = None,
):
    return selectors.units_visible_to(
        request.user, project=project_id, building=building_id, status=status
    )


@router.get("/units/{int:unit_id}", response=UnitOut)
def get_unit(request, unit_id: Id):
    return selectors.unit_detail(request.user, unit_id)


class PriceChangeIn(Input):
    """A sold unit's price changes through a sales change (409 here)."""

    list_price: Money(services.MONEY_MAX)
    reason: Text(500, required=True)


@router.post("/units/{int:unit_id}/price", response=UnitOut, openapi_extra=may_answer(409))
def change_unit_price(request, unit_id: Id, payload: PriceChangeIn):
    """Change a unit's list price (needs the inventory-management permission; audited)."""
    unit = selectors.unit_detail(request.user, unit_id)
    return services.unit_set_list_price(
        by=request.user, unit=unit, list_price=payload.list_price, reason=payload.reason
    )
