"""Staff notifications (issue 13 item 7): the in-app list, and a message for who has a phone.

``notify(users, key=…, title=…, url=…)`` inside the caller's transaction writes one row per
user; the same ``key`` for the same user is written once, so a sweep that runs every minute
tells each person once. Rows are personal: each user reads only his own (``for_user``).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification


@dataclass(frozen=True)
class Notice:
    """One notice for some users: written once per user and ``key``."""

    users: tuple
    key: str
    title: str
    url: str = ""
    body: str = ""


def notify(users, *, key: str, title: str, url: str = "", body: str = "") -> list[Notification]:
    """Tell each of ``users`` (once per ``key``). Returns the rows written now."""
    return notify_many([Notice(tuple(users), key, title, url, body)])


def notify_many(notices) -> list[Notification]:
    """Every notice in one read and one write (the SLA sweep tells hundreds at once)."""
    rows = {}
    for notice in notices:
        for user in notice.users:
            if user is None or not getattr(user, "is_active", True):
                continue
            row = Notification(
                user=user,
                key=notice.key[:120],
                title=notice.title[:200],
                url=notice.url[:200],
                body=notice.body[:500],
            )
            rows.setdefault((user.pk, row.key), row)
    if not rows:
        return []
    known = set(
        Notification.objects.filter(
            key__in={key for _user, key in rows}, user__in={user for user, _key in rows}
        ).values_list("user_id", "key")
    )
    rows = [row for pair, row in rows.items() if pair not in known]
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
                    row.pk = None
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
