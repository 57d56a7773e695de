"""SVC-4 step 3: the responsible department is the responsible person's own. Found walking
the service manager's day: the form took 工程部 with "客服专员·刘洋", who is not in it, and
the ticket then named a department that had nobody on it."""

import pytest

from anju.core.errors import ApplicationError
from anju.org.models import Department
from anju.service import services


@pytest.fixture
def accepted(world, receive):
    ticket = receive()
    services.ticket_judge(by=world.users["service"], ticket=ticket, valid=True)
    ticket.refresh_from_db()
    return ticket


def _other_department(person):
    return (
        Department.objects.unscoped("test")
        .filter(company=person.company)
        .exclude(pk=person.department_id)
        .first()
    )


def test_a_person_is_not_assigned_for_a_department_he_is_not_in(world, accepted):
    agent, engineer = world.users["service"], world.users["engineer"]
    assert engineer.department_id
    before = (accepted.responsible_id, accepted.department_id, accepted.status)
    with pytest.raises(ApplicationError) as refused:
        services.ticket_assign(
            by=agent, ticket=accepted, responsible=engineer, department=_other_department(engineer)
        )
    assert refused.value.field == "department_id"
    assert engineer.department.name in refused.value.message
    accepted.refresh_from_db()
    assert (accepted.responsible_id, accepted.department_id, accepted.status) == before


def test_without_a_choice_the_department_is_the_persons_own(world, accepted):
    agent, engineer = world.users["service"], world.users["engineer"]
    services.ticket_assign(by=agent, ticket=accepted, responsible=engineer)
    accepted.refresh_from_db()
    assert accepted.department_id == engineer.department_id
    # reassigned to someone of another department, the ticket follows him (API and page alike)
    services.ticket_assign(by=agent, ticket=accepted, responsible=agent)
    accepted.refresh_from_db()
    assert accepted.responsible == agent and accepted.department_id == agent.department_id


def test_the_form_says_why(world, accepted, login):
    agent, engineer = world.users["service"], world.users["engineer"]
    before = accepted.responsible_id
    answer = login(agent).post(
        f"/service/tickets/{accepted.pk}/assign/",
        {"responsible": engineer.pk, "department": _other_department(engineer).pk},
        follow=True,
    )
    assert engineer.department.name in answer.content.decode()
    accepted.refresh_from_db()
    assert accepted.responsible_id == before != engineer.pk


def test_the_api_refuses_it_with_the_field(world, accepted, login):
    agent, engineer = world.users["service"], world.users["engineer"]
    answer = login(agent).post(
        f"/api/v1/service/tickets/{accepted.pk}/transitions",
        {
            "action": "assign",
            "responsible_id": engineer.pk,
            "department_id": _other_department(engineer).pk,
        },
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "department_id"
