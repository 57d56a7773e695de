"""UNT-1 unit workflow and prices; SEC-3 audit of price changes."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.events import events_for
from anju.inventory.models import Orientation, Unit, UnitStatus
from anju.inventory.services import building_create, unit_change_status, unit_set_list_price

LAYOUTS = [
    ("两室", Decimal("89.5"), Orientation.SOUTH),
    ("三室", Decimal("120"), Orientation.NORTH),
]


def available_unit(world, project="binhai"):
    return Unit.objects.filter(project=world.projects[project], status=UnitStatus.AVAILABLE).first()


def test_building_create_makes_the_full_grid_with_prices(world):
    building = building_create(
        by=world.users["manager"],
        project=world.projects["binhai"],
        code="9",
        name="9栋",
        floors=3,
        units_per_floor=2,
        layouts=LAYOUTS,
        price_per_m2=Decimal("50000"),
    )
    units = list(building.units.order_by("floor", "position"))
    assert [u.number for u in units] == ["0101", "0102", "0201", "0202", "0301", "0302"]
    assert units[0].list_price == Decimal("4475000.00")  # 89.5 × 50,000, ground floor
    assert units[2].list_price > units[0].list_price  # higher floors cost more
    assert all(isinstance(u.list_price, Decimal) for u in units)
    assert events_for(building).get().verb == "building.created"


def test_building_create_refused_for_consultant_and_writes_nothing(world):
    before = Unit.objects.count()
    with pytest.raises(NotPermitted):
        building_create(
            by=world.users["consultant"],
            project=world.projects["binhai"],
            code="9",
            name="9栋",
            floors=3,
            units_per_floor=2,
            layouts=LAYOUTS,
            price_per_m2=1,
        )
    assert Unit.objects.count() == before


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"floors": 0}, "floors"),
        ({"units_per_floor": 3}, "layouts"),
        ({"code": "1"}, "code"),
        ({"price_per_m2": "abc"}, "price_per_m2"),
    ],
)
def test_building_create_bad_input_is_a_clear_error(world, kwargs, field):
    args = dict(
        by=world.users["manager"],
        project=world.projects["binhai"],
        code="9",
        name="9栋",
        floors=3,
        units_per_floor=2,
        layouts=LAYOUTS,
        price_per_m2=Decimal("50000"),
    )
    args.update(kwargs)
    before = Unit.objects.count()
    with pytest.raises(ApplicationError) as exc:
        building_create(**args)
    assert exc.value.field == field
    assert Unit.objects.count() == before


def test_status_follows_the_workflow_and_records_events(world):
    unit = available_unit(world)
    by = world.users["consultant"]
    unit = unit_change_status(by=by, unit=unit, to=UnitStatus.SUBSCRIBED, reason="认购")
    unit = unit_change_status(by=by, unit=unit, to=UnitStatus.SIGNED)
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.SIGNED
    verbs = [(e.details["from"], e.details["to"]) for e in events_for(unit).order_by("id")]
    assert verbs == [("available", "subscribed"), ("subscribed", "signed")]


def test_impossible_status_change_is_refused(world):
    unit = available_unit(world)
    with pytest.raises(ApplicationError) as exc:
        unit_change_status(by=world.users["consultant"], unit=unit, to=UnitStatus.DELIVERED)
    assert "可售" in str(exc.value) or "Available" in str(exc.value)
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE
    assert not events_for(unit).exists()


def test_price_change_needs_permission_reason_and_is_audited(world):
    unit = available_unit(world)
    old = unit.list_price
    with pytest.raises(NotPermitted):
        unit_set_list_price(by=world.users["consultant"], unit=unit, list_price=1, reason="x")
    with pytest.raises(ApplicationError):
        unit_set_list_price(by=world.users["manager"], unit=unit, list_price=1, reason=" ")
    with pytest.raises(ApplicationError):
        unit_set_list_price(by=world.users["manager"], unit=unit, list_price=-5, reason="x")
    assert Unit.objects.get(pk=unit.pk).list_price == old
    unit_set_list_price(
        by=world.users["manager"], unit=unit, list_price="3000000.004", reason="调价"
    )
    assert Unit.objects.get(pk=unit.pk).list_price == Decimal("3000000.00")
    entry = LogEntry.objects.get_for_object(unit).filter(changes__has_key="list_price").first()
    assert entry is not None
    assert events_for(unit).get().details == {
        "from": str(old),
        "to": "3000000.00",
        "reason": "调价",
    }


def test_manager_of_another_project_cannot_reprice(world):
    unit = available_unit(world, "yunjing")
    with pytest.raises(NotPermitted):
        unit_set_list_price(by=world.users["manager"], unit=unit, list_price=1, reason="x")


@pytest.mark.parametrize(
    "price",
    ["1e20", Decimal("1e20"), "1000000000000", "999999999999.995", "NaN", "Infinity", "-1", "abc"],
)
def test_price_outside_the_column_is_refused_and_nothing_changes(world, price):
    """SEC-4: a price the DecimalField(14, 2) column cannot hold is a clear error, not a 500."""
    unit = available_unit(world)
    old = unit.list_price
    with pytest.raises(ApplicationError) as exc:
        unit_set_list_price(by=world.users["manager"], unit=unit, list_price=price, reason="x")
    assert exc.value.field == "list_price"
    assert Unit.objects.get(pk=unit.pk).list_price == old
    assert not events_for(unit).exists()


def test_largest_price_the_column_holds_is_accepted(world):
    unit = available_unit(world)
    unit_set_list_price(
        by=world.users["manager"], unit=unit, list_price="999999999999.99", reason="x"
    )
    assert Unit.objects.get(pk=unit.pk).list_price == Decimal("999999999999.99")


def test_too_large_price_message_is_translated(world):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ApplicationError) as exc:
        unit_set_list_price(
            by=world.users["manager"], unit=available_unit(world), list_price="1e20", reason="x"
        )
    assert "金额过大" in str(exc.value)


def test_building_whose_unit_prices_overflow_is_refused(world):
    before = Unit.objects.count()
    with pytest.raises(ApplicationError) as exc:
        building_create(
            by=world.users["manager"],
            project=world.projects["binhai"],
            code="9",
            name="9栋",
            floors=3,
            units_per_floor=2,
            layouts=LAYOUTS,
            price_per_m2=Decimal("900000000000"),
        )
    assert exc.value.field == "price_per_m2"
    assert Unit.objects.count() == before


def test_company_management_cannot_reprice_another_companys_unit(world):
    """ORG-2: 深圳 management holds MANAGE_INVENTORY for 深圳 only, not 珠海's 海湾里."""
    unit = available_unit(world, "haiwan")
    old = unit.list_price
    with pytest.raises(NotPermitted):
        unit_set_list_price(by=world.users["management"], unit=unit, list_price=1, reason="x")
    assert Unit.objects.get(pk=unit.pk).list_price == old
    assert not events_for(unit).exists()
    own = available_unit(world, "binhai")
    unit_set_list_price(by=world.users["management"], unit=own, list_price=1, reason="x")
    assert Unit.objects.get(pk=own.pk).list_price == 1
