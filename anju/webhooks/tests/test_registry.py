"""The outbox hook in core.events and the verb registry later apps use (INT-2)."""

import pytest

from anju.core import events as core_events
from anju.core.events import record_event, record_events
from anju.webhooks import delivery as engine
from anju.webhooks import registry, services, tasks
from anju.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_listeners_hear_every_event_once_per_batch(world):
    from anju.customers.models import Customer

    heard = []
    core_events.register_event_listener(heard.append)
    try:
        customers = list(Customer.objects.filter(company=world.companies["sz"])[:3])
        one = record_event(by=None, verb="tests.one", target=customers[0])
        record_events(by=None, verb="tests.many", targets=customers)
    finally:
        core_events._LISTENERS.remove(heard.append)
    assert [[e.pk for e in batch] for batch in heard][0] == [one.pk]
    assert [e.verb for e in heard[1]] == ["tests.many"] * 3
    assert all(e.pk for e in heard[1])  # saved rows: ids a task can be given


@pytest.fixture
def later_verb():
    def data(event, target, unmask):
        return {"thing": {"id": target.pk, "label": "x"}}

    registry.register_webhook_verb("tests.thing_signed", "Thing signed", data=data)
    yield "tests.thing_signed"
    registry._VERBS.pop("tests.thing_signed")


def test_a_later_apps_verb_is_published_with_the_generic_part(world, receiver, later_verb):
    from anju.customers.models import Customer

    customer = Customer.objects.filter(company=world.companies["sz"]).order_by("pk").first()
    subscription = services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=[later_verb],
    )
    event = record_event(
        by=world.users["consultant"],
        verb=later_verb,
        target=customer,
        subject=customer,
        details={"note": "call 13912345678 or ID 440301199001011234", "amount": 3},
    )
    (delivery_id,) = engine.fan_out([event.pk])
    tasks.webhooks_deliver.call(delivery_id)
    (request,) = receiver.requests
    data = request.json["data"]
    assert request.json["event"] == later_verb
    assert data["thing"] == {"id": customer.pk, "label": "x"}
    assert data["details"] == {"note": "call 139****5678 or ID 4403**********1234", "amount": 3}
    assert data["actor_id"] == world.users["consultant"].pk
    assert data["customer"]["code"] == customer.code
    assert WebhookDelivery.objects.get(pk=delivery_id).subscription == subscription


def test_unpublished_verbs_cannot_be_chosen_and_are_never_fanned_out(world, receiver):
    from anju.customers.models import Customer

    customer = Customer.objects.filter(company=world.companies["sz"]).first()
    services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=["customer.registered"],
    )
    event = record_event(by=None, verb="customer.status_changed", target=customer)
    assert engine.fan_out([event.pk]) == []
    assert not registry.is_publishable("customer.status_changed")
