"""E-mail over SMTP against a real local SMTP server (aiosmtpd) started by the tests (MSG-5)."""

import datetime
import socket
from itertools import count
from types import SimpleNamespace

import pytest

from anju.messaging.gateways.smtp import (
    IDEMPOTENCY_HEADER,
    SmtpEmailGateway,
    SmtpSettings,
    message_id_for,
)

from .smtp_fake import free_port

_pks = count(1)


def email(
    to="wang@example.com",
    subject="滨海花园开放日邀请",
    body="王先生您好：\n周六上午十点，欢迎到访。",
    key=None,
):
    pk = next(_pks)
    return SimpleNamespace(
        pk=pk,
        to=to,
        subject=subject,
        body=body,
        full_text=body,
        channel="email",
        idempotency_key=key or f"test-mail:{pk}",
    )


def gateway(port, **overrides):
    config = dict(
        host="127.0.0.1", port=port, tls="none", from_address="noreply@anju.test", timeout=3
    )
    config.update(overrides)
    return SmtpEmailGateway(SmtpSettings(**config))


def test_an_email_really_crosses_smtp_with_chinese_intact(smtp_server):
    message = email(key="campaign:3:customer:41")
    [result] = gateway(smtp_server.port).send([message])
    assert result.accepted, result
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "noreply@anju.test"
    assert envelope.rcpt_tos == ["wang@example.com"]
    [received] = smtp_server.parsed()
    assert received["Subject"] == "滨海花园开放日邀请"
    assert (
        received.get_content().replace("\r\n", "\n").strip()
        == "王先生您好：\n周六上午十点，欢迎到访。"
    )
    # the idempotency key travels with the e-mail: a header and the Message-ID derived from it
    assert received[IDEMPOTENCY_HEADER] == "campaign:3:customer:41"
    assert received["Message-ID"] == message_id_for("campaign:3:customer:41")
    assert result.provider_id == received["Message-ID"]
    # the raw bytes on the wire are ASCII-safe (RFC 2047 subject, encoded body)
    raw = smtp_server.envelopes[0].original_content
    assert "滨海".encode() not in raw.split(b"\r\n\r\n", 1)[0]


def test_the_same_key_always_gives_the_same_message_id():
    assert message_id_for("a") == message_id_for("a") != message_id_for("b")


def test_a_refused_recipient_fails_and_the_rest_still_go(smtp_server):
    messages = [email(to="nobody@example.com"), email(to="later@example.com"), email()]
    results = gateway(smtp_server.port).send(messages)
    refused, busy, ok = results
    assert not refused.accepted and not refused.retryable and refused.error_code == "smtp_550"
    assert not busy.accepted and busy.retryable and busy.error_code == "smtp_451"
    assert ok.accepted
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["wang@example.com"]]


def test_an_invalid_address_fails_without_a_transaction(smtp_server):
    [result] = gateway(smtp_server.port).send([email(to="not-an-address")])
    assert result.error_code == "invalid_address" and not result.retryable
    assert smtp_server.envelopes == []


def test_a_server_that_is_down_makes_every_message_retryable():
    results = gateway(free_port()).send([email(), email()])
    assert [r.error_code for r in results] == ["smtp_unavailable"] * 2
    assert all(r.retryable and not r.accepted for r in results)


def test_a_server_that_does_not_answer_times_out(smtp_server):
    with socket.socket() as silent:  # accepts the connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        [result] = gateway(silent.getsockname()[1], timeout=0.5).send([email()])
    assert result.error_code == "smtp_unavailable" and result.retryable


def test_login_with_the_environments_credentials(smtp_server):
    [result] = gateway(smtp_server.port, user="anju", password="s3cret").send([email()])
    assert result.accepted
    [result] = gateway(smtp_server.port, user="anju", password="wrong").send([email()])
    assert result.error_code == "smtp_auth" and not result.retryable, result
    assert len(smtp_server.envelopes) == 1


def test_starttls_required_but_not_offered_is_a_configuration_error(smtp_server):
    [result] = gateway(smtp_server.port, tls="starttls").send([email()])
    assert result.error_code == "smtp_unsupported" and not result.retryable
    assert smtp_server.envelopes == []


def test_settings_come_from_the_environment_only():
    config = SmtpSettings.from_environ(
        {
            "ANJU_SMTP_HOST": "smtp.example.com",
            "ANJU_SMTP_PORT": "2525",
            "ANJU_SMTP_USER": "u",
            "ANJU_SMTP_PASSWORD": "p",
            "ANJU_SMTP_TLS": "ssl",
            "ANJU_SMTP_FROM": "crm@example.com",
        }
    )
    assert (config.host, config.port, config.tls, config.from_address) == (
        "smtp.example.com",
        2525,
        "ssl",
        "crm@example.com",
    )
    assert "password='p'" not in repr(config)
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        SmtpSettings.from_environ({"ANJU_SMTP_HOST": "x"})
    with pytest.raises(ImproperlyConfigured):
        SmtpSettings.from_environ(
            {"ANJU_SMTP_HOST": "x", "ANJU_SMTP_FROM": "a@b.c", "ANJU_SMTP_TLS": "maybe"}
        )


# --- through the outbox: the company's sender name, masked errors (review 11 #18, #8) ------


def _queue_email(customer, to, key):
    from anju.messaging.models import Channel, Kind
    from anju.messaging.services import message_enqueue

    return message_enqueue(
        by=None,
        company=customer.company,
        channel=Channel.EMAIL,
        kind=Kind.SERVICE,
        to=to,
        subject="看房确认",
        body="您的看房预约已确认。",
        idempotency_key=key,
        customer=customer,
    )


@pytest.mark.django_db
def test_the_companys_sender_name_is_the_from_of_its_emails(world, customer, at_local, smtp_server):
    from anju.messaging.outbox import run_pass
    from anju.messaging.services import messaging_settings_update

    at_local(10)
    messaging_settings_update(
        by=world.users["management"],
        company=customer.company,
        quiet_start=datetime.time(21),
        quiet_end=datetime.time(8),
        email_from_name="滨海花园销售中心",
    )
    _queue_email(customer, "wang@example.com", "mail:from-name")
    result = run_pass(channels=["email"], gateways={"email": gateway(smtp_server.port)})
    assert result.sent == 1
    [received] = smtp_server.parsed()
    assert received["From"].addresses[0].display_name == "滨海花园销售中心"
    assert received["From"].addresses[0].addr_spec == "noreply@anju.test"


@pytest.mark.django_db
def test_an_address_quoted_in_a_refusal_is_recorded_and_shown_masked(
    world, customer, at_local, smtp_server, login
):
    from anju.messaging.models import Message
    from anju.messaging.outbox import run_pass

    at_local(10)
    [direct] = gateway(smtp_server.port).send([email(to="unknown.li@example.com")])
    assert direct.error_code == "smtp_550" and "unknown.li@" not in direct.error
    assert "u***@example.com" in direct.error

    message = _queue_email(customer, "unknown.wang@example.com", "mail:refused")
    run_pass(channels=["email"], gateways={"email": gateway(smtp_server.port)})
    message = Message.objects.unscoped("test").get(pk=message.pk)
    assert message.status == "failed" and "unknown.wang" not in message.error
    # a row recorded before the masking is still shown masked, on the page and in the API
    Message.objects.unscoped("test").filter(pk=message.pk).update(
        error="550 <unknown.wang@example.com> rejected; call 13912345678"
    )
    client = login(world.users["management"])
    page = client.get(f"/messaging/messages/{message.pk}/").content.decode()
    api = client.get(f"/api/v1/messages/{message.pk}").json()
    for shown in (page, api["error"]):
        assert "unknown.wang@" not in shown and "13912345678" not in shown
        assert "u***@example.com" in shown and "139****5678" in shown
