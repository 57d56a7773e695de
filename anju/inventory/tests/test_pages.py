"""The sales-control board (销控表, UNT-1) and the units index, as pages."""

from anju.inventory.models import Unit, UnitStatus
from anju.inventory.services import building_create


def test_board_shows_grid_legend_and_counts(world, login):
    building = world.buildings[0]
    client = login(world.users["manager"])
    response = client.get(f"/inventory/buildings/{building.pk}/board/")
    assert response.status_code == 200
    board = response.context["board"]
    assert board.total == Unit.objects.filter(building=building).count()
    assert [floor for floor, _ in board.rows] == list(range(building.floors, 0, -1))
    expected = {
        s: Unit.objects.filter(building=building, status=s).count() for s in UnitStatus.values
    }
    assert board.counts == expected
    html = response.content.decode()
    assert html.count('class="unit-cell status-') == board.total
    for status in UnitStatus.values:
        assert f'data-status="{status}"' in html


def test_board_query_count_does_not_grow_with_units(world, login, django_assert_max_num_queries):
    client = login(world.users["manager"])
    small = world.buildings[0]
    big = building_create(
        by=None,
        project=small.project,
        code="99",
        name="99栋",
        floors=60,
        units_per_floor=4,
        layouts=[("两室", 90, "S")] * 4,
        price_per_m2=50000,
    )
    with django_assert_max_num_queries(8) as small_ctx:
        client.get(f"/inventory/buildings/{small.pk}/board/")
    with django_assert_max_num_queries(8) as big_ctx:
        client.get(f"/inventory/buildings/{big.pk}/board/")
    assert len(big_ctx.captured_queries) == len(small_ctx.captured_queries)


def test_units_index_query_count_is_constant(world, login, django_assert_max_num_queries):
    client = login(world.users["admin"])
    with django_assert_max_num_queries(8) as before:
        client.get("/inventory/")
    building_create(
        by=None,
        project=world.projects["haiwan"],
        code="77",
        name="77栋",
        floors=5,
        units_per_floor=1,
        layouts=[("一室", 50, "S")],
        price_per_m2=30000,
    )
    with django_assert_max_num_queries(8) as after:
        client.get("/inventory/")
    assert len(after.captured_queries) == len(before.captured_queries)


def test_unit_panel_is_a_fragment_for_htmx(world, login):
    unit = Unit.objects.filter(building=world.buildings[0]).first()
    client = login(world.users["manager"])
    fragment = client.get(f"/inventory/units/{unit.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    full = client.get(f"/inventory/units/{unit.pk}/")
    assert b"<html" in full.content


def test_board_status_filter_ignores_garbage(world, login):
    client = login(world.users["manager"])
    response = client.get(f"/inventory/buildings/{world.buildings[0].pk}/board/?status=<script>")
    assert response.status_code == 200 and response.context["status_filter"] is None
