"""SVC-7 under concurrency (PostgreSQL, real threads, one connection each): the slot's row
lock gives its last place to one owner only; one unit booked twice at once gets one
appointment."""

import threading

import pytest
from django.db import connection

from anju.core.errors import Conflict
from anju.core.testing import requires_postgres
from anju.service import delivery
from anju.service.models import DeliveryAppointment, DeliverySlot

from .delivery_helpers import batch_of, signed_unit, slot_of

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _at_once(n, work):
    start = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            start.wait(timeout=30)
            results.append(work(i))
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def _book(by, slot, unit):
    try:
        return delivery.appointment_book(by=by, slot=slot, unit=unit).pk
    except Conflict as exc:
        return exc.code


def test_two_owners_at_once_for_the_last_place_one_wins(world, make_customer):
    units = [signed_unit(world, make_customer, name=f"业主{i}")[0] for i in range(3)]
    slot = slot_of(world, batch_of(world), capacity=2)
    desk = world.users["service"]
    delivery.appointment_book(by=desk, slot=slot, unit=units[0])  # one place left
    clerks = [world.users["service"], world.users["servicemgr"]]
    for _round in range(2):
        results, errors = _at_once(2, lambda i: _book(clerks[i], slot, units[1 + i]))
        assert not errors, errors
        assert results.count("slot_full") == 1, results
        assert DeliverySlot.objects.get(pk=slot.pk).booked == 2
        assert DeliveryAppointment.objects.filter(slot=slot, status="booked").count() == 2
        # free the place again for the next round
        winner = next(r for r in results if isinstance(r, int))
        delivery.appointment_cancel(
            by=desk, appointment=DeliveryAppointment.objects.get(pk=winner), reason="再来一轮"
        )


def test_one_unit_booked_twice_at_once_gets_one_appointment(world, make_customer):
    unit, _owner = signed_unit(world, make_customer)
    batch = batch_of(world)
    slots = [slot_of(world, batch, hour=9), slot_of(world, batch, hour=14)]
    clerks = [world.users["service"], world.users["servicemgr"]]
    results, errors = _at_once(2, lambda i: _book(clerks[i], slots[i], unit))
    assert not errors, errors
    assert results.count("already_booked") == 1, results
    assert DeliveryAppointment.objects.filter(unit=unit, status="booked").count() == 1
    assert sum(DeliverySlot.objects.get(pk=s.pk).booked for s in slots) == 1
