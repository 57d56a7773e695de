"""The rate limit of a gateway (issue 11 item 6), shared by every worker process.

One row per gateway holds the next free sending slot. A worker about to send ``n`` messages
locks the row, takes the slots from ``max(now, next free)`` on (n / rate seconds), commits,
and sleeps until its first slot (``outbox.wait_for_slots``, which keeps the rows' lease over
the wait): however many workers run, the gateway gets no more than ``rate`` messages per
second on average.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import GatewayThrottle


def reserve(gateway: str, count: int, rate: float) -> float:
    """Reserve ``count`` sends on ``gateway``; returns the seconds to wait before sending."""
    if rate <= 0 or count <= 0:
        return 0.0
    with transaction.atomic():
        now = timezone.now()
        GatewayThrottle.objects.get_or_create(gateway=gateway, defaults={"available_at": now})
        row = GatewayThrottle.objects.select_for_update().get(gateway=gateway)
        start = max(now, row.available_at)
        row.available_at = start + timedelta(seconds=count / rate)
        row.save(update_fields=["available_at"])
    return max(0.0, (start - now).total_seconds())
