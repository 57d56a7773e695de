"""``GET /customers/{id}/timeline`` (CUS-6, issue 8 item 3): the 360° page's entries and
scope, paged so that every entry comes exactly once, personal numbers masked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.models import Event
from anju.core.services import api_token_create
from anju.customers import services, timeline_api
from anju.customers.models import Customer
from anju.customers.timeline import timeline_for
from anju.reception.services import call_log


def bearer(user):
    _t, secret = api_token_create(by=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def busy_customer(world):
    """A customer of 李娜 (consultant, 滨海花园) with calls, tasks and many events, some of
    them at the very same moment, so paging has ties to get right."""
    consultant = world.users["consultant"]
    call = call_log(
        by=consultant,
        project=world.projects["binhai"],
        rings=2,
        answer_seconds=5,
        duration_seconds=200,
        phone="13812340099",
        name="时间线",
        questions="请回电 13912345678，身份证 440301199001011234",
    )
    customer = call.customer
    for n in range(22):
        services.customer_update(by=consultant, customer=customer, occupation=f"职业{n}")
    events = Event.objects.filter(subject_id=customer.pk, verb="customer.updated")
    same_moment = timezone.now() - timedelta(minutes=5)
    tied = list(events.order_by("id").values_list("id", flat=True)[:9])
    Event.objects.filter(id__in=tied).update(created_at=same_moment)
    return customer


def pages(client, customer, auth, page_size):
    seen, page = [], 1
    while True:
        url = f"/api/v1/customers/{customer.pk}/timeline?page={page}&page_size={page_size}"
        response = client.get(url, **auth)
        assert response.status_code == 200, response.content
        body = response.json()
        if not body["items"]:
            return seen, body
        seen += body["items"]
        page += 1


def test_pages_give_every_entry_exactly_once_newest_first(world, client, busy_customer):
    consultant = world.users["consultant"]
    auth = bearer(consultant)
    expected = timeline_for(consultant, busy_customer, limit=1000)
    assert len(expected) > 20 and {e.kind for e in expected} >= {"call", "task", "event"}
    for page_size in (1, 7, 20, 100):
        seen, last = pages(client, busy_customer, auth, page_size)
        keys = [(i["kind"], i["record_id"]) for i in seen]
        assert len(keys) == len(set(keys)), f"an entry twice with page_size={page_size}"
        assert keys == [(e.kind, e.record_id) for e in expected]
        assert last["count"] == len(expected) and last["count_capped"] is False
    times = [i["occurred_at"] for i in seen]
    assert times == sorted(times, reverse=True)


def test_items_link_their_records_and_mask_personal_numbers(world, client, busy_customer):
    items, _ = pages(client, busy_customer, bearer(world.users["consultant"]), 100)
    call = next(i for i in items if i["kind"] == "call")
    assert call["kind_label"] and call["actor_name"] == str(world.users["consultant"])
    assert call["url"] == f"/reception/calls/{call['record_id']}/"
    assert "139****5678" in call["summary"] and "4403**********1234" in call["summary"]
    body = str(items)
    assert "13912345678" not in body and "440301199001011234" not in body
    assert all(i["record_id"] for i in items)
    event = next(i for i in items if i["kind"] == "event")
    assert Event.objects.filter(pk=event["record_id"], subject_id=busy_customer.pk).exists()


def test_a_customer_out_of_scope_is_not_found(world, client, busy_customer):
    url = f"/api/v1/customers/{busy_customer.pk}/timeline"
    for outsider in ("consultant_zh", "manager_zh", "consultant2"):
        response = client.get(url, **bearer(world.users[outsider]))
        assert response.status_code == 404, outsider
        assert "职业" not in response.content.decode()
    # the manager of the project sees it, whoever logged the entries
    manager = client.get(url + "?page_size=100", **bearer(world.users["manager"])).json()
    assert manager["count"] == len(timeline_for(world.users["manager"], busy_customer, limit=999))


def test_the_window_is_bounded_and_says_when_older_entries_exist(
    world, client, busy_customer, monkeypatch
):
    monkeypatch.setattr(timeline_api, "TIMELINE_WINDOW", 10)
    consultant = world.users["consultant"]
    seen, last = pages(client, busy_customer, bearer(consultant), 4)
    newest = timeline_for(consultant, busy_customer, limit=10)
    assert [(i["kind"], i["record_id"]) for i in seen] == [(e.kind, e.record_id) for e in newest]
    assert last["count"] == 10 and last["count_capped"] is True


def test_paging_parameters_are_bounded(world, client, busy_customer):
    auth = bearer(world.users["consultant"])
    url = f"/api/v1/customers/{busy_customer.pk}/timeline"
    for query in ("page=0", "page_size=0", "page_size=101", "page=501", "page=x"):
        assert client.get(f"{url}?{query}", **auth).status_code == 422, query


def test_constant_queries_whatever_the_history(
    world, client, busy_customer, django_assert_max_num_queries
):
    consultant = world.users["consultant"]
    auth = bearer(consultant)
    quiet = Customer.objects.filter(owner=consultant).exclude(pk=busy_customer.pk).first()
    client.get(f"/api/v1/customers/{quiet.pk}/timeline", **auth)  # warm the token
    # At most: token, roles, the customer (read through visible_to: no can_see after it,
    # issue 10), merge chain, which providers' tables hold his rows (one query of EXISTS),
    # events, sales changes, notes, reception's 4 kinds, the club's 3 (points, tier
    # changes, events), messaging's messages, the deals' one (queue numbers, subscriptions,
    # contracts, payments in one UNION), the service desk's one (tickets and revisits in one
    # UNION) and delivery's one (appointments, inspections, repair orders, key handovers in
    # one UNION). A provider whose tables hold none of his rows is not asked.
    with django_assert_max_num_queries(19):
        client.get(f"/api/v1/customers/{quiet.pk}/timeline", **auth)
    with django_assert_max_num_queries(19):
        response = client.get(f"/api/v1/customers/{busy_customer.pk}/timeline", **auth)
    assert response.json()["count"] > 20


def test_a_provider_is_asked_only_when_its_tables_hold_a_row_of_the_customer(
    world, monkeypatch, django_assert_num_queries
):
    """CUS-6 at scale (issue 10): a customer with no notes costs the notes provider nothing;
    a note of his, or of a record merged into him, gets it asked; the entry then shows."""
    from anju.customers import timeline
    from anju.customers.models import CustomerNote, CustomerPhone
    from anju.customers.notes import customer_add_note

    asked = []

    def spy(user, customer, limit):
        asked.append(customer.pk)
        return iter(())

    monkeypatch.setattr(timeline, "_PROVIDERS", [*timeline._PROVIDERS, spy])
    monkeypatch.setattr(timeline, "_SOURCES", {**timeline._SOURCES})
    timeline.register_timeline_provider(spy, sources=(CustomerNote,))
    consultant = world.users["consultant"]
    keep, duplicate = Customer.objects.filter(owner=consultant, merged_into=None)[:2]

    timeline_for(consultant, Customer.objects.get(pk=keep.pk))
    assert asked == []  # no note of his: not asked
    customer_add_note(by=consultant, customer=duplicate, text="只看三房")
    services.customer_merge(
        by=world.users["manager"], keep=keep, duplicate=duplicate, reason="同一人"
    )
    entries = timeline_for(consultant, Customer.objects.get(pk=keep.pk))
    assert asked == [keep.pk]  # the merged record's note counts as his
    assert "只看三房" in [e.title for e in entries if e.kind == "note"]
    # one probe per page: the panels ask the answer the timeline got, on the same object
    customer = Customer.objects.get(pk=keep.pk)
    with django_assert_num_queries(3):  # the merge chain (two levels), the probe
        assert timeline.has_rows_in(customer, CustomerNote)
    with django_assert_num_queries(0):
        assert timeline.has_rows_in(customer, CustomerNote)
        # a table no provider names is never ruled out: whoever asks must look
        assert timeline.has_rows_in(customer, CustomerPhone)
