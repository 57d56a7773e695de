"""A follow-up task on one project about a customer of another project: 李娜 works on both
and logs a call on 云境 from her own 滨海花园 customer, so the call's tasks are 云境's. The
manager of 云境 oversees those tasks, not that customer: the title names him masked, the
SMS text and the outcome (which greet and describe him) are left out — in the team list,
the task's page, the API and the export. 李娜, the assignee, sees everything (ORG-2, as a
call's, a visit's and an opportunity's customer)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.core.masking import mask_name
from anju.customers.models import Customer
from anju.customers.services import customer_register
from anju.org.services import role_assign
from anju.reception.models import FollowUpTask
from anju.reception.services import call_log

pytestmark = pytest.mark.django_db

NAME = "欧阳晓峰"
PHONE = "13912348770"


@pytest.fixture
def cross_project_tasks(world):
    li = world.users["consultant"]
    role_assign(
        by=None,
        user=li,
        role="sales_consultant",
        company=world.companies["sz"],
        project=world.projects["yunjing"],
    )
    customer = customer_register(
        by=li,
        company=world.companies["sz"],
        project=world.projects["binhai"],
        name=NAME,
        phone=PHONE,
    ).customer
    call_log(by=li, project=world.projects["yunjing"], phone=PHONE, name=NAME, rings=2)
    tasks = FollowUpTask.objects.filter(customer=customer, project=world.projects["yunjing"])
    assert tasks.exists()
    # overdue, so the manager's team list shows them
    tasks.update(due_date=timezone.localdate() - timedelta(days=3))
    return customer, list(tasks)


def assert_masked(text, customer, where):
    assert mask_name(NAME) in text, f"{where} does not show the masked name"
    for secret in (NAME, customer.code, PHONE, f"/customers/{customer.pk}/"):
        assert secret not in text, f"{where} shows {secret!r}"


def test_the_manager_of_the_task_s_project_does_not_learn_who_it_is_about(
    world, login, yunjing_manager, cross_project_tasks
):
    customer, tasks = cross_project_tasks
    assert not Customer.objects.visible_to(yunjing_manager).filter(pk=customer.pk).exists()
    client = login(yunjing_manager)
    team = client.get("/reception/tasks/team/").content.decode()
    assert team.count('data-testid="task"') >= len(tasks)  # he oversees them
    assert_masked(team, customer, "the team tasks")
    for task in tasks:
        page = client.get(f"/reception/tasks/{task.pk}/")
        assert page.status_code == 200
        assert_masked(page.content.decode(), customer, f"task {task.pk}")
        answer = client.get(f"/api/v1/tasks/{task.pk}").json()
        assert answer["customer_id"] is None and answer["message"] == ""
        assert answer["title"] == f"{task.get_kind_display()} · {mask_name(NAME)}"
    export = client.get("/reception/export/tasks.csv")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert text.count("\n") > len(tasks)
    for secret in (NAME, customer.code, PHONE):
        assert secret not in text


def test_the_assignee_sees_whom_his_task_is_about(world, login, cross_project_tasks):
    customer, tasks = cross_project_tasks
    client = login(world.users["consultant"])
    for task in tasks:
        page = client.get(f"/reception/tasks/{task.pk}/").content.decode()
        assert NAME in page and task.title in page
        answer = client.get(f"/api/v1/tasks/{task.pk}").json()
        assert answer["customer_id"] == customer.pk and answer["title"] == task.title
        assert answer["message"] == task.message
