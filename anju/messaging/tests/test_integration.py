"""SAL-2 through the outbox, the 360° timeline, merge and PIPL (issue 11 items 10 and 11)."""

import pytest

from anju.messaging import services
from anju.messaging.integration import (
    erase_messages,
    message_rows,
    messages_timeline,
    move_messages,
    send_followup_sms,
)
from anju.messaging.models import Channel, Kind, Message, Status
from anju.reception import hooks

pytestmark = pytest.mark.django_db


def _sms_task(world, customer):
    from anju.reception.followup_rules import render_thank_you_sms
    from anju.reception.models import FollowUpTask, TaskKind
    from anju.reception.selectors import local_today

    return FollowUpTask.objects.create(
        company=customer.company,
        project=customer.project,
        kind=TaskKind.SMS,
        rule="call.thank_you_sms",
        due_date=local_today(),
        title="感谢来电短信",
        message=render_thank_you_sms(
            name=customer.name,
            gender=customer.gender,
            project_name=customer.project.name,
            consultant=customer.owner,
        ),
        assignee=customer.owner,
        customer=customer,
    )


def test_the_sender_is_registered_with_reception():
    assert send_followup_sms in hooks.sms_senders()


def test_thank_you_sms_goes_through_the_outbox_as_service(world, customer, at_local):
    at_local(23)  # at night: a service message is not held
    services.opt_out(by=None, channel=Channel.SMS, address=customer.phone)  # marketing only
    task = _sms_task(world, customer)
    assert send_followup_sms(task) is True
    message = Message.objects.unscoped("test").get(idempotency_key=f"reception.task:{task.pk}")
    assert message.kind == Kind.SERVICE and message.status == Status.QUEUED
    assert message.signature and message.full_text.startswith(f"【{message.signature}】")
    assert "回T退订" not in message.body and message.body == task.message
    assert send_followup_sms(task) is True  # offered again: still one message
    assert Message.objects.unscoped("test").filter(source=f"reception.task:{task.pk}").count() == 1


def test_the_offer_task_completes_the_followup(world, customer, at_local):
    from anju.reception.models import TaskStatus
    from anju.reception.tasks import offer_sms_task

    at_local(10)
    task = _sms_task(world, customer)
    assert offer_sms_task.call(task.pk) is True
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_a_thank_you_that_missed_its_day_is_not_sent_late(world, customer):
    import datetime

    task = _sms_task(world, customer)
    task.due_date -= datetime.timedelta(days=2)
    assert send_followup_sms(task) is False
    assert not Message.objects.unscoped("test").filter(source=f"reception.task:{task.pk}").exists()


def _message(customer, key="t-1"):
    return services.message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.SMS,
        kind=Kind.SERVICE,
        to=customer.phone,
        body=f"{customer.name}您好",
        idempotency_key=key,
        customer=customer,
    )


def test_timeline_shows_messages_to_who_sees_them(world, customer, at_local):
    at_local(10)
    message = _message(customer)
    entries = list(messages_timeline(world.users["management"], customer, 10))
    assert entries[0].record_id == message.pk and entries[0].url  # newest first
    assert list(messages_timeline(world.users["consultant_zh"], customer, 10)) == []


def test_merge_repoints_messages_to_the_survivor(world, customer, at_local):
    from anju.customers.models import Customer

    at_local(10)
    message = _message(customer)
    survivor = (
        Customer.objects.unscoped("test")
        .filter(company=customer.company, merged_into=None)
        .exclude(pk=customer.pk)
        .first()
    )
    before = Message.objects.unscoped("test").filter(customer=customer).count()
    assert move_messages(duplicate=customer, survivor=survivor) == {"messages": before}
    assert not Message.objects.unscoped("test").filter(customer=customer).exists()
    message.refresh_from_db()
    assert message.customer_id == survivor.pk


def test_pipl_package_and_erasure(world, customer, at_local):
    from anju.customers.privacy import Erasure

    at_local(10)
    sent = _message(customer, "sent")
    at_local(23)
    queued = services.message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.SMS,
        kind=Kind.MARKETING,
        to=customer.phone,
        body=f"{customer.name}您好",
        idempotency_key="held",
        customer=customer,
    )
    rows = message_rows(customer)
    assert {r["body"] for r in rows} >= {sent.body}
    erasure = Erasure(
        company_id=customer.company_id,
        customer_ids=[customer.pk],
        phones={customer.phone},
        names={customer.name},
        other_secrets=set(),
        label="已删除客户",
    )
    erase_messages(erasure)
    sent.refresh_from_db()
    queued.refresh_from_db()
    assert customer.name not in sent.body and sent.to == ""
    assert queued.status == Status.CANCELLED
    assert Message in erasure.touched
