"""MEM-4 in a real browser: the club's staff open an event page with its counts and lists, then
check a registrant in on the day from a phone (search the last 4 digits, one tap)."""

import pytest

from anju.membership import events_services
from anju.membership.events_models import EventRegistration

from .events_helpers import binhai_customers, new_event, starting_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_event_page_and_check_in_from_a_phone(world, page, browser_login, screenshot):
    staff = world.users["service"]
    event = new_event(world, capacity=4, starts=starting_now(), points=50)
    people = binhai_customers(world, 6)
    for customer in people:
        events_services.event_rsvp(by=staff, event=event, customer=customer, attending=True)
    first = EventRegistration.objects.filter(event=event, status="registered").order_by("pk")[0]
    events_services.event_check_in(by=staff, registration=first)

    browser_login("service")
    page.goto(f"/membership/events/{event.pk}/")
    assert page.get_by_test_id("count-registered").inner_text().startswith("4")
    assert page.get_by_test_id("count-waiting").inner_text() == "2"
    assert page.get_by_test_id("count-attended").inner_text() == "1"
    assert page.get_by_test_id("registrations-table").locator("tbody tr").count() == 3
    screenshot("club_event_page")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"/membership/events/{event.pk}/check-in/")
    target = EventRegistration.objects.filter(event=event, status="registered").order_by("pk")[0]
    page.get_by_test_id("check-in-search").fill(target.customer.phone[-4:])
    page.get_by_test_id("check-in-search").press("Enter")
    page.get_by_test_id(f"tap-{target.pk}").click()
    page.get_by_test_id("checked-in").first.wait_for()
    screenshot("club_event_check_in_phone")
    target.refresh_from_db()
    assert target.status == "attended"
    # the page fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_door_box_waits_for_four_digits_and_invited_rows_answer(
    world, page, browser_login, screenshot
):
    """Issue 11 review items 1 and 17: typing "8", "86" sends no search (nothing logged or
    refused); four digits search by themselves. The invited list answers with one click."""
    from anju.core.models import PersonalDataAccess

    staff = world.users["service"]
    event = new_event(world, capacity=4, starts=starting_now(), points=0)
    registrant, invitee = binhai_customers(world, 2)
    events_services.event_rsvp(by=staff, event=event, customer=registrant, attending=True)
    searches = PersonalDataAccess.objects.unscoped("t").filter(
        user=staff, action=PersonalDataAccess.Action.SEARCH
    )
    browser_login("service")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/membership/events/{event.pk}/check-in/")
    before = searches.count()
    last4 = registrant.phone[-4:]
    box = page.get_by_test_id("check-in-search")
    box.press_sequentially(last4[:2], delay=50)
    page.wait_for_timeout(900)  # longer than the box's 500 ms pause
    assert searches.count() == before  # "8", "86": not sent
    box.press_sequentially(last4[2:], delay=50)
    row = EventRegistration.objects.get(event=event, customer=registrant)
    page.get_by_test_id(f"tap-{row.pk}").wait_for()
    assert searches.count() == before + 1
    screenshot("club_event_door_four_digits")

    events_services.event_invite(by=staff, event=event, customers=[invitee])
    # answers are taken before the event starts: move it to tomorrow
    from datetime import timedelta

    later = event.starts_at + timedelta(days=1)
    events_services.event_update(
        by=staff, event=event, starts_at=later, ends_at=later + timedelta(hours=2)
    )
    invited = EventRegistration.objects.get(event=event, customer=invitee)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/membership/events/{event.pk}/?list=invited")
    screenshot("club_event_invited_list")
    page.get_by_test_id(f"answer-{invited.pk}").get_by_role("button").first.click()
    page.wait_for_load_state()
    invited.refresh_from_db()
    assert invited.status == "registered"
