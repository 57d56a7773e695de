"""The one gateway interface (MSG-5): every SMS or e-mail provider is an adapter of it.

A gateway takes a batch of outbox rows and answers one ``SendResult`` per row. It must hand
each row's ``idempotency_key`` to the provider (Aliyun's OutId, an e-mail's Message-ID, …) so
that a row sent again after a worker died is recognised by the provider and delivered once.
A provider that says "already accepted" for a key is an accepted send, not an error.

Errors: a row the provider refuses for good (an invalid number, a banned word) is
``accepted=False, retryable=False``; a throttle, a 5xx or a timeout is ``retryable=True``
and the worker retries it later with back-off. A gateway may also raise ``GatewayError``
(or any exception) for the whole batch: every row is then retried.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    message_id: int
    accepted: bool
    provider_id: str = ""
    error_code: str = ""
    error: str = ""
    retryable: bool = False


class GatewayError(Exception):
    """The whole batch failed (timeout, connection refused, 5xx): retry every row later."""

    def __init__(self, message: str, *, code: str = "gateway_error", retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class Gateway:
    """Send outbox rows through one provider. Subclasses set ``name``/``channel``, ``send``."""

    name: str = ""
    channel: str = ""
    # The most rows one send() call gets (a provider's batch limit).
    max_batch: int = 100
    # Does the provider accept an idempotency key once (a row sent again after its worker's
    # lease ran out is answered "already accepted", not delivered twice)? If not — the safe
    # default — the outbox never resends a row whose send may have happened: it marks it
    # UNCERTAIN for a person (outbox.py).
    dedupes_by_key: bool = False

    def send(self, messages: list) -> list[SendResult]:
        raise NotImplementedError(f"{type(self).__name__} does not implement send()")

    def describe(self) -> str:
        """One line for the operator (the outbox page, logs); never credentials."""
        return self.name


def results_for_failure(messages, exc: BaseException) -> list[SendResult]:
    """The results of a batch that failed as a whole: every row retryable (or not)."""
    code = getattr(exc, "code", "") or "gateway_error"
    retryable = getattr(exc, "retryable", True)
    text = f"{type(exc).__name__}: {exc}"[:500]
    return [
        SendResult(
            message_id=m.pk, accepted=False, error_code=code, error=text, retryable=retryable
        )
        for m in messages
    ]
