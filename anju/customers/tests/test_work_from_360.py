"""The 360° page as the place to work (SAL-6, issue 9 item 9): notes, tasks, calls, visits and
opportunities without retyping the customer; a timeline that says what changed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from anju.core.models import Event
from anju.customers.models import Customer, CustomerNote
from anju.customers.notes import customer_add_note
from anju.customers.services import customer_change_owner, customer_set_status
from anju.customers.timeline import timeline_for
from anju.reception.models import FollowUpTask, PhoneCall, Visit


@pytest.fixture
def customer(world):
    return (
        Customer.objects.filter(owner=world.users["consultant"], anonymised_at__isnull=True)
        .exclude(phone="")
        .order_by("id")
        .first()
    )


def test_the_page_offers_every_action_for_this_customer(world, login, customer):
    body = login(world.users["consultant"]).get(f"/customers/{customer.pk}/").content.decode()
    assert f"/reception/calls/new/?customer={customer.pk}" in body
    assert f"/reception/visits/new/?customer={customer.pk}" in body
    assert f"/reception/opportunities/new/?customer={customer.pk}" in body
    assert f"/customers/{customer.pk}/notes/" in body
    assert f"/reception/customers/{customer.pk}/tasks/" in body


def test_a_note_lands_on_the_timeline_with_its_author(world, login, customer):
    client = login(world.users["consultant"])
    response = client.post(f"/customers/{customer.pk}/notes/", {"text": "关心学区，周末再来"})
    assert response.status_code == 302
    note = CustomerNote.objects.get(customer=customer)
    assert note.author == world.users["consultant"]
    assert Event.objects.filter(verb="customer.note_added", subject_id=customer.pk).exists()
    entries = timeline_for(world.users["consultant"], customer)
    notes = [e for e in entries if e.kind == "note"]
    assert [e.title for e in notes] == ["关心学区，周末再来"]
    assert notes[0].actor == str(world.users["consultant"])
    # the note's event does not show a second line
    assert not [e for e in entries if e.kind == "event" and "备注" in e.title]
    # the manager of the project sees it too; another project's consultant not at all
    assert any(e.kind == "note" for e in timeline_for(world.users["manager"], customer))
    assert timeline_for(world.users["consultant2"], customer) == []


def test_an_empty_or_unseen_note_is_refused_and_nothing_written(world, login, customer):
    client = login(world.users["consultant"])
    response = client.post(f"/customers/{customer.pk}/notes/", {"text": "   "})
    assert response.status_code == 400
    response = client.post(f"/customers/{customer.pk}/notes/", {"text": "x\x07y"})
    assert response.status_code == 400
    other = login(world.users["consultant2"]).post(
        f"/customers/{customer.pk}/notes/", {"text": "不该写入"}
    )
    assert other.status_code == 404
    assert not CustomerNote.objects.filter(customer=customer).exists()


def test_notes_go_into_the_data_package_and_are_cleared_on_erasure(world, customer):
    from anju.customers.notes import erase_notes, note_rows

    customer_add_note(by=world.users["consultant"], customer=customer, text="张先生想要三房")
    assert [r["text"] for r in note_rows(customer)] == ["张先生想要三房"]

    class FakeErasure:
        customer_ids = [customer.pk]
        touched, counts = {}, {}

        def touch(self, model, pks, fields):
            self.touched[model] = (set(pks), set(fields))

        def count(self, name, n):
            self.counts[name] = n

    erasure = FakeErasure()
    erase_notes(erasure)
    assert CustomerNote.objects.get(customer=customer).text == ""
    assert erasure.counts == {"notes_cleared": 1}
    assert erasure.touched[CustomerNote][1] == {"text"}


def test_status_and_owner_changes_read_as_what_changed(world, customer, colleague):
    manager = world.users["manager"]
    with override("zh-hans"):
        customer_set_status(by=manager, customer=customer, status="signed")
        customer_set_status(by=manager, customer=customer, status="intention", reason="退订")
        customer_change_owner(by=manager, customer=customer, to=colleague, reason="调岗")
        titles = [e.title for e in timeline_for(manager, customer) if e.kind == "event"]
        actors = [e.actor for e in timeline_for(manager, customer) if e.kind == "event"]
    assert any(t.endswith("签约 → 意向 — 退订") for t in titles), titles
    assert any("→ 签约" in t for t in titles), titles
    assert any(f"置业顾问·李娜 → {colleague}" in t for t in titles), titles
    assert str(manager) in actors


def test_timeline_names_stay_one_query_for_many_owner_changes(world, customer, colleague):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from anju.customers.timeline import events_timeline

    manager = world.users["manager"]
    li_na = world.users["consultant"]
    customer_change_owner(by=manager, customer=customer, to=colleague, reason="一")
    with CaptureQueriesContext(connection) as one:
        list(events_timeline(manager, Customer.objects.get(pk=customer.pk), 100))
    for i in range(4):
        customer_change_owner(by=manager, customer=customer, to=li_na, reason=f"回{i}")
        customer_change_owner(by=manager, customer=customer, to=colleague, reason=f"去{i}")
    with CaptureQueriesContext(connection) as many:
        list(events_timeline(manager, Customer.objects.get(pk=customer.pk), 100))
    assert len(many.captured_queries) == len(one.captured_queries)


# --- tasks from the customer's page ----------------------------------------------------------


def test_a_task_added_here_is_the_customers_consultants(world, login, customer):
    manager = world.users["manager"]
    due = timezone.localdate() + timedelta(days=2)
    response = login(manager).post(
        f"/reception/customers/{customer.pk}/tasks/",
        {"title": "发送价目表", "due_date": due.isoformat(), "kind": "call"},
    )
    assert response.status_code == 302
    task = FollowUpTask.objects.get(customer=customer, title="发送价目表")
    assert task.assignee == customer.owner and task.due_date == due and task.rule == "manual"
    assert task.project_id == customer.project_id
    assert any(
        e.kind == "task" and "发送价目表" in e.title for e in timeline_for(manager, customer)
    )


def test_a_bad_task_is_refused_with_a_message(world, login, customer):
    client = login(world.users["consultant"])
    url = f"/reception/customers/{customer.pk}/tasks/"
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(url, {"title": "过去", "due_date": past, "kind": "call"})
    assert response.status_code == 400
    assert 'data-testid="error-due_date"' in response.content.decode()
    response = client.post(url, {"title": "", "due_date": "2099-01-01", "kind": "call"})
    assert response.status_code == 400
    response = client.post(url, {"title": "x", "due_date": "2099-01-01", "kind": "party"})
    assert response.status_code == 400
    out = login(world.users["consultant2"]).post(
        url, {"title": "越权", "due_date": "2099-01-01", "kind": "call"}
    )
    assert out.status_code == 404
    assert not FollowUpTask.objects.filter(customer=customer, rule="manual").exists()


# --- calls and visits for a known customer ---------------------------------------------------


def test_call_form_for_a_known_customer_neither_asks_nor_shows_his_number(world, login, customer):
    client = login(world.users["consultant"])
    url = f"/reception/calls/new/?customer={customer.pk}"
    body = client.get(url).content.decode()
    assert 'data-testid="known-customer"' in body
    assert customer.phone not in body and 'name="phone"' not in body
    before = PhoneCall.objects.filter(customer=customer).count()
    response = client.post(
        url,
        {
            "project": customer.project_id,
            "called_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "source": "hotline",
            "rings": 2,
            "answer_seconds": 5,
            "duration_minutes": "3",
            "questions": "问价格",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PhoneCall.objects.filter(customer=customer).count() == before + 1


def test_visit_form_for_a_known_customer(world, login, customer):
    client = login(world.users["consultant"])
    url = f"/reception/visits/new/?customer={customer.pk}&project={customer.project_id}"
    body = client.get(url).content.decode()
    # the visit form shows him as its chosen customer (the desk's search, issue 9 item 6)
    assert 'data-testid="chosen-customer"' in body and customer.phone not in body
    assert customer.name in body and 'name="phone"' not in body
    now = timezone.localtime().replace(microsecond=0)
    response = client.post(
        url,
        {
            "project": customer.project_id,
            "source": "walk_by",
            "party_size": 2,
            "arrived_at": (now - timedelta(seconds=40)).strftime("%Y-%m-%dT%H:%M:%S"),
            "reception_started_at": now.strftime("%Y-%m-%dT%H:%M:%S"),
            "next_step": "再约",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Visit.objects.filter(customer=customer, next_step="再约").exists()


def test_known_customer_out_of_sight_or_malformed_is_not_found(world, login, customer):
    client = login(world.users["consultant2"])
    assert client.get(f"/reception/calls/new/?customer={customer.pk}").status_code == 404
    assert client.get("/reception/visits/new/?customer=abc").status_code == 404
    assert client.get("/reception/calls/new/?customer=99999999999999999999").status_code == 404
