"""SVC-7 pages: batches and slots with their bookings, booking, the phone inspection (a
non-image refused on the form), repair orders with filters and actions, keys, the unit's
repair history on its page and on the board; out of scope 404, refused 403, query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from anju.inventory.models import Unit, UnitStatus
from anju.service import delivery
from anju.service.models import (
    Defect,
    DefectPhoto,
    DeliveryAppointment,
    Inspection,
    KeyHandover,
    RepairOrder,
    RepairStatus,
)

from .delivery_helpers import batch_of, png, signed_unit, slot_of


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(name, *args):
    return reverse(f"service:{name}", args=args)


@pytest.fixture
def booked(world, make_customer):
    unit, _owner = signed_unit(world, make_customer, name="验房业主")
    slot = slot_of(world, batch_of(world), day=0, hour=0, hours=47)
    return delivery.appointment_book(by=world.users["service"], slot=slot, unit=unit)


@pytest.fixture
def inspection(world, booked):
    return delivery.inspection_start(by=world.users["engineer"], appointment=booked)


# --- batches, slots, booking -------------------------------------------------------------------


def test_a_manager_creates_a_batch_and_adds_a_slot(world, login):
    client = login(world.users["servicemgr"])
    project = world.projects["binhai"]
    building = next(b for b in world.buildings if b.project_id == project.pk and b.code == "2")
    today = timezone.localdate()
    answer = client.post(
        url("delivery_batch_new"),
        {
            "project": project.pk,
            "name": "二期2栋交付",
            "buildings": [building.pk],
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=7)).isoformat(),
        },
    )
    assert answer.status_code == 302
    batch_url = answer["Location"]
    page = client.get(batch_url)
    assert "二期2栋交付" in page.content.decode() and "还没有预约时段" in page.content.decode()
    slot_url = batch_url + "slots/"
    day = (today + timedelta(days=1)).isoformat()
    refused = client.post(slot_url, {"day": day, "starts": "12:00", "ends": "09:00", "capacity": 3})
    assert refused.status_code == 400 and "结束时间早于开始时间" in refused.content.decode()
    added = client.post(slot_url, {"day": day, "starts": "09:00", "ends": "12:00", "capacity": 3})
    assert added.status_code == 302
    assert "已约 0 / 3" in client.get(batch_url).content.decode()


def test_the_batch_form_refuses_the_desk(world, login):
    assert login(world.users["service"]).get(url("delivery_batch_new")).status_code == 403


def test_booking_from_the_batch_page(world, login, make_customer):
    unit, owner = signed_unit(world, make_customer, name="预约业主")
    batch = batch_of(world)
    slot = slot_of(world, batch, capacity=1)
    client = login(world.users["service"])
    form = client.get(url("delivery_book", batch.pk) + f"?slot={slot.pk}")
    assert form.status_code == 200
    text = form.content.decode()
    assert f'value="{unit.pk}"' in text  # signed, in the batch, not booked
    answer = client.post(url("delivery_book", batch.pk), {"slot": slot.pk, "unit": unit.pk})
    assert answer.status_code == 302
    appointment = DeliveryAppointment.objects.get(unit=unit)
    assert answer["Location"] == url("delivery_appointment", appointment.pk)
    detail = client.get(answer["Location"]).content.decode()
    assert "已预约" in detail and "开始验房" in detail
    assert "本批次没有其他有空位的时段" in detail and 'data-testid="cancel-form"' in detail
    # the unit is no more offered, the full slot neither
    again = client.get(url("delivery_book", batch.pk)).content.decode()
    assert f'value="{unit.pk}"' not in again and f'value="{slot.pk}"' not in again
    listed = client.get(url("delivery_batch", batch.pk)).content.decode()
    assert "已约 1 / 1" in listed and owner.name in listed


def test_cancel_and_reschedule_pages(world, login, booked):
    client = login(world.users["service"])
    later = slot_of(world, booked.batch, day=3)
    missing = client.post(url("delivery_appointment_cancel", booked.pk), {"reason": ""})
    assert missing.status_code == 400
    moved = client.post(url("delivery_appointment_reschedule", booked.pk), {"slot": later.pk})
    assert moved.status_code == 302
    assert DeliveryAppointment.objects.get(pk=booked.pk).slot_id == later.pk
    gone = client.post(url("delivery_appointment_cancel", booked.pk), {"reason": "业主出差"})
    assert gone.status_code == 302
    assert DeliveryAppointment.objects.get(pk=booked.pk).status == "cancelled"


# --- the inspection page (phone) ---------------------------------------------------------------


def test_starting_the_inspection_opens_the_phone_page_room_by_room(world, login, booked):
    client = login(world.users["engineer"])
    answer = client.post(url("delivery_inspection_start", booked.pk))
    inspection = Inspection.objects.get(appointment=booked)
    assert answer.status_code == 302 and answer["Location"] == url(
        "delivery_inspection", inspection.pk
    )
    page = client.get(answer["Location"] + "?room=kitchen").content.decode()
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert "拍照" in page and "记录问题" in page and 'data-room="kitchen"' in page
    assert 'name="room" value="kitchen"' in page


def test_a_defect_with_a_photo_becomes_a_repair_order(world, login, inspection):
    client = login(world.users["engineer"])
    answer = client.post(
        url("delivery_defect_add", inspection.pk),
        {"room": "bathroom", "description": "地漏返水", "photo": png()},
    )
    assert answer.status_code == 302 and answer["Location"].endswith("?room=bathroom")
    repair = RepairOrder.objects.get(defect__inspection=inspection)
    page = client.get(answer["Location"]).content.decode()
    assert "地漏返水" in page and str(repair) in page and "待派工" in page
    photo = DefectPhoto.objects.get(defect=repair.defect)
    served = client.get(url("delivery_photo", photo.pk))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    outsider = login(world.users["consultant2"])
    assert outsider.get(url("delivery_photo", photo.pk)).status_code == 404


def test_a_non_image_upload_is_a_form_error_and_nothing_is_written(world, login, inspection):
    client = login(world.users["engineer"])
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is an .exe", "image/jpeg")
    answer = client.post(
        url("delivery_defect_add", inspection.pk),
        {"room": "kitchen", "description": "墙砖空鼓", "photo": fake},
    )
    assert answer.status_code == 400
    text = answer.content.decode()
    assert 'data-testid="error-photo"' in text and "不是照片" in text
    assert "墙砖空鼓" in text  # what he typed is kept
    assert not Defect.objects.filter(inspection=inspection).exists()
    assert not RepairOrder.objects.filter(defect__inspection=inspection).exists()


def test_finishing_needs_the_owner_there(world, login, inspection):
    client = login(world.users["engineer"])
    finish = url("delivery_inspection_finish", inspection.pk)
    absent = client.post(finish, {"result": "accepted"})
    assert absent.status_code == 400 and "业主本人或其委托人" in absent.content.decode()
    done = client.post(finish, {"result": "accepted", "owner_present": "on"})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "业主收房" in page and "交接钥匙" in page


# --- repair orders ------------------------------------------------------------------------------


@pytest.fixture
def repairs(world, inspection):
    engineer = world.users["engineer"]
    made = [
        delivery.defect_record(
            by=engineer, inspection=inspection, room=room, description=f"{room} 问题"
        )
        for room in ("living", "kitchen", "bathroom")
    ]
    delivery.repair_assign(by=engineer, repair=made[1], contractor="美家装饰")
    delivery.repair_assign(by=engineer, repair=made[2], contractor="建安装饰")
    RepairOrder.objects.filter(pk=made[2].pk).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    return made


def _rows(answer):
    return [r.pk for r in answer.context["page"].object_list]


def test_the_repair_list_filters_by_status_contractor_and_overdue(world, login, repairs):
    client = login(world.users["engineer"])
    everything = client.get(url("delivery_repairs"))
    assert set(r.pk for r in repairs) <= set(_rows(everything))
    assigned = _rows(client.get(url("delivery_repairs"), {"status": "assigned"}))
    assert repairs[1].pk in assigned and repairs[0].pk not in assigned
    by_contractor = _rows(client.get(url("delivery_repairs"), {"contractor": "美家"}))
    assert by_contractor == [repairs[1].pk]
    overdue = client.get(url("delivery_repairs"), {"overdue": "1"})
    assert repairs[2].pk in _rows(overdue) and repairs[1].pk not in _rows(overdue)
    assert "超时" in overdue.content.decode()
    bad = client.get(url("delivery_repairs"), {"status": "nonsense"})
    assert bad.status_code == 200 and _rows(bad) == []


def test_the_repair_page_walks_the_order_to_the_owners_sign_off(world, login, repairs):
    repair = repairs[0]
    engineer, desk = login(world.users["engineer"]), world.users["service"]
    page = engineer.get(url("delivery_repair", repair.pk)).content.decode()
    assert "派工" in page and "验房时生成" in page
    refused = engineer.post(url("delivery_repair_assign", repair.pk), {"contractor": ""})
    assert refused.status_code == 400
    engineer.post(
        url("delivery_repair_assign", repair.pk),
        {"contractor": "建安装饰", "contractor_phone": "0755-8600 1234"},
    )
    engineer.post(url("delivery_repair_complete", repair.pk), {"note": "已返修"})
    engineer.force_login(desk)
    rejected = engineer.post(url("delivery_repair_reject", repair.pk), {"reason": "仍有色差"})
    assert rejected.status_code == 302
    assert RepairOrder.objects.get(pk=repair.pk).status == RepairStatus.ASSIGNED
    engineer.post(url("delivery_repair_complete", repair.pk), {"note": "重新刷漆"})
    signed = engineer.post(url("delivery_repair_sign_off", repair.pk), {"note": "满意"})
    assert signed.status_code == 302
    assert RepairOrder.objects.get(pk=repair.pk).status == RepairStatus.SIGNED_OFF
    history = engineer.get(url("delivery_repair", repair.pk)).content.decode()
    for label in ("已派工", "标记维修完成", "业主不认可，退回返修", "业主签认", "仍有色差"):
        assert label in history
    twice = engineer.post(url("delivery_repair_sign_off", repair.pk), {})
    assert twice.status_code == 409 and "不能从" in twice.content.decode()  # the state refuses


def test_a_role_without_the_desk_permission_may_read_but_not_act(world, login, repairs):
    consultant = login(world.users["consultant"])  # sees 滨海花园's repairs
    repair = repairs[0]
    assert consultant.get(url("delivery_repair", repair.pk)).status_code == 200
    answer = consultant.post(url("delivery_repair_assign", repair.pk), {"contractor": "x"})
    assert answer.status_code == 403
    assert RepairOrder.objects.get(pk=repair.pk).status == RepairStatus.OPEN


def test_out_of_scope_pages_are_404(world, login, repairs, inspection):
    client = login(world.users["consultant2"])  # 云境 only
    repair = repairs[0]
    for address in (
        url("delivery_batch", inspection.appointment.batch_id),
        url("delivery_book", inspection.appointment.batch_id),
        url("delivery_appointment", inspection.appointment_id),
        url("delivery_inspection", inspection.pk),
        url("delivery_repair", repair.pk),
        url("delivery_unit", repair.unit_id),
        url("delivery_keys", repair.unit_id),
    ):
        assert client.get(address).status_code == 404, address
    assert client.post(url("delivery_repair_sign_off", repair.pk)).status_code == 404
    assert repair.pk not in _rows(client.get(url("delivery_repairs")))


# --- keys, the unit's history on its page and on the board ---------------------------------------


def test_keys_through_the_page_make_the_unit_delivered(world, login, inspection):
    client = login(world.users["service"])
    unit_id = inspection.unit_id
    early = client.get(url("delivery_keys", unit_id)).content.decode()
    assert "业主在验房时收房后才能交接钥匙" in early
    delivery.inspection_finish(
        by=world.users["engineer"], inspection=inspection, result="accepted", owner_present=True
    )
    form = client.get(url("delivery_keys", unit_id)).content.decode()
    assert inspection.customer.name in form  # who receives them, offered
    nothing = client.post(url("delivery_keys", unit_id), {"received_by": "业主"})
    assert nothing.status_code == 400 and "请填写交接的数量" in nothing.content.decode()
    answer = client.post(
        url("delivery_keys", unit_id),
        {"received_by": "业主", "keys": "3", "smart_cards": "2", "door_cards": "2"},
    )
    assert answer.status_code == 302
    assert Unit.objects.get(pk=unit_id).status == UnitStatus.DELIVERED
    assert KeyHandover.objects.get(unit_id=unit_id).keys == 3
    page = client.get(answer["Location"]).content.decode()
    assert "交付" in page and "钥匙 3 把、智能卡 2 张、门禁卡 2 张" in page


def test_the_unit_page_and_the_board_show_its_repair_history(world, login, repairs):
    unit = repairs[0].unit
    client = login(world.users["manager"])  # sales: sees the unit and its repairs
    page = client.get(url("delivery_unit", unit.pk)).content.decode()
    assert "维修记录" in page and all(str(r) in page for r in repairs)
    panel = client.get(reverse("inventory:unit", args=[unit.pk]), HTTP_HX_REQUEST="true")
    text = panel.content.decode()
    assert 'data-testid="unit-delivery-panel"' in text
    assert "维修单 3 张，未完成 3 张" in text and url("delivery_unit", unit.pk) in text
    quiet = Unit.objects.filter(project=unit.project, status="available").first()
    bare = client.get(reverse("inventory:unit", args=[quiet.pk]), HTTP_HX_REQUEST="true")
    assert 'data-testid="unit-delivery-panel"' not in bare.content.decode()


def test_the_customers_360_page_lists_his_repairs(world, login, repairs):
    owner = repairs[0].customer
    page = login(world.users["service"]).get(reverse("customers:detail", args=[owner.pk]))
    text = page.content.decode()
    assert str(repairs[0]) in text and "验房" in text


# --- no N+1 -------------------------------------------------------------------------------------


def _more_repairs(world, make_customer, n):
    unit, _owner = signed_unit(world, make_customer, name="多问题业主")
    slot = slot_of(world, batch_of(world), day=0, hour=0, hours=47)
    booked = delivery.appointment_book(by=world.users["service"], slot=slot, unit=unit)
    engineer = world.users["engineer"]
    inspection = delivery.inspection_start(by=engineer, appointment=booked)
    for i in range(n):
        repair = delivery.defect_record(
            by=engineer,
            inspection=inspection,
            room="kitchen",
            description=f"问题{i}",
            photos=[png()] if i % 2 else [],
        )
        if i % 3:
            delivery.repair_assign(by=engineer, repair=repair, contractor=f"施工{i}")
    return inspection


def test_list_pages_keep_their_query_counts(
    world, login, make_customer, django_assert_max_num_queries
):
    inspection = _more_repairs(world, make_customer, 12)
    client = login(world.users["engineer"])
    repair = RepairOrder.objects.filter(defect__inspection=inspection).first()
    pages = [  # the same whatever the rows (+1: the bell's unread count)
        (url("delivery_batches"), 6),
        (url("delivery_batch", inspection.appointment.batch_id), 9),
        (url("delivery_repairs"), 7),
        (url("delivery_repairs") + "?status=assigned&overdue=1&contractor=施工", 7),
        (url("delivery_inspection", inspection.pk) + "?room=kitchen", 8),
        (url("delivery_unit", inspection.unit_id), 10),
        (url("delivery_repair", repair.pk), 8),
        (url("delivery_appointment", inspection.appointment_id), 7),
    ]
    for address, limit in pages:
        with django_assert_max_num_queries(limit):
            assert client.get(address).status_code == 200, address
