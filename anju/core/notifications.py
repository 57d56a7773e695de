"""Staff notifications (issue 13 item 7): the in-app list, and a message for who has a phone.

``notify(users, key=…, title=…, url=…)`` inside the caller's transaction writes one row per
user; the same ``key`` for the same user is written once, so a sweep that runs every minute
tells each person once. Rows are personal: each user reads only his own (``for_user``).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification


def notify(users, *, key: str, title: str, url: str = "", body: str = "") -> list[Notification]:
    """Tell each of ``users`` (once per ``key``). Returns the rows written now."""
    users = [u for u in dict.fromkeys(users) if u is not None and getattr(u, "is_active", True)]
    if not users:
        return []
    key, title, body = key[:120], title[:200], body[:500]
    known = set(
        Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True)
    )
    rows = [
        Notification(user=u, key=key, title=title, url=url[:200], body=body)
        for u in users
        if u.pk not in known
    ]
    if not rows:
        return []
    try:
        with transaction.atomic():  # a concurrent sweep wrote one first: keep the others
            Notification.objects.bulk_create(rows)
    except IntegrityError:
        written = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
                written.append(row)
            except IntegrityError:
                continue
        return written
    return rows


def for_user(user):
    return Notification.objects.filter(user=user)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at=None).count()


def mark_read(user, ids=None) -> int:
    rows = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
