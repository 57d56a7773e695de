"""SVC-7, delivery and repairs: the services — slots and their capacity, one live
appointment per unit, the inspection with its defects and photos, each defect's repair order
(sign-off, rejection back to repair), keys, and the unit made 交付 only when it may be."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from anju.core.errors import ApplicationError, Conflict, NotFound, NotPermitted
from anju.core.events import events_for
from anju.core.models import Event
from anju.customers.timeline import timeline_for
from anju.inventory.models import Unit, UnitStatus
from anju.inventory.services import unit_change_status
from anju.service import delivery
from anju.service.models import (
    AppointmentStatus,
    Defect,
    DefectPhoto,
    DeliveryAppointment,
    DeliverySlot,
    Inspection,
    KeyHandover,
    RepairOrder,
    RepairStatus,
)

from .delivery_helpers import available_unit, batch_of, png, sell, signed_unit, slot_of


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def desk(world):
    return world.users["service"]


@pytest.fixture
def engineer(world):
    return world.users["engineer"]


def _slot(slot):
    return DeliverySlot.objects.get(pk=slot.pk)


# --- batches and slots --------------------------------------------------------------------------


def test_only_service_managers_set_up_batches_and_slots(world):
    before = Event.objects.count()
    with pytest.raises(NotPermitted):
        batch_of(world, by="engineer")  # HANDLE_TICKETS, not MANAGE_SERVICE
    assert Event.objects.count() == before
    batch = batch_of(world)
    with pytest.raises(NotPermitted):
        delivery.slot_add(
            by=world.users["service"],
            batch=batch,
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=1, hours=2),
            capacity=2,
        )
    assert not DeliverySlot.objects.filter(batch=batch).exists()


def test_a_slot_lies_within_the_batch_and_holds_one_to_200_units(world):
    batch = batch_of(world, days=3)
    with pytest.raises(ApplicationError, match="批次日期内") as caught:
        slot_of(world, batch, day=5)
    assert caught.value.field == "starts_at"
    for capacity in (0, 201):
        with pytest.raises(ApplicationError) as caught:
            slot_of(world, batch, capacity=capacity)
        assert caught.value.field == "capacity"
    slot_of(world, batch, capacity=200)
    with pytest.raises(Conflict) as caught:
        slot_of(world, batch)
    assert caught.value.code == "slot_exists"


def test_a_batch_only_delivers_its_projects_buildings(world):
    from anju.inventory.models import Building

    other = Building.objects.filter(project=world.projects["yunjing"]).first()
    with pytest.raises(NotFound):
        batch_of(world, building=other)


# --- booking ------------------------------------------------------------------------------------


def test_the_owner_books_a_place_and_the_event_is_about_him(world, make_customer, desk):
    unit, owner = signed_unit(world, make_customer)
    slot = slot_of(world, batch_of(world))
    appointment = delivery.appointment_book(by=desk, slot=slot, unit=unit)
    assert appointment.customer == owner and appointment.status == AppointmentStatus.BOOKED
    assert _slot(slot).booked == 1
    event = events_for(appointment).get()
    assert event.verb == "delivery.appointment_booked" and event.subject_id == owner.pk


def test_a_full_slot_takes_nobody_more(world, make_customer, desk):
    first, _owner = signed_unit(world, make_customer, name="甲")
    second, _owner = signed_unit(world, make_customer, name="乙")
    slot = slot_of(world, batch_of(world), capacity=1)
    delivery.appointment_book(by=desk, slot=slot, unit=first)
    with pytest.raises(Conflict) as caught:
        delivery.appointment_book(by=desk, slot=slot, unit=second)
    assert caught.value.code == "slot_full" and "约满" in caught.value.message
    assert _slot(slot).booked == 1
    assert not DeliveryAppointment.objects.filter(unit=second).exists()


def test_a_unit_has_one_live_appointment(world, make_customer, desk):
    unit, _owner = signed_unit(world, make_customer)
    batch = batch_of(world)
    morning, afternoon = slot_of(world, batch, hour=9), slot_of(world, batch, hour=14)
    booked = delivery.appointment_book(by=desk, slot=morning, unit=unit)
    with pytest.raises(Conflict) as caught:
        delivery.appointment_book(by=desk, slot=afternoon, unit=unit)
    assert caught.value.code == "already_booked"
    assert _slot(afternoon).booked == 0
    # the database refuses it too, whatever a service would do
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryAppointment.objects.create(
            company_id=unit.company_id,
            project_id=unit.project_id,
            batch=batch,
            slot=afternoon,
            unit=unit,
            customer=booked.customer,
            booked_by=desk,
        )
    delivery.appointment_cancel(by=desk, appointment=booked, reason="业主改期")
    assert _slot(morning).booked == 0
    again = delivery.appointment_book(by=desk, slot=afternoon, unit=unit)
    assert again.is_live and _slot(afternoon).booked == 1


def test_rescheduling_moves_the_place_only_into_a_free_slot(world, make_customer, desk):
    unit, _owner = signed_unit(world, make_customer, name="甲")
    other, _owner = signed_unit(world, make_customer, name="乙")
    batch = batch_of(world)
    first, full = slot_of(world, batch, hour=9), slot_of(world, batch, hour=14, capacity=1)
    appointment = delivery.appointment_book(by=desk, slot=first, unit=unit)
    delivery.appointment_book(by=desk, slot=full, unit=other)
    with pytest.raises(Conflict) as caught:
        delivery.appointment_reschedule(by=desk, appointment=appointment, slot=full)
    assert caught.value.code == "slot_full"
    assert (_slot(first).booked, _slot(full).booked) == (1, 1)
    later = slot_of(world, batch, day=2)
    moved = delivery.appointment_reschedule(by=desk, appointment=appointment, slot=later)
    assert moved.slot_id == later.pk
    assert (_slot(first).booked, _slot(later).booked) == (0, 1)


def test_a_slot_over_or_a_closed_batch_takes_no_booking(world, make_customer, desk):
    unit, _owner = signed_unit(world, make_customer)
    batch = batch_of(world)
    past = slot_of(world, batch, day=-1)  # yesterday morning
    with pytest.raises(Conflict) as caught:
        delivery.appointment_book(by=desk, slot=past, unit=unit)
    assert caught.value.code == "slot_over"
    slot = slot_of(world, batch)
    delivery.batch_close(by=world.users["servicemgr"], batch=batch)
    with pytest.raises(Conflict) as caught:
        delivery.appointment_book(by=desk, slot=slot, unit=unit)
    assert caught.value.code == "batch_closed"


def test_only_a_signed_unit_of_the_batch_is_booked(world, make_customer, desk):
    slot = slot_of(world, batch_of(world))
    subscribed = available_unit(world)
    sell(world, subscribed, make_customer(name="认购业主"), sign=False)
    assert subscribed.status == UnitStatus.SUBSCRIBED
    with pytest.raises(Conflict) as caught:
        delivery.appointment_book(by=desk, slot=slot, unit=subscribed)
    assert caught.value.code == "unit_not_signed" and "签约" in caught.value.message
    elsewhere, _owner = signed_unit(world, make_customer, building_code="2")
    with pytest.raises(ApplicationError) as caught:
        delivery.appointment_book(by=desk, slot=slot, unit=elsewhere)
    assert caught.value.code == "not_in_batch"
    # signed on the board, but no signed contract names an owner (sold before the CRM)
    unsold = available_unit(world)
    Unit.objects.filter(pk=unsold.pk).update(status=UnitStatus.SIGNED)
    unsold.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        delivery.appointment_book(by=desk, slot=slot, unit=unsold)
    assert caught.value.code == "unit_not_signed"
    assert _slot(slot).booked == 0


def test_out_of_scope_is_not_found_and_other_roles_may_not_book(world, make_customer):
    unit, _owner = signed_unit(world, make_customer)
    slot = slot_of(world, batch_of(world))
    with pytest.raises(NotFound):  # 云境's consultant does not see 滨海花园's slots
        delivery.appointment_book(by=world.users["consultant2"], slot=slot, unit=unit)
    with pytest.raises(NotPermitted):  # sees them, but the desk books
        delivery.appointment_book(by=world.users["consultant"], slot=slot, unit=unit)
    assert _slot(slot).booked == 0


# --- the inspection -----------------------------------------------------------------------------


@pytest.fixture
def booked(world, make_customer, desk):
    unit, _owner = signed_unit(world, make_customer)
    slot = slot_of(world, batch_of(world), day=0, hour=0, hours=47)  # under way now
    return delivery.appointment_book(by=desk, slot=slot, unit=unit)


def test_each_defect_opens_its_repair_order_with_its_photo(booked, engineer):
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    assert delivery.inspection_start(by=engineer, appointment=booked) == inspection  # 2nd tap
    repair = delivery.defect_record(
        by=engineer,
        inspection=inspection,
        room="kitchen",
        description="橱柜台面开裂",
        photos=[png()],
    )
    assert repair.status == RepairStatus.OPEN and str(repair).startswith("WX")
    assert repair.due_on == timezone.localdate() + timedelta(days=delivery.REPAIR_DUE_DAYS)
    assert repair.customer_id == booked.customer_id and repair.unit_id == booked.unit_id
    photo = DefectPhoto.objects.get(defect=repair.defect)
    assert (photo.content_type, photo.width, photo.height) == ("image/png", 48, 32)
    assert photo.file.name.endswith(photo.token) and "crack" not in photo.file.name
    second = delivery.defect_record(
        by=engineer, inspection=inspection, room="bathroom", description="地漏堵塞"
    )
    assert second.number == repair.number + 1


@pytest.mark.parametrize(
    "upload, code",
    [
        (SimpleUploadedFile("x.png", b"not an image at all", "image/png"), "invalid_photo"),
        (SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF", "application/pdf"), "invalid_photo"),
        (SimpleUploadedFile("x.jpg", b"", "image/jpeg"), "invalid_photo"),
        (
            SimpleUploadedFile("big.png", b"\0" * (5 * 1024 * 1024 + 1), "image/png"),
            "too_large",
        ),
    ],
)
def test_a_non_image_or_a_large_file_is_refused_and_nothing_is_written(
    booked, engineer, upload, code
):
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    before = (Defect.objects.count(), RepairOrder.objects.count(), Event.objects.count())
    with pytest.raises(ApplicationError) as caught:
        delivery.defect_record(
            by=engineer,
            inspection=inspection,
            room="kitchen",
            description="墙面开裂",
            photos=[upload],
        )
    assert caught.value.field == "photo" and caught.value.code == code
    assert (Defect.objects.count(), RepairOrder.objects.count(), Event.objects.count()) == before


def test_a_gif_or_a_decompression_bomb_is_not_a_photo(booked, engineer):
    from PIL import Image

    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    import io

    gif = io.BytesIO()
    Image.new("P", (8, 8)).save(gif, format="GIF")
    bomb = io.BytesIO()
    Image.new("1", (10000, 10000)).save(bomb, format="PNG")  # 100 MP in a few kB
    for data in (gif.getvalue(), bomb.getvalue()):
        with pytest.raises(ApplicationError) as caught:
            delivery.defect_record(
                by=engineer,
                inspection=inspection,
                room="kitchen",
                description="墙面开裂",
                photos=[SimpleUploadedFile("p.png", data, "image/png")],
            )
        assert caught.value.code == "invalid_photo"
    assert not Defect.objects.filter(inspection=inspection).exists()


def test_accepting_needs_the_owner_and_refusing_a_reason(booked, engineer):
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    with pytest.raises(ApplicationError) as caught:
        delivery.inspection_finish(
            by=engineer, inspection=inspection, result="accepted", owner_present=False
        )
    assert caught.value.field == "owner_present"
    with pytest.raises(ApplicationError) as caught:
        delivery.inspection_finish(
            by=engineer, inspection=inspection, result="refused", owner_present=True
        )
    assert caught.value.field == "note"
    done = delivery.inspection_finish(
        by=engineer,
        inspection=inspection,
        result="accepted",
        owner_present=False,
        attended_by="业主之子",
    )
    assert done.finished_at and not done.is_open
    assert DeliveryAppointment.objects.get(pk=booked.pk).status == AppointmentStatus.DONE
    with pytest.raises(Conflict) as caught:
        delivery.defect_record(by=engineer, inspection=done, room="kitchen", description="x")
    assert caught.value.code == "inspection_finished"
    with pytest.raises(Conflict):  # a started appointment is not cancelled any more
        delivery.appointment_cancel(by=engineer, appointment=booked, reason="x")


# --- repair orders -----------------------------------------------------------------------------


@pytest.fixture
def repair(booked, engineer):
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    return delivery.defect_record(
        by=engineer, inspection=inspection, room="bathroom", description="地漏排水慢"
    )


def _assign(repair, by):
    return delivery.repair_assign(
        by=by, repair=repair, contractor="建安装饰", contractor_phone="0755-86001234"
    )


def test_a_repair_is_assigned_repaired_and_signed_off_by_the_owner(repair, engineer, desk):
    with pytest.raises(Conflict) as caught:  # not repaired yet
        delivery.repair_sign_off(by=desk, repair=repair)
    assert caught.value.code == "invalid_transition"
    with pytest.raises(ApplicationError) as caught:
        delivery.repair_assign(by=engineer, repair=repair, contractor="  ")
    assert caught.value.field == "contractor"
    assigned = _assign(repair, engineer)
    assert assigned.status == RepairStatus.ASSIGNED and assigned.assigned_at
    done = delivery.repair_complete(by=engineer, repair=repair, note="已重新找坡")
    assert done.status == RepairStatus.REPAIRED and done.repaired_at
    signed = delivery.repair_sign_off(by=desk, repair=repair, note="满意")
    assert signed.status == RepairStatus.SIGNED_OFF and signed.signed_off_at
    with pytest.raises(Conflict):
        delivery.repair_reject(by=desk, repair=repair, reason="又漏了")
    verbs = list(events_for(repair).order_by("created_at", "id").values_list("verb", flat=True))
    assert verbs == [
        "delivery.repair_opened",
        "delivery.repair_assigned",
        "delivery.repair_completed",
        "delivery.repair_signed_off",
    ]


def test_a_rejected_repair_goes_back_to_repair_with_the_reason(repair, engineer, desk):
    _assign(repair, engineer)
    with pytest.raises(Conflict):  # only a repaired order is rejected
        delivery.repair_reject(by=desk, repair=repair, reason="没修")
    delivery.repair_complete(by=engineer, repair=repair, note="已修")
    with pytest.raises(ApplicationError) as caught:
        delivery.repair_reject(by=desk, repair=repair, reason="")
    assert caught.value.field == "reason"
    new_due = timezone.localdate() + timedelta(days=3)
    back = delivery.repair_reject(by=desk, repair=repair, reason="仍有积水", due_on=new_due)
    assert back.status == RepairStatus.ASSIGNED and back.rejections == 1
    assert back.last_reason == "仍有积水" and back.due_on == new_due and back.repaired_at is None
    delivery.repair_complete(by=engineer, repair=repair, note="再次返修")
    assert delivery.repair_sign_off(by=desk, repair=repair).status == RepairStatus.SIGNED_OFF


def test_repairs_refuse_the_past_and_bad_phones(repair, engineer):
    with pytest.raises(ApplicationError) as caught:
        delivery.repair_assign(
            by=engineer,
            repair=repair,
            contractor="建安",
            due_on=timezone.localdate() - timedelta(days=1),
        )
    assert caught.value.field == "due_on"
    with pytest.raises(ApplicationError) as caught:
        delivery.repair_assign(
            by=engineer, repair=repair, contractor="建安", contractor_phone="call me"
        )
    assert caught.value.field == "contractor_phone"
    assert RepairOrder.objects.get(pk=repair.pk).status == RepairStatus.OPEN


def test_an_engineer_of_another_project_sees_no_repair(repair, world):
    from anju.org.services import role_assign

    role_assign(
        by=None,
        user=world.users["consultant2"],
        role="engineer",
        company=world.companies["sz"],
        project=world.projects["yunjing"],
    )
    with pytest.raises(NotFound):
        delivery.repair_assign(by=world.users["consultant2"], repair=repair, contractor="x")
    assert not RepairOrder.objects.visible_to(world.users["consultant2"]).filter(pk=repair.pk)
    assert RepairOrder.objects.visible_to(world.users["engineer"]).filter(pk=repair.pk).exists()


# --- keys and delivery (交付) -------------------------------------------------------------------


def _keys(unit, by, **counts):
    return delivery.key_handover_record(
        by=by, unit=unit, received_by="业主本人", **({"keys": 2, "door_cards": 2} | counts)
    )


def test_keys_only_after_the_owner_accepted_the_unit_which_then_is_delivered(
    booked, engineer, desk
):
    unit = Unit.objects.get(pk=booked.unit_id)
    with pytest.raises(Conflict) as caught:
        _keys(unit, desk)
    assert caught.value.code == "not_accepted"
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    delivery.defect_record(by=engineer, inspection=inspection, room="living", description="色差")
    delivery.inspection_finish(
        by=engineer, inspection=inspection, result="accepted", owner_present=True
    )
    with pytest.raises(ApplicationError) as caught:
        _keys(unit, desk, keys=0, door_cards=0)
    assert caught.value.code == "nothing_handed_over"
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.SIGNED
    handover = _keys(unit, desk, smart_cards=1)
    unit.refresh_from_db()
    assert unit.status == UnitStatus.DELIVERED and handover.customer_id == booked.customer_id
    change = events_for(unit).get(verb="unit.status_changed", details__to="delivered")
    assert change.subject_id == booked.customer_id
    more = _keys(unit, desk, keys=0, door_cards=3)  # more cards later: only logged
    assert more.door_cards == 3 and KeyHandover.objects.filter(unit=unit).count() == 2
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.DELIVERED


def test_a_refused_unit_gets_no_keys_and_stays_signed(booked, engineer, desk):
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    delivery.inspection_finish(
        by=engineer,
        inspection=inspection,
        result="refused",
        owner_present=True,
        note="渗水未处理，拒绝收房",
    )
    unit = Unit.objects.get(pk=booked.unit_id)
    with pytest.raises(Conflict) as caught:
        _keys(unit, desk)
    assert caught.value.code == "not_accepted"
    assert unit.status == UnitStatus.SIGNED and not KeyHandover.objects.filter(unit=unit)
    # a refused unit is booked again for a second inspection
    slot = DeliverySlot.objects.get(pk=booked.slot_id)
    again = delivery.appointment_book(by=desk, slot=slot, unit=unit)
    assert again.is_live


def test_a_unit_no_longer_signed_is_not_delivered(booked, engineer, desk):
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    delivery.inspection_finish(
        by=engineer, inspection=inspection, result="accepted", owner_present=True
    )
    unit = Unit.objects.get(pk=booked.unit_id)
    unit_change_status(by=None, unit=unit, to=UnitStatus.AVAILABLE, reason="退房")  # SUB-5
    before = Event.objects.count()
    with pytest.raises(Conflict) as caught:
        _keys(Unit.objects.get(pk=unit.pk), desk)
    assert caught.value.code == "unit_not_signed"
    assert Event.objects.count() == before and not KeyHandover.objects.filter(unit=unit)
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE


def test_the_owners_timeline_shows_his_delivery_and_repairs(world, repair, engineer):
    owner = repair.customer
    entries = timeline_for(world.users["service"], owner)
    assert {"delivery", "repair"} <= {e.kind for e in entries}
    titles = " ".join(e.title for e in entries if e.kind == "repair")
    assert str(repair) in titles and "卫生间" in titles
    repair_entry = next(e for e in entries if e.kind == "repair")
    assert repair_entry.url.endswith(f"/repairs/{repair.pk}/")
    # the generic event provider does not list the same records again
    shown = [e.record_id for e in entries if e.kind == "event"]
    assert not Event.objects.filter(pk__in=shown, verb__startswith="delivery.").exists()
    assert timeline_for(world.users["consultant2"], owner) == []


def test_the_demo_delivered_one_unit_with_repairs_at_every_step(world):
    """seed_delivery: one inspected unit handed its keys (交付), its repair orders open,
    assigned, repaired, rejected back and signed off."""
    handover = KeyHandover.objects.select_related("unit").get()
    assert handover.unit.status == UnitStatus.DELIVERED
    repairs = RepairOrder.objects.filter(unit=handover.unit)
    assert set(repairs.values_list("status", flat=True)) == set(RepairStatus.values)
    assert repairs.filter(rejections=1, status=RepairStatus.ASSIGNED).exists()
    assert Inspection.objects.get(unit=handover.unit).result == "accepted"
    assert DeliveryAppointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 2
    assert DeliveryAppointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 1


@pytest.mark.parametrize("phone", ["abc", "１３９", "0755;1234"])
def test_a_contractor_phone_is_digits_spaces_and_signs_as_the_api_says(phone):
    """The service and the API's schema share one rule (delivery.CONTRACTOR_PHONE_PATTERN)."""
    from anju.core.errors import ApplicationError
    from anju.service.delivery import _phone

    with pytest.raises(ApplicationError) as refused:
        _phone(phone)
    assert refused.value.field == "contractor_phone"
    assert _phone(" 0755-8600 1234 ") == "0755-8600 1234"
