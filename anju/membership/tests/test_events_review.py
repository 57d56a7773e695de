"""Club events after the review of issue 11 (MEM-4): one search per check-in, the lists'
query counts on every tab, editing and cancelling an event, removing an invitee, answer
buttons on the invited list, one INSERT of event rows per invitation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anju.core.events import Event
from anju.core.models import PersonalDataAccess
from anju.customers.selectors import _unmasked_places
from anju.membership import events_satisfaction, events_services
from anju.membership.events_models import EventRegistration
from anju.messaging.models import Message

from .events_helpers import binhai_customers, new_event, starting_now

pytestmark = pytest.mark.django_db


def _searches(user):
    return PersonalDataAccess.objects.unscoped("t").filter(
        user=user, action=PersonalDataAccess.Action.SEARCH
    )


def _rsvp(world, event, people):
    for customer in people:
        events_services.event_rsvp(
            by=world.users["service"], event=event, customer=customer, attending=True
        )


# --- item 1: the door's search ----------------------------------------------------------------


def test_one_check_in_search_is_one_log_row(world, login):
    agent = world.users["service"]
    assert _unmasked_places(agent) is None  # a role that sees numbers masked
    event = new_event(world, starts=starting_now())
    customer = binhai_customers(world, 1)[0]
    _rsvp(world, event, [customer])
    client = login(agent)
    before = _searches(agent).count()
    found = client.post(
        reverse("club_events:check_in_search", args=[event.pk]), {"q": customer.phone[-4:]}
    )
    assert found.status_code == 200 and customer.name in found.content.decode()
    assert _searches(agent).count() == before + 1


def test_sixty_arrivals_typed_digit_by_digit_stay_under_the_hourly_limit(
    world, login, make_customer, settings
):
    """A lecture's door: 60 people, each typed as the box sends it ("1", "12", "123",
    "1234"). Short digit strings are not searched (nothing logged, nothing refused); each
    arrival costs one search, so 60 stay under ANJU_PHONE_SEARCHES_PER_HOUR (120)."""
    settings.ANJU_PHONE_SEARCHES_PER_HOUR = 120
    agent = world.users["service"]
    event = new_event(world, capacity=60, starts=starting_now(), points=0)
    people = [make_customer(name=f"讲座{n:02d}") for n in range(60)]
    _rsvp(world, event, people)
    client = login(agent)
    search = reverse("club_events:check_in_search", args=[event.pk])
    tap = reverse("club_events:check_in_tap", args=[event.pk])
    before = _searches(agent).count()
    for customer in people:
        last4 = customer.phone[-4:]
        for typed in (last4[:1], last4[:2], last4[:3]):
            partial = client.post(search, {"q": typed})
            assert 'data-testid="check-in-error"' in partial.content.decode()
        found = client.post(search, {"q": last4})
        registration = EventRegistration.objects.get(event=event, customer=customer)
        assert f'data-testid="tap-{registration.pk}"' in found.content.decode(), customer.name
        tapped = client.post(tap, {"registration": registration.pk})
        assert 'data-testid="checked-in"' in tapped.content.decode()
    assert _searches(agent).count() == before + 60
    assert EventRegistration.objects.filter(event=event, status="attended").count() == 60


def test_the_check_in_box_searches_while_typing_only_when_it_can(world, login):
    client = login(world.users["service"])
    event = new_event(world, starts=starting_now())
    html = client.get(reverse("club_events:check_in", args=[event.pk])).content.decode()
    assert "input[anjuCheckInReady(target.value)] changed delay:500ms" in html
    assert "digits.length === 4" in html


def test_walk_ins_come_from_the_same_search(world, login):
    event = new_event(world, starts=starting_now())
    on_list, walk_in = binhai_customers(world, 2)
    _rsvp(world, event, [on_list])
    client = login(world.users["service"])
    for customer, testid in ((on_list, "tap-"), (walk_in, f"walk-in-{walk_in.pk}")):
        found = client.post(
            reverse("club_events:check_in_search", args=[event.pk]), {"q": customer.name}
        ).content.decode()
        assert testid in found, customer.name


# --- item 10: every tab of the event page -----------------------------------------------------


def test_every_tab_keeps_its_query_count(world, login, django_assert_max_num_queries):
    client = login(world.users["service"])
    event = new_event(world, capacity=20, starts=starting_now())
    people = binhai_customers(world, 16)

    def grow(group):
        attend, wait, invite, decline = group[0:2], group[2:3], group[3:4], group[4:5]
        _rsvp(world, event, attend + wait)
        for customer in attend:
            registration = EventRegistration.objects.get(event=event, customer=customer)
            registration = events_services.event_check_in(
                by=world.users["service"], registration=registration
            )
            events_satisfaction.feedback_record(
                by=world.users["service"], registration=registration, overall=5, comment="好"
            )
        events_services.event_invite(by=world.users["service"], event=event, customers=invite)
        events_services.event_rsvp(
            by=world.users["service"], event=event, customer=decline[0], attending=False
        )

    grow(people[:5])
    urls = [
        reverse("club_events:detail", args=[event.pk]) + f"?list={name}"
        for name in ("registered", "waiting", "invited", "attended", "declined")
    ]
    before = {}
    for url in urls:
        with django_assert_max_num_queries(30) as ctx:
            assert client.get(url).status_code == 200
        before[url] = len(ctx.captured_queries)
    grow(people[5:10])
    grow(people[10:15])
    for url in urls:
        with django_assert_max_num_queries(30) as ctx:
            client.get(url)
        assert len(ctx.captured_queries) == before[url], url


# --- item 14: editing and cancelling ------------------------------------------------------------


def test_a_moved_event_is_reminded_again(world):
    manager = world.users["service"]
    event = new_event(world, capacity=3)
    people = binhai_customers(world, 2)
    _rsvp(world, event, people)
    assert events_services.event_send_reminders(by=manager, event=event) == 2
    assert events_services.event_send_reminders(by=manager, event=event) == 0
    events_services.event_update(by=manager, event=event, capacity=5)  # not a move
    assert events_services.event_send_reminders(by=manager, event=event) == 0
    later = event.starts_at + timedelta(days=1)
    events_services.event_update(
        by=manager, event=event, starts_at=later, ends_at=later + timedelta(hours=2)
    )
    assert not EventRegistration.objects.filter(event=event, reminded_at__isnull=False).exists()
    assert events_services.event_send_reminders(by=manager, event=event) == 2
    events_services.event_update(by=manager, event=event, venue="会所一楼")
    assert events_services.event_send_reminders(by=manager, event=event) == 2
    for customer in people:
        sent = Message.objects.unscoped("t").filter(
            customer=customer, idempotency_key__startswith="event-reminder:"
        )
        assert sent.count() == 3  # first, after the new time, after the new place
    assert "会所一楼" in sent.order_by("-pk").first().body


def test_cancelling_an_event_tells_who_said_yes_and_stops_it(world):
    manager = world.users["service"]
    event = new_event(world, capacity=1)
    seated, waiting, invited = binhai_customers(world, 3)
    _rsvp(world, event, [seated, waiting])
    events_services.event_invite(by=manager, event=event, customers=[invited])
    events_services.event_cancel(by=manager, event=event, reason="台风")
    event.refresh_from_db()
    assert event.is_cancelled and event.cancel_reason == "台风"
    told = Message.objects.unscoped("t").filter(idempotency_key__startswith="event-cancel:")
    assert sorted(told.values_list("customer_id", flat=True)) == sorted([seated.pk, waiting.pk])
    assert Event.objects.filter(verb="membership.event_called_off", target_id=event.pk).exists()
    from anju.core.errors import Conflict

    calls = (
        lambda: events_services.event_rsvp(
            by=manager, event=event, customer=invited, attending=True
        ),
        lambda: events_services.event_send_reminders(by=manager, event=event),
        lambda: events_services.event_cancel(by=manager, event=event, reason="again"),
        lambda: events_services.event_update(by=manager, event=event, capacity=9),
    )
    for call in calls:
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "event_cancelled"
    assert events_services.send_due_reminders(now=event.starts_at - timedelta(hours=1)) == 0


def test_edit_page_and_patch_endpoint(world, login):
    client = login(world.users["service"])
    event = new_event(world)
    url = reverse("club_events:edit", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="cancel-event-form"' in page.content.decode()
    starts = event.starts_at.astimezone(event.starts_at.tzinfo)
    saved = client.post(
        url,
        {
            "title": "装修知识讲座(改期)",
            "kind": event.kind,
            "venue": event.venue,
            "starts_at": f"{starts:%Y-%m-%d %H:%M}",
            "ends_at": f"{event.ends_at:%Y-%m-%d %H:%M}",
            "capacity": 4,
            "attendance_points": 50,
            "reminder_hours": 24,
            "description": "",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    event.refresh_from_db()
    assert (event.title, event.capacity) == ("装修知识讲座(改期)", 4)
    patched = client.patch(
        f"/api/v1/events/{event.pk}", {"venue": "会所"}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["venue"] == "会所"
    cancelled = client.post(
        f"/api/v1/events/{event.pk}/cancel", {"reason": "场地维修"}, content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == "场地维修"
    detail = client.get(reverse("club_events:detail", args=[event.pk])).content.decode()
    assert 'data-testid="event-cancelled"' in detail and 'data-testid="edit-event"' not in detail
    refused = login(world.users["consultant"]).patch(  # the same client, another user
        f"/api/v1/events/{event.pk}", {"venue": "x"}, content_type="application/json"
    )
    assert refused.status_code in (403, 404)


# --- items 16, 17: the invited list -------------------------------------------------------------


def test_an_invitee_who_has_not_answered_can_be_removed(world, login):
    from anju.core.errors import Conflict

    manager = world.users["service"]
    event = new_event(world)
    invitee, answered = binhai_customers(world, 2)
    events_services.event_invite(by=manager, event=event, customers=[invitee, answered])
    _rsvp(world, event, [answered])
    registration = EventRegistration.objects.get(event=event, customer=answered)
    with pytest.raises(Conflict) as refused:
        events_services.event_uninvite(by=manager, registration=registration)
    assert refused.value.code == "already_answered"
    client = login(manager)
    row = EventRegistration.objects.get(event=event, customer=invitee)
    page = client.get(reverse("club_events:detail", args=[event.pk]) + "?list=invited")
    assert f'data-testid="uninvite-{row.pk}"' in page.content.decode()
    client.post(reverse("club_events:uninvite", args=[event.pk, row.pk]))
    assert not EventRegistration.objects.filter(pk=row.pk).exists()
    assert Event.objects.filter(verb="membership.event_uninvited", target_id=row.pk).exists()
    assert EventRegistration.objects.filter(event=event, customer=answered).exists()


def test_invited_rows_have_answer_buttons(world, login):
    manager = world.users["service"]
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    events_services.event_invite(by=manager, event=event, customers=[customer])
    row = EventRegistration.objects.get(event=event, customer=customer)
    client = login(manager)
    html = client.get(
        reverse("club_events:detail", args=[event.pk]) + "?list=invited"
    ).content.decode()
    assert f'data-testid="answer-{row.pk}"' in html
    assert reverse("club_events:rsvp", args=[event.pk]) in html
    client.post(
        reverse("club_events:rsvp", args=[event.pk]),
        {"customer": customer.pk, "attending": "yes"},
    )
    row.refresh_from_db()
    assert row.status == "registered"


# --- item 21: one INSERT for the invitation's event rows ---------------------------------------


def test_an_invitation_writes_its_event_rows_in_one_insert(world):
    event = new_event(world)
    people = binhai_customers(world, 6)
    with CaptureQueriesContext(connection) as ctx:
        result = events_services.event_invite(
            by=world.users["service"], event=event, customers=people
        )
    assert result.invited == 6
    inserts = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "core_event"')
    ]
    assert len(inserts) == 1
    assert Event.objects.filter(verb="membership.event_invited").count() >= 6
