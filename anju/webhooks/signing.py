"""The signature of a delivery (INT-2): ``X-Anju-Signature: t=<unix ts>,v1=<hex>``.

``v1`` is HMAC-SHA256 with the subscription's secret over ``f"{t}.{body}"`` (the raw body
bytes, not a re-serialised JSON). ``t`` is also sent as ``X-Anju-Timestamp``; a receiver
refuses a timestamp more than a few minutes old, so a captured request cannot be replayed
later, and deduplicates on ``X-Anju-Delivery`` (the same on every retry).
"""

import hashlib
import hmac

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={int(timestamp)},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance=TOLERANCE_SECONDS):
    """True if ``header`` signs ``body`` with ``secret`` and is recent (the receiver's side)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
