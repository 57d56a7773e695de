"""Gateway callbacks (issue 11 item 11, MSG-3, MSG-5): Aliyun's delivery reports (SmsReport)
and replies (SmsUp) pushed to Anju, end to end: the outbox worker sends through the Aliyun
adapter to the local dysmsapi server, then the reports name the messages by the provider's id.
"""

import json
import time

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from anju.messaging.gateways.aliyun import AliyunSettings, AliyunSmsGateway
from anju.messaging.models import Channel, ConsentChange, Kind, Message, OptOut, Status
from anju.messaging.outbox import run_pass
from anju.messaging.services import message_enqueue
from anju.webhooks.signing import signature_header

from .aliyun_fake import KEY_ID, SECRET

pytestmark = pytest.mark.django_db

REPORT_URL = "/api/v1/messaging/callbacks/aliyun/sms-report"
UP_URL = "/api/v1/messaging/callbacks/aliyun/sms-up"
CALLBACK_SECRET = "cb-secret-测试"


@pytest.fixture(autouse=True)
def _callback_secret(settings):
    settings.ANJU_SMS_CALLBACK_SECRET = CALLBACK_SECRET


def push(url, items, *, token=CALLBACK_SECRET, raw=None, headers=None):
    body = raw if raw is not None else json.dumps(items, ensure_ascii=False).encode()
    target = f"{url}?token={token}" if token else url
    headers = {"Accept-Language": "en", **(headers or {})}  # the reasons are asserted in English
    return Client().post(target, body, content_type="application/json", headers=headers)


def enqueue(customer, n, *, kind=Kind.SERVICE, phone=None, body="您的看房预约已确认。"):
    return [
        message_enqueue(
            by=None,
            company=customer.company,
            channel=Channel.SMS,
            kind=kind,
            to=phone or f"1390000{n:04d}",
            body=body,
            idempotency_key=f"test-callback:{kind}:{n}:{phone}",
            customer=customer,
            source="test",
        )
        for n in ([n] if isinstance(n, int) else n)
    ]


def aliyun(server):
    return AliyunSmsGateway(
        AliyunSettings(
            access_key_id=KEY_ID,
            access_key_secret=SECRET,
            endpoint=server.url,
            free_text_template="SMS_100001",
            timeout=2,
        )
    )


def send_all(server, messages):
    server.signs.update(m.signature for m in messages)
    run_pass(channels=[Channel.SMS], gateways={Channel.SMS: aliyun(server)})
    return [Message.objects.unscoped("test").get(pk=m.pk) for m in messages]


def report_for(received, *, success=True, code="DELIVERED", at="2026-05-12 10:00:05"):
    return {
        "phone_number": received["number"],
        "send_time": "2026-05-12 10:00:00",
        "report_time": at,
        "success": success,
        "err_code": code,
        "err_msg": "用户接收成功" if success else "失败",
        "sms_size": "1",
        "biz_id": received["biz_id"],
        "out_id": received["out_id"],
    }


# --- delivery reports ------------------------------------------------------------------------


def test_reports_move_sent_messages_to_delivered_or_failed_once(customer, aliyun_server, at_local):
    at_local(10)
    messages = send_all(aliyun_server, enqueue(customer, range(3)))
    assert {m.status for m in messages} == {Status.SENT}
    assert {m.gateway for m in messages} == {"aliyun"}
    assert [c["Action"] for c in aliyun_server.calls] == ["SendBatchSms"]
    by_number = {r["number"]: r for r in aliyun_server.received}
    first, second, third = (by_number[m.to] for m in messages)

    items = [report_for(first), report_for(second, success=False, code="MK:0001")]
    response = push(REPORT_URL, items)
    assert response.status_code == 200, response.content
    assert response.json()["code"] == 0 and response.json()["msg"] == "接收成功"
    rows = {
        m.pk: m for m in Message.objects.unscoped("test").filter(pk__in=[m.pk for m in messages])
    }
    delivered, failed, untouched = (rows[m.pk] for m in messages)
    assert delivered.status == Status.DELIVERED
    assert timezone.localtime(delivered.delivered_at).isoformat() == "2026-05-12T10:00:05+08:00"
    assert failed.status == Status.FAILED and failed.error_code == "MK:0001"
    assert untouched.status == Status.SENT

    # Aliyun pushes again (it retries until it gets 200): nothing changes
    before = list(Message.objects.unscoped("test").filter(pk__in=rows).values().order_by("pk"))
    later = [report_for(first, at="2026-05-12 11:00:00"), report_for(second, success=True)]
    assert push(REPORT_URL, later).status_code == 200
    after = list(Message.objects.unscoped("test").filter(pk__in=rows).values().order_by("pk"))
    assert after == before


def test_a_report_for_an_unknown_message_changes_nothing(customer, aliyun_server):
    unknown = {"number": "13900009999", "biz_id": "123^0", "out_id": "x"}
    before = list(Message.objects.unscoped("test").values_list("pk", "status").order_by("pk"))
    response = push(REPORT_URL, [report_for(unknown)])
    assert response.status_code == 200
    after = list(Message.objects.unscoped("test").values_list("pk", "status").order_by("pk"))
    assert after == before


# --- replies ---------------------------------------------------------------------------------


def reply(phone, content="TD"):
    return {
        "phone_number": phone,
        "content": content,
        "send_time": "2026-05-12 10:03:00",
        "dest_code": "1234",
        "sequence_id": 1234567890,
    }


def test_a_td_reply_opts_the_number_out_and_cancels_queued_marketing(customer, at_local):
    at_local(10)
    phone = "13900001234"
    [marketing] = enqueue(customer, 1, kind=Kind.MARKETING, phone=phone, body="周六开盘")
    [service] = enqueue(customer, 2, kind=Kind.SERVICE, phone=phone)
    assert marketing.status == Status.QUEUED

    response = push(UP_URL, [reply(phone, " td "), reply("13900004321", "谢谢")])
    assert response.status_code == 200, response.content
    assert response.json()["opted_out"] == 1 and response.json()["ignored"] == 1
    assert OptOut.objects.filter(channel=Channel.SMS, address=phone).exists()
    assert not OptOut.objects.filter(address="13900004321").exists()
    assert Message.objects.unscoped("test").get(pk=marketing.pk).status == Status.CANCELLED
    assert (
        Message.objects.unscoped("test").get(pk=service.pk).status == Status.QUEUED
    )  # service goes on
    change = ConsentChange.objects.get(address=phone)
    assert change.source == ConsentChange.Source.REPLY and change.opted_out

    # the same push again: still one opt-out, one history row
    assert push(UP_URL, [reply(phone, "退订")]).status_code == 200
    assert ConsentChange.objects.filter(address=phone).count() == 1


# --- authentication --------------------------------------------------------------------------


def test_an_unsigned_push_is_401_and_a_wrong_one_403(customer, at_local):
    at_local(10)
    phone = "13900001235"
    enqueue(customer, 3, kind=Kind.MARKETING, phone=phone)
    items = [reply(phone)]
    unsigned = push(UP_URL, items, token="")
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "callback_unsigned"
    wrong = push(UP_URL, items, token="guess")
    assert wrong.status_code == 403 and wrong.json()["code"] == "callback_bad_signature"
    body = json.dumps(items).encode()
    stale = signature_header(CALLBACK_SECRET, int(time.time()) - 3600, body)
    old = push(UP_URL, None, raw=body, token="", headers={"X-Anju-Signature": stale})
    assert old.status_code == 403
    forged = signature_header("another secret", int(time.time()), body)
    assert (
        push(UP_URL, None, raw=body, token="", headers={"X-Anju-Signature": forged}).status_code
        == 403
    )
    assert not OptOut.objects.filter(address=phone).exists()

    signed = signature_header(CALLBACK_SECRET, int(time.time()), body)
    ok = push(UP_URL, None, raw=body, token="", headers={"X-Anju-Signature": signed})
    assert ok.status_code == 200
    assert OptOut.objects.filter(address=phone).exists()


def test_callbacks_are_off_without_a_secret(settings):
    settings.ANJU_SMS_CALLBACK_SECRET = ""
    response = push(REPORT_URL, [], token="anything")
    assert response.status_code == 403 and response.json()["code"] == "callbacks_disabled"


# --- bad input -------------------------------------------------------------------------------

GOOD = {
    "phone_number": "13900000001",
    "success": True,
    "biz_id": "1^0",
    "report_time": "2026-05-12 10:00:00",
}


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"not json", "not JSON"),
        (b'{"phone_number": "13900000001"}', "JSON array"),
        (json.dumps([GOOD, "x"]).encode(), "item 1"),
        (json.dumps([{**GOOD, "biz_id": ""}]).encode(), "biz_id"),
        (json.dumps([{**GOOD, "success": "true"}]).encode(), "success"),
        (json.dumps([{**GOOD, "report_time": "yesterday"}]).encode(), "report_time"),
        (json.dumps([{**GOOD, "biz_id": ["a"]}]).encode(), "biz_id"),
        (b'[{"phone_number": "\\udc00"}]', ""),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_a_malformed_report_is_400_with_a_reason(raw, reason):
    response = push(REPORT_URL, None, raw=raw)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "callback_malformed"
    assert reason in response.json()["detail"]


def test_one_bad_item_refuses_the_whole_push(customer, aliyun_server, at_local):
    at_local(10)
    [message] = send_all(aliyun_server, enqueue(customer, 7))
    good = report_for(aliyun_server.received[0])
    response = push(REPORT_URL, [good, {**good, "success": None}])
    assert response.status_code == 400 and "item 1" in response.json()["detail"]
    assert Message.objects.unscoped("test").get(pk=message.pk).status == Status.SENT


def test_an_odd_number_in_a_reply_push_is_skipped_and_the_opt_outs_still_apply(
    customer, at_local, caplog
):
    """One reply from something that is no mobile must not refuse the push: Aliyun would
    retry it and every opt-out in it would be lost (review 11 #6)."""
    at_local(10)
    phone = "13900001299"
    [marketing] = enqueue(customer, 9, kind=Kind.MARKETING, phone=phone, body="周六开盘")
    items = [
        reply("not a number"),
        reply(phone, "TD"),
        {"content": "TD", "send_time": "2026-05-12 10:03:00"},  # no number at all
        reply("106900001234567", "退订"),  # a service number, no mobile
    ]
    response = push(UP_URL, items)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["unusable"] == 3 and answer["opted_out"] == 1 and answer["received"] == 4
    assert OptOut.objects.filter(channel=Channel.SMS, address=phone).exists()
    assert Message.objects.unscoped("test").get(pk=marketing.pk).status == Status.CANCELLED
    logged = " ".join(r.getMessage() for r in caplog.records if "unusable" in r.getMessage())
    assert "skipped reply item 0" in logged and "106900001234567" not in logged


def test_a_reply_push_with_a_number_of_the_wrong_type_is_still_400():
    response = push(UP_URL, [reply(["13900001234"])])
    assert response.status_code == 400 and response.json()["code"] == "callback_malformed"
    assert "item 0" in response.json()["detail"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
report_like = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "phone_number": st.text(max_size=15) | st.just("13900000001"),
            "success": json_values,
            "biz_id": json_values,
            "report_time": st.text(max_size=20) | st.just("2026-05-12 10:00:00"),
            "err_code": json_values,
            "content": json_values,
            "send_time": json_values,
        },
    ),
    max_size=3,
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values | report_like)
def test_no_body_ever_makes_a_callback_fail_with_a_5xx(body):
    for url in (REPORT_URL, UP_URL):
        response = push(url, body)
        assert response.status_code in (200, 400), (url, body, response.content)


@pytest.mark.django_db
def test_a_push_larger_than_the_server_reads_is_a_413_not_a_500(settings):
    """Found by the contract run: the body was read before any check, and Django's limit
    raised through the view."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answer = push(REPORT_URL, [{"phone_number": "13800138000", "padding": "x" * 2000}])
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"
