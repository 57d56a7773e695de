"""Who may be named responsible (SVC-4 step 3): whoever will see the ticket once it is his —
a desk role covering the project, an engineer of the project, or the project's sales
consultant for a sales-promise complaint (``services.may_work``: he works his own ticket).

Found while building the assignment form (svcpages): the check asked the database whether
the person sees the ticket *as it is* — still someone else's, or not saved yet — so a
consultant could never be assigned and a ticket could never be received with a named
responsible person."""

import pytest

from anju.core.errors import ApplicationError
from anju.service import services
from anju.service.models import Status


def test_a_sales_promise_complaint_goes_to_the_projects_consultant(world, receive):
    agent, consultant = world.users["service"], world.users["consultant"]
    ticket = receive(category="sales_promise", subject="车位优惠未兑现")
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=consultant)
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED and ticket.responsible == consultant
    # he works his own ticket: the cause is his to find
    services.ticket_analyse(by=consultant, ticket=ticket, cause="认购时口头承诺未写入合同")


def test_a_ticket_is_received_with_a_named_responsible_person(world, receive):
    ticket = receive(responsible=world.users["engineer"])
    assert ticket.responsible == world.users["engineer"]


def test_nobody_outside_the_project_is_named(world, receive):
    agent = world.users["service"]
    ticket = receive()
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    for outsider in ("consultant_zh", "manager_zh"):  # 珠海
        with pytest.raises(ApplicationError) as refused:
            services.ticket_assign(by=agent, ticket=ticket, responsible=world.users[outsider])
        assert refused.value.field == "responsible_id"
    with pytest.raises(ApplicationError):
        receive(responsible=world.users["consultant_zh"])


def test_the_assignment_form_offers_who_may_take_the_ticket(world, login, receive):
    agent = world.users["service"]
    ticket = receive(category="sales_promise")
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    page = login(agent).get(f"/service/tickets/{ticket.pk}/")
    choices = {
        v.value for v, _label in page.context["forms"]["assign"].fields["responsible"].choices if v
    }
    u = world.users
    assert {u["engineer"].pk, u["consultant"].pk, u["servicemgr"].pk, agent.pk} <= choices
    # the project's people: not 云境's consultant, nobody of 珠海
    assert not {u["consultant2"].pk, u["consultant_zh"].pk} & choices


def test_who_must_call_the_customer_may_reveal_his_number(world, receive, desk, login):
    """Issue 9 item 1's rule on the service side: the ticket's responsible may reveal the
    customer's phone; the desk once the revisits (phone calls) are due, not before; nobody
    else of the service side (no role there may unmask personal data)."""
    from anju.core.models import PersonalDataAccess
    from anju.customers.services import may_reveal

    from .test_workflow import _to_implemented

    agent, _manager, _management, engineer = desk
    ticket = receive()
    customer = ticket.customer
    assert ticket.responsible == agent  # who receives answers first: he calls back
    assert may_reveal(agent, customer) and not may_reveal(engineer, customer)
    services.ticket_judge(by=agent, ticket=ticket, valid=True)
    services.ticket_assign(by=agent, ticket=ticket, responsible=engineer)
    assert may_reveal(engineer, customer)  # his ticket: he calls the owner
    assert not may_reveal(agent, customer)  # the desk, before the revisits are due

    other = receive()
    _to_implemented(other, desk)
    assert may_reveal(agent, other.customer)  # revisits due: the desk calls
    assert not may_reveal(world.users["manager_zh"], other.customer)  # another company
    page = login(agent).get(f"/service/tickets/{other.pk}/").content.decode()
    assert f"/customers/{other.customer.pk}/reveal/phone/" in page
    shown = login(agent).post(f"/customers/{other.customer.pk}/reveal/phone/")
    assert shown.status_code == 200 and other.customer.phone in shown.content.decode()
    assert (
        PersonalDataAccess.objects.unscoped("test")
        .filter(user=agent, target_id=other.customer.pk, fields="phone")
        .exists()
    )
    services.revisit_record(by=agent, ticket=other, satisfaction="satisfied")
    services.revisit_record(by=agent, ticket=other, satisfaction="satisfied")
    services.ticket_close(by=agent, ticket=other, summary="业主满意")
    assert not may_reveal(agent, other.customer)  # closed: no call owed any more
