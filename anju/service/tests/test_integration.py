"""The service desk and the customer (issue 13 item 8): tickets and revisits on the 360°
timeline, a merge moves them, a hand-over does not, PIPL package and erasure."""

import pytest

from anju.approvals.services import approval_decide
from anju.core.models import Notification
from anju.customers.privacy_services import erasure_approve, erasure_request
from anju.customers.services import customer_merge, customer_reassign_all
from anju.customers.tests.test_privacy import NAME, NUMBER, SECOND, _traces, make_person
from anju.customers.timeline import timeline_for
from anju.service import integration, services
from anju.service.models import Ticket

pytestmark = pytest.mark.django_db


def _loop(desk, ticket, *, text="楼上防水层破损。"):
    """Judged, assigned to the engineer, solved, approved, done, revisited once."""
    agent, manager, _management, engineer = desk
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    services.ticket_analyse(by=engineer, ticket=ticket, cause=text)
    solution = services.solution_propose(
        by=engineer, ticket=ticket, kind="repair", description=f"维修：{text}"
    )
    approval_decide(by=manager, request=solution.approval, approve=True, comment=f"同意 {text}")
    services.ticket_implement(by=engineer, ticket=ticket, note="已修复。")
    return services.revisit_record(
        by=agent, ticket=ticket, satisfaction="unsatisfied", comment=f"客户说：{text}"
    )


def test_the_timeline_shows_tickets_and_revisits_linked_for_who_may_open_them(world, receive, desk):
    consultant, agent = world.users["consultant"], desk[0]
    ticket = receive()
    customer = ticket.customer
    kinds_before = [e.kind for e in timeline_for(consultant, customer)]
    revisit = _loop(desk, ticket)

    seen = timeline_for(agent, customer)
    entries = {(e.kind, e.record_id): e for e in seen}
    entry = entries[("ticket", ticket.pk)]
    assert str(ticket) in entry.title and ticket.subject in entry.title
    assert entry.url == f"/service/tickets/{ticket.pk}/"
    assert entries[("ticket_revisit", revisit.pk)].url == entry.url
    assert entries[("ticket_revisit", revisit.pk)].body == revisit.comment
    whens = [e.when for e in seen]
    assert whens == sorted(whens, reverse=True)

    # his consultant sees the customer's history, but the engineer's ticket is not his page
    owner_view = {(e.kind, e.record_id): e for e in timeline_for(consultant, customer)}
    assert owner_view[("ticket", ticket.pk)].url == ""
    assert owner_view[("ticket_revisit", revisit.pk)].url == ""
    # the ticket's steps are its entry, not a second line per event
    kinds_after = [e.kind for e in timeline_for(consultant, customer)]
    assert kinds_after.count("event") == kinds_before.count("event")
    # a user who does not see the customer gets nothing
    assert timeline_for(world.users["manager_zh"], customer) == []


def test_the_timeline_reads_a_constant_number_of_queries(world, receive, desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = desk[0]
    first = receive()
    customer = first.customer
    with CaptureQueriesContext(connection) as one:
        list(integration_timeline(agent, customer))
    for _ in range(4):
        _loop(desk, receive(customer=customer))
    with CaptureQueriesContext(connection) as many:
        assert len(list(integration_timeline(agent, customer))) >= 9
    # the merge chain (read once per page, then kept on the customer), one UNION
    assert len(many.captured_queries) <= len(one.captured_queries) <= 2


def integration_timeline(user, customer):
    from anju.service.timeline import tickets_timeline

    return tickets_timeline(user, customer, 50)


def test_a_merge_moves_the_tickets_a_hand_over_moves_none(
    world, receive, desk, make_customer, colleague
):
    keep, duplicate = make_customer(name="王芳"), make_customer(name="王芳")
    ticket = receive(customer=duplicate)
    customer_merge(by=world.users["manager"], keep=keep, duplicate=duplicate, reason="同一人")
    ticket.refresh_from_db()
    assert ticket.customer_id == keep.pk

    responsible = ticket.responsible_id
    moved = customer_reassign_all(
        by=world.users["manager"],
        from_user=world.users["consultant"],
        to_user=colleague,
        reason="离职交接",
    )
    assert moved
    ticket.refresh_from_db()
    assert ticket.responsible_id == responsible and ticket.customer_id == keep.pk


def test_the_data_package_holds_the_persons_tickets_and_revisits(world, receive, desk):
    person = make_person(world)
    ticket = receive(customer=person, subject=f"{NAME}反映渗水")
    revisit = _loop(desk, ticket)
    walk_in = services.ticket_receive(  # the public form: no customer record, his number
        by=desk[0],
        project=world.projects["binhai"],
        ticket_type="repair",
        channel="web_form",
        subject="门锁损坏",
        description="入户门锁损坏。",
        contact_name=NAME,
        contact_phone=SECOND,
    )
    rows = integration.ticket_rows(person)
    assert {r["id"] for r in rows} == {ticket.pk, walk_in.pk}
    assert {r["subject"] for r in rows} == {f"{NAME}反映渗水", "门锁损坏"}
    revisits = integration.revisit_rows(person)
    assert [r["id"] for r in revisits] == [revisit.pk]
    assert revisits[0]["satisfaction"] == "不满意"  # the label, as in every sheet
    assert [r["ticket"] for r in integration.solution_rows(person)] == [str(ticket)]


def test_erasure_leaves_no_trace_in_the_service_desk(world, receive, desk):
    """SEC-2: the texts quoting him, his numbers on a contact ticket, the staff notices, the
    approval asked for his solution, the SMS to his contact number — nothing of him stays;
    the tickets stay, anonymous, for the monthly report."""
    person = make_person(world)
    text = f"{NAME}（{NUMBER}）家楼上漏水"
    ticket = receive(
        customer=person,
        subject=f"{NAME}投诉渗水",
        description=text,
        demand=f"请联系{NAME} {SECOND}",
        contact_name=NAME,
        contact_phone=NUMBER,
    )
    _loop(desk, ticket, text=text)
    walk_in = services.ticket_receive(
        by=desk[0],
        project=world.projects["binhai"],
        ticket_type="repair",
        channel="web_form",
        subject=f"{NAME}家门锁损坏",
        description="入户门锁损坏。",
        contact_name=NAME,
        contact_phone=SECOND,
    )
    assert Notification.objects.filter(title__contains=NAME).exists()
    assert _traces(NAME, NUMBER, SECOND)

    request = erasure_request(by=world.users["servicemgr"], customer=person, reason="客户要求")
    erasure_approve(by=world.users["datasteward"], request=request)

    assert _traces(NAME, NUMBER, SECOND) == []
    kept = Ticket.objects.unscoped("test").filter(pk__in=[ticket.pk, walk_in.pk])
    assert kept.count() == 2
    ticket.refresh_from_db()
    assert (ticket.contact_name, ticket.contact_phone) == ("", "")
    assert ticket.status == "assigned" and ticket.loops == 1  # the facts stay
    assert "家楼上漏水" in ticket.description  # the rest of the text stays
