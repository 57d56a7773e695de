"""The pipeline board (SAL-6, issue 9 item 11): scope, moves through the stage service, Decimal
totals per column, and the unit → interested opportunities link."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.core.models import Event
from anju.reception import services, workbench
from anju.reception.models import Opportunity, Stage

HTMX = {"HTTP_HX_REQUEST": "true"}


def _cards(response):
    return {o.pk for col in response.context["columns"] for o in col.cards}


def _visible_open(user):
    return Opportunity.objects.visible_to(user).filter(stage__in=["contact", "needs"]).first()


def test_consultant_sees_only_his_own_cards(world, login):
    consultant = world.users["consultant"]
    response = login(consultant).get("/reception/pipeline/")
    assert response.status_code == 200
    cards = _cards(response)
    assert cards
    owners = set(Opportunity.objects.filter(pk__in=cards).values_list("consultant", flat=True))
    assert owners == {consultant.pk}
    assert response.context["consultants"] == []  # no team filter for a consultant


def test_manager_sees_his_projects_and_filters_by_consultant(world, login):
    manager = world.users["manager"]
    client = login(manager)
    cards = _cards(client.get("/reception/pipeline/"))
    projects = set(Opportunity.objects.filter(pk__in=cards).values_list("project", flat=True))
    assert projects == {world.projects["binhai"].pk}
    assert (
        len(set(Opportunity.objects.filter(pk__in=cards).values_list("consultant", flat=True))) > 1
    )
    li_na = world.users["consultant"]
    only = _cards(client.get(f"/reception/pipeline/?consultant={li_na.pk}"))
    assert only and only < cards
    assert set(Opportunity.objects.filter(pk__in=only).values_list("consultant", flat=True)) == {
        li_na.pk
    }


def test_consultant_of_another_project_never_sees_the_board_of_this_one(world, login):
    other = world.users["consultant2"]  # 云境
    client = login(other)
    cards = _cards(client.get("/reception/pipeline/"))
    assert not Opportunity.objects.filter(pk__in=cards, project=world.projects["binhai"]).exists()
    li_na = world.users["consultant"]
    assert client.get(f"/reception/pipeline/?consultant={li_na.pk}").status_code == 404
    assert (
        login(world.users["consultant"])
        .get(f"/reception/pipeline/?consultant={other.pk}")
        .status_code
        == 404
    )


def test_column_totals_are_decimal_sums_of_the_column(world):
    for col in workbench.pipeline_board(world.users["manager"]):
        assert isinstance(col.total, Decimal)
        assert col.count == len(col.cards) + col.more
        if not col.more:
            assert col.total == sum((o.expected_value for o in col.cards), Decimal("0"))


def test_board_is_a_fixed_number_of_queries(world, login, log_call):
    client = login(world.users["manager"])
    client.get("/reception/pipeline/")
    with CaptureQueriesContext(connection) as before:
        client.get("/reception/pipeline/")
    for i in range(5):
        customer = log_call(phone=f"139 0000 76{i:02d}", name=f"看板{i}").customer
        services.opportunity_open(
            by=world.users["consultant"],
            customer=customer,
            products_of_interest="2栋 高层",
            expected_value="2500000",
            stage=Stage.CONTACT if i % 2 else Stage.NEGOTIATION,
        )
    with CaptureQueriesContext(connection) as after:
        client.get("/reception/pipeline/")
    assert len(after.captured_queries) <= len(before.captured_queries) + 1  # a new column
    assert len(after.captured_queries) <= 20


def test_drag_to_another_open_stage_goes_through_the_service(world, login):
    consultant = world.users["consultant"]
    opp = _visible_open(consultant)
    target = Stage.PROPOSAL if opp.stage != Stage.PROPOSAL else Stage.NEEDS
    response = login(consultant).post(
        f"/reception/pipeline/{opp.pk}/move/", {"stage": target}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "pipeline-moved"
    opp.refresh_from_db()
    assert opp.stage == target
    event = Event.objects.filter(verb="reception.opportunity_stage_changed").latest("id")
    assert event.details["to"] == target and event.actor_id == consultant.pk


def test_an_illegal_move_is_refused_with_a_message_and_nothing_changes(world, login):
    consultant = world.users["consultant"]
    client = login(consultant)
    closed = Opportunity.objects.filter(consultant=consultant, stage=Stage.WON).first()
    response = client.post(f"/reception/pipeline/{closed.pk}/move/", {"stage": Stage.NEEDS}, **HTMX)
    assert response.status_code == 422
    assert 'data-testid="pipeline-error"' in response.content.decode()
    closed.refresh_from_db()
    assert closed.stage == Stage.WON
    # closing needs a reason: a drop on "won" is refused, not a silent win
    opp = _visible_open(consultant)
    stage = opp.stage
    response = client.post(f"/reception/pipeline/{opp.pk}/move/", {"stage": Stage.WON}, **HTMX)
    assert response.status_code == 422
    opp.refresh_from_db()
    assert opp.stage == stage and opp.win_reason_id is None
    # an unknown stage
    response = client.post(f"/reception/pipeline/{opp.pk}/move/", {"stage": "nowhere"}, **HTMX)
    assert response.status_code == 422
    opp.refresh_from_db()
    assert opp.stage == stage


def test_moving_someone_elses_card(world, login):
    opp = _visible_open(world.users["consultant"])
    stage = opp.stage
    response = login(world.users["consultant2"]).post(
        f"/reception/pipeline/{opp.pk}/move/", {"stage": Stage.PROPOSAL}, **HTMX
    )
    assert response.status_code == 404
    opp.refresh_from_db()
    assert opp.stage == stage


# --- the unit's interested customers and opportunities ----------------------------------------


@pytest.fixture
def unit(world):
    from anju.inventory.models import Unit

    return (
        Unit.objects.filter(project=world.projects["binhai"], building__name="1栋", number="1801")
        .select_related("building")
        .get()
    )


def test_unit_link_lists_the_opportunities_naming_the_unit(world, login, log_call, unit):
    consultant = world.users["consultant"]
    naming = services.opportunity_open(
        by=consultant,
        customer=log_call(phone="139 0000 7701", name="看房甲").customer,
        products_of_interest="1栋 1801 三房",
        expected_value="4000000",
    )
    other = services.opportunity_open(
        by=consultant,
        customer=log_call(phone="139 0000 7702", name="看房乙").customer,
        products_of_interest="1栋 1701 三房",
        expected_value="4000000",
    )
    client = login(world.users["manager"])
    panel = client.get(f"/inventory/units/{unit.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert f"unit={unit.pk}" in panel
    response = client.get(f"/reception/opportunities/?state=all&unit={unit.pk}")
    shown = {o.pk for o in response.context["page"]}
    assert naming.pk in shown and other.pk not in shown
    assert "看房甲" in response.content.decode()


def test_unit_link_lists_the_opportunities_that_picked_the_unit(world, login, log_call, unit):
    """Units picked from the inventory (a visit's units shown, carried into the
    opportunity) count too, whatever the text says; listed once if both."""
    consultant = world.users["consultant"]
    picked = services.opportunity_open(
        by=consultant,
        customer=log_call(phone="139 0000 7703", name="看房丙").customer,
        products_of_interest="三房，南向",
        expected_value="4000000",
    )
    picked.units_of_interest.add(unit)
    both = services.opportunity_open(
        by=consultant,
        customer=log_call(phone="139 0000 7704", name="看房丁").customer,
        products_of_interest="1栋 1801",
        expected_value="4000000",
    )
    both.units_of_interest.add(unit)
    client = login(world.users["manager"])
    response = client.get(f"/reception/opportunities/?state=all&unit={unit.pk}")
    shown = [o.pk for o in response.context["page"]]
    assert picked.pk in shown and shown.count(both.pk) == 1


def test_unit_filter_of_a_unit_out_of_sight_is_refused(world, login, unit):
    response = login(world.users["consultant_zh"]).get(
        f"/reception/opportunities/?state=all&unit={unit.pk}"
    )
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert response.context["form"].errors


def test_api_filters_by_consultant_id_and_unit_id(world, client, unit, log_call):
    consultant = world.users["consultant"]
    naming = services.opportunity_open(
        by=consultant,
        customer=log_call(phone="139 0000 7801", name="接口甲").customer,
        products_of_interest="1栋-1801",
        expected_value="1000000",
    )
    client.force_login(world.users["manager"])
    answer = client.get(f"/api/v1/opportunities?state=all&unit_id={unit.pk}").json()
    # the demo may name the unit too (its products are drawn at random)
    assert naming.pk in [o["id"] for o in answer["items"]]
    assert all("1801" in o["products_of_interest"] for o in answer["items"])
    answer = client.get(f"/api/v1/opportunities?state=all&consultant_id={consultant.pk}").json()
    assert answer["items"] and {o["consultant_id"] for o in answer["items"]} == {consultant.pk}
    bad = client.get("/api/v1/opportunities?unit_id=abc")
    assert bad.status_code in (400, 422)
