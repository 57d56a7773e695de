"""The caller's own notices through the API (issue 13 item 7): the list behind the bell.

Notices are personal: each user reads and marks only his own, whatever his role.
"""

from datetime import datetime

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from .api_types import Input, Pagination, RefId
from .notifications import for_user, mark_read, unread_count

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str = Field(description="the page of what it is about (relative), or empty")
    created_at: datetime
    read_at: datetime | None
    unread: bool

    @staticmethod
    def resolve_unread(obj):
        return obj.read_at is None


class NotificationQuery(Schema):
    unread: bool | None = Field(None, description="true: only unread ones; false: only read")


@router.get("/notifications", response=list[NotificationOut])
@paginate(Pagination)
def list_notifications(request, filters: Query[NotificationQuery]):
    """Your notices, newest first (assignments, escalations, the daily list …)."""
    rows = for_user(request.user)
    if filters.unread is not None:
        rows = rows.filter(read_at__isnull=filters.unread)
    return rows


class NotificationsReadIn(Input):
    """Mark notices read: the ``ids`` given (others' ids are ignored), or all when left out."""

    ids: list[RefId] | None = Field(None, max_length=500)


class NotificationsReadOut(Schema):
    marked: int = Field(description="notices marked read now")
    unread: int = Field(description="your notices still unread")


@router.post("/notifications/read", response=NotificationsReadOut)
def read_notifications(request, payload: NotificationsReadIn):
    marked = mark_read(request.user, payload.ids)
    return {"marked": marked, "unread": unread_count(request.user)}
