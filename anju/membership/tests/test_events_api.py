"""Club events API (MEM-4): events, RSVP (409 on a duplicate), check-in, registrations."""

import json
from datetime import timedelta

import pytest

from anju.membership.events_models import EventRegistration

from .events_helpers import binhai_customers, new_event, starting_now

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _post(client, url, body):
    return client.post(API + url, json.dumps(body), content_type="application/json")


def test_rsvp_and_the_duplicate_is_409_with_a_code(world, login):
    client = login(world.users["service"])
    event = new_event(world, capacity=1)
    a, b = binhai_customers(world, 2)
    first = _post(client, f"/events/{event.pk}/rsvp", {"customer_id": a.pk, "attending": True})
    assert first.status_code == 200, first.content
    assert first.json()["registration"]["status"] == "registered"
    assert first.json()["registration"]["customer_phone"] != a.phone  # masked
    waiting = _post(client, f"/events/{event.pk}/rsvp", {"customer_id": b.pk, "attending": True})
    assert waiting.json()["registration"]["status"] == "waiting"
    again = _post(client, f"/events/{event.pk}/rsvp", {"customer_id": a.pk, "attending": True})
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    assert EventRegistration.objects.filter(event=event).count() == 2
    registration_id = first.json()["registration"]["id"]
    cancel = _post(client, f"/events/{event.pk}/registrations/{registration_id}/cancel", {})
    assert cancel.status_code == 200
    assert cancel.json()["promoted"] == [waiting.json()["registration"]["id"]]


def test_list_registrations_and_events_query_counts(world, login, django_assert_max_num_queries):
    client = login(world.users["service"])
    event = new_event(world, capacity=2)
    for customer in binhai_customers(world, 2):
        _post(client, f"/events/{event.pk}/rsvp", {"customer_id": customer.pk, "attending": True})
    url = f"{API}/events/{event.pk}/registrations?list=waiting"
    _post(
        client,
        f"/events/{event.pk}/rsvp",
        {"customer_id": binhai_customers(world, 1, offset=2)[0].pk, "attending": True},
    )
    with django_assert_max_num_queries(12) as before:
        assert client.get(url).status_code == 200
    for customer in binhai_customers(world, 6, offset=3):
        _post(client, f"/events/{event.pk}/rsvp", {"customer_id": customer.pk, "attending": True})
    with django_assert_max_num_queries(12) as after:
        listed = client.get(url)
    assert len(listed.json()["items"]) == 7
    assert len(after.captured_queries) == len(before.captured_queries)
    with django_assert_max_num_queries(8):
        events = client.get(f"{API}/events?when=upcoming")
    row = next(e for e in events.json()["items"] if e["id"] == event.pk)
    assert (row["registered_count"], row["waiting_count"]) == (2, 7)


def test_create_event_check_in_walk_in_and_feedback(world, login):
    client = login(world.users["service"])
    starts = starting_now().replace(microsecond=0)
    created = _post(
        client,
        "/events",
        {
            "project_id": world.projects["binhai"].pk,
            "title": "装修知识讲座",
            "venue": "销售中心",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=30)).isoformat(),
            "capacity": 1,
            "attendance_points": 20,
        },
    )
    assert created.status_code == 201, created.content
    event_id = created.json()["id"]
    a, b = binhai_customers(world, 2)
    walk_in = _post(client, f"/events/{event_id}/check-in", {"customer_id": a.pk})
    assert walk_in.status_code == 200, walk_in.content
    assert walk_in.json()["walk_in"] is True
    full = _post(client, f"/events/{event_id}/check-in", {"customer_id": b.pk})
    assert full.status_code == 409 and full.json()["code"] == "event_full"
    twice = _post(client, f"/events/{event_id}/check-in", {"registration_id": walk_in.json()["id"]})
    assert twice.status_code == 409 and twice.json()["code"] == "already_checked_in"
    feedback = _post(
        client,
        f"/events/{event_id}/registrations/{walk_in.json()['id']}/feedback",
        {"overall": 5, "comment": "好"},
    )
    assert feedback.status_code == 201


def test_invite_by_segment_and_refusals(world, login):
    event = new_event(world)
    staff = login(world.users["service"])
    invited = _post(
        staff,
        f"/events/{event.pk}/invite",
        {"filter": {"project_id": world.projects["binhai"].pk, "status": "visitor"}},
    )
    assert invited.status_code == 200, invited.content
    assert invited.json()["invited"] > 0
    assert _post(staff, f"/events/{event.pk}/invite", {}).status_code == 422
    engineer = login(world.users["engineer"])
    assert _post(engineer, f"/events/{event.pk}/invite", {"customer_ids": [1]}).status_code == 403
    outside = login(world.users["consultant_zh"])
    assert outside.get(f"{API}/events/{event.pk}").status_code == 404
