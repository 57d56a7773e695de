"""Approvals API (issue 12 item 6): the same rules as the pages, the one error shape."""

import pytest

from anju.approvals.models import ApprovalRequest, ApprovalStatus
from anju.core.services import api_token_create

pytestmark = pytest.mark.django_db

API = "/api/v1/approvals"


def bearer(user):
    _token, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client, url, body, auth):
    return client.post(url, body, content_type="application/json", **auth)


def _status(request):
    return ApprovalRequest.objects.get(pk=request.pk).status


def test_pending_for_me_and_mine_are_scoped_lists(world, client, ask):
    theirs = ask()
    own = ask(by=world.users["manager"])
    ask(by=world.users["consultant2"], project="yunjing")
    pending = client.get(f"{API}/pending", **bearer(world.users["manager"])).json()
    assert [row["id"] for row in pending["items"]] == [theirs.pk]
    row = pending["items"][0]
    assert row["kind"] == "test.discount" and row["kind_label"] == "Test discount"
    assert row["description"] == "Discount 5.00%"
    assert row["target_url"] == f"/inventory/?unit={theirs.target_id}"
    assert row["status"] == "pending" and row["requested_by_name"] == str(world.users["consultant"])
    mine = client.get(f"{API}/mine", **bearer(world.users["manager"])).json()
    assert [row["id"] for row in mine["items"]] == [own.pk]
    for outsider in ("manager_zh", "service", "consultant2"):
        items = client.get(f"{API}/pending", **bearer(world.users[outsider])).json()["items"]
        assert theirs.pk not in [row["id"] for row in items], outsider


def test_approve_reject_withdraw_with_codes(world, client, ask, test_kind):
    manager, consultant = bearer(world.users["manager"]), bearer(world.users["consultant"])
    request = ask()
    # The requester approving his own: 403 four_eyes, nothing changes.
    own = post(client, f"{API}/{request.pk}/approve", {"comment": "me"}, consultant)
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    assert _status(request) == ApprovalStatus.PENDING
    # A rejection without a comment: 422 naming the field.
    bare = post(client, f"{API}/{request.pk}/reject", {}, manager)
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "comment"
    # Someone else withdrawing: 403.
    assert post(client, f"{API}/{request.pk}/withdraw", {}, manager).status_code == 403
    assert _status(request) == ApprovalStatus.PENDING
    # Approved, with who and when.
    done = post(client, f"{API}/{request.pk}/approve", {"comment": "ok"}, manager)
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == "approved" and body["comment"] == "ok"
    assert body["decided_by_id"] == world.users["manager"].pk and body["decided_at"]
    assert body["may_decide"] is False
    # Twice: 409 invalid_transition; the requester can no longer withdraw it either.
    again = post(client, f"{API}/{request.pk}/reject", {"comment": "no"}, manager)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    late = post(client, f"{API}/{request.pk}/withdraw", {}, consultant)
    assert late.status_code == 409
    assert len(test_kind.approved) == 1 and test_kind.rejected == []


def test_reject_and_withdraw(world, client, ask):
    manager, consultant = bearer(world.users["manager"]), bearer(world.users["consultant"])
    first, second = ask(), ask()
    rejected = post(client, f"{API}/{first.pk}/reject", {"comment": "beyond policy"}, manager)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    withdrawn = post(client, f"{API}/{second.pk}/withdraw", {}, consultant)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    detail = client.get(f"{API}/{second.pk}", **consultant).json()
    assert detail["may_withdraw"] is False and detail["may_decide"] is False


def test_detail_flags_say_what_the_caller_may_do(world, client, ask):
    request = ask()
    as_manager = client.get(f"{API}/{request.pk}", **bearer(world.users["manager"])).json()
    assert as_manager["may_decide"] is True and as_manager["may_withdraw"] is False
    as_owner = client.get(f"{API}/{request.pk}", **bearer(world.users["consultant"])).json()
    assert as_owner["may_decide"] is False and as_owner["may_withdraw"] is True


@pytest.mark.parametrize("who", ["manager_zh", "consultant2", "consultant_zh"])
def test_out_of_scope_is_404_everywhere(world, client, ask, who):
    request = ask()
    auth = bearer(world.users[who])
    assert client.get(f"{API}/{request.pk}", **auth).status_code == 404
    for action, body in (("approve", {}), ("reject", {"comment": "x"}), ("withdraw", {})):
        response = post(client, f"{API}/{request.pk}/{action}", body, auth)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert _status(request) == ApprovalStatus.PENDING


def test_bad_bodies_are_4xx(world, client, ask):
    request = ask()
    auth = bearer(world.users["manager"])
    for body in ({"comment": "x" * 2001}, {"comment": "bell\x07"}, {"extra": 1}):
        response = post(client, f"{API}/{request.pk}/approve", body, auth)
        assert response.status_code == 422, body
    assert _status(request) == ApprovalStatus.PENDING


def test_list_apis_query_counts_are_constant(world, client, ask, django_assert_max_num_queries):
    manager, consultant = bearer(world.users["manager"]), bearer(world.users["consultant"])
    for _ in range(2):
        ask()
    urls = [(f"{API}/pending?page_size=50", manager), (f"{API}/mine?page_size=50", consultant)]
    for url, auth in urls:
        client.get(url, **auth)  # the token's first use is recorded once
    before = {}
    for url, auth in urls:
        with django_assert_max_num_queries(8) as ctx:
            assert client.get(url, **auth).status_code == 200
        before[url] = len(ctx.captured_queries)
    for _ in range(20):
        ask()
    for url, auth in urls:
        with django_assert_max_num_queries(8) as ctx:
            assert len(client.get(url, **auth).json()["items"]) >= 20
        assert len(ctx.captured_queries) == before[url], url
