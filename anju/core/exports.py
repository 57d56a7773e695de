"""Export any list a user can see, as .xlsx or .csv (CUS-9, SEC-2).

    columns = [
        Column(_("Code"), "code"),
        Column(_("Name"), "name", personal=True),
        Column(_("Mobile phone"), "phone", mask=mask_phone),
        Column(_("Consultant"), lambda c: str(c.owner or "")),
    ]
    return export_response(by=request.user, rows=customer_list(request.user, ...),
                           columns=columns, fmt="xlsx", filename="customers", request=request)

Rules:

- ``rows`` must come from a scoped selector (``visible_to``): an export never shows more
  than the list on screen.
- Personal columns are masked as on screen (``mask=mask_phone`` …) unless the user holds
  ``Perm.UNMASK_PERSONAL_DATA`` for that row's company/project; the check is per row.
- Who may export: a user with ``Perm.EXPORT_DATA`` (where he holds it), and a user whose
  every role sees only his own records (consultants, key-account reps): they may export
  their own list, which is always masked unless their role may unmask. Everyone else gets
  NotPermitted (403).
- Every export that contains a personal column is logged (``personal_data_access_log``,
  action "export", with the number of records and whether it was masked) before the file
  is produced.
- The file is streamed: CSV row by row (UTF-8 with BOM, so Excel shows Chinese), .xlsx from
  openpyxl's write-only mode through a temporary file; rows are read in chunks.
- Every cell of every spreadsheet the product writes goes through ``spreadsheet_cell``
  (issue 7 items 3 and 4): text starting with ``= + - @ \t \r`` is prefixed with ``'`` so
  Excel shows it as text instead of running it as a formula (OWASP CSV injection), and
  characters a workbook cannot hold (control characters, U+FFFE/U+FFFF, lone surrogates)
  are replaced with U+FFFD, so one bad stored row never breaks a company's export. Numbers,
  dates and Decimals stay typed values. Use ``csv_response``/``write_csv_rows`` and
  ``xlsx_file`` for any other sheet (the import's error report, templates).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import ApplicationError, NotPermitted
from .permissions import has_perm
from .roles import Perm, ScopeLevel
from .scope import grants_for, sees_loaded
from .services import personal_data_access_log

MAX_EXPORT_ROWS = 1_000_000  # an .xlsx sheet holds 1,048,576 rows
CHUNK = 2000
FORMATS = {"csv", "xlsx"}


@dataclass(frozen=True)
class Column:
    header: str
    value: str | Callable  # attribute path ("owner.display_name") or fn(row)
    mask: Callable | None = None  # masker for personal data (core.masking)
    personal: bool = False  # personal data shown in full to everyone (e.g. names)
    # The customer this column tells about, as a path on the row ("subscription.customer"):
    # where the exporter may not open that customer's file, the cell shows ``unseen(value)``
    # (default: the mask, else nothing) whatever his role may unmask — a row of his (a
    # ticket, a deal) about a customer of another project names no more than its page does.
    customer: str | None = None
    unseen: Callable | None = None

    @property
    def is_personal(self) -> bool:
        return self.personal or self.mask is not None

    def get(self, row):
        if callable(self.value):
            return self.value(row)
        try:
            return attrgetter(self.value)(row)
        except AttributeError:
            return None


def can_export(user, *, company=None) -> bool:
    """EXPORT_DATA where it is held, or a user who sees only his own records."""
    if has_perm(user, Perm.EXPORT_DATA, company=company):
        return True
    grants = grants_for(user)
    return bool(grants) and all(g.level == ScopeLevel.OWN for g in grants)


def require_export(user, *, company=None) -> None:
    if not can_export(user, company=company):
        raise NotPermitted(_("Your role may not export lists."))


class _Unmasker:
    """Per (company, project): may this user see personal data in full? Cached per export."""

    def __init__(self, user):
        self.user = user
        self.cache = {}

    def __call__(self, row) -> bool:
        key = (getattr(row, "company_id", None), getattr(row, "project_id", None))
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = has_perm(
                self.user, Perm.UNMASK_PERSONAL_DATA, company=key[0], project=key[1]
            )
        return hit


class _CustomerSeen:
    """May this user open the customer at ``path`` on the row? From the loaded row (no query),
    cached per customer for the export. A row without that customer hides nothing."""

    def __init__(self, user):
        self.user = user
        self.cache = {}

    def __call__(self, row, path) -> bool:
        try:
            customer = attrgetter(path)(row)
        except AttributeError:
            customer = None
        if customer is None:
            return True
        hit = self.cache.get(customer.pk)
        if hit is None:
            hit = self.cache[customer.pk] = sees_loaded(self.user, customer)
        return hit


# What an .xlsx (XML 1.0) cannot hold: C0 controls except \t \n \r, U+FFFE/U+FFFF and
# lone surrogates (these also fail the CSV's UTF-8 encoding).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A spreadsheet reads text starting with these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """One cell's value made safe for .xlsx and .csv (issue 7 items 3, 4); never fails.

    None → "", aware datetimes → local naive, numbers and dates stay typed (a negative
    number is a number, not text), text is cleaned of unwritable characters and
    neutralised with a leading ``'`` when a spreadsheet would read it as a formula.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date | int | float | Decimal):
        return value
    text = _UNWRITABLE.sub("\ufffd", str(value))
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def spreadsheet_line(values) -> list:
    return [spreadsheet_cell(v) for v in values]


def export_rows(*, by, rows: Iterable, columns: list[Column], progress: Callable | None = None):
    """Yield lists of cell values (header first), masked as the user must see them.

    ``progress(n)``: called with the number of rows written so far, every ``CHUNK`` rows
    and at the end (a background export's progress bar).
    """
    unmask = _Unmasker(by)
    seen = _CustomerSeen(by)
    yield spreadsheet_line(str(c.header) for c in columns)
    iterator = rows.iterator(chunk_size=CHUNK) if hasattr(rows, "iterator") else iter(rows)
    done = 0
    for row in iterator:
        if progress is not None and done and done % CHUNK == 0:
            progress(done)
        done += 1
        full = unmask(row)
        out = []
        for c in columns:
            value = c.get(row)
            if c.customer is not None and not seen(row, c.customer):
                value = c.unseen(value) if c.unseen else c.mask(value) if c.mask else ""
            elif c.mask is not None and not full:
                value = c.mask(value)
            out.append(spreadsheet_cell(value))
        yield out
    if progress is not None:
        progress(done)


class _Echo:
    def write(self, value):
        return value


def _csv_value(value):
    value = spreadsheet_cell(value)
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else value


def _csv_stream(lines):
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for line in lines:
        yield writer.writerow([_csv_value(v) for v in line])


def write_csv_rows(out, lines) -> None:
    """Write ``lines`` (lists of values) as safe CSV to a text stream (e.g. an HttpResponse)."""
    writer = csv.writer(out)
    for line in lines:
        writer.writerow([_csv_value(v) for v in line])


def csv_response(lines, filename: str) -> HttpResponse:
    """A small CSV download (UTF-8 with BOM, so Excel shows Chinese), every cell made safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    write_csv_rows(response, lines)
    return response


def _text_cell(sheet, value):
    """Text as an explicit string cell: openpyxl would bind a str starting with = as formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_append(sheet, line) -> None:
    """Append one row to a write-only openpyxl sheet, every cell made safe (text as text)."""
    cells = []
    for v in line:
        v = spreadsheet_cell(v)
        cells.append(_text_cell(sheet, v) if isinstance(v, str) and v else v)
    sheet.append(cells)


def xlsx_write(lines, title, out) -> None:
    """Write ``lines`` as an .xlsx (write-only mode) into the binary file ``out``."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    for line in lines:
        xlsx_append(sheet, line)
    book.save(out)


def xlsx_file(lines, title):
    """An .xlsx temporary file (write-only mode) of ``lines``, every cell made safe."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 – FileResponse closes it
    xlsx_write(lines, title, out)
    out.seek(0)
    return out


def xlsx_book_file(sheets):
    """An .xlsx temporary file with one sheet per ``(title, lines)`` (a report's tables),
    every cell made safe; titles are cut to Excel's 31 characters."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for title, lines in sheets:
        sheet = book.create_sheet(title=str(title)[:31] or "Sheet")
        for line in lines:
            xlsx_append(sheet, line)
    out = tempfile.TemporaryFile()  # noqa: SIM115 – FileResponse closes it
    book.save(out)
    out.seek(0)
    return out


def _stored_headers(columns) -> str:
    """The personal columns as the log stores them: in English, whatever the exporter's
    language, so the log reader translates them into the reader's (issue 7 item 10)."""
    with translation.override("en"):
        return ", ".join(str(c.header) for c in columns)[:200]


@dataclass
class PreparedExport:
    """An export that passed its checks and was logged: the lines still to be written."""

    lines: Iterable  # lists of safe cell values, header first (a generator: write it once)
    fmt: str
    name: str  # the file name, with a time stamp and the format's extension
    title: str  # the sheet's title
    count: int  # data rows


def export_prepare(
    *,
    by,
    rows,
    columns: list[Column],
    fmt: str,
    filename: str,
    company=None,
    description: str = "",
    ip: str | None = None,
    progress: Callable | None = None,
) -> PreparedExport:
    """The checks, the access-log entry and the masked lines of an export.

    One piece of code for the file streamed to a page and the file a background job writes
    (``core.export_jobs``): format, permission, the row cap, the personal-data access log
    (before any row is produced), per-row masking and ``spreadsheet_cell``.
    """
    if fmt not in FORMATS:
        raise ApplicationError(_("Choose .xlsx or .csv."), field="format")
    require_export(by, company=company)
    count = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
    if count > MAX_EXPORT_ROWS:
        raise ApplicationError(
            _("The list has %(n)s rows; narrow it down to at most %(max)s to export it.")
            % {"n": f"{count:,}", "max": f"{MAX_EXPORT_ROWS:,}"},
            code="too_many_rows",
        )
    personal = [c for c in columns if c.is_personal]
    if personal and count:
        full_somewhere = has_perm(by, Perm.UNMASK_PERSONAL_DATA, company=company)
        personal_data_access_log(
            by=by,
            action="export",
            company=company or getattr(by, "company_id", None),
            fields=_stored_headers(personal),
            record_count=count,
            description=f"{filename}.{fmt} "
            + ("(full)" if full_somewhere else "(masked)")
            + (f" {description}" if description else ""),
            ip=ip,
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return PreparedExport(
        lines=export_rows(by=by, rows=rows, columns=columns, progress=progress),
        fmt=fmt,
        name=f"{filename}-{stamp}.{fmt}",
        title=filename,
        count=count,
    )


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}


def export_write(prepared: PreparedExport, out) -> None:
    """Write a prepared export into the binary file ``out`` (a background export's file)."""
    if prepared.fmt == "csv":
        for chunk in _csv_stream(prepared.lines):
            out.write(chunk.encode("utf-8"))
    else:
        xlsx_write(prepared.lines, prepared.title, out)


def export_response(
    *,
    by,
    rows,
    columns: list[Column],
    fmt: str,
    filename: str,
    company=None,
    description: str = "",
    request=None,
):
    """An HTTP response with the file. ``rows``: a scoped queryset (or a list)."""
    prepared = export_prepare(
        by=by,
        rows=rows,
        columns=columns,
        fmt=fmt,
        filename=filename,
        company=company,
        description=description,
        ip=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_stream(prepared.lines), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{prepared.name}"'
        return response
    return FileResponse(
        xlsx_file(prepared.lines, prepared.title),
        as_attachment=True,
        filename=prepared.name,
        content_type=XLSX_CONTENT_TYPE,
    )
