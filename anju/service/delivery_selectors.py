"""Every read of delivery and repairs a user sees (SVC-7), scoped with ``visible_to``."""

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from anju.core.events import events_for
from anju.core.scope import get_visible_or_404

from .delivery_models import (
    OPEN_REPAIR_STATUSES,
    AppointmentStatus,
    Defect,
    DefectPhoto,
    DeliveryAppointment,
    DeliveryBatch,
    DeliverySlot,
    Inspection,
    KeyHandover,
    RepairOrder,
)


def batches_visible_to(user):
    """The batches with their slots' places in total and booked (one query)."""
    return (
        DeliveryBatch.objects.visible_to(user)
        .select_related("project")
        .annotate(
            slot_count=Count("slots", distinct=True),
            places=Sum("slots__capacity"),
            places_booked=Sum("slots__booked"),
        )
        .order_by("-starts_on", "-pk")
    )


def batch_detail(user, pk) -> DeliveryBatch:
    """One batch with its buildings, its slots and each slot's appointments that hold a
    place (booked or inspected; 4 queries)."""
    live = (
        DeliveryAppointment.objects.unscoped("the visible batch's own appointments")
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("unit__building", "customer")
        .order_by("unit__building__sort_order", "unit__building__code", "unit__number")
    )
    slots = DeliverySlot.objects.unscoped("the visible batch's own slots").prefetch_related(
        Prefetch("appointments", queryset=live, to_attr="live")
    )
    return get_visible_or_404(
        DeliveryBatch.objects.select_related("project", "created_by").prefetch_related(
            "buildings", Prefetch("slots", queryset=slots.order_by("starts_at", "pk"))
        ),
        user,
        pk=pk,
    )


def bookable_units(user, batch):
    """Signed units of the batch's buildings with a signed contract and no live appointment:
    the ones an owner may book for."""
    from anju.deals.models import Subscription, SubscriptionStatus
    from anju.inventory.models import Unit, UnitStatus

    signed = Subscription.objects.filter(unit=OuterRef("pk"), status=SubscriptionStatus.SIGNED)
    booked = DeliveryAppointment.objects.filter(
        unit=OuterRef("pk"), status=AppointmentStatus.BOOKED
    )
    return (
        Unit.objects.visible_to(user)
        .filter(building__in=batch.buildings.all(), status=UnitStatus.SIGNED)
        .filter(Exists(signed))
        .exclude(Exists(booked))
        .select_related("building")
        .order_by("building__sort_order", "building__code", "-floor", "position")
    )


def open_slots(batch):
    """The batch's slots still to come with a free place (the batch was scoped)."""
    return (
        DeliverySlot.objects.unscoped("the visible batch's own slots")
        .filter(batch=batch, ends_at__gt=timezone.now(), booked__lt=F("capacity"))
        .order_by("starts_at", "pk")
    )


def appointment_detail(user, pk) -> DeliveryAppointment:
    return get_visible_or_404(
        DeliveryAppointment.objects.select_related(
            "slot", "batch", "unit__building", "customer", "booked_by", "project"
        ),
        user,
        pk=pk,
    )


def inspection_of(appointment):
    """The appointment's inspection, if begun (the appointment was scoped)."""
    return (
        Inspection.objects.unscoped("the visible appointment's own inspection")
        .filter(appointment=appointment)
        .first()
    )


def inspection_detail(user, pk) -> Inspection:
    """One inspection with its defects, their photos and repair orders (3 queries)."""
    defects = (
        Defect.objects.unscoped("the visible inspection's own defects")
        .select_related("repair")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=DefectPhoto.objects.unscoped("the visible defect's own photos"),
            )
        )
        .order_by("created_at", "pk")
    )
    return get_visible_or_404(
        Inspection.objects.select_related(
            "unit__building", "customer", "inspector", "appointment__slot", "project"
        ).prefetch_related(Prefetch("defects", queryset=defects)),
        user,
        pk=pk,
    )


def photo_for(user, pk) -> DefectPhoto:
    return get_visible_or_404(DefectPhoto.objects.all(), user, pk=pk)


def repairs_visible_to(user):
    return RepairOrder.objects.visible_to(user).select_related(
        "unit__building", "project", "defect", "customer"
    )


def overdue_q(today=None):
    today = today or timezone.localdate()
    return Q(status__in=OPEN_REPAIR_STATUSES, due_on__lt=today)


def repair_detail(user, pk) -> RepairOrder:
    return get_visible_or_404(
        RepairOrder.objects.select_related(
            "unit__building",
            "project",
            "customer",
            "defect__inspection__inspector",
            "defect__recorded_by",
        ).prefetch_related(
            Prefetch(
                "defect__photos",
                queryset=DefectPhoto.objects.unscoped("the visible repair's own photos"),
            )
        ),
        user,
        pk=pk,
    )


def history_of(row):
    """The row's events, oldest first, with who did each (the row was scoped)."""
    return events_for(row).select_related("actor").order_by("created_at", "id")


def unit_repairs(user, unit):
    """维修记录 The unit's repair orders the user sees, newest first."""
    return repairs_visible_to(user).filter(unit=unit).order_by("-created_at", "-pk")


def unit_delivery(user, unit) -> dict:
    """Where the unit's delivery stands for the viewer: its live appointment, its last
    inspection, its key handovers (three queries)."""
    appointment = (
        DeliveryAppointment.objects.visible_to(user)
        .filter(unit=unit, status=AppointmentStatus.BOOKED)
        .select_related("slot")
        .first()
    )
    inspection = (
        Inspection.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("inspector")
        .order_by("-started_at", "-pk")
        .first()
    )
    handovers = list(
        KeyHandover.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("handed_by")
        .order_by("-handed_at", "-pk")[:10]
    )
    return {"appointment": appointment, "inspection": inspection, "handovers": handovers}


def keys_handed_over(*, company_id, unit_ids):
    """unit id → when its keys were first handed over (delivery, for SUR-2's owner stages).
    A system read for a survey's population; the caller has checked the company."""
    from django.db.models import Min

    rows = (
        KeyHandover.objects.unscoped("a survey's population: when each unit was delivered")
        .filter(company_id=company_id, unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(first=Min("handed_at"))
    )
    return {row["unit_id"]: row["first"] for row in rows}
