"""SUB-1 and QUE-1 under concurrency (PostgreSQL, real threads, one connection each)."""

import json

import pytest
from django.test import Client

from anju.core.testing import requires_postgres, run_at_once
from anju.deals.models import QueueTicket, Subscription

THREADS = 8


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_consultants_subscribing_one_unit_at_once_one_wins(
    world, available_unit, make_customer
):
    """SUB-1: exactly one 201, the other a 409 saying the unit is taken."""
    unit = available_unit()
    buyers = [make_customer(name="甲"), make_customer(name="乙", by="manager")]
    users = [world.users["consultant"], world.users["manager"]]
    clients = [_client(u) for u in users]

    def subscribe(i):
        answer = clients[i].post(
            "/api/v1/subscriptions",
            data=json.dumps({"unit_id": unit.pk, "customer_id": buyers[i].pk, "confirm": True}),
            content_type="application/json",
        )
        return answer.status_code, answer.json()

    results, refused, errors = run_at_once(subscribe, range(2))
    assert not errors and not refused, (errors, refused)
    statuses = sorted(status for status, _body in results)
    assert statuses == [201, 409], results
    refused = next(body for status, body in results if status == 409)
    assert refused["code"] == "unit_taken" and refused["detail"]
    assert Subscription.objects.filter(unit=unit).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_many_consultants_issuing_at_once_get_consecutive_numbers(world, make_customer):
    """QUE-1: no gap, no duplicate, whatever the interleaving."""
    from anju.core.numbering import peek_last_number

    project = world.projects["binhai"]
    start = peek_last_number(kind="queue", scope=project)
    customers = [make_customer(name=f"客{i}") for i in range(THREADS)]
    consultant = world.users["consultant"]

    def issue(i):
        answer = _client(consultant).post(
            "/api/v1/queue-numbers",
            data=json.dumps({"project_id": project.pk, "customer_id": customers[i].pk}),
            content_type="application/json",
        )
        return answer.status_code

    results, refused, errors = run_at_once(issue, range(THREADS))
    assert not errors and not refused, (errors, refused)
    assert results == [201] * THREADS
    numbers = sorted(
        QueueTicket.objects.filter(customer__in=customers).values_list("number", flat=True)
    )
    assert numbers == list(range(start + 1, start + THREADS + 1))


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_customer_asked_for_twice_at_once_gets_one_number(world, make_customer):
    """QUE-1, one live number per customer and project: of two requests at once for the
    same customer one is a 201, the other a 409 ``already_queued``; no number is lost."""
    from anju.core.numbering import peek_last_number

    project = world.projects["binhai"]
    start = peek_last_number(kind="queue", scope=project)
    customer = make_customer(name="抢号")
    users = [world.users["consultant"], world.users["manager"]]

    def issue(i):
        answer = _client(users[i]).post(
            "/api/v1/queue-numbers",
            data=json.dumps({"project_id": project.pk, "customer_id": customer.pk}),
            content_type="application/json",
        )
        return answer.status_code, answer.json()

    for _round in range(3):  # the race was lost almost every time without the lock
        results, refused, errors = run_at_once(issue, range(2))
        assert not errors and not refused, (errors, refused)
        statuses = sorted(status for status, _body in results)
        assert statuses in ([201, 409], [409, 409]), results
        assert all(body["code"] == "already_queued" for status, body in results if status == 409)
    tickets = QueueTicket.objects.filter(customer=customer)
    assert tickets.count() == 1
    assert tickets.get().number == start + 1
    assert peek_last_number(kind="queue", scope=project) == start + 1
