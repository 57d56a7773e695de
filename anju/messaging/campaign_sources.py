"""Where a campaign's recipients come from (MSG-2): a customer filter, an event's list, or an
uploaded list. Each source checks its parameters when the campaign is saved
(``check_*``) and, when the list is generated, yields ``Candidate`` rows one by one, in the
order duplicates are recognised, so memory stays flat however long the list is:

- **filter**: ``customers.filters.CustomerFilter`` with the saved parameters, as the user sees
  the customer list (scope included), in the campaign's company (and project), ordered by
  address so a second customer with the same number is the row after the first;
- **event**: ``membership.events_selectors.event_recipients`` (the event's seated list the
  user may see); registrants he may not see are counted as out of scope, never listed;
- **upload**: an .xlsx/.csv read as the customer import reads it (size and zip caps, header
  in Chinese or English); a number is matched to the company's customer holding it: a
  customer the user may not see is left out as out of scope; bad rows are row errors
  (row, column, reason, value) as in the import. A file is bounded (``MAX_ROWS``), so the
  duplicate check of its rows keeps a set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound
from anju.customers.filters import API_NAMES, CustomerFilter, filter_errors
from anju.customers.imports.reading import (
    COLUMN_BY_FIELD,
    MAX_COLUMNS,
    _blank,
    _header_key,
    _raw_rows,
    _read_upload,
)
from anju.customers.models import Customer, CustomerPhone

from .campaigns import Exclusion, RecipientSource
from .models import Channel
from .services import normalise_address

MAX_ROWS = 100_000  # as the customer import
CHUNK = 2000


@dataclass
class Candidate:
    """One row of the list before consent and rendering: a customer and/or an address."""

    customer: Customer | None
    address: str
    name: str = ""
    row: int | None = None
    reason: str = ""  # an exclusion already known (duplicate, no address, out of scope)
    opted_out: bool | None = None  # None: not checked by the source (checked per chunk)


@dataclass
class SourceResult:
    """What a source found besides its candidates: out-of-scope rows it does not list and the
    file's row errors."""

    out_of_scope: int = 0
    errors: list | None = None


# --- the customer filter -----------------------------------------------------------------------


def clean_filter_params(user, params: dict | None) -> dict:
    """The CustomerFilter parameters as saved with the campaign (API names accepted), checked
    as the customer list checks them: an invalid one is refused, naming it."""
    values = {
        API_NAMES.get(k, k): str(v) for k, v in (params or {}).items() if v not in (None, "", False)
    }
    unknown = sorted(set(values) - set(CustomerFilter.base_filters))
    if unknown:
        raise ApplicationError(
            _("Unknown filter: %(names)s.") % {"names": ", ".join(unknown)},
            field="filters",
            code="invalid_filter",
        )
    filterset = _filterset(user, values)
    if not filterset.form.is_valid():
        raise filter_errors(filterset, API_NAMES)
    return values


def _filterset(user, values: dict) -> CustomerFilter:
    data = QueryDict(mutable=True)
    data.update(values)
    return CustomerFilter(data, user=user)


def filter_customers(user, campaign):
    """The customers of the campaign's filter the user may see, in its company (and project)."""
    filterset = _filterset(user, campaign.source_params or {})
    rows = filterset.rows()
    if rows is None:  # e.g. a consultant named in the filter is no longer visible
        raise filter_errors(filterset, API_NAMES)
    rows = rows.filter(company_id=campaign.company_id)
    if campaign.project_id:
        rows = rows.filter(project_id=campaign.project_id)
    return rows


def _customers_by_address(user, campaign, rows) -> Iterator[Candidate]:
    """Stream ``rows`` (a visible customer queryset) ordered by address; the second of two
    customers with the same address is a duplicate."""
    field = "phone" if campaign.channel == Channel.SMS else "email"
    stream = (
        Customer.objects.unscoped("the rows of a visible_to(user) queryset, as a subquery")
        .filter(pk__in=rows.order_by().values("pk"))
        .only(*CUSTOMER_FIELDS)
        .annotate(opted_out=_opt_out_of(campaign, field))
        .order_by(field, "pk")
        .iterator(chunk_size=CHUNK)
    )
    previous = None
    for customer in stream:
        address = (getattr(customer, field) or "").strip()
        if campaign.channel == Channel.EMAIL:
            address = address.lower()
        if not address:
            yield Candidate(customer, "", customer.name, reason=Exclusion.NO_ADDRESS)
            continue
        reason = Exclusion.DUPLICATE if address == previous else ""
        previous = address
        opted_out = customer.opted_out if campaign.channel == Channel.SMS else None
        yield Candidate(customer, address, customer.name, reason=reason, opted_out=opted_out)


# What the built-in template fields read of a customer; a field another app registers may
# read more (a deferred column is then loaded for that row).
CUSTOMER_FIELDS = (
    "id", "company_id", "project_id", "owner_id", "name", "gender", "phone", "email",
    "status", "birth_date",
)  # fmt: skip


def _opt_out_of(campaign, field):
    """Has the customer's address refused marketing: in the same query as the customer (an
    index probe per row), instead of a second query per chunk. E-mail addresses are compared
    lower-cased in Python, so they are checked per chunk."""
    from django.db.models import Exists, OuterRef, Value

    from .models import Kind, OptOut

    if campaign.kind != Kind.MARKETING:
        return Value(False)
    return Exists(
        OptOut.objects.filter(
            holding_id=campaign.company.holding_id,
            channel=campaign.channel,
            address=OuterRef(field),
        )
    )


def filter_candidates(user, campaign, result: SourceResult) -> tuple[int, Iterator[Candidate]]:
    rows = filter_customers(user, campaign)
    return rows.count(), _customers_by_address(user, campaign, rows)


# --- an event's list (MEM-4, helper "events") --------------------------------------------------


def _events():
    """The events app's selectors, or a clear refusal where it is not installed."""
    try:
        from anju.membership import events_selectors
        from anju.membership.events_models import ClubEvent
    except ImportError as exc:
        raise ApplicationError(
            _("Event lists are not available here."), field="event", code="no_events"
        ) from exc
    return events_selectors, ClubEvent


def event_of(user, event_id):
    """The event the user may see (404 otherwise)."""
    selectors, ClubEvent = _events()
    event = (
        ClubEvent.objects.visible_to(user).filter(pk=event_id).first()
        if isinstance(event_id, int) and event_id > 0
        else None
    )
    if event is None:
        raise NotFound(_("Not found."), field="event")
    return event


def clean_event_params(user, campaign_company, params: dict | None) -> dict:
    event = event_of(user, (params or {}).get("event"))
    if event.company_id != getattr(campaign_company, "pk", campaign_company):
        raise Conflict(
            _("The event belongs to another company."), field="event", code="company_mismatch"
        )
    return {"event": event.pk}


def event_candidates(user, campaign, result: SourceResult) -> tuple[int, Iterator[Candidate]]:
    selectors, _model = _events()
    event = event_of(user, campaign.source_params.get("event"))
    seen = selectors.event_recipients(user, event)
    on_list = _event_list_size(event)
    visible = seen.count()
    result.out_of_scope = max(on_list - visible, 0)
    return visible, _customers_by_address(user, campaign, seen)


def _event_list_size(event) -> int:
    from anju.membership.events_models import SEATED, EventRegistration

    return (
        EventRegistration.objects.unscoped("how many are on the list: a count, no row shown")
        .filter(event=event, status__in=list(SEATED), customer__merged_into__isnull=True)
        .count()
    )


# --- an uploaded list ----------------------------------------------------------------------------

LIST_FIELDS = ("phone", "email", "name")


@dataclass
class ListTable:
    header_row: int
    header: list[str]
    mapping: dict  # column index → "phone" / "email" / "name"
    rows: object  # iterator of (row number, cells)


def _aliases() -> dict[str, str]:
    table = {}
    for field in LIST_FIELDS:
        column = COLUMN_BY_FIELD[field]
        for alias in column.aliases:
            table[_header_key(alias)] = field
    return table


def read_list(data: bytes, filename: str, channel: str) -> ListTable:
    """The file's header (the address column this channel needs, and names if any) and its
    rows; a file-level problem is an ApplicationError on ``file``."""
    reader = _raw_rows(data, filename)
    aliases = _aliases()
    wanted = "phone" if channel == Channel.SMS else "email"
    for number, values in reader():
        if _blank(values):
            continue
        mapping = {}
        for i, cell in enumerate(values):
            field = aliases.get(_header_key(cell)) if cell not in (None, "") else None
            if field and field not in mapping.values():
                mapping[i] = field
        if wanted in mapping.values():
            header = [("" if v is None else str(v).strip()) for v in values]
            width = max(i for i, h in enumerate(header) if h) + 1
            rows = reader(min_row=number + 1, max_col=min(width, MAX_COLUMNS))
            return ListTable(number, header[:width], mapping, rows)
        if number >= 10:
            break
    label = COLUMN_BY_FIELD[wanted].label
    raise ApplicationError(
        _("The first row must name the column %(column)s (e.g. %(example)s).")
        % {"column": label, "example": "手机" if wanted == "phone" else "邮箱"},
        field="file",
    )


def check_upload(upload, channel: str) -> None:
    """Refuse at once a file that cannot be a list: unreadable, no address column, no rows."""
    table = read_list(_read_upload(upload), upload.name, channel)
    if not any(not _blank(cells) for _n, cells in table.rows):
        raise ApplicationError(_("The file has column headers but no rows."), field="file")
    upload.seek(0)


def _cell(cells, mapping, field) -> str:
    for i, f in mapping.items():
        if f == field and i < len(cells) and cells[i] is not None:
            value = cells[i]
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a number typed into Excel: 13812345678.0
            return str(value).strip()
    return ""


def upload_candidates(user, campaign, result: SourceResult, data: bytes, filename: str):
    """The file's rows as candidates: checked, matched to customers in chunks."""
    table = read_list(data, filename, campaign.channel)
    field = "phone" if campaign.channel == Channel.SMS else "email"
    column = next((table.header[i] for i, f in table.mapping.items() if f == field), field)
    result.errors = []
    parsed = []
    for number, cells in table.rows:
        if _blank(cells):
            continue
        if len(parsed) >= MAX_ROWS:
            raise ApplicationError(
                _("The file has more than %(max)s rows. Split it into parts.")
                % {"max": f"{MAX_ROWS:,}"},
                field="file",
            )
        raw = _cell(cells, table.mapping, field)
        name = _cell(cells, table.mapping, "name")[:50]
        try:
            address = normalise_address(campaign.channel, raw, field=field)
        except ApplicationError as exc:
            reason = (
                _("The phone number is empty.") if not raw and field == "phone" else exc.message
            )
            result.errors.append(
                {"row": number, "column": column, "field": field, "reason": str(reason),
                 "value": raw[:100]}
            )  # fmt: skip
            continue
        parsed.append((number, address, name))
    return len(parsed), _matched(user, campaign, parsed)


def _matched(user, campaign, parsed) -> Iterator[Candidate]:
    seen_addresses: set[str] = set()
    seen_customers: set[int] = set()
    for start in range(0, len(parsed), CHUNK):
        chunk = parsed[start : start + CHUNK]
        holders = _holders(campaign, [address for _n, address, _name in chunk])
        visible = {
            c.pk: c
            for c in Customer.objects.visible_to(user).filter(
                pk__in=set(holders.values()), merged_into__isnull=True
            )
        }
        for number, address, name in chunk:
            holder = holders.get(address)
            customer = visible.get(holder) if holder else None
            if address in seen_addresses or (customer and customer.pk in seen_customers):
                yield Candidate(customer, address, name, number, Exclusion.DUPLICATE)
                continue
            seen_addresses.add(address)
            if holder and customer is None:
                yield Candidate(None, address, "", number, Exclusion.OUT_OF_SCOPE)
                continue
            if customer is not None:
                seen_customers.add(customer.pk)
            yield Candidate(customer, address, name or getattr(customer, "name", ""), number)


def _holders(campaign, addresses) -> dict[str, int]:
    """Address → the id of the campaign company's customer holding it (a system read: only
    ids, to tell a visible customer from one out of scope)."""
    if campaign.channel == Channel.SMS:
        rows = CustomerPhone.objects.unscoped("which customer holds a listed number").filter(
            company_id=campaign.company_id, phone__in=addresses
        )
        return dict(rows.values_list("phone", "customer_id"))
    rows = Customer.objects.unscoped("which customer holds a listed e-mail").filter(
        Q(company_id=campaign.company_id, merged_into__isnull=True, email__in=addresses)
    )
    return {email.lower(): pk for email, pk in rows.values_list("email", "pk")}


def candidates(user, campaign, result: SourceResult, *, upload: tuple | None = None):
    """(how many candidates, their iterator) for the campaign's source."""
    if campaign.source == RecipientSource.FILTER:
        return filter_candidates(user, campaign, result)
    if campaign.source == RecipientSource.EVENT:
        return event_candidates(user, campaign, result)
    data, filename = upload
    return upload_candidates(user, campaign, result, data, filename)
