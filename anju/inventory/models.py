"""Unit inventory (UNT-1): buildings (楼栋) and units (房源) with their sales status."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.core.models import ProjectOwned
from anju.core.validation import MAX_AREA, MAX_MONEY, SORT_ORDER_RANGE


class Building(ProjectOwned):
    """楼栋 A building of a project."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=50)
    floors = models.PositiveSmallIntegerField(
        _("floors above ground"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    sort_order = models.PositiveSmallIntegerField(default=0, validators=SORT_ORDER_RANGE)

    class Meta:
        ordering = ["project", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_building_code")
        ]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self):
        return f"{self.project.name} {self.name}" if self.project_id else self.name


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")  # 可售
    RESERVED = "reserved", _("Reserved")  # 预留
    SUBSCRIBED = "subscribed", _("Subscribed")  # 认购
    SIGNED = "signed", _("Signed")  # 签约
    DELIVERED = "delivered", _("Delivered")  # 交付


# The unit's sales workflow: every move goes through inventory.services.unit_change_status.
# Backwards moves are cancellations and sales changes (SUB-5).
UNIT_TRANSITIONS = {
    UnitStatus.AVAILABLE: {UnitStatus.RESERVED, UnitStatus.SUBSCRIBED},
    UnitStatus.RESERVED: {UnitStatus.AVAILABLE, UnitStatus.SUBSCRIBED},
    UnitStatus.SUBSCRIBED: {UnitStatus.SIGNED, UnitStatus.AVAILABLE},
    UnitStatus.SIGNED: {UnitStatus.DELIVERED, UnitStatus.AVAILABLE},
    UnitStatus.DELIVERED: set(),
}


class Orientation(models.TextChoices):
    SOUTH = "S", _("South")  # 南
    NORTH_SOUTH = "NS", _("North–south")  # 南北通透
    EAST = "E", _("East")  # 东
    WEST = "W", _("West")  # 西
    NORTH = "N", _("North")  # 北
    SOUTH_EAST = "SE", _("South-east")  # 东南
    SOUTH_WEST = "SW", _("South-west")  # 西南


class Unit(ProjectOwned):
    """房源 A saleable unit. Its place on the board is (floor, position)."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    number = models.CharField(_("unit number"), max_length=20)
    floor = models.SmallIntegerField(
        _("floor"), validators=[MinValueValidator(-10), MaxValueValidator(200)]
    )
    position = models.PositiveSmallIntegerField(
        _("position on floor"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    layout = models.CharField(_("layout"), max_length=30)  # 户型, e.g. 三室两厅两卫
    area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_AREA)],
    )
    orientation = models.CharField(_("orientation"), max_length=2, choices=Orientation.choices)
    list_price = models.DecimalField(
        _("list price (CNY)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_MONEY)],
    )
    status = models.CharField(
        _("status"), max_length=12, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    class Meta:
        ordering = ["building", "-floor", "position"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="uniq_unit_number"),
            models.UniqueConstraint(
                fields=["building", "floor", "position"], name="uniq_unit_position"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["company", "status"]),
        ]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return f"{self.building.name}-{self.number}" if self.building_id else self.number

    @property
    def price_per_m2(self) -> Decimal:
        return (self.list_price / self.area).quantize(Decimal("0.01")) if self.area else Decimal(0)
