"""Club events in the rest of the product (MEM-4): the 360° timeline, the merge of duplicates,
PIPL data packages, the campaigns' recipient source, the demo data."""

import pytest

from anju.customers.privacy import personal_data_providers
from anju.customers.services import customer_merge
from anju.customers.timeline import timeline_for
from anju.membership import events_services
from anju.membership.events_models import ClubEvent, EventFeedback, EventRegistration
from anju.membership.events_selectors import event_recipients

from .events_helpers import binhai_customers, new_event, on_the_day

pytestmark = pytest.mark.django_db


def _yes(world, event, customer):
    return events_services.event_rsvp(
        by=world.users["service"], event=event, customer=customer, attending=True
    ).registration


def test_timeline_shows_invited_registered_attended(world):
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    events_services.event_invite(by=world.users["service"], event=event, customers=[customer])
    registration = _yes(world, event, customer)
    events_services.event_check_in(
        by=world.users["service"], registration=registration, now=on_the_day(event)
    )
    entries = [
        e for e in timeline_for(world.users["service"], customer) if e.record_id == registration.pk
    ]
    titles = [e.title for e in entries]
    assert len(entries) == 3, titles
    assert "Attended" in titles[0] or "参加" in titles[0]
    assert all(event.title in t for t in titles)
    assert entries[0].url.endswith(f"/membership/events/{event.pk}/")
    # the generic provider does not list the same steps again
    assert not [e for e in timeline_for(world.users["service"], customer) if "event_" in e.title]


def test_merge_moves_registrations_without_a_duplicate_seat(world):
    event = new_event(world, capacity=2)
    other = new_event(world, capacity=5, days=6)
    keep, duplicate, waiting = binhai_customers(world, 3)
    _yes(world, event, keep)
    _yes(world, event, duplicate)
    _yes(world, event, waiting)  # the event is full: waits
    moved_only = _yes(world, other, duplicate)
    customer_merge(by=world.users["management"], keep=keep, duplicate=duplicate, reason="同一人")
    rows = EventRegistration.objects.filter(event=event)
    assert rows.filter(customer=keep).count() == 1
    assert rows.get(customer=duplicate).status == "cancelled"
    assert rows.get(customer=waiting).status == "registered"  # the freed seat went on
    assert rows.filter(status__in=("registered", "attended")).count() == 2
    moved_only.refresh_from_db()
    assert moved_only.customer_id == keep.pk


def test_merge_keeps_the_attended_row_and_its_feedback(world):
    event = new_event(world, capacity=5)
    keep, duplicate = binhai_customers(world, 2)
    events_services.event_invite(by=world.users["service"], event=event, customers=[keep])
    attended = events_services.event_check_in(
        by=world.users["service"], registration=_yes(world, event, duplicate), now=on_the_day(event)
    )
    from anju.membership.events_satisfaction import feedback_record

    feedback_record(by=world.users["service"], registration=attended, overall=4)
    customer_merge(by=world.users["management"], keep=keep, duplicate=duplicate, reason="同一人")
    kept = EventRegistration.objects.get(event=event, customer=keep)
    assert kept.status == "attended" and kept.checked_in_at == attended.checked_in_at
    assert EventFeedback.objects.get(registration__event=event).registration_id == kept.pk


def test_pipl_package_lists_the_persons_events(world):
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    _yes(world, event, customer)
    providers = {p.name: p for p in personal_data_providers()}
    rows = providers["event_registrations"].fn(customer)
    mine = [r for r in rows if r["id"] == EventRegistration.objects.get(event=event).pk]
    assert [r["event"] for r in mine] == [event.title]
    assert all(r["event"] for r in rows)


def test_event_recipients_for_campaigns(world):
    event = new_event(world, capacity=1)
    a, b = binhai_customers(world, 2)
    _yes(world, event, a)
    _yes(world, event, b)
    staff = world.users["service"]
    assert list(event_recipients(staff, event)) == [a]
    assert set(event_recipients(staff, event, statuses=("registered", "waiting"))) == {a, b}
    assert not event_recipients(world.users["consultant_zh"], event).exists()


def test_demo_has_two_past_events_with_attendance_and_satisfaction_and_an_upcoming(world):
    from django.utils import timezone

    past = ClubEvent.objects.filter(ends_at__lt=timezone.now())
    assert past.count() >= 2
    for event in past:
        assert event.registrations.filter(status="attended").exists()
        assert EventFeedback.objects.filter(registration__event=event).exists()
    upcoming = ClubEvent.objects.filter(starts_at__gt=timezone.now())
    assert upcoming.filter(registrations__status="waiting").exists()
