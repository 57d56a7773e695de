"""The Aliyun SMS adapter against a local server that speaks dysmsapi 2017-05-25 (MSG-5).

The server (``aliyun_fake``) recomputes every signature with its own encoder, so a request
that arrives "OK" was signed as Aliyun documents it.
"""

import time
from itertools import count
from types import SimpleNamespace

import pytest

from anju.messaging.gateways.aliyun import (
    BATCH_LIMIT,
    AliyunSettings,
    AliyunSmsGateway,
    canonical_query,
    mainland_number,
    percent_encode,
    provider_template_text,
    sign_parameters,
    template_params,
    variable_name,
)

from .aliyun_fake import KEY_ID, SECRET, expected_signature

_pks = count(1)


def sms(
    to="13800138000", body="您好", *, key=None, signature="安居", template=None, kind="service"
):
    pk = next(_pks)
    return SimpleNamespace(
        pk=pk,
        to=to,
        body=body,
        signature=signature,
        template=template,
        kind=kind,
        channel="sms",
        idempotency_key=key or f"test:{pk}",
    )


def template(body, code="SMS_200002"):
    return SimpleNamespace(body=body, provider_template_code=code)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def gateway(server, **overrides):
    config = dict(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        endpoint=server.url,
        free_text_template="SMS_100001",
        timeout=2.0,
        deadline=10.0,
    )
    config.update(overrides)
    sleeps = Sleeps()
    return AliyunSmsGateway(AliyunSettings(**config), sleep=sleeps), sleeps


# --- signing ---------------------------------------------------------------------------------


def test_percent_encoding_is_rfc3986():
    assert percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    assert percent_encode("安居") == "%E5%AE%89%E5%B1%85"
    assert percent_encode("-_.") == "-_."


def test_signature_matches_an_independent_computation():
    params = {
        "Action": "SendSms",
        "PhoneNumbers": "13800138000",
        "SignName": "安居",
        "TemplateParam": '{"content": "周六 10:00 开盘*"}',
        "Timestamp": "2026-11-25T02:30:00Z",
        "SignatureNonce": "abc",
    }
    wanted, to_sign = expected_signature(SECRET, "POST", params)
    assert sign_parameters(SECRET, "POST", params) == wanted
    assert to_sign.startswith("POST&%2F&Action%3DSendSms%26PhoneNumbers")
    # the canonical query is sorted by name and leaves Signature out
    assert canonical_query({"b": "1", "a": "2", "Signature": "x"}) == "a=2&b=1"


def test_a_wrong_secret_is_refused_by_the_server_and_not_retried(aliyun_server):
    adapter, _sleeps = gateway(aliyun_server, access_key_secret="wrong")
    messages = [sms(), sms(body="另一条", template=template("{称呼}您好，{项目}", code="SMS_X"))]
    results = adapter.send(messages)
    assert [r.error_code for r in results] == ["SignatureDoesNotMatch"] * 2
    assert not any(r.accepted or r.retryable for r in results)
    assert len(aliyun_server.calls) == 1  # a configuration error stops the batch
    assert aliyun_server.received == []


# --- sending ---------------------------------------------------------------------------------


def test_one_message_goes_out_with_sendsms_and_its_key_as_outid(aliyun_server):
    adapter, _ = gateway(aliyun_server)
    message = sms(body="王先生您好，周六开放日欢迎到访。", key="care:birthday:7:2026")
    [result] = adapter.send([message])
    assert result.accepted and not result.error_code
    [got] = aliyun_server.received
    assert got["action"] == "SendSms"
    assert got["out_id"] == "care:birthday:7:2026"
    assert got["template"] == "SMS_100001"  # free text through the free-text template
    assert got["params"] == {"content": "王先生您好，周六开放日欢迎到访。"}
    assert got["sign"] == "安居"
    assert result.provider_id == f"{got['biz_id']}:13800138000"


def test_template_variables_are_read_back_from_the_final_text(aliyun_server):
    adapter, _ = gateway(aliyun_server)
    tpl = template("{称呼}您好，{项目}本周六开放样板间。")
    message = sms(
        to="+86 138 0013 8001",
        body="王先生您好，滨海花园本周六开放样板间。 回T退订",
        kind="marketing",
        template=tpl,
    )
    [result] = adapter.send([message])
    assert result.accepted, result
    [got] = aliyun_server.received
    assert got["template"] == "SMS_200002"
    assert got["params"] == {"chenghu": "王先生", "xiangmu": "滨海花园"}
    assert got["number"] == "13800138001"


def test_several_messages_of_one_template_go_out_in_batches_of_100(aliyun_server):
    adapter, _ = gateway(aliyun_server)
    messages = [sms(to=f"139{n:08d}", body=f"第{n}条") for n in range(BATCH_LIMIT * 2 + 50)]
    results = adapter.send(messages)
    assert all(r.accepted for r in results)
    actions = [c["Action"] for c in aliyun_server.calls]
    assert actions == ["SendBatchSms"] * 3
    assert len(aliyun_server.received) == 250
    # every number got its own text, and its own provider id
    assert {r["params"]["content"] for r in aliyun_server.received} == {m.body for m in messages}
    assert len({r.provider_id for r in results}) == 250


def test_a_refused_number_in_a_batch_fails_alone(aliyun_server):
    aliyun_server.blacklist.add("13900000002")
    adapter, _ = gateway(aliyun_server)
    messages = [sms(to=f"1390000000{n}") for n in range(4)]
    results = adapter.send(messages)
    assert [r.accepted for r in results] == [True, True, False, True]
    refused = results[2]
    assert refused.error_code == "isv.BLACK_KEY_CONTROL_LIMIT" and not refused.retryable
    assert sorted(r["number"] for r in aliyun_server.received) == [
        "13900000000",
        "13900000001",
        "13900000003",
    ]


def test_numbers_and_texts_that_cannot_go_out_fail_without_a_call(aliyun_server):
    adapter, _ = gateway(aliyun_server, free_text_template="")
    results = adapter.send(
        [
            sms(to="12345"),
            sms(body="自由文本"),
            sms(signature="", body="x", template=template("{称呼}好")),
        ]
    )
    assert [r.error_code for r in results] == [
        "invalid_number",
        "no_provider_template",
        "no_sign_name",
    ]
    assert not any(r.retryable for r in results)
    assert aliyun_server.calls == []


# --- throttling, errors, timeouts ------------------------------------------------------------


def test_throttling_is_waited_out_with_backoff(aliyun_server):
    aliyun_server.script = ["throttle", "business_limit"]
    adapter, sleeps = gateway(aliyun_server)
    [result] = adapter.send([sms()])
    assert result.accepted
    assert sleeps == [0.5, 1.0]
    assert len(aliyun_server.received) == 1


def test_lasting_throttling_gives_up_retryable_after_bounded_tries(aliyun_server):
    aliyun_server.script = ["throttle"] * 20
    adapter, sleeps = gateway(aliyun_server)
    results = adapter.send([sms(), sms(body="b", template=template("{称呼}", code="SMS_200002"))])
    assert all(r.retryable and r.error_code == "Throttling.User" for r in results)
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    assert aliyun_server.received == []


@pytest.mark.parametrize(
    "fault, code",
    [("500", "InternalError"), ("503", "ServiceUnavailable"), ("garbage", "http_error")],
)
def test_server_errors_are_retryable(aliyun_server, fault, code):
    aliyun_server.script = [fault]
    adapter, _ = gateway(aliyun_server)
    [result] = adapter.send([sms()])
    assert not result.accepted and result.retryable and result.error_code == code


def test_an_empty_balance_is_retryable_and_stops_the_batch(aliyun_server):
    aliyun_server.script = ["amount"]
    adapter, _ = gateway(aliyun_server)
    tpl = template("{称呼}您好", code="SMS_200002")
    results = adapter.send([sms(), sms(body="王先生您好", template=tpl)])
    assert [r.error_code for r in results] == ["isv.AMOUNT_NOT_ENOUGH"] * 2
    assert all(r.retryable for r in results)
    assert len(aliyun_server.calls) == 1


def test_a_provider_that_does_not_answer_is_a_bounded_timeout(aliyun_server):
    aliyun_server.script = ["hang"]
    aliyun_server.hang_seconds = 3
    adapter, _ = gateway(aliyun_server, timeout=0.5)
    started = time.monotonic()
    [result] = adapter.send([sms()])
    assert time.monotonic() - started < 2
    assert result.error_code == "timeout" and result.retryable


def test_the_batch_deadline_bounds_the_whole_send(aliyun_server):
    aliyun_server.script = ["hang"] * 5
    aliyun_server.hang_seconds = 2
    adapter, _ = gateway(aliyun_server, timeout=0.6, deadline=1.0)
    tpl_a, tpl_b = template("{称呼}", code="SMS_A"), template("{称呼}", code="SMS_B")
    started = time.monotonic()
    results = adapter.send([sms(), sms(body="x", template=tpl_a), sms(body="y", template=tpl_b)])
    assert time.monotonic() - started < 2
    assert all(r.retryable and not r.accepted for r in results)


def test_a_provider_that_is_down_is_retryable():
    adapter = AliyunSmsGateway(
        AliyunSettings(
            access_key_id=KEY_ID,
            access_key_secret=SECRET,
            endpoint="http://127.0.0.1:9/",
            free_text_template="SMS_100001",
            timeout=1,
        )
    )
    [result] = adapter.send([sms()])
    assert result.error_code == "connection_error" and result.retryable


# --- templates -------------------------------------------------------------------------------


def test_template_params_only_when_the_text_renders_back_exactly():
    body = "{称呼}您好，{项目}的{顾问}({顾问电话})邀您到访。"
    text = "李女士您好，云境的张三(13800138000)邀您到访。"
    assert template_params(body, text) == {
        "chenghu": "李女士",
        "xiangmu": "云境",
        "guwen": "张三",
        "guwendianhua": "13800138000",
    }
    assert template_params(body, "李女士您好，改过的文字") is None
    assert template_params("{称呼}，{称呼}", "王先生，李女士") is None  # one field, two values
    assert template_params("周六开放", "周六开放") == {}


def test_provider_template_text_and_variable_names():
    assert variable_name("顾问电话") == "guwendianhua"
    assert provider_template_text("{称呼}您好，{项目}欢迎您") == "${chenghu}您好，${xiangmu}欢迎您"


@pytest.mark.parametrize(
    "raw, number",
    [
        ("13800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("0086 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("02012345678", None),
        ("+85291234567", None),
    ],
)
def test_mainland_numbers(raw, number):
    assert mainland_number(raw) == number
