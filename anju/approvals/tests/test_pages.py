"""Approval pages (issue 12 item 6): the approver's queue, my requests, deciding, the menu.

Scope: a decider sees only what he may decide; a colleague of another company sees nothing
and gets 404 on a direct URL. Query counts: the queue is a fixed number of queries, and the
menu's badge costs one COUNT per page.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anju.approvals.models import ApprovalRequest, ApprovalStatus
from anju.approvals.services import approval_decide

pytestmark = pytest.mark.django_db

QUEUE = "/approvals/"


def _approval_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "approvals_approvalrequest" in q["sql"]]


def test_queue_shows_only_what_the_user_may_decide(world, login, ask):
    theirs = ask(summary="李娜 asks for 5% on 1-1203")
    own = ask(by=world.users["manager"], summary="王磊 asks himself")
    elsewhere = ask(by=world.users["consultant2"], project="yunjing", summary="云境 request")
    body = login(world.users["manager"]).get(QUEUE).content.decode()
    assert theirs.summary in body
    assert own.summary not in body  # never his own
    assert elsewhere.summary not in body  # another project: not his to decide
    assert "Test discount" in body and "Discount 5.00%" in body  # kind label, describe()
    assert f"/inventory/?unit={theirs.target_id}" in body  # target_url()
    management = login(world.users["management"]).get(QUEUE).content.decode()
    assert theirs.summary in management and elsewhere.summary in management


@pytest.mark.parametrize("who", ["service", "consultant2", "manager_zh", "consultant_zh"])
def test_people_without_the_permission_there_see_an_empty_queue(world, login, ask, who):
    request = ask()
    response = login(world.users[who]).get(QUEUE)
    assert response.status_code == 200
    assert request.summary not in response.content.decode()
    assert 'data-testid="queue-empty"' in response.content.decode()


@pytest.mark.parametrize("who", ["manager_zh", "consultant_zh", "consultant2"])
def test_out_of_scope_people_get_404_on_a_direct_url_and_change_nothing(world, login, ask, who):
    request = ask()
    client = login(world.users[who])
    assert client.get(reverse("approvals:detail", args=[request.pk])).status_code == 404
    decide = reverse("approvals:decide", args=[request.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert client.post(reverse("approvals:withdraw", args=[request.pk])).status_code == 404
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_my_requests_and_the_own_request_page_offer_no_decision(world, login, ask):
    request = ask(summary="my own discount")
    client = login(world.users["consultant"])
    assert "my own discount" in client.get(reverse("approvals:mine")).content.decode()
    page = client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert 'data-testid="decide-form"' not in page
    assert 'data-testid="withdraw-form"' in page
    # Posting anyway is refused: 403, nothing changes.
    response = client.post(
        reverse("approvals:decide", args=[request.pk]), {"decision": "approve", "comment": "me"}
    )
    assert response.status_code == 403
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_decide_with_a_comment_from_the_page(world, login, ask, test_kind):
    request = ask()
    client = login(world.users["manager"])
    page = client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert 'data-testid="decide-form"' in page and 'data-testid="withdraw-form"' not in page
    url = reverse("approvals:decide", args=[request.pk])
    response = client.post(url, {"decision": "approve", "comment": "Fine this once"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED and request.comment == "Fine this once"
    assert request.decided_by == world.users["manager"]
    page = client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert "Fine this once" in page and 'data-testid="decide-form"' not in page
    # Deciding again from a stale page: a message on the page, nothing changes.
    again = client.post(url, {"decision": "reject", "comment": "changed my mind"})
    assert again.status_code == 200 and 'data-testid="form-error"' in again.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED and len(test_kind.rejected) == 0


def test_a_rejection_without_a_comment_is_a_form_error(world, login, ask):
    request = ask()
    client = login(world.users["manager"])
    response = client.post(reverse("approvals:decide", args=[request.pk]), {"decision": "reject"})
    assert response.status_code == 200
    assert 'data-testid="comment-error"' in response.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


@pytest.mark.parametrize(
    "data", [{"decision": "maybe"}, {"decision": "approve", "comment": "bell\x07"}, {}]
)
def test_bad_form_input_is_a_message_not_a_500(world, login, ask, data):
    request = ask()
    response = login(world.users["manager"]).post(
        reverse("approvals:decide", args=[request.pk]), data
    )
    assert response.status_code == 200
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING


def test_withdraw_from_the_page_only_by_the_requester(world, login, ask):
    request = ask()
    url = reverse("approvals:withdraw", args=[request.pk])
    assert login(world.users["manager"]).post(url).status_code == 403
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.PENDING
    response = login(world.users["consultant"]).post(url)
    assert response.status_code == 302
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.WITHDRAWN


def test_the_history_shows_who_when_and_the_comment(world, login, ask):
    request = ask()
    approval_decide(by=world.users["manager"], request=request, approve=False, comment="Too deep")
    page = login(world.users["consultant"]).get(reverse("approvals:detail", args=[request.pk]))
    history = page.content.decode().split('data-testid="history"')[1]
    assert str(world.users["consultant"]) in history and str(world.users["manager"]) in history
    assert "Too deep" in history


def test_queue_is_a_fixed_number_of_queries(world, login, ask):
    """No N+1: 3 or 30 requests (more than a page), the same queries."""
    client = login(world.users["manager"])
    for _ in range(3):
        ask()
    client.get(QUEUE)  # warm-up: session, content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(QUEUE).status_code == 200
    for _ in range(30):
        ask()
    with CaptureQueriesContext(connection) as many:
        assert client.get(QUEUE).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 12
    mine = login(world.users["consultant"])
    mine.get(reverse("approvals:mine"))
    with CaptureQueriesContext(connection) as own:
        assert mine.get(reverse("approvals:mine")).status_code == 200
    assert len(own.captured_queries) <= 12


def test_the_menu_counts_what_waits_for_the_user_in_one_query(world, login, ask):
    for _ in range(3):
        ask()
    ask(by=world.users["manager"])  # his own: not counted for him
    client = login(world.users["manager"])
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/").content.decode()
    assert 'data-testid="nav-badge">3<' in body
    assert len(_approval_queries(ctx.captured_queries)) == 1  # ONE count, once per page
    # management (the whole company) sees all four waiting.
    assert (
        'data-testid="nav-badge">4<' in login(world.users["management"]).get("/").content.decode()
    )


def test_no_badge_and_no_query_for_someone_who_decides_nothing(world, login, ask):
    ask()
    client = login(world.users["consultant"])
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/").content.decode()
    assert 'data-testid="nav-badge"' not in body
    assert _approval_queries(ctx.captured_queries) == []
    assert reverse("approvals:queue") in body  # the entry itself: for his own requests


def test_the_badge_follows_decisions(world, login, ask):
    first, _second = ask(), ask()
    client = login(world.users["manager"])
    assert 'data-testid="nav-badge">2<' in client.get("/").content.decode()
    approval_decide(by=world.users["management"], request=first, approve=True)
    assert 'data-testid="nav-badge">1<' in client.get("/").content.decode()
