"""SEC-2: an erased customer leaves no trace in the webhook delivery log."""

import pytest

from anju.core.events import record_event
from anju.customers.privacy import Erasure, run_erasure_handlers
from anju.webhooks import delivery as engine
from anju.webhooks import services
from anju.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_an_answer_echoing_the_person_is_scrubbed(world, receiver, make_customer):
    # a customer of his own: a demo customer may have a deal in progress, which the deals
    # app's erasure handler refuses to erase (409 deal_in_progress)
    customer = make_customer(name="回声测试")
    receiver.then = 500
    receiver.answer = f"bad payload for {customer.name} {customer.code}".encode()
    services.subscription_create(
        by=world.users["admin"],
        company=world.companies["sz"],
        target_url=receiver.url,
        verbs=["customer.registered"],
    )
    event = record_event(by=None, verb="customer.registered", target=customer, subject=customer)
    (delivery_id,) = engine.fan_out([event.pk])
    engine.deliver_now(delivery_id)
    assert customer.name in WebhookDelivery.objects.get(pk=delivery_id).last_response_body

    erasure = Erasure(
        company_id=customer.company_id,
        customer_ids=[customer.pk],
        phones={customer.phone},
        names={customer.name},
        other_secrets=set(),
        label="已匿名客户",
    )
    run_erasure_handlers(erasure)
    body = WebhookDelivery.objects.get(pk=delivery_id).last_response_body
    assert customer.name not in body and "已匿名客户" in body
    assert erasure.counts["webhook_answers"] == 1
    assert delivery_id in erasure.touched[WebhookDelivery][0]
