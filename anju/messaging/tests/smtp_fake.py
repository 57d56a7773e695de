"""A real local SMTP server for the tests (aiosmtpd): what crossed SMTP, parsed back.

Addresses starting with "nobody" are refused for good (550), "unknown" too with the address
quoted in the reply, "later" for now (451); the
login "anju"/"s3cret" is accepted (AUTH without TLS, on 127.0.0.1 only).
"""

import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Mailbox:
    """What crossed SMTP; addresses starting with "nobody" are refused for good (550),
    "later" for now (451)."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 No such user here"
        if address.startswith("later"):
            return "451 4.2.0 Mailbox busy, try again later"
        if address.startswith("unknown"):  # a reply quoting the address, as Postfix does
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self):
        return [
            message_from_bytes(e.original_content, policy=default_policy) for e in self.envelopes
        ]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"anju",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=_authenticator,
        auth_require_tls=False,
        decode_data=False,
    )
    controller.start()
    yield mailbox
    controller.stop()
