"""The deals API, sales side: queue numbers and subscriptions with their price lines."""

import json

import pytest

from anju.deals.models import QueueTicket, Subscription


def _post(client, path, body):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")


def test_issue_a_queue_number_and_list_it(world, login, buyer):
    client = login(world.users["consultant"])
    answer = _post(
        client,
        "/queue-numbers",
        {
            "project_id": world.projects["binhai"].pk,
            "customer_id": buyer.pk,
            "deposit_amount": "20000",
            "deposit_method": "wechat",
            "deposit_receipt_no": "SJ-1",
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"] >= 1 and body["deposit_amount"] == "20000.00"
    assert "王" in body["customer_name"] and body["customer_name"] != "王伟"  # masked
    listed = client.get("/api/v1/queue-numbers").json()
    assert body["id"] in [row["id"] for row in listed["items"]]


def test_a_deposit_without_a_method_is_a_422_naming_the_field(world, login, buyer):
    client = login(world.users["consultant"])
    answer = _post(
        client,
        "/queue-numbers",
        {
            "project_id": world.projects["binhai"].pk,
            "customer_id": buyer.pk,
            "deposit_amount": "100",
        },
    )
    assert answer.status_code == 422 and answer.json()["field"] == "deposit_method"
    assert not QueueTicket.objects.filter(customer=buyer).exists()


def test_another_consultants_customer_is_404(world, login, make_customer):
    stranger = make_customer(name="别人的", by="consultant2", project="yunjing")
    client = login(world.users["consultant"])
    answer = _post(
        client,
        "/queue-numbers",
        {
            "project_id": world.projects["binhai"].pk,
            "customer_id": stranger.pk,
        },
    )
    assert answer.status_code == 404


def test_issuing_over_a_token_reads_token_roles_project_customer_once(
    world, buyer, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Issue 12 item 11 (500 at once over HTTP): the token, its user's roles (read once for
    the whole request, as for a session), the project, the customer (his row alone), then
    the service: the customer's row lock, the live-number check, the number, the ticket,
    its audit-log entry (SEC-3) and its event. The webhooks' "does anyone listen" check
    (``deals.queue_issued`` is publishable, INT-2) runs after the commit, out of the time
    the project's counter is locked: it is the one query after the block. The two more in
    the block are the test's savepoint and its release."""
    from django.contrib.contenttypes.models import ContentType
    from django.test import Client

    from anju.core.services import api_token_create
    from anju.customers.models import Customer

    ContentType.objects.get_for_models(QueueTicket, Customer)  # cached in a running server
    _token, secret = api_token_create(by=world.users["consultant"], name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/queue-numbers").status_code == 200  # stamps last_used_at
    body = {"project_id": world.projects["binhai"].pk, "customer_id": buyer.pk}
    with django_assert_num_queries(12), django_capture_on_commit_callbacks() as after_commit:
        answer = _post(client, "/queue-numbers", body)
    assert answer.status_code == 201, answer.content
    with django_assert_num_queries(1):
        for callback in after_commit:
            callback()
    assert QueueTicket.objects.get(customer=buyer).number == answer.json()["number"]
    again = _post(client, "/queue-numbers", body)
    assert again.status_code == 409 and again.json()["code"] == "already_queued"


def test_subscribe_with_terms_and_read_the_price_explained(
    world, login, buyer, available_unit, django_assert_max_num_queries
):
    client = login(world.users["consultant"])
    unit = available_unit()
    answer = _post(
        client,
        "/subscriptions",
        {
            "unit_id": unit.pk,
            "customer_id": buyer.pk,
            "payment_plan": "mortgage",
            "confirm": True,
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "subscribed"
    steps = [line["step"] for line in body["price_lines"]]
    assert steps[0] == "list" and steps[-1] == "final"
    assert body["price_lines"][-1]["running_total"] == body["final_price"]
    again = _post(client, "/subscriptions", {"unit_id": unit.pk, "customer_id": buyer.pk})
    assert again.status_code == 409 and again.json()["code"] == "unit_taken"
    with django_assert_max_num_queries(12):
        listed = client.get("/api/v1/subscriptions")
    assert listed.status_code == 200 and listed.json()["count"] >= 1


def test_the_subscription_list_does_not_grow_with_its_rows(
    world, login, make_customer, available_unit, django_assert_num_queries
):
    from anju.deals.services import subscription_hold

    consultant = world.users["consultant"]
    client = login(consultant)
    subscription_hold(by=consultant, unit=available_unit(), customer=make_customer(name="甲"))
    client.get("/api/v1/subscriptions")  # warm the session and grants
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/subscriptions")
    for i in range(3):
        subscription_hold(
            by=consultant, unit=available_unit(), customer=make_customer(name=f"乙{i}")
        )
    with django_assert_num_queries(len(one.captured_queries)):
        client.get("/api/v1/subscriptions")


def test_an_unknown_discount_is_a_422_and_nothing_is_held(world, login, buyer, available_unit):
    client = login(world.users["consultant"])
    unit = available_unit()
    answer = _post(
        client,
        "/subscriptions",
        {
            "unit_id": unit.pk,
            "customer_id": buyer.pk,
            "discount_codes": ["nope"],
        },
    )
    assert answer.status_code == 422 and answer.json()["code"] == "unknown_discount"
    assert not Subscription.objects.filter(unit=unit).exists()
    unit.refresh_from_db()
    assert unit.status == "available"


@pytest.mark.parametrize("who", ["service", "callcentre"])
def test_roles_that_do_not_sell_are_refused(world, login, buyer, available_unit, who):
    client = login(world.users[who])
    answer = _post(
        client, "/subscriptions", {"unit_id": available_unit().pk, "customer_id": buyer.pk}
    )
    assert answer.status_code in (403, 404)
