"""A local HTTP SMS provider for the tests, and the gateway adapter that talks to it.

``ProviderServer`` behaves like a real provider given an out id: it accepts an idempotency key
once — a key sent again is answered "accepted" with the first id and counted as a repeated
delivery, not delivered again. It can answer 500, stall past the client's timeout, and kill
the worker that sent a request right after accepting it (the worst moment: the provider has
the messages, the worker has not recorded it).

``HttpTestGateway`` is selected in worker processes with
``ANJU_SMS_GATEWAY=anju.messaging.tests.http_gateway.HttpTestGateway`` and
``ANJU_TEST_GATEWAY_URL``.
"""

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from anju.messaging.gateways.base import Gateway, GatewayError, SendResult


class ProviderServer:
    def __init__(self, *, latency=0.0):
        self.lock = threading.Lock()
        self.accepted: dict[str, str] = {}  # key → provider id
        self.repeats: dict[str, int] = {}  # key → times it came again
        self.requests = 0
        self.latency = latency
        self.mode = "ok"  # "ok", "500", "stall"
        self.stall_seconds = 5.0
        self.kill_after: list[int] = []  # kill the sender once this many keys are accepted
        self.killed: list[int] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.httpd.server_address
        return f"http://{host}:{port}/send"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def repeated_deliveries(self) -> int:
        return sum(self.repeats.values())

    def handle(self, request):
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"{}")
        with self.lock:
            self.requests += 1
            mode = self.mode
        if mode == "500":
            return self._answer(request, 500, {"code": "InternalError"})
        if mode == "stall":
            time.sleep(self.stall_seconds)
            return self._answer(request, 503, {"code": "Late"})
        if self.latency:
            time.sleep(self.latency)
        results, kill = [], None
        with self.lock:
            for item in body.get("messages", []):
                key = item["key"]
                if key in self.accepted:
                    self.repeats[key] = self.repeats.get(key, 0) + 1
                    results.append({"key": key, "accepted": True, "id": self.accepted[key]})
                else:
                    self.accepted[key] = f"p-{len(self.accepted) + 1}"
                    results.append({"key": key, "accepted": True, "id": self.accepted[key]})
            if self.kill_after and len(self.accepted) >= self.kill_after[0]:
                self.kill_after.pop(0)
                kill = int(request.headers.get("X-Worker-Pid") or 0)
        if kill:
            # The provider has the messages; the worker dies before it can record them.
            os.kill(kill, signal.SIGKILL)
            with self.lock:
                self.killed.append(kill)
            return
        self._answer(request, 200, {"results": results})

    @staticmethod
    def _answer(request, status, payload):
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass


class HttpTestGateway(Gateway):
    name = "http-test"
    channel = "sms"
    max_batch = 50
    dedupes_by_key = True  # ProviderServer accepts a key once

    def __init__(self):
        self.url = os.environ.get("ANJU_TEST_GATEWAY_URL", "")
        self.timeout = float(os.environ.get("ANJU_TEST_GATEWAY_TIMEOUT", "2"))

    def send(self, messages):
        payload = {
            "messages": [
                {"key": m.idempotency_key, "to": m.to, "text": m.full_text} for m in messages
            ]
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-Worker-Pid": str(os.getpid())},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"provider answered {exc.code}", code=f"http_{exc.code}") from exc
        except TimeoutError as exc:
            raise GatewayError("provider timed out", code="timeout") from exc
        by_key = {r["key"]: r for r in answer.get("results", [])}
        results = []
        for m in messages:
            r = by_key.get(m.idempotency_key)
            if r is None:
                results.append(SendResult(m.pk, False, error_code="no_answer", retryable=True))
            elif r.get("accepted"):
                results.append(SendResult(m.pk, True, provider_id=r["id"]))
            else:
                results.append(
                    SendResult(
                        m.pk,
                        False,
                        error_code=r.get("code", "refused"),
                        retryable=bool(r.get("retryable")),
                    )
                )
        return results
