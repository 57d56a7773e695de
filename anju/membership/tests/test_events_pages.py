"""Club events pages (MEM-4): list, event page with its lists, RSVP, invite, check-in from a
phone, satisfaction; query counts do not grow with the rows shown."""

import pytest
from django.urls import reverse

from anju.customers.models import Customer
from anju.membership import events_services
from anju.membership.events_models import EventFeedback, EventRegistration

from .events_helpers import binhai_customers, new_event, on_the_day, starting_now

pytestmark = pytest.mark.django_db


def _fill(world, event, people):
    for customer in people:
        events_services.event_rsvp(
            by=world.users["service"], event=event, customer=customer, attending=True
        )


def test_list_and_detail_query_counts_do_not_grow(world, login, django_assert_max_num_queries):
    client = login(world.users["service"])
    event = new_event(world, capacity=3)
    _fill(world, event, binhai_customers(world, 2))
    urls = [
        reverse("club_events:list"),
        reverse("club_events:list") + "?when=upcoming",
        reverse("club_events:detail", args=[event.pk]),
        reverse("club_events:detail", args=[event.pk]) + "?list=waiting",
    ]
    before = {}
    for url in urls:
        with django_assert_max_num_queries(25) as ctx:
            assert client.get(url).status_code == 200
        before[url] = len(ctx.captured_queries)
    _fill(world, event, binhai_customers(world, 8, offset=2))  # 1 more seated, 7 waiting
    for n in range(4):
        new_event(world, capacity=2, days=6 + n)
    for url in urls:
        with django_assert_max_num_queries(25) as ctx:
            client.get(url)
        assert len(ctx.captured_queries) == before[url], url


def test_detail_shows_the_counts_and_the_lists(world, login):
    event = new_event(world, capacity=1)
    a, b = binhai_customers(world, 2)
    _fill(world, event, [a, b])
    page = login(world.users["service"]).get(reverse("club_events:detail", args=[event.pk]))
    html = page.content.decode()
    assert 'data-testid="count-registered">1 <span class="fs-6 text-secondary">/ 1' in html
    assert 'data-testid="count-waiting">1<' in html
    assert a.name in html and b.name not in html  # the registered list by default
    waiting = login(world.users["service"]).get(
        reverse("club_events:detail", args=[event.pk]) + "?list=waiting"
    )
    assert b.name in waiting.content.decode()
    assert a.phone not in html  # phones masked


def test_record_an_answer_from_the_page_and_the_duplicate_message(world, login):
    client = login(world.users["service"])
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    url = reverse("club_events:rsvp", args=[event.pk])
    response = client.post(url, {"customer": customer.pk, "attending": "yes"}, follow=True)
    assert "registered" in response.content.decode() or "已报名" in response.content.decode()
    again = client.post(url, {"customer": customer.pk, "attending": "yes"}, follow=True)
    assert customer.name in again.content.decode()
    assert EventRegistration.objects.filter(event=event, customer=customer).count() == 1
    messages = [str(m) for m in again.context["messages"]]
    assert any("already registered" in m or "已报名" in m for m in messages), messages


def test_find_searches_by_last_four_digits_by_post(world, login):
    client = login(world.users["service"])
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    response = client.post(reverse("club_events:find", args=[event.pk]), {"q": customer.phone[-4:]})
    assert response.status_code == 200
    assert customer.name in response.content.decode()


def test_invite_a_segment_from_the_page(world, login):
    """Issue 11 review item 16: the count first, the invitation only when confirmed."""
    client = login(world.users["service"])
    event = new_event(world)
    segment = {"project": world.projects["binhai"].pk, "status": "visitor"}
    expected = Customer.objects.filter(
        company=event.company,
        project=world.projects["binhai"],
        status="visitor",
        merged_into__isnull=True,
        anonymised_at__isnull=True,
        archived_at__isnull=True,
    ).count()
    url = reverse("club_events:invite", args=[event.pk])
    asked = client.post(url, segment)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert (
        'data-testid="invite-confirm"' in html and f"将邀请 {expected} 位客户。" in html
    )  # N customers will be invited
    assert not EventRegistration.objects.filter(event=event).exists()  # nothing yet
    response = client.post(url, {**segment, "confirm": "1"})
    assert response.status_code == 302
    assert EventRegistration.objects.filter(event=event, status="invited").count() == expected


def test_inviting_without_a_filter_invites_nobody(world, login):
    """Issue 11 review item 16: one click on "Invite" with no filter is refused, not the
    whole customer base; the API says ``filter_required``."""
    client = login(world.users["service"])
    event = new_event(world)
    url = reverse("club_events:invite", args=[event.pk])
    for data in ({}, {"confirm": "1"}, {"include_archived": "on", "confirm": "1"}):
        response = client.post(url, data)
        assert response.status_code == 302
    assert not EventRegistration.objects.filter(event=event).exists()
    api = client.post(
        f"/api/v1/events/{event.pk}/invite", {"filter": {}}, content_type="application/json"
    )
    assert api.status_code == 422 and api.json()["code"] == "filter_required"
    assert not EventRegistration.objects.filter(event=event).exists()


def test_check_in_page_search_and_one_tap(world, login):
    client = login(world.users["service"])
    event = new_event(world, starts=starting_now())
    customer = binhai_customers(world, 1)[0]
    _fill(world, event, [customer])
    registration = EventRegistration.objects.get(event=event, customer=customer)
    assert client.get(reverse("club_events:check_in", args=[event.pk])).status_code == 200
    found = client.post(
        reverse("club_events:check_in_search", args=[event.pk]), {"q": customer.phone[-4:]}
    )
    assert f'data-testid="tap-{registration.pk}"' in found.content.decode()
    tapped = client.post(
        reverse("club_events:check_in_tap", args=[event.pk]), {"registration": registration.pk}
    )
    assert 'data-testid="checked-in"' in tapped.content.decode()
    registration.refresh_from_db()
    assert registration.status == "attended"


def test_check_in_refused_off_the_day_shows_why(world, login):
    client = login(world.users["service"])
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    _fill(world, event, [customer])
    registration = EventRegistration.objects.get(event=event, customer=customer)
    response = client.post(
        reverse("club_events:check_in_tap", args=[event.pk]), {"registration": registration.pk}
    )
    assert response.status_code == 200
    assert 'data-testid="check-in-refused"' in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "registered"


def test_check_in_page_is_for_the_events_staff(world, login):
    event = new_event(world)
    assert (
        login(world.users["consultant"])
        .get(reverse("club_events:check_in", args=[event.pk]))
        .status_code
        == 403
    )
    assert (
        login(world.users["consultant_zh"])
        .get(reverse("club_events:detail", args=[event.pk]))
        .status_code
        == 404
    )


def test_feedback_page_records_once(world, login):
    client = login(world.users["service"])
    event = new_event(world)
    customer = binhai_customers(world, 1)[0]
    _fill(world, event, [customer])
    registration = EventRegistration.objects.get(event=event, customer=customer)
    events_services.event_check_in(
        by=world.users["service"], registration=registration, now=on_the_day(event)
    )
    url = reverse("club_events:feedback", args=[event.pk, registration.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"overall": "5", "usefulness": "4", "comment": "好"}).status_code == 302
    again = client.post(url, {"overall": "3"})
    assert again.status_code == 200 and 'data-testid="form-error"' in again.content.decode()
    assert EventFeedback.objects.filter(registration=registration).get().overall == 5


def test_new_event_form(world, login):
    client = login(world.users["service"])
    response = client.post(
        reverse("club_events:new"),
        {
            "project": world.projects["binhai"].pk,
            "title": "装修知识讲座",
            "kind": "lecture",
            "venue": "销售中心",
            "starts_at": "2030-05-20T14:00",
            "ends_at": "2030-05-20T13:00",
            "capacity": "20",
            "attendance_points": "50",
            "reminder_hours": "24",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="error-ends_at"' in response.content.decode()
