"""Shared API parameter types: bounded so that no input can overflow the database (SEC-4).

Use ``Id`` for every id in a path or a filter, and ``Pagination`` for every list::

    @router.get("/things", response=list[ThingOut])
    @paginate(Pagination)
    def list_things(request, project_id: Id | None = None): ...
"""

from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_ID = 2**53  # beyond any real row, and inside every database's integer range
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 500

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Pagination(PageNumberPagination):
    """Page-number pagination with bounded page and page size (default 50, at most 500)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, page_size: int = 50, max_page_size: int = MAX_PAGE_SIZE, **kwargs):
        super().__init__(page_size=page_size, max_page_size=max_page_size, **kwargs)
