"""Delivery appointments and repair orders through the API (issue 13 item 8, SVC-7).

The same selectors and services as the delivery pages, the same scope: a batch, slot,
appointment, unit or repair order outside the caller's scope is 404; booking, moving,
cancelling and every step of a repair need HANDLE_TICKETS where the project is (403); a step
the row's state does not allow is 409 (``slot_full``, ``slot_over``, ``batch_closed``,
``already_booked``, ``appointment_closed``, ``inspection_started``, ``same_slot``,
``unit_not_signed``, ``unit_delivered``, ``invalid_transition``).

Batches, slots and the inspection itself stay on the pages (a manager's set-up and an
engineer's phone); the API reads the batches and slots an integrator books into.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from anju.core.api_errors import PATTERN_MESSAGES
from anju.core.api_types import Id, Input, IsoDate, Pagination, RefId, Text, may_answer
from anju.core.errors import NotFound
from anju.core.scope import get_visible_or_404
from anju.customers.refs import HIDDEN_ID, customer_id_for, customer_name_for
from anju.customers.selectors import about_visible_customer
from anju.org.selectors import projects_visible_to

from . import delivery, delivery_selectors
from .delivery_models import (
    AppointmentStatus,
    BatchStatus,
    DefectPhoto,
    DeliveryAppointment,
    DeliverySlot,
    RepairOrder,
    RepairStatus,
    Room,
)

router = Router(tags=["delivery"])

BatchStatusValue = Literal[tuple(BatchStatus.values)]
AppointmentStatusValue = Literal[tuple(AppointmentStatus.values)]
RepairStatusValue = Literal[tuple(RepairStatus.values)]
RoomValue = Literal[tuple(Room.values)]


def _owner_name(obj, context) -> str:
    """The owner's name, masked where the caller does not see his customer record."""
    return customer_name_for(context, obj.customer) if obj.customer_id else ""


def _project(user, pk):
    found = projects_visible_to(user).select_related(None).order_by().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Not found, or outside your scope."), field="project_id")
    return found


# --- batches and their slots (read) -------------------------------------------------------------


class DeliverySlotOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int = Field(description="live appointments holding a place")
    free: int


class DeliveryBatchOut(Schema):
    id: int
    project_id: int
    name: str
    starts_on: date
    ends_on: date
    status: BatchStatusValue
    places: int = Field(description="places in all its slots")
    places_booked: int

    @staticmethod
    def resolve_places(obj):
        return obj.places or 0

    @staticmethod
    def resolve_places_booked(obj):
        return obj.places_booked or 0


class DeliveryBatchDetailOut(DeliveryBatchOut):
    building_ids: list[int]
    note: str
    slots: list[DeliverySlotOut] = Field(description="every slot, earliest first")

    @staticmethod
    def resolve_places(obj):
        return sum(s.capacity for s in obj.slots.all())

    @staticmethod
    def resolve_places_booked(obj):
        return sum(s.booked for s in obj.slots.all())

    @staticmethod
    def resolve_building_ids(obj):
        return [b.pk for b in obj.buildings.all()]

    @staticmethod
    def resolve_slots(obj):
        return list(obj.slots.all())


class DeliveryBatchQuery(Schema):
    project_id: Id | None = None
    status: BatchStatusValue | None = None


@router.get("/delivery/batches", response=list[DeliveryBatchOut], openapi_extra=may_answer(404))
@paginate(Pagination)
def list_batches(request, filters: Query[DeliveryBatchQuery]):
    """交付批次 you see, the latest first, with their places booked and in all."""
    rows = delivery_selectors.batches_visible_to(request.user)
    if filters.project_id is not None:
        rows = rows.filter(project=_project(request.user, filters.project_id))
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    return rows


@router.get("/delivery/batches/{int:batch_id}", response=DeliveryBatchDetailOut)
def get_batch(request, batch_id: Id):
    """A batch with its buildings and slots (book into a slot with a free place)."""
    return delivery_selectors.batch_detail(request.user, batch_id)


# --- appointments ----------------------------------------------------------------------------


class DeliveryAppointmentOut(Schema):
    id: int
    project_id: int
    batch_id: int
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    unit_id: int
    unit_label: str = Field(description="栋-房号")
    customer_id: int | None = Field(description=HIDDEN_ID)
    customer_name: str = Field(description="masked where you do not see his record")
    status: AppointmentStatusValue
    note: str
    booked_by_id: int | None
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str

    @staticmethod
    def resolve_starts_at(obj):
        return obj.slot.starts_at

    @staticmethod
    def resolve_ends_at(obj):
        return obj.slot.ends_at

    @staticmethod
    def resolve_unit_label(obj):
        return str(obj.unit)

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer) if obj.customer_id else None

    @staticmethod
    def resolve_customer_name(obj, context):
        return _owner_name(obj, context)


class DeliveryAppointmentQuery(Schema):
    """The appointment list's filters (all optional, combined with AND)."""

    batch_id: Id | None = None
    project_id: Id | None = None
    status: AppointmentStatusValue | None = None
    unit_id: Id | None = None
    customer_id: Id | None = None
    day: IsoDate | None = Field(None, description="slots starting on this local day")


def _appointments(user):
    return DeliveryAppointment.objects.visible_to(user).select_related(
        "slot", "unit__building", "customer"
    )


@router.get(
    "/delivery/appointments",
    response=list[DeliveryAppointmentOut],
    openapi_extra=may_answer(404),
)
@paginate(Pagination)
def list_appointments(request, filters: Query[DeliveryAppointmentQuery]):
    """交付预约 you see, by slot time (earliest first)."""
    f = filters
    rows = _appointments(request.user)
    if f.project_id is not None:
        rows = rows.filter(project=_project(request.user, f.project_id))
    for name in ("batch_id", "status", "unit_id"):
        value = getattr(f, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    if f.customer_id is not None:
        rows = about_visible_customer(rows, request.user, f.customer_id)
    if f.day is not None:  # any day: one without slots matches nothing
        rows = rows.filter(slot__starts_at__date=f.day)
    return rows.order_by("slot__starts_at", "pk")


def _appointment(request, appointment_id):
    return get_visible_or_404(_appointments(request.user), request.user, pk=appointment_id)


@router.get("/delivery/appointments/{int:appointment_id}", response=DeliveryAppointmentOut)
def get_appointment(request, appointment_id: Id):
    return _appointment(request, appointment_id)


class DeliveryAppointmentIn(Input):
    """Book a slot for a signed unit: its owner (the signed buyer, or ``customer_id`` of a
    co-buyer) takes a place."""

    slot_id: RefId
    unit_id: RefId
    customer_id: RefId | None = Field(
        None, description="a co-buyer who comes instead of the buyer (default: the buyer)"
    )
    note: Text(200) = ""


def _slot(user, pk, field="slot_id"):
    found = DeliverySlot.objects.visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such delivery slot."), field=field)
    return found


@router.post(
    "/delivery/appointments",
    response={201: DeliveryAppointmentOut},
    openapi_extra=may_answer(409),
)
def book_appointment(request, payload: DeliveryAppointmentIn):
    """预约交付: one live appointment per unit (409 ``already_booked``); a full slot is 409
    ``slot_full``, a slot that is over 409 ``slot_over``."""
    from anju.customers.models import Customer
    from anju.inventory.models import Unit

    user = request.user
    unit = Unit.objects.visible_to(user).filter(pk=payload.unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."), field="unit_id")
    customer = None
    if payload.customer_id is not None:
        customer = Customer.objects.visible_to(user).filter(pk=payload.customer_id).first()
        if customer is None:
            raise NotFound(_("Not found, or outside your scope."), field="customer_id")
    appointment = delivery.appointment_book(
        by=user,
        slot=_slot(user, payload.slot_id),
        unit=unit,
        customer=customer,
        note=payload.note,
    )
    return HttpStatus(201, _appointment(request, appointment.pk))


class DeliveryCancelIn(Input):
    reason: Text(200, required=True, description="why the owner cannot come")


@router.post(
    "/delivery/appointments/{int:appointment_id}/cancel",
    response=DeliveryAppointmentOut,
    openapi_extra=may_answer(409),
)
def cancel_appointment(request, appointment_id: Id, payload: DeliveryCancelIn):
    """The place goes back to the slot (409 once the inspection has started)."""
    appointment = _appointment(request, appointment_id)
    delivery.appointment_cancel(by=request.user, appointment=appointment, reason=payload.reason)
    return _appointment(request, appointment_id)


class DeliveryRescheduleIn(Input):
    slot_id: RefId = Field(description="another slot of the same batch with a free place")


@router.post(
    "/delivery/appointments/{int:appointment_id}/reschedule",
    response=DeliveryAppointmentOut,
    openapi_extra=may_answer(409),
)
def reschedule_appointment(request, appointment_id: Id, payload: DeliveryRescheduleIn):
    """Move to another slot of the batch: the old place is freed only if the new one is
    free (409 ``slot_full``, ``same_slot``)."""
    appointment = _appointment(request, appointment_id)
    delivery.require_delivery_desk(request.user, appointment)  # 403 before naming the slot
    delivery.appointment_reschedule(
        by=request.user, appointment=appointment, slot=_slot(request.user, payload.slot_id)
    )
    return _appointment(request, appointment_id)


# --- repair orders -----------------------------------------------------------------------------


class RepairOrderOut(Schema):
    id: int
    number: str = Field(description="WX000012, numbered per company")
    project_id: int
    unit_id: int
    unit_label: str
    customer_id: int | None = Field(description=HIDDEN_ID)
    customer_name: str = Field(description="masked where you do not see his record")
    inspection_id: int
    room: RoomValue
    defect: str = Field(description="what is wrong")
    status: RepairStatusValue
    contractor: str
    contractor_phone: str
    due_on: date
    overdue: bool = Field(description="not signed off and past its due date")
    rejections: int = Field(description="times the owner rejected the repair")
    repair_note: str
    last_reason: str = Field(description="why the owner last rejected it")
    photo_ids: list[int] = Field(description="the defect's photos (pages: /service/delivery/…)")
    created_at: datetime
    assigned_at: datetime | None
    repaired_at: datetime | None
    signed_off_at: datetime | None

    @staticmethod
    def resolve_number(obj):
        return str(obj)

    @staticmethod
    def resolve_unit_label(obj):
        return str(obj.unit)

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer) if obj.customer_id else None

    @staticmethod
    def resolve_customer_name(obj, context):
        return _owner_name(obj, context)

    @staticmethod
    def resolve_inspection_id(obj):
        return obj.defect.inspection_id

    @staticmethod
    def resolve_room(obj):
        return obj.defect.room

    @staticmethod
    def resolve_defect(obj):
        return obj.defect.description

    @staticmethod
    def resolve_overdue(obj):
        return obj.is_overdue(timezone.localdate())

    @staticmethod
    def resolve_photo_ids(obj):
        return [p.pk for p in obj.defect.photos.all()]


class RepairOrderQuery(Schema):
    """The repair list's filters (all optional, combined with AND)."""

    status: RepairStatusValue | None = None
    open: bool | None = Field(None, description="true: not signed off; false: signed off")
    overdue: bool | None = Field(None, description="true: not signed off and past due")
    project_id: Id | None = None
    unit_id: Id | None = None
    customer_id: Id | None = None
    room: RoomValue | None = None
    contractor: Text(60) | None = Field(None, description="part of the contractor's name")


def _repairs(user):
    return (
        RepairOrder.objects.visible_to(user)
        .select_related("unit__building", "defect", "customer")
        .prefetch_related(
            Prefetch(
                "defect__photos",
                queryset=DefectPhoto.objects.unscoped("the visible repairs' own photos").only(
                    "pk", "defect_id"
                ),
            )
        )
    )


@router.get("/repairs", response=list[RepairOrderOut], openapi_extra=may_answer(404))
@paginate(Pagination)
def list_repairs(request, filters: Query[RepairOrderQuery]):
    """维修单 you see: open ones first, the most urgent on top; signed-off ones after."""
    f = filters
    rows = _repairs(request.user)
    if f.project_id is not None:
        rows = rows.filter(project=_project(request.user, f.project_id))
    for name in ("status", "unit_id"):
        value = getattr(f, name)
        if value is not None:
            rows = rows.filter(**{name: value})
    if f.customer_id is not None:
        rows = about_visible_customer(rows, request.user, f.customer_id)
    if f.room is not None:
        rows = rows.filter(defect__room=f.room)
    if f.contractor:
        rows = rows.filter(contractor__icontains=f.contractor.strip())
    if f.open is not None:
        signed = RepairStatus.SIGNED_OFF
        rows = rows.exclude(status=signed) if f.open else rows.filter(status=signed)
    if f.overdue is not None:
        late = delivery_selectors.overdue_q()
        rows = rows.filter(late) if f.overdue else rows.exclude(late)
    return rows.order_by(F("signed_off_at").asc(nulls_first=True), "due_on", "pk")


def _repair(request, repair_id):
    return get_visible_or_404(_repairs(request.user), request.user, pk=repair_id)


@router.get("/repairs/{int:repair_id}", response=RepairOrderOut)
def get_repair(request, repair_id: Id):
    return _repair(request, repair_id)


_CONTRACTOR_PHONE = delivery.CONTRACTOR_PHONE_PATTERN
PATTERN_MESSAGES[_CONTRACTOR_PHONE] = gettext_lazy(
    "Enter a phone number (digits, spaces, + - and brackets)."
)
ContractorPhone = Annotated[str, Field(max_length=20, pattern=_CONTRACTOR_PHONE)]


class RepairAssignIn(Input):
    """派工: the contractor responsible (again another one while it is being repaired)."""

    contractor: Text(60, required=True)
    contractor_phone: ContractorPhone = ""
    due_on: IsoDate | None = Field(None, description="today or later (default: unchanged)")


class RepairCompleteIn(Input):
    note: Text(2000, required=True, multiline=True, description="what was done")


class RepairSignOffIn(Input):
    note: Text(200) = ""


class RepairRejectIn(Input):
    reason: Text(200, required=True, description="why the owner is not satisfied")
    due_on: IsoDate | None = Field(None, description="a new due date, today or later")


def _repair_step(request, repair_id, act):
    repair = _repair(request, repair_id)
    act(repair)
    return _repair(request, repair_id)


@router.post(
    "/repairs/{int:repair_id}/assign", response=RepairOrderOut, openapi_extra=may_answer(409)
)
def assign_repair(request, repair_id: Id, payload: RepairAssignIn):
    """An open order, or one being repaired (reassigned); 409 ``invalid_transition`` else."""
    return _repair_step(
        request,
        repair_id,
        lambda repair: delivery.repair_assign(
            by=request.user,
            repair=repair,
            contractor=payload.contractor,
            contractor_phone=payload.contractor_phone,
            due_on=payload.due_on,
        ),
    )


@router.post(
    "/repairs/{int:repair_id}/complete", response=RepairOrderOut, openapi_extra=may_answer(409)
)
def complete_repair(request, repair_id: Id, payload: RepairCompleteIn):
    """维修完成: the contractor's work is done; the owner signs it off or rejects it."""
    return _repair_step(
        request,
        repair_id,
        lambda repair: delivery.repair_complete(by=request.user, repair=repair, note=payload.note),
    )


@router.post(
    "/repairs/{int:repair_id}/sign-off", response=RepairOrderOut, openapi_extra=may_answer(409)
)
def sign_off_repair(request, repair_id: Id, payload: RepairSignOffIn):
    """业主签认: the owner confirms a repaired order."""
    return _repair_step(
        request,
        repair_id,
        lambda repair: delivery.repair_sign_off(by=request.user, repair=repair, note=payload.note),
    )


@router.post(
    "/repairs/{int:repair_id}/reject", response=RepairOrderOut, openapi_extra=may_answer(409)
)
def reject_repair(request, repair_id: Id, payload: RepairRejectIn):
    """The owner rejects a repaired order: back to the contractor, with why."""
    return _repair_step(
        request,
        repair_id,
        lambda repair: delivery.repair_reject(
            by=request.user, repair=repair, reason=payload.reason, due_on=payload.due_on
        ),
    )
