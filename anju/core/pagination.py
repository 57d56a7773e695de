"""Pagination for list pages: page numbers with a capped count.

Counting a million visible rows costs more than showing a page of them, so the count stops
at ``COUNT_CAP`` and the page shows "10,000+" (measured in docs/benchmarks.md).
"""

from dataclasses import dataclass

from django.conf import settings

COUNT_CAP = 10_000
MAX_PAGE = 200  # deeper than anyone pages by hand; search or filter instead


@dataclass
class Page:
    object_list: list
    number: int
    per_page: int
    count: int
    count_capped: bool
    has_next: bool

    def __iter__(self):  # like Django's Page: templates loop over the page itself
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def next_page_number(self):
        return self.number + 1

    @property
    def num_pages(self):
        return max(1, -(-self.count // self.per_page))

    @property
    def start_index(self):
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self):
        return (self.number - 1) * self.per_page + len(self.object_list)


def capped_count(queryset) -> int:
    """Rows of ``queryset``, counted up to COUNT_CAP + 1 (more means "10,000+").

    Only the primary key is selected: a list's annotations (the source channel's name is a
    subquery per row) and joins would otherwise run for every counted row (issue 10).
    """
    try:
        return queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    except AttributeError:  # a list
        return len(queryset)


def first_page_or_count(queryset, number: int, per_page: int):
    """(rows, count) for page 1 — rows read first, and a list that fits on one page needs
    no COUNT query (a search, a narrow filter: issue 10); (None, count) for later pages,
    whose number is checked against the count before the rows are read."""
    if number == 1:
        rows = list(queryset[: per_page + 1])
        if len(rows) <= per_page:
            return rows, len(rows)
        return rows, capped_count(queryset)
    return None, capped_count(queryset)


def paginate(queryset, page_param, *, per_page=None) -> Page:
    """Page ``page_param`` (any user input) of ``queryset``: two queries, whatever the size."""
    per_page = per_page or settings.ANJU_PAGE_SIZE
    try:
        number = int(page_param or 1)
    except (TypeError, ValueError):
        number = 1
    number = min(max(number, 1), MAX_PAGE)
    rows, count = first_page_or_count(queryset, number, per_page)
    capped = count > COUNT_CAP
    last_page = max(1, -(-min(count, COUNT_CAP) // per_page))
    number = min(number, last_page) if not capped else number
    if rows is None:
        offset = (number - 1) * per_page
        rows = list(queryset[offset : offset + per_page + 1])
    return Page(
        object_list=rows[:per_page],
        number=number,
        per_page=per_page,
        count=min(count, COUNT_CAP),
        count_capped=capped,
        has_next=len(rows) > per_page,
    )
