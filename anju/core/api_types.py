"""Shared API parameter types: bounded so that no input can overflow the database (SEC-4).

Use ``Id`` for every id in a path or a filter, and ``Pagination`` for every list::

    @router.get("/things", response=list[ThingOut])
    @paginate(Pagination)
    def list_things(request, project_id: Id | None = None): ...
"""

from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from .pagination import COUNT_CAP, capped_count

MAX_ID = 2**53  # beyond any real row, and inside every database's integer range
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 500

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Pagination(PageNumberPagination):
    """Page-number pagination with bounded page and page size (default 50, at most 500)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int = Field(description=f"rows matching, counted up to {COUNT_CAP:,}")
        count_capped: bool = Field(description=f"true when more than {COUNT_CAP:,} rows match")

    def __init__(self, page_size: int = 50, max_page_size: int = MAX_PAGE_SIZE, **kwargs):
        super().__init__(page_size=page_size, max_page_size=max_page_size, **kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        # Counting a million visible rows costs more than the page itself: cap it as the
        # list pages do (core/pagination.py, measured in docs/benchmarks.md).
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        count = capped_count(queryset)
        return {
            "items": queryset[offset : offset + page_size],
            "count": min(count, COUNT_CAP),
            "count_capped": count > COUNT_CAP,
        }
