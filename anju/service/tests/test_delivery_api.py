"""Delivery appointments and repair orders through the API (issue 13 item 8, SVC-7): booking,
moving and cancelling with their refusals, every repair step, scope (404) and permission
(403), flat query counts for the lists."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anju.service import delivery
from anju.service.delivery_models import DeliveryAppointment, RepairOrder

from .delivery_helpers import batch_of, png, signed_unit, slot_of

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def _book(client, slot, unit, **extra):
    return _post(
        client, f"{API}/delivery/appointments", {"slot_id": slot.pk, "unit_id": unit.pk, **extra}
    )


@pytest.fixture
def desk(world, login):
    return login(world.users["service"])


def test_booking_moving_and_cancelling(world, make_customer, desk):
    unit, owner = signed_unit(world, make_customer)
    batch = batch_of(world)
    first, second = slot_of(world, batch, capacity=1), slot_of(world, batch, day=2)
    answer = _book(desk, first, unit, note="业主本人到场")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "booked" and body["customer_id"] == owner.pk
    assert body["slot_id"] == first.pk and body["note"] == "业主本人到场"
    appointment_id = body["id"]

    again = _book(desk, second, unit)
    assert again.status_code == 409 and again.json()["code"] == "already_booked"
    other, _owner = signed_unit(world, make_customer, name="另一业主")
    full = _book(desk, first, other)
    assert full.status_code == 409 and full.json()["code"] == "slot_full"
    assert DeliveryAppointment.objects.filter(unit=other).count() == 0  # nothing half-written

    url = f"{API}/delivery/appointments/{appointment_id}"
    same = _post(desk, f"{url}/reschedule", {"slot_id": first.pk})
    assert same.status_code == 409 and same.json()["code"] == "same_slot"
    moved = _post(desk, f"{url}/reschedule", {"slot_id": second.pk})
    assert moved.status_code == 200 and moved.json()["slot_id"] == second.pk
    first.refresh_from_db()
    assert first.booked == 0  # the old place was given back

    blank = _post(desk, f"{url}/cancel", {"reason": "   "})
    assert blank.status_code == 422
    cancelled = _post(desk, f"{url}/cancel", {"reason": "业主出差"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = _post(desk, f"{url}/cancel", {"reason": "业主出差"})
    assert twice.status_code == 409 and twice.json()["code"] == "appointment_closed"

    listed = desk.get(f"{API}/delivery/appointments?batch_id={batch.pk}&status=cancelled")
    assert [row["id"] for row in listed.json()["items"]] == [appointment_id]
    day = timezone.localtime(second.starts_at).date().isoformat()
    on_the_day = desk.get(f"{API}/delivery/appointments?day={day}").json()["items"]
    assert appointment_id in [row["id"] for row in on_the_day]
    long_ago = desk.get(f"{API}/delivery/appointments?day=1970-09-02")  # any day: none then
    assert long_ago.status_code == 200 and long_ago.json()["items"] == []
    batch_body = desk.get(f"{API}/delivery/batches/{batch.pk}").json()
    assert [s["id"] for s in batch_body["slots"]] == [first.pk, second.pk]
    assert batch_body["places"] == 3 and batch_body["places_booked"] == 0


def test_an_unsigned_unit_and_a_slot_that_is_over(world, make_customer, desk):
    from .delivery_helpers import available_unit

    batch = batch_of(world)  # from yesterday
    slot = slot_of(world, batch)
    refused = _book(desk, slot, available_unit(world))
    assert refused.status_code == 409 and refused.json()["code"] == "unit_not_signed"
    unit, _owner = signed_unit(world, make_customer)
    over = _book(desk, slot_of(world, batch, day=-1), unit)  # yesterday 09:00–12:00
    assert over.status_code == 409 and over.json()["code"] == "slot_over"
    missing = _post(desk, f"{API}/delivery/appointments", {"slot_id": 99999999, "unit_id": unit.pk})
    assert missing.status_code == 404 and missing.json()["field"] == "slot_id"
    assert not DeliveryAppointment.objects.filter(unit=unit).exists()


def _repair(world, make_customer):
    """A repair order of a defect found at an inspection of a signed unit."""
    unit, _owner = signed_unit(world, make_customer)
    slot = slot_of(world, batch_of(world), day=0, hour=0, hours=24)  # today, all day
    appointment = delivery.appointment_book(by=world.users["service"], slot=slot, unit=unit)
    inspection = delivery.inspection_start(by=world.users["engineer"], appointment=appointment)
    return delivery.defect_record(
        by=world.users["engineer"],
        inspection=inspection,
        room="bathroom",
        description="地漏排水缓慢",
        photos=[png()],
    )


def test_every_repair_step(world, make_customer, login):
    repair = _repair(world, make_customer)
    engineer, desk = login(world.users["engineer"]), login(world.users["service"])
    url = f"{API}/repairs/{repair.pk}"
    body = desk.get(url).json()
    assert body["status"] == "open" and body["room"] == "bathroom"
    assert body["number"] == str(repair) and len(body["photo_ids"]) == 1

    early = _post(engineer, f"{url}/complete", {"note": "已修"})
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    bad_phone = _post(
        engineer, f"{url}/assign", {"contractor": "建安公司", "contractor_phone": "ìĺ"}
    )
    assert bad_phone.status_code == 422 and bad_phone.json()["field"] == "contractor_phone"
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    late = _post(engineer, f"{url}/assign", {"contractor": "建安公司", "due_on": past})
    assert late.status_code == 422 and late.json()["field"] == "due_on"
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    assigned = _post(
        engineer,
        f"{url}/assign",
        {"contractor": "建安公司", "contractor_phone": "0755-86001234", "due_on": due},
    )
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    assert assigned.json()["due_on"] == due
    done = _post(engineer, f"{url}/complete", {"note": "重新找坡"})
    assert done.json()["status"] == "repaired"
    rejected = _post(desk, f"{url}/reject", {"reason": "仍有积水"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "assigned" and rejected.json()["rejections"] == 1
    assert rejected.json()["last_reason"] == "仍有积水"
    _post(engineer, f"{url}/complete", {"note": "再次找坡"})
    signed = _post(desk, f"{url}/sign-off", {"note": "业主满意"})
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    twice = _post(desk, f"{url}/sign-off", {})
    assert twice.status_code == 409 and twice.json()["code"] == "invalid_transition"
    listed = desk.get(f"{API}/repairs?open=false&room=bathroom").json()["items"]
    assert repair.pk in [row["id"] for row in listed]


def test_scope_and_permission(world, make_customer, login):
    repair = _repair(world, make_customer)
    appointment = DeliveryAppointment.objects.get(unit_id=repair.unit_id)
    outsider = login(world.users["manager_zh"])  # 珠海: another company
    for url in (
        f"{API}/repairs/{repair.pk}",
        f"{API}/delivery/appointments/{appointment.pk}",
        f"{API}/delivery/batches/{appointment.batch_id}",
    ):
        assert outsider.get(url).status_code == 404, url
    assert repair.pk not in [r["id"] for r in outsider.get(f"{API}/repairs").json()["items"]]
    step = _post(outsider, f"{API}/repairs/{repair.pk}/assign", {"contractor": "x"})
    assert step.status_code == 404
    seller = login(world.users["consultant"])  # sees 滨海花园, may not handle repairs
    assert seller.get(f"{API}/repairs/{repair.pk}").status_code == 200
    refused = _post(seller, f"{API}/repairs/{repair.pk}/assign", {"contractor": "建安公司"})
    assert refused.status_code == 403
    assert RepairOrder.objects.get(pk=repair.pk).status == "open"


def test_list_queries_do_not_grow_with_rows(world, make_customer, login):
    client = login(world.users["service"])
    _repair(world, make_customer)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    repairs_few = count(f"{API}/repairs")
    appointments_few = count(f"{API}/delivery/appointments")
    for _n in range(3):
        _repair(world, make_customer)
    assert count(f"{API}/repairs") == repairs_few
    assert count(f"{API}/delivery/appointments") == appointments_few
    assert repairs_few <= 9 and appointments_few <= 8
