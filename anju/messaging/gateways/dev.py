"""The development gateway (MSG-5): the default when no real provider is configured.

It "sends" by appending one JSON line per message to ``<ANJU_VAR_DIR>/messages/dev-gateway.jsonl``
and the page /messaging/dev-outbox/ shows those lines, so the demo visibly sends. Like a real
provider given an out id, it accepts an idempotency key once: a row sent again after a worker
died is answered "accepted" with the first line's id and written no second time. Workers in
several processes share the file under an exclusive lock.
"""

import fcntl
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import Gateway, SendResult


def dev_outbox_path() -> Path:
    return Path(settings.VAR_DIR) / "messages" / "dev-gateway.jsonl"


class _SeenKeys:
    """The keys already in the file, read incrementally (only what other processes appended)."""

    def __init__(self):
        self.path = None
        self.offset = 0
        self.ids: dict[str, str] = {}

    def refresh(self, handle, path) -> None:
        if path != self.path or os.fstat(handle.fileno()).st_size < self.offset:
            self.path, self.offset, self.ids = path, 0, {}
        handle.seek(self.offset)
        for line in handle:
            if not line.endswith("\n"):
                break  # a line a killed process left half-written: ignore it
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            self.ids.setdefault(entry.get("dedupe", ""), entry.get("id", ""))
        self.offset = handle.tell()


_SEEN = _SeenKeys()


def _dedupe_key(message) -> str:
    return f"{message.pk}:{message.idempotency_key}"


def _line(message, provider_id: str) -> dict:
    return {
        "id": provider_id,
        "key": message.idempotency_key,
        "dedupe": _dedupe_key(message),
        "channel": message.channel,
        "kind": message.kind,
        "to": message.to,
        "subject": message.subject,
        "text": message.full_text,
        "at": timezone.now().isoformat(),
    }


class DevGateway(Gateway):
    max_batch = 500
    dedupes_by_key = True  # a key already in the file is answered with its first id

    def __init__(self, channel: str):
        self.channel = channel
        self.name = "dev"

    def describe(self) -> str:
        return f"dev → {dev_outbox_path()}"

    def send(self, messages):
        path = dev_outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        results = []
        with open(path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                _SEEN.refresh(handle, path)
                lines = []
                for message in messages:
                    dedupe = _dedupe_key(message)
                    provider_id = _SEEN.ids.get(dedupe)
                    if provider_id is None:
                        provider_id = f"dev-{message.pk}"
                        _SEEN.ids[dedupe] = provider_id
                        lines.append(json.dumps(_line(message, provider_id), ensure_ascii=False))
                    results.append(
                        SendResult(message_id=message.pk, accepted=True, provider_id=provider_id)
                    )
                if lines:
                    handle.seek(0, os.SEEK_END)
                    handle.write("\n".join(lines) + "\n")
                    handle.flush()
                    _SEEN.offset = handle.tell()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return results


def read_dev_outbox(limit: int = 200) -> list[dict]:
    """The newest ``limit`` lines the development gateway wrote, newest first."""
    path = dev_outbox_path()
    if not path.exists():
        return []
    entries = []
    with open(path, "rb") as handle:
        # The file only grows in development; read its tail, not all of it.
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - limit * 2048))
        if handle.tell():
            handle.readline()  # skip the partial first line
        for line in handle:
            try:
                entries.append(json.loads(line.decode("utf-8")))
            except ValueError:
                continue
    return list(reversed(entries[-limit:]))
