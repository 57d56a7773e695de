"""MEM-4: never more registered than the capacity, also when answers arrive at once.

Real threads, each with its own PostgreSQL connection and transaction, all answering yes to
an event of 3 seats at the same moment: exactly 3 are registered, the others wait, in the
order their answers were decided; cancelling at once promotes exactly as many as freed."""

import pytest

from anju.core.testing import requires_postgres, run_at_once
from anju.customers.models import Customer
from anju.membership import events_services
from anju.membership.events_models import ClubEvent, EventRegistration

from .events_helpers import binhai_customers, new_event

PEOPLE = 12
CAPACITY = 3


def _all_at_once(work, items):
    """``work(item)`` for every item in its own thread, released together: what was raised."""
    _done, refused, errors = run_at_once(work, items)
    return refused + errors


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rsvps_never_exceed_the_capacity(world):
    staff = world.users["service"]
    event = new_event(world, capacity=CAPACITY)
    people = binhai_customers(world, PEOPLE)

    def answer(customer):
        events_services.event_rsvp(
            by=staff,
            event=ClubEvent.objects.get(pk=event.pk),
            customer=Customer.objects.get(pk=customer.pk),
            attending=True,
        )

    assert _all_at_once(answer, people) == []
    rows = EventRegistration.objects.filter(event=event)
    assert rows.count() == PEOPLE
    assert rows.filter(status="registered").count() == CAPACITY
    assert rows.filter(status="waiting").count() == PEOPLE - CAPACITY

    # Everyone registered cancels at once: each freed seat goes to exactly one waiting.
    seated = list(rows.filter(status="registered"))

    def cancel(registration):
        events_services.registration_cancel(
            by=staff, registration=EventRegistration.objects.get(pk=registration.pk)
        )

    assert _all_at_once(cancel, seated) == []
    assert rows.filter(status="registered").count() == CAPACITY
    assert rows.filter(status="waiting").count() == PEOPLE - 2 * CAPACITY
    assert rows.filter(status="cancelled").count() == CAPACITY


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_walk_ins_take_only_the_free_seats(world):
    from .events_helpers import on_the_day

    staff = world.users["service"]
    event = new_event(world, capacity=CAPACITY)
    people = binhai_customers(world, PEOPLE)
    refused = []

    def walk_in(customer):
        from anju.core.errors import Conflict

        try:
            events_services.event_check_in_walk_in(
                by=staff,
                event=ClubEvent.objects.get(pk=event.pk),
                customer=Customer.objects.get(pk=customer.pk),
                now=on_the_day(event),
            )
        except Conflict as exc:
            refused.append(exc.code)

    assert _all_at_once(walk_in, people) == []
    assert EventRegistration.objects.filter(event=event, status="attended").count() == CAPACITY
    assert refused == ["event_full"] * (PEOPLE - CAPACITY)
