"""A real webhook receiver for the tests: ``http.server`` on 127.0.0.1 in a thread."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    status: int
    at: float

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers the statuses in ``script`` in turn (then ``then``), after ``delay`` seconds."""

    url: str = ""
    script: list = field(default_factory=list)
    then: int = 200
    delay: float = 0.0
    answer: bytes = b'{"ok": true}'
    location: str | None = None
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else self.then

    @property
    def delivered(self):
        return [r for r in self.requests if 200 <= r.status < 300]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.next_status()
            if receiver.delay:
                time.sleep(receiver.delay)
            with receiver.lock:
                receiver.requests.append(
                    Received(self.path, dict(self.headers), body, status, time.time())
                )
            try:
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)
            except OSError:
                pass  # the sender gave up (timeout)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/anju"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook_admin(world):
    """An administrator who is also the company's data steward (may grant ``may_unmask``)."""
    from anju.org.models import User
    from anju.org.services import role_assign

    user = User.objects.create(
        username="hookadmin", display_name="接口管理员", company=world.companies["sz"]
    )
    for role in ("administrator", "data_steward"):
        role_assign(by=None, user=user, role=role, company=world.companies["sz"])
    return user
