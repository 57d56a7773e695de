"""E-mail over SMTP behind the gateway interface (MSG-5).

One connection per batch (``smtplib``; STARTTLS, implicit TLS or plain, optional login), one
SMTP transaction per message. Each e-mail is UTF-8 (a Chinese subject is RFC 2047 encoded,
the body quoted-printable or base64 as the library chooses), its ``Message-ID`` is derived
from the outbox row's idempotency key (``<sha256-prefix@anju.outbox>``: the same row sent
again carries the same Message-ID, so a mail system that deduplicates on it keeps one) and
the key itself travels in ``X-Anju-Idempotency-Key``.

Nothing raises out of ``send()``: a recipient the server refuses with a 5xx reply fails for
good; a 4xx reply (greylisting, a full mailbox), a server that is down, times out or drops
the connection makes the message — and every message after it in the batch — retryable.
A refused login is a configuration error: not retried, the operator fixes it and retries.

Settings (environment only; docs/operations.md "Messaging gateways"): ``ANJU_SMTP_HOST``,
``ANJU_SMTP_PORT`` (587), ``ANJU_SMTP_USER``, ``ANJU_SMTP_PASSWORD``, ``ANJU_SMTP_TLS``
(``starttls`` default, ``ssl`` or ``none``), ``ANJU_SMTP_FROM`` (the sender address),
``ANJU_SMTP_TIMEOUT`` (seconds, default 10).
"""

import hashlib
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

from anju.core.masking import mask_contact_text

from .base import Gateway, SendResult

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "X-Anju-Idempotency-Key"
MESSAGE_ID_DOMAIN = "anju.outbox"
TLS_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    tls: str = "starttls"
    from_address: str = ""
    timeout: float = 10.0

    @classmethod
    def from_environ(cls, environ=None) -> "SmtpSettings":
        environ = os.environ if environ is None else environ
        host = environ.get("ANJU_SMTP_HOST", "").strip()
        from_address = environ.get("ANJU_SMTP_FROM", "").strip()
        if not host or not from_address:
            raise ImproperlyConfigured(
                "ANJU_EMAIL_GATEWAY=smtp needs ANJU_SMTP_HOST and ANJU_SMTP_FROM in the environment"
            )
        try:
            validate_email(from_address)
        except ValidationError:
            raise ImproperlyConfigured("ANJU_SMTP_FROM is not an e-mail address") from None
        tls = (environ.get("ANJU_SMTP_TLS", "") or "starttls").strip().lower()
        if tls not in TLS_MODES:
            raise ImproperlyConfigured(f"ANJU_SMTP_TLS must be one of {', '.join(TLS_MODES)}")
        try:
            port = int(environ.get("ANJU_SMTP_PORT", "") or (465 if tls == "ssl" else 587))
            timeout = float(environ.get("ANJU_SMTP_TIMEOUT", "") or 10)
        except ValueError:
            raise ImproperlyConfigured(
                "ANJU_SMTP_PORT / ANJU_SMTP_TIMEOUT must be numbers"
            ) from None
        if not 0 < port < 65536 or not 0 < timeout <= 300:
            raise ImproperlyConfigured("ANJU_SMTP_PORT or ANJU_SMTP_TIMEOUT is out of range")
        return cls(
            host=host,
            port=port,
            user=environ.get("ANJU_SMTP_USER", "").strip(),
            password=environ.get("ANJU_SMTP_PASSWORD", ""),
            tls=tls,
            from_address=from_address,
            timeout=timeout,
        )


def message_id_for(idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def build_email(message, *, from_address: str, from_name: str = "") -> EmailMessage:
    email = EmailMessage()
    email["From"] = (
        Address(display_name=from_name, addr_spec=from_address) if from_name else from_address
    )
    email["To"] = message.to
    email["Subject"] = message.subject or (message.body.splitlines() or [""])[0][:60]
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = message_id_for(message.idempotency_key)
    email[IDEMPOTENCY_HEADER] = message.idempotency_key
    email.set_content(message.full_text, charset="utf-8")
    return email


class _Stop(Exception):
    """The connection is gone or unusable: the rest of the batch is retried later."""

    def __init__(self, code: str, text: str, *, retryable: bool = True):
        super().__init__(text)
        self.code = code
        self.text = mask_contact_text(text)[:500]
        self.retryable = retryable


def _reply_text(code, reply) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {reply}".strip()


class SmtpEmailGateway(Gateway):
    name = "smtp"
    channel = "email"
    max_batch = 50
    # A Message-ID is only deduplicated by some mail systems, never promised by SMTP.
    dedupes_by_key = False

    def __init__(self, config: SmtpSettings | None = None):
        self.config = config or SmtpSettings.from_environ()

    def describe(self) -> str:
        return f"smtp → {self.config.host}:{self.config.port} ({self.config.tls})"

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        try:
            if config.tls == "ssl":
                connection = smtplib.SMTP_SSL(
                    config.host,
                    config.port,
                    timeout=config.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
                if config.tls == "starttls":
                    connection.starttls(context=ssl.create_default_context())
            if config.user:
                connection.login(config.user, config.password)
            return connection
        except smtplib.SMTPAuthenticationError as error:
            raise _Stop(
                "smtp_auth", _reply_text(error.smtp_code, error.smtp_error), retryable=False
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise _Stop(
                "smtp_unsupported", f"the server does not support it: {error}", retryable=False
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise _Stop("smtp_unavailable", f"{type(error).__name__}: {error}") from error

    def send(self, messages: list) -> list[SendResult]:
        results: list[SendResult] = []
        try:
            connection = self._connect()
        except _Stop as stop:
            return [self._failed(m, stop.code, stop.text, stop.retryable) for m in messages]
        try:
            for index, message in enumerate(messages):
                try:
                    results.append(self._send_one(connection, message))
                except _Stop as stop:
                    log.warning(
                        "smtp: %s; %s message(s) left for later", stop.text, len(messages) - index
                    )
                    results.extend(
                        self._failed(m, stop.code, stop.text, True) for m in messages[index:]
                    )
                    break
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()
        return results

    def _send_one(self, connection: smtplib.SMTP, message) -> SendResult:
        try:
            validate_email(message.to)
        except ValidationError:
            return self._failed(message, "invalid_address", "not an e-mail address", False)
        email = build_email(
            message, from_address=self.config.from_address, from_name=self._from_name(message)
        )
        try:
            refused = connection.send_message(
                email, from_addr=self.config.from_address, to_addrs=[message.to]
            )
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients.get(message.to, (550, b"refused"))
            return self._failed(
                message, f"smtp_{code}", _reply_text(code, reply), 400 <= code < 500
            )
        except smtplib.SMTPSenderRefused as error:
            return self._failed(
                message,
                f"smtp_{error.smtp_code}",
                _reply_text(error.smtp_code, error.smtp_error),
                400 <= error.smtp_code < 500,
            )
        except smtplib.SMTPDataError as error:
            return self._failed(
                message,
                f"smtp_{error.smtp_code}",
                _reply_text(error.smtp_code, error.smtp_error),
                not 500 <= error.smtp_code < 600,
            )
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
            raise _Stop("smtp_unavailable", f"{type(error).__name__}: {error}") from error
        except smtplib.SMTPException as error:
            raise _Stop("smtp_error", f"{type(error).__name__}: {error}") from error
        if refused:
            code, reply = refused.get(message.to, (550, b"refused"))
            return self._failed(
                message, f"smtp_{code}", _reply_text(code, reply), 400 <= code < 500
            )
        return SendResult(message_id=message.pk, accepted=True, provider_id=email["Message-ID"])

    @staticmethod
    def _from_name(message) -> str:
        """The company's sender name (messaging settings), set on the row by the outbox."""
        return (getattr(message, "sender_name", "") or "").strip()

    @staticmethod
    def _failed(message, code: str, text: str, retryable: bool) -> SendResult:
        return SendResult(
            message_id=message.pk,
            accepted=False,
            error_code=code[:60],
            # A server's reply often quotes the recipient: recorded and shown masked.
            error=mask_contact_text(text)[:500],
            retryable=retryable,
        )
