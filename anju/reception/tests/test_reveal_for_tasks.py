"""Issue 9 item 1: the holder of an open follow-up task may call the customer — the task
detail and the task list offer the number (one click, logged), the SMS task its text."""

import pytest

from anju.core.models import PersonalDataAccess
from anju.customers.models import Customer
from anju.reception.models import FollowUpTask, TaskKind, TaskStatus
from anju.reception.services import schedule_revisit, task_complete

pytestmark = pytest.mark.django_db


def customer_of(world, who="consultant"):
    return (
        Customer.objects.filter(owner=world.users[who], merged_into__isnull=True)
        .exclude(phone="")
        .first()
    )


def test_a_colleague_with_an_open_task_reveals_until_the_task_is_done(world, login):
    customer = customer_of(world)
    colleague = world.users["keyaccount"]  # same project, not the customer's consultant
    task = schedule_revisit(
        by=world.users["manager"], customer=customer, after="signing", days=1, assignee=colleague
    )
    client = login(colleague)
    detail = client.get(f"/reception/tasks/{task.pk}/").content.decode()
    assert 'data-testid="reveal-phone"' in detail and customer.phone not in detail
    shown = client.post(f"/customers/{customer.pk}/reveal/phone/")
    assert shown.status_code == 200 and f"tel:{customer.phone}" in shown.content.decode()
    assert PersonalDataAccess.objects.filter(target_id=customer.pk, user=colleague).count() == 1
    task_complete(by=colleague, task=task, outcome="已回访")
    assert client.post(f"/customers/{customer.pk}/reveal/phone/").status_code == 404
    assert PersonalDataAccess.objects.filter(target_id=customer.pk, user=colleague).count() == 1


def test_a_task_someone_else_holds_offers_no_number(world, login):
    customer = customer_of(world)
    task = schedule_revisit(
        by=world.users["manager"],
        customer=customer,
        after="signing",
        days=2,
        assignee=world.users["keyaccount"],
    )
    html = login(world.users["manager"]).get(f"/reception/tasks/{task.pk}/").content.decode()
    assert 'data-testid="reveal-phone"' in html  # the manager may unmask in his project
    engineer = login(world.users["engineer"]).get(f"/reception/tasks/{task.pk}/")
    assert engineer.status_code == 404 or b"reveal-phone" not in engineer.content


def test_the_task_list_offers_the_number_and_the_sms_text_to_copy(world, login):
    user = world.users["consultant"]
    open_tasks = FollowUpTask.objects.filter(assignee=user, status=TaskStatus.OPEN)
    sms = open_tasks.filter(kind=TaskKind.SMS).exclude(message="").first()
    assert sms is not None, "the demo gives the consultant an SMS task"
    html = login(user).get("/reception/tasks/").content.decode()
    assert 'data-testid="reveal-phone"' in html
    assert 'data-testid="copy-sms"' in html and sms.message in html
    detail = login(user).get(f"/reception/tasks/{sms.pk}/").content.decode()
    assert f'data-copy="#sms-{sms.pk}"' in detail
