"""Shared set-up of the delivery tests (SVC-7): a signed unit with its owner, a batch of
its building with slots, a small PNG as a phone would send it."""

import io
from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from anju.deals.services import contract_sign, subscription_confirm, subscription_hold
from anju.inventory.models import Building, Unit, UnitStatus
from anju.service import delivery


def sell(world, unit, buyer, *, sign=True):
    """The unit subscribed (and signed) by ``buyer`` through the deals services."""
    seller = world.users["consultant"]
    deal = subscription_hold(by=seller, unit=unit, customer=buyer)
    subscription_confirm(by=seller, subscription=deal)
    if sign:
        contract_sign(by=seller, subscription=deal, payment_plan="one_off")
    unit.refresh_from_db()
    return deal


def available_unit(world, building_code="1", project="binhai"):
    return (
        Unit.objects.filter(
            project=world.projects[project],
            building__code=building_code,
            status=UnitStatus.AVAILABLE,
            list_price__gt=0,
        )
        .select_related("building", "project")
        .order_by("-floor", "position")
        .first()
    )


def signed_unit(world, make_customer, name="交房业主", **kwargs):
    """(unit, owner): an available unit of 滨海花园 1栋 sold and signed to a new customer."""
    unit = available_unit(world, **kwargs)
    owner = make_customer(name=name)
    sell(world, unit, owner)
    return unit, owner


def batch_of(world, building=None, *, days=10, by="servicemgr"):
    project = world.projects["binhai"]
    building = building or Building.objects.get(project=project, code="1")
    today = timezone.localdate()
    return delivery.batch_create(
        by=world.users[by],
        project=project,
        name="测试交付批次",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=days),
        buildings=[building],
    )


def slot_of(world, batch, *, day=1, hour=9, hours=3, capacity=2):
    start = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=day), time(hour))
    )
    return delivery.slot_add(
        by=world.users["servicemgr"],
        batch=batch,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        capacity=capacity,
    )


def png(name="crack.png", size=(48, 32), color=(200, 60, 40)) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def png_file(path, **kwargs):
    path.write_bytes(png(**kwargs).read())
    return path
