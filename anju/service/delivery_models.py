"""Delivery and repairs (SVC-7): 交付 batches, appointments, 验房, defects, repair orders, keys.

A project delivers some buildings in a ``DeliveryBatch``; the batch offers ``DeliverySlot``\\s,
each with a capacity, and a signed unit's owner books one (``DeliveryAppointment``: the
slot's row is locked while a place is taken, so two owners never get its last place, and a
unit has at most one live appointment). At the appointment the unit is inspected on a phone
(``Inspection``): a ``Defect`` per problem found, room by room, with photos kept privately
(``DefectPhoto``, served only to who sees the inspection). Every defect becomes a
``RepairOrder`` with its own flow (``REPAIR_TRANSITIONS``): open → assigned to a contractor
→ repaired → signed off by the owner, or rejected back to repair. Keys and cards handed over
are logged (``KeyHandover``); once the owner has accepted the unit and taken its keys, the
unit becomes 交付 through ``inventory.services.unit_change_status``. Every write is a
service in ``delivery.py``; the history of each row is its events.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.models import ProjectOwned
from anju.core.validation import NOTE_LENGTH

__all__ = [
    "Room",
    "BatchStatus",
    "AppointmentStatus",
    "InspectionStatus",
    "InspectionResult",
    "RepairStatus",
    "REPAIR_TRANSITIONS",
    "OPEN_REPAIR_STATUSES",
    "MAX_SLOT_CAPACITY",
    "MAX_KEY_COUNT",
    "DeliveryBatch",
    "DeliverySlot",
    "DeliveryAppointment",
    "Inspection",
    "Defect",
    "DefectPhoto",
    "RepairOrder",
    "KeyHandover",
]

MAX_SLOT_CAPACITY = 200
MAX_KEY_COUNT = 99


def _staff(verbose, **kwargs):
    kwargs.setdefault("on_delete", models.PROTECT)
    kwargs.setdefault("related_name", "+")
    return models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=verbose, **kwargs)


def _customer():
    return models.ForeignKey(
        "customers.Customer", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )


def _unit():
    return models.ForeignKey(
        "inventory.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )


class Room(models.TextChoices):
    """Where in the unit a defect is (验房 goes room by room)."""

    LIVING = "living", _("Living room")  # 客厅
    DINING = "dining", _("Dining room")  # 餐厅
    MASTER_BEDROOM = "master_bedroom", _("Master bedroom")  # 主卧
    BEDROOM = "bedroom", _("Second bedroom")  # 次卧
    STUDY = "study", _("Study")  # 书房
    KITCHEN = "kitchen", _("Kitchen")  # 厨房
    BATHROOM = "bathroom", _("Bathroom")  # 卫生间
    BALCONY = "balcony", _("Balcony")  # 阳台
    OTHER = "other", _("Entrance and elsewhere")  # 入户及其他


class BatchStatus(models.TextChoices):
    OPEN = "open", _("Open for booking")  # 预约中
    CLOSED = "closed", _("Closed")  # 已结束


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")  # 已预约
    DONE = "done", _("Inspected")  # 已验房
    CANCELLED = "cancelled", _("Cancelled")  # 已取消


class InspectionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("Inspecting")  # 验房中
    COMPLETED = "completed", _("Completed")  # 已完成


class InspectionResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted by the owner")  # 业主收房 (defects are repaired after)
    REFUSED = "refused", _("Refused by the owner")  # 业主拒收: another inspection is booked


class RepairStatus(models.TextChoices):
    OPEN = "open", _("Awaiting a contractor")  # 待派工
    ASSIGNED = "assigned", _("Being repaired")  # 维修中
    REPAIRED = "repaired", _("Repaired, awaiting sign-off")  # 待业主确认
    SIGNED_OFF = "signed_off", _("Signed off by the owner")  # 业主签认


R = RepairStatus
# A repair order's flow: assigned (again, to another contractor) until repaired; the owner
# signs it off or rejects it back to repair.
REPAIR_TRANSITIONS = {
    R.OPEN: {R.ASSIGNED},
    R.ASSIGNED: {R.ASSIGNED, R.REPAIRED},
    R.REPAIRED: {R.SIGNED_OFF, R.ASSIGNED},
    R.SIGNED_OFF: set(),
}
OPEN_REPAIR_STATUSES = (R.OPEN, R.ASSIGNED, R.REPAIRED)


class DeliveryBatch(ProjectOwned):
    """交付批次 A project's delivery of some of its buildings, between two dates."""

    name = models.CharField(_("name"), max_length=60)
    buildings = models.ManyToManyField(
        "inventory.Building", verbose_name=_("buildings"), related_name="+"
    )
    starts_on = models.DateField(_("first delivery day"))
    ends_on = models.DateField(_("last delivery day"))
    status = models.CharField(
        _("status"), max_length=8, choices=BatchStatus.choices, default=BatchStatus.OPEN
    )
    note = models.TextField(_("note"), blank=True, validators=NOTE_LENGTH)
    created_by = _staff(_("created by"))

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="delivery_batch_dates_in_order"
            )
        ]
        verbose_name = _("delivery batch")
        verbose_name_plural = _("delivery batches")

    def __str__(self):
        return self.name


class DeliverySlot(ProjectOwned):
    """A time slot of a batch: at most ``capacity`` units inspected in it. ``booked`` counts
    the live appointments and only changes under the slot's row lock."""

    batch = models.ForeignKey(DeliveryBatch, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_SLOT_CAPACITY)]
    )
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "starts_at"], name="uniq_delivery_slot"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="delivery_slot_ends_after_start"
            ),
            # The last line of defence: never more bookings than places.
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="delivery_slot_within_capacity"
            ),
        ]
        verbose_name = _("delivery slot")

    def __str__(self):
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class DeliveryAppointment(ProjectOwned):
    """交付预约 A unit's owner booked a slot to inspect and take over his unit."""

    batch = models.ForeignKey(DeliveryBatch, on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(DeliverySlot, on_delete=models.PROTECT, related_name="appointments")
    unit = _unit()
    customer = _customer()
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    booked_by = _staff(_("booked by"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "id"]
        constraints = [
            # One live appointment per unit, whatever the services do.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(status="booked"),
                name="uniq_live_delivery_appointment",
            )
        ]
        indexes = [
            models.Index(fields=["slot", "status"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["unit", "created_at"]),
        ]
        verbose_name = _("delivery appointment")

    def __str__(self):
        return f"{self.unit} @ {self.slot}"

    @property
    def is_live(self) -> bool:
        return self.status == AppointmentStatus.BOOKED


class Inspection(ProjectOwned):
    """验房 The unit inspected with its owner at an appointment; defects room by room."""

    appointment = models.OneToOneField(
        DeliveryAppointment, on_delete=models.PROTECT, related_name="inspection"
    )
    unit = _unit()
    customer = _customer()
    inspector = _staff(_("inspected by"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InspectionStatus.choices,
        default=InspectionStatus.IN_PROGRESS,
    )
    result = models.CharField(
        _("result"), max_length=10, choices=InspectionResult.choices, blank=True
    )
    owner_present = models.BooleanField(_("owner present"), default=False)
    attended_by = models.CharField(_("who attended for the owner"), max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True, validators=NOTE_LENGTH)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_progress", result="")
                | Q(status="completed", finished_at__isnull=False) & ~Q(result=""),
                name="inspection_result_when_completed",
            )
        ]
        indexes = [
            models.Index(fields=["unit", "status", "started_at"]),
            models.Index(fields=["customer", "started_at"]),
        ]
        verbose_name = _("inspection")

    def __str__(self):
        return f"{self.unit} {timezone.localtime(self.started_at):%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == InspectionStatus.IN_PROGRESS


class Defect(ProjectOwned):
    """A problem found in one room at an inspection; it becomes one repair order."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="defects")
    unit = _unit()
    room = models.CharField(_("room"), max_length=16, choices=Room.choices)
    description = models.TextField(_("what is wrong"), validators=NOTE_LENGTH)
    recorded_by = _staff(_("recorded by"))

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["inspection", "room"])]
        verbose_name = _("defect")

    def __str__(self):
        return f"{self.get_room_display()}: {self.description[:40]}"


def defect_photo_path(instance, filename):
    # Private: under MEDIA_ROOT, which no URL serves; the delivery pages stream a photo to
    # who may see its inspection. The stored name is ours, never the uploader's.
    return f"service/delivery/{instance.company_id}/{instance.defect_id}/{instance.token}"


class DefectPhoto(ProjectOwned):
    """A photo of a defect (checked to be an image of at most 5 MB)."""

    defect = models.ForeignKey(Defect, on_delete=models.PROTECT, related_name="photos")
    token = models.CharField(max_length=40, unique=True)
    file = models.FileField(upload_to=defect_photo_path, max_length=200)
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = _staff(_("uploaded by"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("defect photo")


class RepairOrder(ProjectOwned):
    """维修单 One defect's repair: its contractor, its due date, the owner's sign-off."""

    number = models.PositiveIntegerField(_("number"))  # allocate_number per company
    defect = models.OneToOneField(Defect, on_delete=models.PROTECT, related_name="repair")
    unit = _unit()
    customer = _customer()
    status = models.CharField(
        _("status"), max_length=12, choices=RepairStatus.choices, default=RepairStatus.OPEN
    )
    contractor = models.CharField(_("contractor"), max_length=60, blank=True)
    contractor_phone = models.CharField(_("contractor's phone"), max_length=20, blank=True)
    due_on = models.DateField(_("due"))
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    repaired_at = models.DateTimeField(_("repaired at"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    rejections = models.PositiveSmallIntegerField(_("times rejected"), default=0)
    repair_note = models.TextField(_("what was done"), blank=True, validators=NOTE_LENGTH)
    last_reason = models.CharField(_("why rejected"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="uniq_repair_number"),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(contractor=""),
                name="repair_assigned_has_contractor",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status", "due_on"]),
            models.Index(fields=["company", "status", "due_on"]),
            models.Index(fields=["unit", "created_at"]),
            models.Index(fields=["customer", "created_at"]),
        ]
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")

    def __str__(self):
        return f"WX{self.number:06d}"

    @property
    def is_open(self) -> bool:
        return self.status != RepairStatus.SIGNED_OFF

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_on < today


class KeyHandover(ProjectOwned):
    """钥匙交接 Keys, smart cards and door cards handed to the owner (or his agent)."""

    unit = _unit()
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="+")
    customer = _customer()
    received_by = models.CharField(_("keys received by"), max_length=50)
    keys = models.PositiveSmallIntegerField(
        _("keys"), default=0, validators=[MaxValueValidator(MAX_KEY_COUNT)]
    )
    smart_cards = models.PositiveSmallIntegerField(
        _("smart cards"), default=0, validators=[MaxValueValidator(MAX_KEY_COUNT)]
    )
    door_cards = models.PositiveSmallIntegerField(
        _("door cards"), default=0, validators=[MaxValueValidator(MAX_KEY_COUNT)]
    )
    mailbox_keys = models.PositiveSmallIntegerField(
        _("mailbox keys"), default=0, validators=[MaxValueValidator(MAX_KEY_COUNT)]
    )
    other_items = models.CharField(_("other items"), max_length=200, blank=True)
    handed_by = _staff(_("handed over by"))
    handed_at = models.DateTimeField(_("handed over at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-handed_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "handed_at"]),
            models.Index(fields=["customer", "handed_at"]),
        ]
        verbose_name = _("key handover")

    def __str__(self):
        return f"{self.unit} {timezone.localtime(self.handed_at):%Y-%m-%d}"

    @property
    def total(self) -> int:
        return self.keys + self.smart_cards + self.door_cards + self.mailbox_keys
