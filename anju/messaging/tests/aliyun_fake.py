"""A local stand-in for Aliyun SMS (dysmsapi 2017-05-25) for the tests: a real HTTP server.

It implements the documented request and reply shapes, independently of the adapter: it
recomputes every request's signature (HMAC-SHA1 v1 over the sorted, RFC 3986 encoded
parameters) with its own encoder and answers ``SignatureDoesNotMatch`` (HTTP 400) when it
differs; it refuses a stale ``Timestamp``, a reused ``SignatureNonce`` and an unknown
AccessKey; ``SendSms`` and ``SendBatchSms`` check numbers, signatures, templates and their
variables and answer ``{"Code": "OK", "BizId": …}`` or the ``isv.*`` code Aliyun gives
(HTTP 200). A test scripts faults for the next calls: flow control (``Throttling.User``,
HTTP 400, or ``isv.BUSINESS_LIMIT_CONTROL``), ``InternalError`` (500), an empty balance, a
reply that never comes in time.
"""

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

KEY_ID = "LTAI-test-key"
SECRET = "test-secret-不可外传"
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
COMMON = ("AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp")
NUMBER = re.compile(r"^(?:\+86|0086|86)?1[3-9]\d{9}$")


def rfc3986(text: str) -> str:
    return "".join(
        ch if ch in UNRESERVED else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in text
    )


def expected_signature(secret: str, method: str, params: dict) -> tuple[str, str]:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in pairs)
    to_sign = f"{method}&{rfc3986('/')}&{rfc3986(canonical)}"
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode(), to_sign


class FakeAliyun:
    def __init__(self):
        self.lock = threading.Lock()
        self.templates = {"SMS_100001": {"content"}, "SMS_200002": {"chenghu", "xiangmu"}}
        self.signs = {"滨海置业", "安居", "安居地产"}
        self.blacklist: set[str] = set()
        self.script: list[str] = []  # faults for the next calls, first first
        self.calls: list[dict] = []  # every request that reached the server
        self.received: list[dict] = []  # every message it accepted
        self.nonces: set[str] = set()
        self.biz_ids = itertools.count(900000)
        self.hang_seconds = 3.0
        self.url = ""

    # replies --------------------------------------------------------------------------------

    @staticmethod
    def body(code, message, **extra):
        return {"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper(), **extra}

    def fault(self, name):
        if name == "throttle":
            return 400, self.body("Throttling.User", "Request was denied due to user flow control.")
        if name == "business_limit":
            return 200, self.body("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
        if name == "500":
            return 500, self.body(
                "InternalError", "The request processing has failed due to some unknown error."
            )
        if name == "503":
            return 503, self.body(
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )
        if name == "amount":
            return 200, self.body("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
        if name == "garbage":
            return 502, "<html>Bad Gateway</html>"
        raise AssertionError(name)

    def handle(self, method: str, params: dict):
        with self.lock:
            self.calls.append(params)
            if self.script:
                fault = self.script.pop(0)
                if fault == "hang":
                    return "hang", None
                return self.fault(fault)
            return self.check_and_send(method, params)

    def check_and_send(self, method, params):
        missing = [p for p in (*COMMON, "Signature", "Action", "Version") if not params.get(p)]
        if missing:
            return 400, self.body("MissingParameter", f"{missing[0]} is mandatory for this action.")
        if params["AccessKeyId"] != KEY_ID:
            return 404, self.body(
                "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return 400, self.body("InvalidParameter", "SignatureMethod / SignatureVersion")
        if params["Version"] != "2017-05-25" or params.get("Format", "XML") != "JSON":
            return 400, self.body("InvalidParameter", "Version / Format")
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return 400, self.body("InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if abs((datetime.now(UTC) - stamp).total_seconds()) > 15 * 60:
            return 400, self.body(
                "InvalidTimeStamp.Expired", "Specified time stamp or date header is expired."
            )
        wanted, to_sign = expected_signature(SECRET, method, params)
        if not hmac.compare_digest(wanted, params["Signature"]):
            return 400, self.body(
                "SignatureDoesNotMatch",
                f"Specified signature is not matched with our calculation. server string to sign is:{to_sign}",
                HostId="dysmsapi.aliyuncs.com",
            )
        if params["SignatureNonce"] in self.nonces:
            return 400, self.body(
                "SignatureNonceUsed", "Specified signature nonce was used already."
            )
        self.nonces.add(params["SignatureNonce"])
        if params["Action"] == "SendSms":
            return self.send_sms(params)
        if params["Action"] == "SendBatchSms":
            return self.send_batch(params)
        return 404, self.body("InvalidAction.NotFound", "Specified api is not found.")

    def refuse_message(self, number, sign, template, values):
        if not NUMBER.match(number):
            return "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
        if number[-11:] in self.blacklist:
            return "isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控"
        if sign not in self.signs:
            return "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"
        if template not in self.templates:
            return "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"
        if self.templates[template] - set(values):
            return "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值"
        return None

    def accept(self, action, numbers, signs, template, values, out_id):
        biz_id = f"{next(self.biz_ids)}^0"
        for number, sign, value in zip(numbers, signs, values, strict=True):
            self.received.append(
                {
                    "action": action,
                    "number": number,
                    "sign": sign,
                    "template": template,
                    "params": value,
                    "out_id": out_id,
                    "biz_id": biz_id,
                }
            )
        return 200, self.body("OK", "OK", BizId=biz_id)

    def send_sms(self, params):
        numbers = params.get("PhoneNumbers", "").split(",")
        if len(numbers) > 1000:
            return 200, self.body("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
        try:
            values = json.loads(params["TemplateParam"]) if params.get("TemplateParam") else {}
        except ValueError:
            return 200, self.body("isv.INVALID_JSON_PARAM", "JSON参数不合法")
        for number in numbers:
            refusal = self.refuse_message(
                number, params.get("SignName", ""), params.get("TemplateCode", ""), values
            )
            if refusal:
                return 200, self.body(*refusal)
        signs = [params["SignName"]] * len(numbers)
        return self.accept(
            "SendSms",
            numbers,
            signs,
            params["TemplateCode"],
            [values] * len(numbers),
            params.get("OutId", ""),
        )

    def send_batch(self, params):
        try:
            numbers = json.loads(params.get("PhoneNumberJson", ""))
            signs = json.loads(params.get("SignNameJson", ""))
            values = (
                json.loads(params["TemplateParamJson"])
                if params.get("TemplateParamJson")
                else [{}] * len(numbers)
            )
        except ValueError:
            return 200, self.body("isv.INVALID_JSON_PARAM", "JSON参数不合法")
        if not (isinstance(numbers, list) and isinstance(signs, list) and isinstance(values, list)):
            return 200, self.body("isv.INVALID_PARAMETERS", "参数异常")
        if len(numbers) > 100:
            return 200, self.body("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
        if not (len(numbers) == len(signs) == len(values)):
            return 200, self.body("isv.INVALID_PARAMETERS", "签名、模板变量与号码数量不一致")
        for number, sign, value in zip(numbers, signs, values, strict=True):
            refusal = self.refuse_message(number, sign, params.get("TemplateCode", ""), value)
            if refusal:
                return 200, self.body(*refusal)
        return self.accept(
            "SendBatchSms", numbers, signs, params["TemplateCode"], values, params.get("OutId", "")
        )


def _handler(fake: FakeAliyun):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            params = dict(parse_qsl(raw, keep_blank_values=True))
            status, body = fake.handle("POST", params)
            if status == "hang":
                time.sleep(fake.hang_seconds)
                status, body = 200, fake.body("OK", "OK", BizId="late^0")
            data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            encoded = data.encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def aliyun_server():
    fake = FakeAliyun()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield fake
    server.shutdown()
    server.server_close()
