"""Reading a customer import (CUS-9): the uploaded file → its header and rows.

- Limits: 20 MB, 100,000 rows (counted in ``writing``); columns are recognised by Chinese or
  English names (姓名/name and 手机/phone are required); unknown columns are listed and ignored.
- Reading is bounded (issue 7 item 11): an .xlsx is a zip, so its members' uncompressed
  sizes and count are checked before anything is inflated (a zip bomb is refused); the
  header is looked for in the first ``MAX_COLUMNS`` columns and the rows are read only up
  to the header's last non-empty column, whatever width the sheet declares (a 141 KB file
  declaring 16,384 columns took 1.4 GB); XML is parsed by openpyxl through defusedxml.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import zipfile
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError

from ..models import Customer

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # an .xlsx's members, inflated
MAX_ZIP_MEMBERS = 1000
MAX_COLUMNS = 200  # the header is looked for in these columns
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class ImportColumn:
    field: str
    label: str  # lazy: shown in messages and the template
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS = [
    ImportColumn("name", gettext_lazy("Name"), ("姓名", "客户姓名", "客户名称", "名字", "name",
                 "customer name", "full name"), required=True),
    ImportColumn("phone", gettext_lazy("Mobile phone"), ("手机", "手机号", "手机号码", "电话",
                 "联系电话", "移动电话", "联系方式", "phone", "mobile", "mobile phone",
                 "phone number", "cell phone"), required=True),
    ImportColumn("gender", gettext_lazy("Gender"), ("性别", "gender", "sex")),
    ImportColumn("birth_date", gettext_lazy("Birth date"), ("出生日期", "生日", "出生年月日",
                 "birth date", "birthday", "date of birth")),
    ImportColumn("id_number", gettext_lazy("ID document number"), ("证件号码", "证件号",
                 "身份证号", "身份证号码", "身份证", "id number", "id no", "id document number")),
    ImportColumn("source", gettext_lazy("Source channel"), ("来源", "来源渠道", "客户来源", "渠道",
                 "source", "source channel", "channel")),
    ImportColumn("grade", gettext_lazy("Intention grade"), ("意向等级", "意向级别", "客户等级",
                 "等级", "grade", "intention grade")),
    ImportColumn("project", gettext_lazy("Project"), ("项目", "所属项目", "意向项目", "楼盘",
                 "project")),
    ImportColumn("owner", gettext_lazy("Consultant"), ("置业顾问", "顾问", "销售顾问", "归属顾问",
                 "consultant", "owner", "sales consultant")),
    ImportColumn("status", gettext_lazy("Status"), ("客户状态", "状态", "status")),
    ImportColumn("life_stage", gettext_lazy("Life stage"), ("生命周期", "人生阶段", "家庭生命周期",
                 "客户细分", "life stage")),
    ImportColumn("payment_ability", gettext_lazy("Payment ability"), ("支付能力", "付款能力",
                 "payment ability")),
    ImportColumn("purpose", gettext_lazy("Purpose"), ("置业目的", "购房目的", "purpose")),
    ImportColumn("occupation", gettext_lazy("Occupation"), ("职业", "occupation")),
    ImportColumn("address", gettext_lazy("Address"), ("地址", "住址", "联系地址", "address")),
    ImportColumn("email", gettext_lazy("E-mail"), ("邮箱", "电子邮件", "电子邮箱", "email",
                 "e-mail")),
    ImportColumn("family_structure", gettext_lazy("Family structure"), ("家庭结构",
                 "family structure")),
    ImportColumn("layout_wanted", gettext_lazy("Layout wanted"), ("意向户型", "户型",
                 "layout wanted", "layout")),
]  # fmt: skip
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}

_HEADER_NOISE = re.compile(r"[\s*＊:：]+|[（(][^)）]*[)）]")


def _header_key(text) -> str:
    return _HEADER_NOISE.sub("", str(text or "").strip().lower())


def _alias_table() -> dict[str, str]:
    """Header text → field: the aliases plus the model's field names in both languages."""
    table = {}
    for col in COLUMNS:
        for alias in col.aliases:
            table[_header_key(alias)] = col.field
        names = [col.label]
        with contextlib.suppress(Exception):  # project/owner: other verbose names
            names.append(Customer._meta.get_field(col.field).verbose_name)
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                for n in names:
                    table.setdefault(_header_key(str(n)), col.field)
    return table


# --- reading the file ----------------------------------------------------------------------


@dataclass
class Table:
    """The sheet: its header (row number, cells) and a generator of (row number, cells)."""

    header_row: int
    header: list[str]
    rows: object  # iterator of (int, tuple)
    mapping: dict[int, str]  # column index → field
    ignored: list[str]


def _decode_csv(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ApplicationError(
            _("The CSV file is neither UTF-8 nor GB18030 text. Save it again as CSV (UTF-8).")
        ) from exc


def _csv_rows(data: bytes):
    text = _decode_csv(data)
    if "\x00" in text:
        raise ApplicationError(_("The CSV file contains binary data; it is not a text file."))
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            yield reader.line_num, tuple(record)
    except csv.Error as exc:
        raise ApplicationError(
            _("The CSV file is malformed near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc


def _unreadable_workbook():
    return ApplicationError(
        _("The file could not be read as an Excel workbook. Save it again as .xlsx or .csv."),
        field="file",
    )


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb before openpyxl inflates anything: member count and total size.

    zipfile never inflates a member beyond its declared size, so the declared sizes bound
    what reading can produce.
    """
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable_workbook() from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise _unreadable_workbook()
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise ApplicationError(
            _(
                "The workbook unpacks to %(size)s MB (at most %(max)s MB). Save only the "
                "customer sheet, without pictures, as .xlsx or .csv."
            )
            % {
                "size": round(inflated / 1024 / 1024),
                "max": MAX_UNCOMPRESSED_BYTES // 1024 // 1024,
            },
            field="file",
        )


class _XlsxRows:
    """The first sheet, read in openpyxl's read-only (streaming) mode, columns bounded.

    ``rows(min_row, max_col)`` may be called again with the header's width: the data rows
    are then read only that wide, whatever width the sheet declares.
    """

    def __init__(self, data: bytes):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        _check_zip(data)
        try:
            self.book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            self.sheet = self.book.worksheets[0]
        except (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, OSError,
                ValueError, TypeError) as exc:  # fmt: skip
            raise _unreadable_workbook() from exc

    def __call__(self, *, min_row: int = 1, max_col: int = MAX_COLUMNS):
        try:
            rows = self.sheet.iter_rows(min_row=min_row, max_col=max_col, values_only=True)
            yield from enumerate(rows, start=min_row)
        except Exception as exc:  # noqa: BLE001 – a damaged sheet part: a clear message
            raise ApplicationError(
                _(
                    "The Excel sheet is damaged and could not be read. "
                    "Save it again as .xlsx or .csv."
                )
            ) from exc


def _csv_reader(data: bytes):
    def rows(*, min_row: int = 1, max_col: int = MAX_COLUMNS):
        for number, values in _csv_rows(data):
            if number >= min_row:
                yield number, values[:max_col]

    return rows


def _raw_rows(data: bytes, filename: str):
    name = (filename or "").lower()
    if len(data) > MAX_FILE_BYTES:
        raise ApplicationError(
            _("The file is too large (%(size)s MB; at most %(max)s MB). Split it into parts.")
            % {"size": round(len(data) / 1024 / 1024, 1), "max": MAX_FILE_BYTES // 1024 // 1024},
            field="file",
            code="file_too_large",
        )
    if not data.strip():
        raise ApplicationError(_("The file is empty."), field="file")
    if name.endswith(".xls") and not data.startswith(b"PK"):
        raise ApplicationError(
            _("Old Excel files (.xls) are not supported. Save the sheet as .xlsx or .csv."),
            field="file",
        )
    if data.startswith(b"PK\x03\x04"):  # a zip: .xlsx, whatever the name says
        return _XlsxRows(data)
    if name.endswith((".xlsx", ".xlsm")):
        raise ApplicationError(
            _("The file could not be read as an Excel workbook. Save it again as .xlsx or .csv."),
            field="file",
        )
    if name.endswith((".csv", ".txt")):
        return _csv_reader(data)
    raise ApplicationError(_("Upload an Excel (.xlsx) or CSV (.csv) file."), field="file")


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_table(data: bytes, filename: str) -> Table:
    """Open the file and find the header row (a title row above it is allowed).

    The data rows are then read only as wide as the header's last non-empty column.
    """
    reader = _raw_rows(data, filename)
    rows = reader()
    aliases = _alias_table()
    seen = 0
    best = None
    for number, values in rows:
        if _blank(values):
            continue
        seen += 1
        mapping, ignored, dupes = {}, [], []
        for i, cell in enumerate(values):
            if cell is None or not str(cell).strip():
                continue
            field_name = aliases.get(_header_key(cell))
            if field_name is None:
                ignored.append(str(cell).strip())
            elif field_name in mapping.values():
                dupes.append((str(cell).strip(), field_name))
            else:
                mapping[i] = field_name
        if mapping and (best is None or len(mapping) > len(best[1])):
            best = (number, mapping, ignored, dupes, values)
        if {"name", "phone"} <= set(mapping.values()):
            break
        if seen >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise ApplicationError(
            _(
                "No known column headers were found. The first row must name the columns, "
                "e.g. 姓名 (name) and 手机 (phone)."
            ),
            field="file",
        )
    number, mapping, ignored, dupes, values = best
    missing = [str(c.label) for c in COLUMNS if c.required and c.field not in set(mapping.values())]
    if missing:
        raise ApplicationError(
            _("Required columns are missing: %(cols)s. Found: %(found)s.")
            % {
                "cols": "、".join(missing),
                "found": "、".join(str(v).strip() for v in values if v not in (None, "")),
            },
            field="file",
        )
    if dupes:
        header, field_name = dupes[0]
        first = next(str(values[i]).strip() for i, f in mapping.items() if f == field_name)
        raise ApplicationError(
            _("The columns “%(a)s” and “%(b)s” both mean %(field)s. Keep one of them.")
            % {"a": first, "b": header, "field": COLUMN_BY_FIELD[field_name].label},
            field="file",
        )
    header = [("" if v is None else str(v).strip()) for v in values]
    width = max(i for i, h in enumerate(header) if h) + 1
    return Table(number, header[:width], reader(min_row=number + 1, max_col=width), mapping,
                 ignored)  # fmt: skip


def _read_upload(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ApplicationError(
            _("The file is too large (%(size)s MB; at most %(max)s MB). Split it into parts.")
            % {"size": round(size / 1024 / 1024, 1), "max": MAX_FILE_BYTES // 1024 // 1024},
            field="file",
            code="file_too_large",
        )
    upload.seek(0)
    return upload.read(MAX_FILE_BYTES + 1)
