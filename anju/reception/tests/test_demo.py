"""Issue 9 item 14: the demo looks real whatever time of day ``seed_demo`` runs.

Calls and visits fall in office hours in Asia/Shanghai and never in the future, the units
shown exist in the project's buildings, and a customer's status matches his history.
"""

import io
import random
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from anju.core.demo_world import DemoWorld
from anju.customers.models import Customer, CustomerStatus
from anju.inventory.models import Unit
from anju.reception import demo
from anju.reception.models import OPEN_STAGES, PhoneCall, Stage, Visit

from .conftest import SHANGHAI, frozen

pytestmark = pytest.mark.django_db

OPEN, CLOSE = demo.OFFICE_HOURS
ORDER = list(CustomerStatus.values)


def _world_for_reception(world):
    data = DemoWorld(scale=1, rng=random.Random(11), stdout=io.StringIO())
    data["projects"], data["companies"], data["users"] = (
        world.projects,
        world.companies,
        world.users,
    )
    data["customers"] = list(Customer.objects.order_by("pk"))
    return data


def assert_office_hours(calls, visits, now):
    for call in calls:
        local = timezone.localtime(call.called_at, SHANGHAI)
        end = local + timedelta(seconds=call.duration_seconds)
        assert local.hour >= OPEN and end.time() <= time(CLOSE), f"call at {local}"
        assert call.called_at <= now
    for visit in visits:
        local = timezone.localtime(visit.arrived_at, SHANGHAI)
        assert local.hour >= OPEN and local.hour < CLOSE - 1, f"visit at {local}"
        assert visit.arrived_at <= now


@pytest.mark.parametrize("clock", [time(23, 30), time(7, 0), time(12, 15)])
def test_demo_calls_and_visits_fall_in_office_hours_whenever_it_runs(world, clock):
    """Seeded at 23:30 (or 07:00) Shanghai, nothing lands at night or in the future."""
    before_calls = PhoneCall.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    before_visits = Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    moment = datetime.combine(timezone.localdate() + timedelta(days=1), clock, tzinfo=SHANGHAI)
    with frozen(moment):
        demo.seed(_world_for_reception(world))
    calls = list(PhoneCall.objects.filter(pk__gt=before_calls))
    visits = list(Visit.objects.filter(pk__gt=before_visits))
    assert len(calls) >= 20 and len(visits) >= 10
    assert_office_hours(calls, visits, moment)


def test_the_seeded_world_has_calls_and_visits_in_office_hours(world):
    calls, visits = list(PhoneCall.objects.all()), list(Visit.objects.all())
    assert calls and visits
    assert_office_hours(calls, visits, timezone.now())


def test_units_shown_exist_in_the_projects_buildings(world):
    units = {
        (u.building.project_id, f"{u.building.name} {u.number}")
        for u in Unit.objects.select_related("building")
    }
    visits = list(Visit.objects.all())
    assert visits
    for visit in visits:
        place = visit.products_shown.split(" · ")[0]
        assert (visit.project_id, place) in units, visit.products_shown


def test_every_customers_status_matches_his_history(world):
    """A visit makes at least 来访, an open opportunity 意向, a won one 认购; and a customer
    at 来访 or beyond has been here, one at 认购 or beyond has a won opportunity or a
    subscription (the deals demo subscribes through its services, issue 12)."""
    customers = Customer.objects.prefetch_related("visits", "opportunities", "subscriptions")
    checked = 0
    for c in customers:
        visited = bool(c.visits.all())
        stages = {o.stage for o in c.opportunities.all()}
        implied = (
            CustomerStatus.SUBSCRIBED
            if Stage.WON in stages
            else CustomerStatus.INTENTION
            if stages & set(OPEN_STAGES)
            else CustomerStatus.VISITOR
            if visited
            else CustomerStatus.LEAD
        )
        at = ORDER.index(c.status)
        assert at >= ORDER.index(implied), f"{c.code} is {c.status} with {stages}, {visited}"
        if at >= ORDER.index(CustomerStatus.VISITOR):
            assert visited, f"{c.code} is {c.status} but never visited"
        if at >= ORDER.index(CustomerStatus.SUBSCRIBED):
            bought = Stage.WON in stages or bool(c.subscriptions.all())
            assert bought, f"{c.code} is {c.status} without a won opportunity or a subscription"
        checked += 1
    assert checked >= 100
