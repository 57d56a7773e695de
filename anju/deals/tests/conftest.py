"""Helpers for deals tests: an available unit, a buyer, a held subscription."""

import pytest


@pytest.fixture
def available_unit(world):
    """available_unit(project="binhai") → a unit still for sale, list price set."""
    from anju.inventory.models import Unit, UnitStatus

    def _unit(project="binhai", skip=0):
        return (
            Unit.objects.filter(project=world.projects[project], status=UnitStatus.AVAILABLE)
            .select_related("project", "building")
            .order_by("building_id", "floor", "position")[skip]
        )

    return _unit


@pytest.fixture
def buyer(make_customer):
    return make_customer(name="王伟")


@pytest.fixture
def consultant(world):
    return world.users["consultant"]


@pytest.fixture
def held(available_unit, buyer, consultant):
    from anju.deals.services import subscription_hold

    return subscription_hold(by=consultant, unit=available_unit(), customer=buyer)


# --- signing and payments (SUB-4) ---------------------------------------------------------------


@pytest.fixture
def cashier(world):
    """The sales manager of 滨海花园: records payments (RECORD_PAYMENTS)."""
    return world.users["manager"]


@pytest.fixture
def subscribe(available_unit, buyer, consultant):
    """subscribe(customer=…, skip=…) → a confirmed (SUBSCRIBED) subscription."""
    from anju.deals.services import subscription_confirm, subscription_hold

    def _subscribe(customer=None, skip=0, by=None):
        by = by or consultant
        held = subscription_hold(by=by, unit=available_unit(skip=skip), customer=customer or buyer)
        subscription_confirm(by=by, subscription=held)
        held.refresh_from_db()
        return held

    return _subscribe


@pytest.fixture
def signed(subscribe, consultant):
    """signed(plan="one_off", **plan) → the contract of a freshly subscribed deal."""
    from anju.deals.services import contract_sign

    def _signed(payment_plan="one_off", subscription=None, **plan):
        subscription = subscription or subscribe()
        return contract_sign(
            by=consultant, subscription=subscription, payment_plan=payment_plan, **plan
        )

    return _signed
