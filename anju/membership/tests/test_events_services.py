"""Club events (MEM-4): invite → RSVP → registered list with capacity and waiting list → time
notice → check-in → attendance points → satisfaction; the rules of each step."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.errors import ApplicationError, Conflict, NotPermitted
from anju.core.models import Event
from anju.membership import events_satisfaction, events_services
from anju.membership.events_models import EventFeedback, EventRegistration
from anju.membership.models import PointsEntry, PointsReason
from anju.messaging.models import Message

from .events_helpers import binhai_customers, new_event, on_the_day

pytestmark = pytest.mark.django_db


def _yes(world, event, customer, **kw):
    return events_services.event_rsvp(
        by=world.users["service"], event=event, customer=customer, attending=True, **kw
    )


def test_rsvp_seats_up_to_capacity_then_waiting_list(world):
    event = new_event(world, capacity=2)
    a, b, c, d = binhai_customers(world, 4)
    statuses = [_yes(world, event, x).registration.status for x in (a, b, c, d)]
    assert statuses == ["registered", "registered", "waiting", "waiting"]
    assert events_services.seats_taken(event) == 2


def test_duplicate_rsvp_is_a_clear_message_not_a_second_row(world):
    event = new_event(world, capacity=1)
    a, b = binhai_customers(world, 2)
    _yes(world, event, a)
    _yes(world, event, b)
    with pytest.raises(Conflict) as registered:
        _yes(world, event, a)
    assert registered.value.code == "already_registered"
    assert a.name in str(registered.value)
    with pytest.raises(Conflict) as waiting:
        _yes(world, event, b)
    assert waiting.value.code == "already_waiting"
    assert EventRegistration.objects.filter(event=event).count() == 2


def test_cancellation_promotes_the_first_waiting_and_tells_him(world):
    event = new_event(world, capacity=1)
    a, b, c = binhai_customers(world, 3)
    first = _yes(world, event, a).registration
    second = _yes(world, event, b).registration
    _yes(world, event, c)
    result = events_services.registration_cancel(by=world.users["service"], registration=first)
    assert [r.pk for r in result.promoted] == [second.pk]
    second.refresh_from_db()
    assert second.status == "registered" and second.waiting_since is None
    assert b.name in result.message
    notice = Message.objects.get(idempotency_key=f"event-seat:{second.pk}")
    assert notice.kind == "service" and notice.customer_id == b.pk
    assert EventRegistration.objects.get(event=event, customer=c).status == "waiting"


def test_saying_no_after_yes_frees_the_seat(world):
    event = new_event(world, capacity=1)
    a, b = binhai_customers(world, 2)
    _yes(world, event, a)
    _yes(world, event, b)
    events_services.event_rsvp(by=world.users["service"], event=event, customer=a, attending=False)
    assert EventRegistration.objects.get(event=event, customer=a).status == "declined"
    assert EventRegistration.objects.get(event=event, customer=b).status == "registered"


def test_invite_a_list_and_a_segment_never_twice(world):
    event = new_event(world)
    people = binhai_customers(world, 3)
    first = events_services.event_invite(by=world.users["service"], event=event, customers=people)
    assert (first.invited, first.already) == (3, 0)
    again = events_services.event_invite(
        by=world.users["service"],
        event=event,
        customer_filter={"project": str(world.projects["binhai"].pk), "status": "visitor"},
    )
    visitors = EventRegistration.objects.filter(event=event, customer__status="visitor")
    assert again.invited + again.already == visitors.count()
    assert EventRegistration.objects.filter(event=event).values("customer").distinct().count() == (
        EventRegistration.objects.filter(event=event).count()
    )
    assert (
        Event.objects.filter(
            verb="membership.event_invited",
            target_id__in=[r.pk for r in EventRegistration.objects.filter(event=event)],
        ).count()
        == EventRegistration.objects.filter(event=event).count()
    )


def test_invite_refuses_an_empty_selection_and_bad_filters(world):
    event = new_event(world)
    with pytest.raises(ApplicationError) as empty:
        events_services.event_invite(by=world.users["service"], event=event, customers=[])
    assert empty.value.code == "no_recipients"
    with pytest.raises(ApplicationError):
        events_services.event_invite(
            by=world.users["service"], event=event, customer_filter={"status": "nonsense"}
        )
    assert not EventRegistration.objects.filter(event=event).exists()


def test_running_an_event_needs_manage_events(world):
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    with pytest.raises(NotPermitted):
        events_services.event_invite(by=world.users["engineer"], event=event, customers=[customer])
    with pytest.raises(NotPermitted):
        new_event(world, by=world.users["consultant"])
    assert not EventRegistration.objects.filter(event=event).exists()


def test_the_customers_own_consultant_may_record_his_answer(world):
    """Seed 004: the consultant invites his customer and takes the reply on the phone."""
    event = new_event(world)
    consultant = world.users["consultant"]
    own = binhai_customers(world, 50)
    mine = next(c for c in own if c.owner_id == consultant.pk)
    theirs = next(c for c in own if c.owner_id not in (consultant.pk, None))
    result = events_services.event_rsvp(by=consultant, event=event, customer=mine, attending=True)
    assert result.registration.recorded_by == consultant
    with pytest.raises(NotPermitted):
        events_services.event_rsvp(by=consultant, event=event, customer=theirs, attending=True)


def test_reminders_once_per_registration_by_button_and_task(world):
    event = new_event(world, capacity=5, days=1)
    people = binhai_customers(world, 3)
    for customer in people:
        _yes(world, event, customer)
    # Within the 24 h reminder period whatever the hour the suite runs at (tomorrow 14:00 is
    # more than 24 h away from a run before 14:00).
    within_period = event.starts_at - timedelta(hours=2)
    sent = events_services.send_due_reminders(now=within_period)
    assert sent == 3
    assert events_services.send_due_reminders(now=within_period) == 0  # idempotent
    assert events_services.event_send_reminders(by=world.users["service"], event=event) == 0
    messages = Message.objects.filter(idempotency_key__startswith="event-reminder:")
    assert messages.count() == 3
    assert {m.kind for m in messages} == {"service"}
    assert all(event.title in m.body for m in messages)


def test_no_reminder_before_the_reminder_period(world):
    event = new_event(world, capacity=5, days=5)  # reminder 24 h before
    _yes(world, event, binhai_customers(world, 1)[0])
    assert events_services.send_due_reminders() == 0
    later = event.starts_at - timedelta(hours=2)
    assert events_services.send_due_reminders(now=later) == 1


def test_check_in_credits_the_points_exactly_once(world):
    event = new_event(world, capacity=2, points=50)
    customer = binhai_customers(world, 1)[0]
    registration = _yes(world, event, customer).registration
    day = on_the_day(event)
    done = events_services.event_check_in(
        by=world.users["service"], registration=registration, now=day
    )
    assert done.status == "attended"
    with pytest.raises(Conflict) as again:
        events_services.event_check_in(by=world.users["service"], registration=done, now=day)
    assert again.value.code == "already_checked_in"
    entries = PointsEntry.objects.filter(
        reason=PointsReason.EVENT_ATTENDANCE, reference=f"event:{registration.pk}"
    )
    assert entries.count() == 1 and entries.get().points == 50


def test_check_in_only_on_the_day(world):
    event = new_event(world)
    registration = _yes(world, event, binhai_customers(world, 1)[0]).registration
    with pytest.raises(Conflict) as early:
        events_services.event_check_in(by=world.users["service"], registration=registration)
    assert early.value.code == "not_event_day"
    registration.refresh_from_db()
    assert registration.status == "registered"


def test_walk_in_needs_a_free_seat(world):
    event = new_event(world, capacity=1)
    a, b, c = binhai_customers(world, 3)
    _yes(world, event, a)
    day = on_the_day(event)
    with pytest.raises(Conflict) as full:
        events_services.event_check_in_walk_in(
            by=world.users["service"], event=event, customer=b, now=day
        )
    assert full.value.code == "event_full"
    assert not EventRegistration.objects.filter(event=event, customer=b).exists()
    roomy = new_event(world, capacity=2)
    walk_in = events_services.event_check_in_walk_in(
        by=world.users["service"], event=roomy, customer=c, now=on_the_day(roomy)
    )
    assert walk_in.walk_in and walk_in.status == "attended"


def test_satisfaction_once_per_attendee_and_only_attendees(world):
    event = new_event(world, capacity=2)
    a, b = binhai_customers(world, 2)
    attended = events_services.event_check_in(
        by=world.users["service"],
        registration=_yes(world, event, a).registration,
        now=on_the_day(event),
    )
    registered = _yes(world, event, b).registration
    by = world.users["service"]
    events_satisfaction.feedback_record(by=by, registration=attended, overall=4, comment="很好")
    with pytest.raises(Conflict) as twice:
        events_satisfaction.feedback_record(by=by, registration=attended, overall=5)
    assert twice.value.code == "feedback_exists"
    with pytest.raises(Conflict):
        events_satisfaction.feedback_record(by=by, registration=registered, overall=5)
    with pytest.raises(ApplicationError):
        events_satisfaction.feedback_record(by=by, registration=attended, overall=6)
    assert EventFeedback.objects.filter(registration__event=event).count() == 1
    assert events_satisfaction.feedback_summary(event) == {
        "answers": 1,
        "overall": 4.0,
        "usefulness": None,
    }


def test_capacity_cannot_drop_below_the_seats_taken_and_a_raise_seats_the_waiting(world):
    event = new_event(world, capacity=1)
    a, b = binhai_customers(world, 2)
    _yes(world, event, a)
    _yes(world, event, b)
    with pytest.raises(ApplicationError):
        events_services.event_update(by=world.users["service"], event=event, capacity=0)
    events_services.event_update(by=world.users["service"], event=event, capacity=2)
    assert EventRegistration.objects.get(event=event, customer=b).status == "registered"


def test_an_event_that_is_over_takes_no_answers(world):
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    with pytest.raises(Conflict) as over:
        _yes(world, event, customer, now=event.ends_at + timedelta(minutes=1))
    assert over.value.code == "event_over"
    with pytest.raises(ApplicationError):
        events_services.event_create(
            by=world.users["service"],
            project=world.projects["binhai"],
            title="x",
            venue="y",
            starts_at=timezone.now(),
            ends_at=timezone.now() - timedelta(hours=1),
            capacity=5,
        )
