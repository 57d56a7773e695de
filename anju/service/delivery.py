"""Every write of delivery and repairs (SVC-7), one service per business action.

Set-up (the service managers, MANAGE_SERVICE): ``batch_create`` → ``slot_add`` (…
``batch_close``). The desk, the engineers and the stewards (HANDLE_TICKETS where the project
is): ``appointment_book`` / ``appointment_reschedule`` / ``appointment_cancel`` — a place is
taken or given back only under the slot's row lock, so of two owners asking for the last
place one wins, and a unit has one live appointment (a partial unique constraint backs the
check). ``inspection_start`` → ``defect_record`` (room by room, photos checked to be images;
every defect opens its ``RepairOrder``) → ``inspection_finish`` (the owner accepts or
refuses the unit). Repairs: ``repair_assign`` → ``repair_complete`` → ``repair_sign_off``,
or ``repair_reject`` back to repair. ``key_handover_record``: once the owner accepted the
unit, keys and cards handed over make it 交付 (``inventory.services.unit_change_status``;
only a signed unit can be delivered).

Every write locks its row (scope checked on the locked row: 404 out of scope), checks the
move, records an event about the owner (his 360° timeline) and is all-or-nothing.
"""

import re
import secrets
from datetime import timedelta
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound
from anju.core.events import record_event
from anju.core.numbering import allocate_number
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.scope import can_see
from anju.core.transitions import check_transition
from anju.core.validation import control_character_error, validate_fields, validate_text

from .delivery_models import (
    MAX_SLOT_CAPACITY,
    REPAIR_TRANSITIONS,
    AppointmentStatus,
    BatchStatus,
    Defect,
    DefectPhoto,
    DeliveryAppointment,
    DeliveryBatch,
    DeliverySlot,
    Inspection,
    InspectionResult,
    InspectionStatus,
    KeyHandover,
    RepairOrder,
    RepairStatus,
    Room,
)
from .photos import PhotoRefused, read_photo

REPAIR_NUMBER_KIND = "service_repair"
REPAIR_DUE_DAYS = 15  # a new repair order is due in 15 days unless told otherwise


# --- who may act, rows locked for a write ------------------------------------------------------


def require_delivery_desk(by, obj) -> None:
    """Booking, inspecting, repairs and keys: the service desk, engineers and stewards of
    the project (HANDLE_TICKETS where it is)."""
    require_perm(by, Perm.HANDLE_TICKETS, company=obj.company_id, project=_project_id(obj))


def require_delivery_manager(by, obj) -> None:
    """Batches and their slots: the service managers and management (MANAGE_SERVICE)."""
    require_perm(by, Perm.MANAGE_SERVICE, company=obj.company_id, project=_project_id(obj))


def _project_id(obj):
    return getattr(obj, "project_id", None) or obj.pk


def _locked(model, by, row, message):
    """The row, locked, if ``by`` sees it (404 otherwise: never a hint it exists)."""
    found = (
        model.objects.unscoped("locked for a write; scope checked next")
        .select_for_update()
        .filter(pk=getattr(row, "pk", row))
        .first()
    )
    if found is None or (by is not None and not can_see(by, found)):
        raise NotFound(message)
    return found


def _text(value, field, *, required=False, max_length=200, multiline=False, message=None):
    value = (value or "").strip()
    if required and not value:
        raise ApplicationError(
            message or _("This field is required."), field=field, code="required"
        )
    validate_text(value, field=field, max_length=max_length, multiline=multiline)
    return value


def _event(by, verb, target, customer=None, **details):
    record_event(by=by, verb=verb, target=target, subject=customer, details=details)


# --- batches and slots ------------------------------------------------------------------------


@transaction.atomic
def batch_create(
    *, by, project, name: str, starts_on, ends_on, buildings, note: str = ""
) -> DeliveryBatch:
    """交付批次: which buildings of the project are delivered, between which dates."""
    require_delivery_manager(by, project)
    buildings = list(buildings)
    if not buildings:
        raise ApplicationError(
            _("Choose the buildings delivered in this batch."), field="buildings", code="required"
        )
    if any(b.project_id != project.pk for b in buildings):
        raise NotFound(_("No such building in this project."), field="buildings")
    if starts_on is None or ends_on is None:
        raise ApplicationError(_("Give both dates."), field="starts_on", code="required")
    if ends_on < starts_on:
        raise ApplicationError(_("The batch ends before it starts."), field="ends_on")
    batch = DeliveryBatch(
        company_id=project.company_id,
        project=project,
        name=_text(name, "name", required=True, max_length=60),
        starts_on=starts_on,
        ends_on=ends_on,
        note=_text(note, "note", max_length=2000, multiline=True),
        created_by=by,
    )
    validate_fields(batch, ["name", "note"])
    batch.save()
    batch.buildings.set(buildings)
    _event(
        by,
        "delivery.batch_created",
        batch,
        buildings=[b.pk for b in buildings],
        starts_on=str(starts_on),
        ends_on=str(ends_on),
    )
    return batch


@transaction.atomic
def batch_close(*, by, batch) -> DeliveryBatch:
    """No more bookings in this batch (the appointments already made stay)."""
    batch = _locked(DeliveryBatch, by, batch, _("No such delivery batch."))
    require_delivery_manager(by, batch)
    if batch.status == BatchStatus.CLOSED:
        raise Conflict(_("The batch is already closed."), code="batch_closed")
    batch.status = BatchStatus.CLOSED
    batch.save(update_fields=["status", "updated_at"])
    _event(by, "delivery.batch_closed", batch)
    return batch


@transaction.atomic
def slot_add(*, by, batch, starts_at, ends_at, capacity: int) -> DeliverySlot:
    """A time slot of the batch within its dates, with room for ``capacity`` units."""
    batch = _locked(DeliveryBatch, by, batch, _("No such delivery batch."))
    require_delivery_manager(by, batch)
    if starts_at is None or ends_at is None:
        raise ApplicationError(_("Give the slot's start and end."), field="starts_at")
    if ends_at <= starts_at:
        raise ApplicationError(_("The slot ends before it starts."), field="ends_at")
    day = timezone.localtime(starts_at).date()
    if not batch.starts_on <= day <= batch.ends_on:
        raise ApplicationError(
            _("The slot must lie within the batch's dates (%(from)s – %(until)s).")
            % {"from": batch.starts_on, "until": batch.ends_on},
            field="starts_at",
        )
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_SLOT_CAPACITY:
        raise ApplicationError(
            _("A slot takes 1 to %(n)s units.") % {"n": MAX_SLOT_CAPACITY}, field="capacity"
        )
    taken = DeliverySlot.objects.unscoped("the locked batch's own slots")
    if taken.filter(batch=batch, starts_at=starts_at).exists():
        raise Conflict(_("The batch already has a slot at this time."), code="slot_exists")
    slot = DeliverySlot.objects.create(
        company_id=batch.company_id,
        project_id=batch.project_id,
        batch=batch,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    _event(by, "delivery.slot_added", slot, batch=batch.pk, capacity=capacity)
    return slot


# --- appointments -----------------------------------------------------------------------------


def unit_owner(unit, customer=None):
    """The owner who takes the unit over: the buyer of its signed contract (or, if named,
    one of its co-buyers). Refused clearly when no signed deal names an owner."""
    from anju.deals.models import Subscription, SubscriptionStatus

    deal = (
        Subscription.objects.unscoped("the unit's signed buyer, for its delivery")
        .filter(unit_id=unit.pk, status=SubscriptionStatus.SIGNED)
        .select_related("customer")
        .first()
    )
    if deal is None:
        raise Conflict(
            _("No signed contract names this unit's owner: only a signed unit is delivered."),
            code="unit_not_signed",
        )
    if customer is None or customer.pk == deal.customer_id:
        return deal.customer
    if deal.co_buyers.filter(customer_id=customer.pk).exists():
        return customer
    raise ApplicationError(
        _("Only the unit's buyer or a co-buyer takes it over."), field="customer_id"
    )


def require_signed(unit) -> None:
    """签约 before 交付 (inventory's UNIT_TRANSITIONS: only SIGNED → DELIVERED)."""
    from anju.inventory.models import UnitStatus

    if unit.status == UnitStatus.DELIVERED:
        raise Conflict(_("This unit has already been delivered."), code="unit_delivered")
    if unit.status != UnitStatus.SIGNED:
        raise Conflict(
            _("Only a signed unit (签约) is delivered; this one is %(status)s.")
            % {"status": unit.get_status_display()},
            code="unit_not_signed",
        )


def _slot_open(slot, batch, now) -> None:
    if batch.status != BatchStatus.OPEN:
        raise Conflict(_("The batch is closed for booking."), code="batch_closed")
    if slot.ends_at <= now:
        raise Conflict(_("This slot is over."), code="slot_over")
    if slot.booked >= slot.capacity:
        raise Conflict(
            _("This slot is fully booked; choose another."),
            code="slot_full",
            extra={"slot": slot.pk},
        )


def _live_appointment(unit_id):
    return (
        DeliveryAppointment.objects.unscoped("one live appointment per unit: every row")
        .filter(unit_id=unit_id, status=AppointmentStatus.BOOKED)
        .first()
    )


def _already_booked(existing=None) -> Conflict:
    when = f" ({existing.slot})" if existing is not None else ""
    return Conflict(
        _("This unit already has an appointment%(when)s: reschedule it instead.") % {"when": when},
        code="already_booked",
    )


@transaction.atomic
def appointment_book(*, by, slot, unit, customer=None, note: str = "") -> DeliveryAppointment:
    """预约交付 The unit's owner takes a place in the slot (the slot's row locked)."""
    slot = _locked(DeliverySlot, by, slot, _("No such delivery slot."))
    require_delivery_desk(by, slot)
    if by is not None and not can_see(by, unit):
        raise NotFound(_("No such unit."), field="unit_id")
    batch = DeliveryBatch.objects.unscoped("the locked slot's batch").get(pk=slot.batch_id)
    if not batch.buildings.filter(pk=unit.building_id).exists():
        raise Conflict(  # two rows named together that do not belong together: 409
            _("This unit is not in the batch's buildings."), field="unit_id", code="not_in_batch"
        )
    require_signed(unit)
    owner = unit_owner(unit, customer)
    existing = _live_appointment(unit.pk)
    if existing is not None:
        raise _already_booked(existing)
    _slot_open(slot, batch, timezone.now())
    appointment = DeliveryAppointment(
        company_id=slot.company_id,
        project_id=slot.project_id,
        batch=batch,
        slot=slot,
        unit=unit,
        customer=owner,
        booked_by=by,
        note=_text(note, "note"),
    )
    try:
        with transaction.atomic():  # the live-per-unit constraint: the last line of defence
            appointment.save()
    except IntegrityError as exc:
        raise _already_booked() from exc
    slot.booked += 1
    slot.save(update_fields=["booked", "updated_at"])
    _event(by, "delivery.appointment_booked", appointment, owner, slot=slot.pk, unit=unit.pk)
    return appointment


def _appointment_for_update(by, appointment) -> DeliveryAppointment:
    appointment = _locked(DeliveryAppointment, by, appointment, _("No such appointment."))
    require_delivery_desk(by, appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            _("The appointment is %(status)s.") % {"status": appointment.get_status_display()},
            code="appointment_closed",
        )
    started = Inspection.objects.unscoped("the locked appointment's inspection")
    if started.filter(appointment=appointment).exists():
        raise Conflict(_("The inspection has started."), code="inspection_started")
    return appointment


def _slots_locked(*pks) -> dict:
    """The slots, locked in id order (two reschedules crossing never deadlock)."""
    rows = (
        DeliverySlot.objects.unscoped("slots of a locked appointment's batch")
        .select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
    )
    return {slot.pk: slot for slot in rows}


@transaction.atomic
def appointment_cancel(*, by, appointment, reason: str) -> DeliveryAppointment:
    """The owner cannot come: the place goes back to the slot."""
    appointment = _appointment_for_update(by, appointment)
    reason = _text(reason, "reason", required=True, message=_("Say why it is cancelled."))
    slot = _slots_locked(appointment.slot_id)[appointment.slot_id]
    slot.booked = max(slot.booked - 1, 0)
    slot.save(update_fields=["booked", "updated_at"])
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancel_reason = reason
    appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    _event(by, "delivery.appointment_cancelled", appointment, appointment.customer, reason=reason)
    return appointment


@transaction.atomic
def appointment_reschedule(*, by, appointment, slot) -> DeliveryAppointment:
    """Another slot of the same batch (both slots locked): the old place is given back only
    if the new one is free."""
    appointment = _appointment_for_update(by, appointment)
    new_id = getattr(slot, "pk", slot)
    if new_id == appointment.slot_id:
        raise Conflict(_("The appointment is already in this slot."), code="same_slot")
    slots = _slots_locked(appointment.slot_id, new_id)
    new = slots.get(new_id)
    if new is None or new.batch_id != appointment.batch_id:
        raise NotFound(_("No such slot in this batch."), field="slot_id")
    batch = DeliveryBatch.objects.unscoped("the locked appointment's batch").get(
        pk=appointment.batch_id
    )
    _slot_open(new, batch, timezone.now())
    old = slots[appointment.slot_id]
    old.booked = max(old.booked - 1, 0)
    new.booked += 1
    old.save(update_fields=["booked", "updated_at"])
    new.save(update_fields=["booked", "updated_at"])
    appointment.slot = new
    appointment.save(update_fields=["slot", "updated_at"])
    _event(
        by,
        "delivery.appointment_rescheduled",
        appointment,
        appointment.customer,
        **{"from": old.pk, "to": new.pk},
    )
    return appointment


# --- the inspection (验房) ---------------------------------------------------------------------


@transaction.atomic
def inspection_start(*, by, appointment) -> Inspection:
    """The owner is here: the inspection begins (again the same one if already begun)."""
    appointment = _locked(DeliveryAppointment, by, appointment, _("No such appointment."))
    require_delivery_desk(by, appointment)
    current = (
        Inspection.objects.unscoped("the locked appointment's inspection")
        .filter(appointment=appointment)
        .first()
    )
    if current is not None and current.is_open:
        return current  # a second tap on "start" on the phone
    if appointment.status != AppointmentStatus.BOOKED or current is not None:
        raise Conflict(
            _("The appointment is %(status)s.") % {"status": appointment.get_status_display()},
            code="appointment_closed",
        )
    from anju.inventory.models import Unit

    require_signed(Unit.objects.unscoped("the appointment's unit").get(pk=appointment.unit_id))
    inspection = Inspection.objects.create(
        company_id=appointment.company_id,
        project_id=appointment.project_id,
        appointment=appointment,
        unit_id=appointment.unit_id,
        customer_id=appointment.customer_id,
        inspector=by,
        started_at=timezone.now(),
    )
    _event(by, "delivery.inspection_started", inspection, appointment.customer)
    return inspection


def _inspection_open(by, inspection) -> Inspection:
    inspection = _locked(Inspection, by, inspection, _("No such inspection."))
    require_delivery_desk(by, inspection)
    if not inspection.is_open:
        raise Conflict(_("The inspection is finished."), code="inspection_finished")
    return inspection


def checked_photo(upload) -> dict:
    """The upload as a photo we keep: a JPEG, PNG or WebP image Pillow can read, at most
    5 MB, not a decompression bomb (``photos.read_photo``). Refused on the ``photo`` field."""
    try:
        photo = read_photo(upload)
    except PhotoRefused as refused:
        if refused.reason == "too_large":
            raise ApplicationError(
                _("A photo may be at most 5 MB."), field="photo", code="too_large"
            ) from None
        raise ApplicationError(
            _("The file is not a photo: upload a JPEG, PNG or WebP image."),
            field="photo",
            code="invalid_photo",
        ) from None
    name = PurePath(str(getattr(upload, "name", "") or "")).name[:100]
    if not name or control_character_error(name):
        name = "photo"
    return {
        "content": photo.data,
        "name": name,
        "content_type": photo.content_type,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
    }


def _store_photo(by, defect, photo) -> DefectPhoto:
    row = DefectPhoto(
        company_id=defect.company_id,
        project_id=defect.project_id,
        defect=defect,
        token=secrets.token_urlsafe(24),
        name=photo["name"],
        content_type=photo["content_type"],
        size=photo["size"],
        width=photo["width"],
        height=photo["height"],
        uploaded_by=by,
    )
    row.file.save(row.token, ContentFile(photo["content"]), save=False)
    row.save()
    return row


@transaction.atomic
def defect_record(
    *, by, inspection, room: str, description: str, photos=(), due_on=None
) -> RepairOrder:
    """A defect found in a room, with its photos; it opens its repair order at once."""
    inspection = _inspection_open(by, inspection)
    if room not in Room.values:
        raise ApplicationError(_("Choose the room."), field="room", code="invalid")
    description = _text(
        description,
        "description",
        required=True,
        max_length=2000,
        multiline=True,
        message=_("Say what is wrong."),
    )
    checked = [checked_photo(upload) for upload in photos if upload]  # all before any write
    today = timezone.localdate()
    due_on = due_on or today + timedelta(days=REPAIR_DUE_DAYS)
    if due_on < today:
        raise ApplicationError(_("The due date is in the past."), field="due_on")
    defect = Defect.objects.create(
        company_id=inspection.company_id,
        project_id=inspection.project_id,
        inspection=inspection,
        unit_id=inspection.unit_id,
        room=room,
        description=description,
        recorded_by=by,
    )
    repair = RepairOrder(
        company_id=inspection.company_id,
        project_id=inspection.project_id,
        defect=defect,
        unit_id=inspection.unit_id,
        customer_id=inspection.customer_id,
        due_on=due_on,
    )
    repair.number = allocate_number(
        kind=REPAIR_NUMBER_KIND, scope=f"company:{inspection.company_id}"
    )
    repair.save()
    customer = inspection.customer
    _event(by, "delivery.defect_recorded", defect, customer, room=room, repair=repair.pk)
    _event(by, "delivery.repair_opened", repair, customer, due_on=str(due_on))
    for photo in checked:  # the files last: nothing is written for a refused defect
        _store_photo(by, defect, photo)
    return repair


@transaction.atomic
def inspection_finish(
    *,
    by,
    inspection,
    result: str,
    owner_present: bool,
    attended_by: str = "",
    note: str = "",
) -> Inspection:
    """The owner accepts the unit (收房, defects repaired after) or refuses it (拒收, a new
    appointment follows). Accepting needs the owner, or his named representative, there."""
    inspection = _inspection_open(by, inspection)
    if result not in InspectionResult.values:
        raise ApplicationError(_("Choose the result."), field="result", code="invalid")
    attended_by = _text(attended_by, "attended_by", max_length=50)
    note = _text(note, "note", max_length=2000, multiline=True)
    if result == InspectionResult.ACCEPTED and not (owner_present or attended_by):
        raise ApplicationError(
            _("Only the owner, or someone he sent, accepts the unit: tick that he is present."),
            field="owner_present",
            code="owner_absent",
        )
    if result == InspectionResult.REFUSED and not note:
        raise ApplicationError(
            _("Say why the owner refuses the unit."), field="note", code="required"
        )
    inspection.status = InspectionStatus.COMPLETED
    inspection.result = result
    inspection.owner_present = bool(owner_present)
    inspection.attended_by = attended_by
    inspection.note = note
    inspection.finished_at = timezone.now()
    inspection.save()
    appointment = _locked(
        DeliveryAppointment, None, inspection.appointment_id, _("No such appointment.")
    )
    appointment.status = AppointmentStatus.DONE
    appointment.save(update_fields=["status", "updated_at"])
    defects = Defect.objects.unscoped("the locked inspection's defects")
    _event(
        by,
        "delivery.inspection_finished",
        inspection,
        inspection.customer,
        result=result,
        defects=defects.filter(inspection=inspection).count(),
    )
    return inspection


# --- repair orders ----------------------------------------------------------------------------


def _repair_for_update(by, repair, to) -> RepairOrder:
    repair = _locked(RepairOrder, by, repair, _("No such repair order."))
    require_delivery_desk(by, repair)
    check_transition(
        allowed=REPAIR_TRANSITIONS,
        current=RepairStatus(repair.status),
        to=RepairStatus(to),
        label=_("The repair order"),
    )
    return repair


def _due(value, repair, field="due_on"):
    if value is None:
        return repair.due_on
    if value < timezone.localdate():
        raise ApplicationError(_("The due date is in the past."), field=field)
    return value


# A contractor's phone as people write it: digits, spaces, + - and brackets (the API's
# schema states the same pattern).
CONTRACTOR_PHONE_PATTERN = r"^[0-9+\-() ]*$"


def _phone(value) -> str:
    value = _text(value, "contractor_phone", max_length=20)
    if not re.fullmatch(CONTRACTOR_PHONE_PATTERN, value):
        raise ApplicationError(
            _("Enter a phone number (digits, spaces, + - and brackets)."),
            field="contractor_phone",
        )
    return value


@transaction.atomic
def repair_assign(*, by, repair, contractor: str, contractor_phone: str = "", due_on=None):
    """派工 The contractor responsible (again another one while it is being repaired)."""
    repair = _repair_for_update(by, repair, RepairStatus.ASSIGNED)
    repair.contractor = _text(
        contractor,
        "contractor",
        required=True,
        max_length=60,
        message=_("Name the contractor responsible."),
    )
    repair.contractor_phone = _phone(contractor_phone)
    repair.due_on = _due(due_on, repair)
    before = repair.status
    repair.status = RepairStatus.ASSIGNED
    repair.assigned_at = repair.assigned_at or timezone.now()
    repair.save()
    _event(
        by,
        "delivery.repair_assigned",
        repair,
        repair.customer,
        contractor=repair.contractor,
        due_on=str(repair.due_on),
        reassigned=before == RepairStatus.ASSIGNED,
    )
    return repair


@transaction.atomic
def repair_complete(*, by, repair, note: str) -> RepairOrder:
    """维修完成 The contractor says it is repaired: the owner checks and signs it off."""
    repair = _repair_for_update(by, repair, RepairStatus.REPAIRED)
    repair.repair_note = _text(
        note,
        "note",
        required=True,
        max_length=2000,
        multiline=True,
        message=_("Say what was done."),
    )
    repair.status = RepairStatus.REPAIRED
    repair.repaired_at = timezone.now()
    repair.save()
    _event(by, "delivery.repair_completed", repair, repair.customer)
    return repair


@transaction.atomic
def repair_sign_off(*, by, repair, note: str = "") -> RepairOrder:
    """业主签认 The owner confirms the repair (recorded by whoever is with him)."""
    repair = _repair_for_update(by, repair, RepairStatus.SIGNED_OFF)
    note = _text(note, "note", max_length=200)
    repair.status = RepairStatus.SIGNED_OFF
    repair.signed_off_at = timezone.now()
    repair.save()
    _event(by, "delivery.repair_signed_off", repair, repair.customer, note=note)
    return repair


@transaction.atomic
def repair_reject(*, by, repair, reason: str, due_on=None) -> RepairOrder:
    """The owner is not satisfied: back to the contractor, with why (and a new due date)."""
    repair = _repair_for_update(by, repair, RepairStatus.ASSIGNED)
    if repair.status != RepairStatus.REPAIRED:  # ASSIGNED → ASSIGNED is a reassignment
        raise Conflict(
            _("Only a repaired order is signed off or rejected."), code="invalid_transition"
        )
    repair.last_reason = _text(
        reason, "reason", required=True, message=_("Say why the owner rejects the repair.")
    )
    repair.due_on = _due(due_on, repair)
    repair.status = RepairStatus.ASSIGNED
    repair.repaired_at = None
    repair.rejections += 1
    repair.save()
    _event(
        by,
        "delivery.repair_rejected",
        repair,
        repair.customer,
        reason=repair.last_reason,
        rejections=repair.rejections,
    )
    return repair


# --- keys (钥匙交接) and delivery (交付) -----------------------------------------------------------


def accepted_inspection(unit_id):
    """The unit's last finished inspection, if the owner accepted the unit in it."""
    last = (
        Inspection.objects.unscoped("the unit's own inspections, for its delivery")
        .filter(unit_id=unit_id, status=InspectionStatus.COMPLETED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return last if last is not None and last.result == InspectionResult.ACCEPTED else None


@transaction.atomic
def key_handover_record(
    *,
    by,
    unit,
    received_by: str,
    keys: int = 0,
    smart_cards: int = 0,
    door_cards: int = 0,
    mailbox_keys: int = 0,
    other_items: str = "",
    note: str = "",
) -> KeyHandover:
    """钥匙交接 Keys and cards to the owner who accepted the unit; the first handover makes a
    signed unit 交付 (later ones, e.g. more door cards, are only logged)."""
    from anju.inventory.lock_objects import unit_for_update
    from anju.inventory.models import UnitStatus
    from anju.inventory.services import unit_change_status

    if by is not None and not can_see(by, unit):
        raise NotFound(_("No such unit."))
    require_delivery_desk(by, unit)
    unit = unit_for_update(unit.pk)
    if unit.status != UnitStatus.DELIVERED:
        require_signed(unit)
    inspection = accepted_inspection(unit.pk)
    if inspection is None:
        raise Conflict(
            _("Keys are handed over once the owner has accepted the unit at its inspection."),
            code="not_accepted",
        )
    handover = KeyHandover(
        company_id=unit.company_id,
        project_id=unit.project_id,
        unit=unit,
        inspection=inspection,
        customer_id=inspection.customer_id,
        received_by=_text(
            received_by,
            "received_by",
            required=True,
            max_length=50,
            message=_("Say who received the keys."),
        ),
        keys=keys or 0,
        smart_cards=smart_cards or 0,
        door_cards=door_cards or 0,
        mailbox_keys=mailbox_keys or 0,
        other_items=_text(other_items, "other_items"),
        note=_text(note, "note"),
        handed_by=by,
        handed_at=timezone.now(),
    )
    validate_fields(handover, ["keys", "smart_cards", "door_cards", "mailbox_keys"])
    if not handover.total and not handover.other_items:
        raise ApplicationError(
            _("Count what was handed over."), field="keys", code="nothing_handed_over"
        )
    handover.save()
    customer = inspection.customer
    delivered = unit.status == UnitStatus.SIGNED
    if delivered:
        unit_change_status(
            by=by,
            unit=unit,
            to=UnitStatus.DELIVERED,
            reason=_("Keys handed over after the owner accepted the unit"),
            subject=customer,
        )
    _event(
        by,
        "delivery.keys_handed_over",
        handover,
        customer,
        keys=handover.keys,
        smart_cards=handover.smart_cards,
        door_cards=handover.door_cards,
        mailbox_keys=handover.mailbox_keys,
        delivered=delivered,
    )
    return handover
