"""Staff notifications (issue 13 item 7): the page behind the bell, the bell's count, the
API — each user reads and marks only his own; one COUNT per page for the bell."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.core.models import Notification
from anju.core.notifications import notify, unread_count

pytestmark = pytest.mark.django_db


def _notices(user, n, prefix="notice"):
    for i in range(n):
        notify([user], key=f"test:{prefix}:{user.pk}:{i}", title=f"{prefix} {i}", url="/jobs/")


@pytest.fixture
def two(world):
    mine, theirs = world.users["engineer"], world.users["service"]
    Notification.objects.filter(user__in=[mine, theirs]).delete()
    _notices(mine, 3, "给工程师")
    _notices(theirs, 2, "给客服")
    return mine, theirs


def test_the_page_lists_only_ones_own_notices_newest_first(two, login):
    mine, theirs = two
    page = login(mine).get("/notifications/").content.decode()
    assert page.count('data-testid="notice"') == 3 and "给客服" not in page
    assert page.index("给工程师 2") < page.index("给工程师 0")
    assert page.count('data-unread="1"') == 3
    assert 'data-testid="nav-bell-count">3<' in page  # the bell in the menu


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(two, login):
    mine, theirs = two
    client = login(mine)
    notice = Notification.objects.filter(user=mine).order_by("pk").first()
    response = client.post(f"/notifications/{notice.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    notice.refresh_from_db()
    assert notice.read_at is not None and unread_count(mine) == 2
    assert client.get(f"/notifications/{notice.pk}/open/").status_code == 405
    other = Notification.objects.filter(user=theirs).first()
    assert client.post(f"/notifications/{other.pk}/open/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read_is_a_post_and_touches_only_ones_own(two, login):
    mine, theirs = two
    client = login(mine)
    assert client.get("/notifications/read/").status_code == 405
    response = client.post("/notifications/read/", follow=True)
    assert response.status_code == 200
    assert unread_count(mine) == 0 and unread_count(theirs) == 2
    page = response.content.decode()
    assert 'data-testid="nav-bell-count"' not in page and 'data-unread="1"' not in page
    assert "已标为已读" in page  # the message, in Chinese


def test_the_bell_counts_once_per_page_and_the_page_does_not_grow(two, login, world):
    """One COUNT for the bell even where the page shows the number twice; the rows in one
    query whatever their number."""
    mine, _theirs = two
    client = login(mine)
    with CaptureQueriesContext(connection) as few:
        client.get("/notifications/")
    counts = [q["sql"] for q in few.captured_queries if "core_notification" in q["sql"]]
    assert len(counts) == 2  # the rows, the bell's COUNT (the heading reuses it)
    _notices(mine, 30, "更多")
    with CaptureQueriesContext(connection) as many:
        client.get("/notifications/")
    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # + the page COUNT
    with CaptureQueriesContext(connection) as home:
        client.get("/")
    bell = [q for q in home.captured_queries if "core_notification" in q["sql"]]
    assert len(bell) == 1


def test_the_api_lists_and_marks_ones_own(two, login):
    mine, theirs = two
    client = login(mine)
    body = client.get("/api/v1/notifications").json()
    assert body["count"] == 3 and all(n["unread"] for n in body["items"])
    assert [n["title"] for n in body["items"]][0] == "给工程师 2"
    first = body["items"][-1]["id"]
    other = Notification.objects.filter(user=theirs).first().pk
    marked = client.post(
        "/api/v1/notifications/read", {"ids": [first, other]}, content_type="application/json"
    ).json()
    assert marked == {"marked": 1, "unread": 2}
    assert Notification.objects.get(pk=other).read_at is None
    assert client.get("/api/v1/notifications?unread=true").json()["count"] == 2
    assert client.get("/api/v1/notifications?unread=false").json()["count"] == 1
    everything = client.post("/api/v1/notifications/read", {}, content_type="application/json")
    assert everything.json() == {"marked": 2, "unread": 0}
    assert unread_count(theirs) == 2
