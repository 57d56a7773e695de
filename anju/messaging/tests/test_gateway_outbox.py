"""The real adapters behind the outbox worker (MSG-5): chosen by settings, credentials from the
environment; a refusal is FAILED, a provider that is down or throttles is retried later, and
nothing raises out of the worker."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from anju.messaging.gateways.aliyun import AliyunSmsGateway
from anju.messaging.gateways.registry import gateway_for
from anju.messaging.gateways.smtp import SmtpEmailGateway, SmtpSettings
from anju.messaging.models import Channel, Kind, Message, Status
from anju.messaging.outbox import run_pass
from anju.messaging.services import message_enqueue, template_create

from .aliyun_fake import KEY_ID, SECRET
from .smtp_fake import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def aliyun_env(monkeypatch, settings, aliyun_server):
    settings.ANJU_MESSAGE_GATEWAYS = {"sms": "aliyun", "email": "smtp"}
    for name, value in {
        "ANJU_ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
        "ANJU_ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
        "ANJU_ALIYUN_SMS_ENDPOINT": aliyun_server.url,
        "ANJU_ALIYUN_SMS_TIMEOUT": "2",
        "ANJU_ALIYUN_SMS_FREE_TEXT_TEMPLATE": "SMS_100001",
    }.items():
        monkeypatch.setenv(name, value)
    return aliyun_server


def row(message):
    return Message.objects.unscoped("test").get(pk=message.pk)


def sms(customer, key, *, to, body="您好", kind=Kind.SERVICE, template=None):
    return message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.SMS,
        kind=kind,
        to=to,
        body=body,
        idempotency_key=key,
        customer=customer,
        template=template,
    )


def test_the_environment_chooses_the_adapters_and_holds_their_credentials(aliyun_env, monkeypatch):
    assert isinstance(gateway_for(Channel.SMS), AliyunSmsGateway)
    assert SECRET not in gateway_for(Channel.SMS).describe()
    monkeypatch.delenv("ANJU_ALIYUN_SMS_ACCESS_KEY_SECRET")
    with pytest.raises(ImproperlyConfigured):
        gateway_for(Channel.SMS)
    monkeypatch.setenv("ANJU_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ANJU_SMTP_FROM", "crm@anju.test")
    assert isinstance(gateway_for(Channel.EMAIL), SmtpEmailGateway)


def test_a_template_with_a_provider_code_goes_out_with_its_variables(
    aliyun_env, customer, at_local, world
):
    at_local(10)
    aliyun_env.signs.add(customer.company.name)
    template = template_create(
        by=world.users["manager"],
        company=customer.company,
        name="开放日",
        body="{称呼}您好，{项目}周六开放日欢迎到访。",
        provider_template_code="SMS_200002",
    )
    message = sms(
        customer,
        "test:provider-template:1",
        to="13900002222",
        body="王先生您好，滨海花园周六开放日欢迎到访。",
        kind=Kind.MARKETING,
        template=template,
    )
    aliyun_env.signs.add(row(message).signature)
    run_pass(channels=[Channel.SMS])
    assert row(message).status == Status.SENT
    [got] = aliyun_env.received
    assert got["template"] == "SMS_200002"
    assert got["params"] == {"chenghu": "王先生", "xiangmu": "滨海花园"}
    assert got["out_id"] == "test:provider-template:1"


def test_refused_fails_throttled_and_down_are_retried(aliyun_env, customer, at_local):
    at_local(10)
    aliyun_env.blacklist.add("13900003333")
    refused = sms(customer, "k:refused", to="13900003333")
    aliyun_env.signs.add(row(refused).signature)
    ok = sms(customer, "k:ok", to="13900003334")
    run_pass(channels=[Channel.SMS])
    assert row(refused).status == Status.FAILED
    assert row(refused).error_code == "isv.BLACK_KEY_CONTROL_LIMIT"
    assert row(ok).status == Status.SENT

    aliyun_env.script = ["throttle"] * 10
    throttled = sms(customer, "k:throttled", to="13900003335")
    run_pass(channels=[Channel.SMS], gateways={Channel.SMS: AliyunSmsGateway(sleep=lambda s: None)})
    again = row(throttled)
    assert again.status == Status.QUEUED and again.not_before is not None
    assert again.error_code == "Throttling.User" and again.attempts == 1


def test_an_email_through_the_worker_and_a_server_that_is_down(customer, at_local, smtp_server):
    at_local(10)
    sent = message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.EMAIL,
        kind=Kind.SERVICE,
        to="owner@example.com",
        subject="交房通知",
        body="您好，您的房屋将于下月交付。",
        idempotency_key="handover:1",
        customer=customer,
    )
    up = SmtpEmailGateway(
        SmtpSettings(
            host="127.0.0.1", port=smtp_server.port, tls="none", from_address="crm@anju.test"
        )
    )
    run_pass(channels=[Channel.EMAIL], gateways={Channel.EMAIL: up})
    assert row(sent).status == Status.SENT
    assert smtp_server.parsed()[0]["Subject"] == "交房通知"

    later = message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.EMAIL,
        kind=Kind.SERVICE,
        to="owner@example.com",
        subject="缴费提醒",
        body="请于月底前缴费。",
        idempotency_key="payment:1",
        customer=customer,
    )
    down = SmtpEmailGateway(
        SmtpSettings(host="127.0.0.1", port=free_port(), tls="none", from_address="crm@anju.test")
    )
    run_pass(channels=[Channel.EMAIL], gateways={Channel.EMAIL: down})
    assert row(later).status == Status.QUEUED and row(later).error_code == "smtp_unavailable"


# --- the provider template code on templates (form, page, API) --------------------------------


def test_templates_take_a_provider_code_through_the_api(world, login):
    client = login(world.users["manager"])
    made = client.post(
        "/api/v1/message-templates",
        {
            "name": "开放日短信",
            "body": "{称呼}您好，{项目}开放日。",
            "provider_template_code": "SMS_4711",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["provider_template_code"] == "SMS_4711"
    changed = client.patch(
        f"/api/v1/message-templates/{made.json()['id']}",
        {"provider_template_code": "SMS 4711;"},
        content_type="application/json",
    )
    assert changed.status_code == 422 and changed.json()["field"] == "provider_template_code"
    email = client.post(
        "/api/v1/message-templates",
        {
            "name": "邮件",
            "channel": "email",
            "subject": "通知",
            "body": "您好",
            "provider_template_code": "SMS_1",
        },
        content_type="application/json",
    )
    assert email.status_code == 422 and email.json()["field"] == "provider_template_code"


def test_the_template_page_shows_the_text_to_register_at_the_provider(world, login):
    client = login(world.users["manager"])
    page = client.post(
        "/messaging/templates/new/",
        {
            "name": "到访感谢",
            "channel": "sms",
            "kind": "marketing",
            "body": "{称呼}您好，感谢到访{项目}。",
            "provider_template_code": "SMS_5000",
        },
        follow=True,
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "SMS_5000" in html
    assert "${chenghu}您好，感谢到访${xiangmu}。 回T退订" in html
