"""Issue 13's phone walk (SVC-7): on a 390×844 screen the desk books a slot for a signed
unit, the engineer inspects two rooms and records a defect in each with a photo from the
camera, the owner accepts the unit, the repair orders are listed and one is repaired and
signed off by the owner — with screenshots, and no page wider than the phone."""

import pytest

from anju.conftest import FAST_HASHERS
from anju.service.models import (
    DefectPhoto,
    DeliveryAppointment,
    Inspection,
    RepairOrder,
    RepairStatus,
)

from .delivery_helpers import batch_of, png_file, signed_unit, slot_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(_chromium, live_server, settings, tmp_path):
    """A phone: 390×844, touch, zh-CN, pointed at the live test server."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"
    context = _chromium.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
    )
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    yield phone
    context.close()


def _fits_the_phone(page):
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{page.url} is {wide}px wide on a {PHONE['width']}px phone"


def _tap_height(page, selector):
    return page.locator(selector).first.bounding_box()["height"]


def test_booking_and_inspecting_on_a_phone(
    world, page, browser_login, screenshot, make_customer, tmp_path
):
    unit, owner = signed_unit(world, make_customer, name="陈业主")
    batch = batch_of(world)
    slot = slot_of(world, batch, day=0, hour=0, hours=47)  # the slot under way now

    # The desk books the owner into the slot from the batch page.
    browser_login("service")
    page.goto(f"/service/delivery/batches/{batch.pk}/")
    _fits_the_phone(page)
    page.click(f"[data-slot='{slot.pk}'] a:has-text('预约')")
    page.select_option("#id_unit", str(unit.pk))
    page.click("[data-testid=book-form] button[type=submit]")
    page.wait_for_selector("[data-testid=appointment-status]:has-text('已预约')")
    assert owner.name in page.inner_text("main")
    _fits_the_phone(page)
    screenshot("delivery-phone-appointment")

    # The engineer starts the inspection on his phone.
    appointment = DeliveryAppointment.objects.get(unit=unit, status="booked")
    page.context.clear_cookies()  # another person, another phone
    browser_login("engineer")
    page.goto(f"/service/delivery/appointments/{appointment.pk}/")
    assert _tap_height(page, "[data-testid=start-inspection]") >= 48
    page.click("[data-testid=start-inspection]")
    page.wait_for_selector("[data-testid=inspection]")
    inspection = Inspection.objects.get(unit=unit)
    assert page.inner_text("[data-testid=room-name]").strip() == "客厅"
    _fits_the_phone(page)

    photos = [png_file(tmp_path / f"defect{i}.png", color=(40 * i, 90, 160)) for i in (1, 2)]
    for room, text, photo in (
        ("kitchen", "橱柜台面与墙面接缝开裂", photos[0]),
        ("bathroom", "淋浴区地面积水，地漏排水慢", photos[1]),
    ):
        page.click(f"[data-testid=rooms] a[data-room='{room}']")
        page.wait_for_url(f"**?room={room}")
        page.fill("#id_description", text)
        page.set_input_files("input[type=file][capture=environment]", str(photo))
        page.wait_for_selector("[data-photo-preview]:not([hidden])")
        assert _tap_height(page, "[data-testid=add-defect]") >= 48
        page.click("[data-testid=add-defect]")
        page.wait_for_selector(f"[data-testid=defect]:has-text('{text}')")
        assert page.locator("[data-testid=defect-photo]").count() == 1
        # The stored photo is served back to the phone. Wait for the browser to finish
        # loading it (complete is true once loaded or broken; a broken image is 0 wide).
        page.wait_for_function("document.querySelector('[data-testid=defect-photo]').complete")
        assert (
            page.evaluate("document.querySelector('[data-testid=defect-photo]').naturalWidth") == 48
        )
        _fits_the_phone(page)
        screenshot(f"delivery-phone-inspection-{room}")
    assert DefectPhoto.objects.filter(defect__inspection=inspection).count() == 2
    assert page.inner_text("[data-testid=defect-total]").strip() == "问题：2 处"

    # A file that is not a photo is refused on the form, the typed text kept.
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not a picture")
    page.fill("#id_description", "阳台栏杆松动")
    page.set_input_files("input[type=file][capture=environment]", str(bad))
    page.click("[data-testid=add-defect]")
    page.wait_for_selector("[data-testid=error-photo]")
    assert "不是照片" in page.inner_text("[data-testid=error-photo]")
    assert RepairOrder.objects.filter(defect__inspection=inspection).count() == 2

    # Every room seen: the owner accepts the unit.
    page.goto(f"/service/delivery/inspections/{inspection.pk}/?room=balcony")
    page.click("[data-testid=to-finish]")
    page.wait_for_selector("[data-testid=finish-form]")
    _fits_the_phone(page)
    screenshot("delivery-phone-finish")
    page.click("label[for='id_result_0']")  # 业主收房
    page.click("[data-testid=finish]")
    page.wait_for_selector("[data-testid=inspection-status]:has-text('业主收房')")
    _fits_the_phone(page)
    screenshot("delivery-phone-inspection-done")

    # The repair orders, then one repaired and signed off by the owner.
    page.goto("/service/delivery/repairs/?status=open")
    cards = page.locator("[data-testid=repair-cards] a")
    assert cards.count() >= 2
    assert "橱柜台面" in page.inner_text("[data-testid=repair-cards]")
    _fits_the_phone(page)
    screenshot("delivery-phone-repairs")
    kitchen = RepairOrder.objects.get(defect__inspection=inspection, defect__room="kitchen")
    page.click(f"[data-testid=repair-cards] a[data-repair='{kitchen.pk}']")
    page.wait_for_selector("[data-testid=assign-form]")
    page.fill("#id_contractor", "深圳建安装饰")
    page.fill("#id_contractor_phone", "0755-86001234")
    page.click("[data-testid=assign-form] button[type=submit]")
    page.wait_for_selector("[data-testid=complete-form]")
    page.fill("[data-testid=complete-form] textarea", "重新打胶并修补开裂处")
    page.click("[data-testid=complete-form] button[type=submit]")
    page.wait_for_selector("[data-testid=sign-off]")
    assert _tap_height(page, "[data-testid=sign-off]") >= 48
    page.click("[data-testid=sign-off]")
    page.wait_for_selector("[data-testid=repair-status]:has-text('业主已签认')")
    kitchen.refresh_from_db()
    assert kitchen.status == RepairStatus.SIGNED_OFF
    history = page.inner_text("[data-testid=history]")
    assert "已派工" in history and "业主签认" in history
    _fits_the_phone(page)
    screenshot("delivery-phone-repair-signed-off")
