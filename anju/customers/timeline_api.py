"""``GET /api/v1/customers/{customer_id}/timeline``: a customer's 360° timeline, paged
(CUS-6, issue 8 item 3).

The same entries as the customer page (``timeline.timeline_for``: every app's records and
the customer's events, newest first) and the same scope: a customer you may not see is 404.

Paging: ``page``/``page_size`` over a fixed window of the newest ``TIMELINE_WINDOW``
entries. Every request merges at most ``TIMELINE_WINDOW + 1`` rows of each provider (calls,
visits, tasks, opportunities, events), whatever the page, and slices the same merged list,
so across pages every entry of the window appears exactly once and in the same order
(providers order by time and id, the merge is stable). ``count`` is the number of entries
in the window; ``count_capped`` is true when the customer has older entries beyond it (the
customer page shows the newest 100).

Free text (call questions, reasons …) is masked like a log line: mobile and ID numbers read
138****5678 and 4403**********1234.
"""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from anju.core.api_types import Id, Pagination
from anju.core.masking import mask_text

from . import selectors
from .timeline import timeline_for

router = Router(tags=["customers"])

TIMELINE_WINDOW = 500
TIMELINE_PAGE_SIZE_MAX = 100


class TimelinePagination(Pagination):
    """Page numbers over the newest ``TIMELINE_WINDOW`` entries (default 20 per page)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=TIMELINE_WINDOW)
        page_size: int | None = Field(None, ge=1, le=TIMELINE_PAGE_SIZE_MAX)

    class Output(Schema):
        items: list[Any]
        count: int = Field(description=f"entries in the window (at most {TIMELINE_WINDOW})")
        count_capped: bool = Field(
            description=f"true when older entries exist beyond the newest {TIMELINE_WINDOW}"
        )

    def __init__(self, page_size: int = 20, **kwargs):
        super().__init__(page_size=page_size, max_page_size=TIMELINE_PAGE_SIZE_MAX, **kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        entries = list(queryset)  # at most TIMELINE_WINDOW + 1, newest first
        window = entries[:TIMELINE_WINDOW]
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        return {
            "items": window[offset : offset + page_size],
            "count": len(window),
            "count_capped": len(entries) > TIMELINE_WINDOW,
        }


class TimelineItemOut(Schema):
    kind: str = Field(description="call, visit, task, opportunity, event …")
    kind_label: str = Field(description="the kind in the caller's language")
    occurred_at: datetime
    title: str
    summary: str
    actor_name: str = Field(description="the staff member who did it; empty for the system")
    record_id: int | None = Field(
        description="id of the record of this kind (GET /calls/{id}, /visits/{id}, "
        "/tasks/{id}, /opportunities/{id}; for an event, the event's id)"
    )
    url: str = Field(description="the record's page in the web application, if it has one")

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.kind_label)

    @staticmethod
    def resolve_occurred_at(obj):
        return obj.when

    @staticmethod
    def resolve_title(obj):
        return mask_text(str(obj.title))

    @staticmethod
    def resolve_summary(obj):
        return mask_text(str(obj.body or ""))

    @staticmethod
    def resolve_actor_name(obj):
        return obj.actor or ""


@router.get("/customers/{int:customer_id}/timeline", response=list[TimelineItemOut])
@paginate(TimelinePagination)
def customer_timeline(request, customer_id: Id):
    """The customer's history, newest first: calls, visits, tasks, opportunities and
    recorded events, whoever logged them (a customer you may see). Pages cover the newest
    500 entries; see ``count_capped``."""
    customer = selectors.customer_detail(request.user, customer_id)
    return timeline_for(request.user, customer, limit=TIMELINE_WINDOW + 1)
