"""Customer import from Excel (.xlsx) or CSV (CUS-9), with preview, per-row errors, progress.

The flow: the upload is checked at once (size, type, readable, the columns) and kept with a
queued ``core.Job``; the page previews the first rows with their problems; the user starts
the import, which runs as a background task (``tasks_import``) and reports progress.

Behaviour (documented for users on the upload page):

- **All or nothing** (default): every row is checked first; if any row is bad nothing is
  written and the report lists every bad row (row number as Excel shows it, column, reason).
  Unticked, the good rows are imported and the bad ones reported.
- **Identity** follows ``customer_register`` (CUS-3): a number is normalised and identifies one
  customer in the company. A number **already in the company** is *linked*, not an error: the
  existing customer is left exactly as it is (no owner change, no claim, no overwrite) and the
  row is listed as "already a customer" with its code when the importer may see it. The same
  number **twice in the file** is an error on the later row ("same number as row N").
- New customers get codes from the numbering service (one block per import), the
  protection period when they have a consultant, and a ``customer.registered`` event each.
- Who may import: consultants and key-account reps (the customers become theirs; the
  consultant column may only name themselves), and roles that may reassign customers
  (sales manager — within his projects —, company management, data steward).
- Limits: 20 MB, 100,000 rows; columns are recognised by Chinese or English names
  (姓名/name and 手机/phone are required); unknown columns are listed and ignored.
- Reading is bounded (issue 7 item 11): an .xlsx is a zip, so its members' uncompressed
  sizes and count are checked before anything is inflated (a zip bomb is refused); the
  header is looked for in the first ``MAX_COLUMNS`` columns and the rows are read only up
  to the header's last non-empty column, whatever width the sheet declares (a 141 KB file
  declaring 16,384 columns took 1.4 GB); XML is parsed by openpyxl through defusedxml.
- Rows are checked with the same ``validate_fields`` rules as ``customer_register``
  (lengths, choices, control characters …) and a customer imported with a status other
  than "lead" gets the ``customer.status_changed`` event that ``customer_set_status``
  would record (issue 7 item 16), in one INSERT per batch.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.events import record_events
from anju.core.jobs import job_finish, job_progress, job_running, job_start
from anju.core.models import Job
from anju.core.numbering import allocate_number_block
from anju.core.permissions import has_perm
from anju.core.roles import ROLE_SCOPE, Perm, Role, ScopeLevel
from anju.core.scope import grants_for, sees_everything
from anju.core.validation import field_errors

from ..demo import customer_code, id_check_digit
from ..models import (
    Customer,
    CustomerPhone,
    CustomerStatus,
    Gender,
    Grade,
    LifeStage,
    PaymentAbility,
    Purpose,
    Source,
)
from ..names import name_initials, name_pinyin
from ..phones import normalise_phone
from ..quality import completeness_of

JOB_KIND = "customer_import"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # an .xlsx's members, inflated
MAX_ZIP_MEMBERS = 1000
MAX_COLUMNS = 200  # the header is looked for in these columns
MAX_ROWS = 100_000
PREVIEW_ROWS = 10
HEADER_SEARCH_ROWS = 10
BATCH = 2000
CONSULTANT_ROLES = (Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP)


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

# Everyday words for choice values, beyond the values and their labels in both languages.
CHOICE_ALIASES = {
    "gender": {"男": "M", "男性": "M", "先生": "M", "女": "F", "女性": "F", "女士": "F",
               "未知": "U", "不详": "U"},
    "source": {"广告": "advertising", "朋友介绍": "referral", "介绍": "referral",
               "路过": "walk_by", "网络": "online", "网络推广": "online", "网上": "online",
               "展会": "exhibition", "老带新": "owner_referral", "老业主推荐": "owner_referral",
               "大客户": "key_account", "来电": "hotline", "电话": "hotline", "其他": "other",
               "其它": "other"},
    "status": {"线索": "lead", "来访": "visitor", "意向": "intention", "认购": "subscribed",
               "签约": "signed", "业主": "owner", "交付": "owner", "入住": "owner",
               "满意": "satisfied", "忠诚": "loyal", "终身": "lifetime"},
    "life_stage": {"单身首次置业": "single_first", "青年之家": "young_couple",
                   "小太阳": "family_baby", "小学家庭": "family_young_kids",
                   "中学家庭": "family_teens", "成熟家庭": "mature_family",
                   "三代同堂": "three_generations", "空巢": "empty_nest",
                   "活跃长者": "active_senior", "富贵之家": "affluent_upgrader",
                   "投资客": "investor"},
    "payment_ability": {"低": "low", "中": "middle", "中等": "middle", "高": "high"},
    "purpose": {"自住": "self_use", "投资": "investment", "自住兼投资": "both", "两者": "both",
                "自住+投资": "both"},
}  # fmt: skip
CHOICES = {
    "gender": Gender,
    "source": Source,
    "grade": Grade,
    "status": CustomerStatus,
    "life_stage": LifeStage,
    "payment_ability": PaymentAbility,
    "purpose": Purpose,
}
TEXT_FIELDS = ("occupation", "address", "family_structure", "layout_wanted")

_HEADER_NOISE = re.compile(r"[\s*＊:：]+|[（(][^)）]*[)）]")
_KEY_NOISE = re.compile(r"[\s\-_–·.。]+")
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_OTHER_ID = re.compile(r"^[A-Z0-9()（）-]{5,30}$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")


def _key(text) -> str:
    return _KEY_NOISE.sub("", str(text).strip().lower())


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


def _choice_table(name) -> dict[str, str]:
    choices = CHOICES[name]
    table = {}
    for value, label in choices.choices:
        table[_key(value)] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                table.setdefault(_key(str(label)), value)
    for alias, value in CHOICE_ALIASES.get(name, {}).items():
        table[_key(alias)] = value
    if name == "grade":
        for g in "ABCD":
            for form in (f"{g}级", f"{g}类", f"{g}等"):
                table[_key(form)] = g
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


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    field: str
    reason: str
    value: str = ""

    def as_dict(self):
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "reason": self.reason,
            "value": self.value,
        }


@dataclass
class CheckedRow:
    row: int
    values: dict
    phone: str = ""
    errors: list = field(default_factory=list)
    existing: dict | None = None  # the customer already holding the number


class RowChecker:
    """Everything needed to check rows, loaded once per import."""

    def __init__(self, *, by, company, default_project=None, header=None, mapping=None):
        from anju.org.models import Project, RoleAssignment

        self.by = by
        self.company = company
        self.default_project = default_project
        self.header = header or []
        self.mapping = mapping or {}
        self.choices = {name: _choice_table(name) for name in CHOICES}
        self.lengths = {
            f.name: f.max_length
            for f in Customer._meta.concrete_fields
            if getattr(f, "max_length", None)
        }
        projects = list(
            Project.objects.unscoped("import job: the company was checked").filter(company=company)
        )
        self.projects = {}
        for p in projects:
            for k in (p.code, p.name, p.name.split("·")[-1]):
                self.projects.setdefault(_key(k), p)
        self.consultant_projects: dict[int, set] = {}
        self.owners = {}
        for ra in (
            RoleAssignment.objects.unscoped("import job: owners by name")
            .filter(company=company, role__in=CONSULTANT_ROLES, user__is_active=True)
            .select_related("user")
        ):
            self.consultant_projects.setdefault(ra.user_id, set()).add(ra.project_id)
            u = ra.user
            for k in (u.username, u.display_name, (u.display_name or "").split("·")[-1]):
                if k:
                    self.owners.setdefault(_key(k), u)
        self.own_only = _is_own_only(by)
        self.my_projects = _projects_limit(by, company)  # None: every project of the company
        self.seen_phones: dict[str, int] = {}
        self._candidate = Customer(company=company)
        self.today = timezone.localdate()

    def column_of(self, field_name) -> str:
        for i, f in self.mapping.items():
            if f == field_name:
                return self.header[i] if i < len(self.header) else field_name
        return str(COLUMN_BY_FIELD[field_name].label)

    def check(self, number, cells) -> CheckedRow:
        raw = {}
        for i, field_name in self.mapping.items():
            raw[field_name] = cells[i] if i < len(cells) else None
        row = CheckedRow(number, {})

        def err(field_name, reason, value=None):
            shown = "" if value is None else str(value)[:100]
            row.errors.append(
                RowError(number, self.column_of(field_name), field_name, str(reason), shown)
            )

        # name
        name = _text(raw.get("name"))
        if not name:
            err("name", _("The name is empty."))
        elif len(name) > self.lengths["name"]:
            err("name", _("Too long (at most %(n)s characters).") % {"n": self.lengths["name"]})
        row.values["name"] = name
        # phone
        phone_raw = _phone_text(raw.get("phone"))
        if not phone_raw:
            err("phone", _("The phone number is empty."))
        else:
            try:
                row.phone = normalise_phone(phone_raw)
            except ApplicationError as exc:
                err("phone", exc.message, phone_raw)
        if row.phone:
            first = self.seen_phones.get(row.phone)
            if first is not None:
                err(
                    "phone",
                    _("The same number as row %(row)s: one person is one customer.")
                    % {"row": first},
                    phone_raw,
                )
            else:
                self.seen_phones[row.phone] = number
        # choices
        for name_ in CHOICES:
            if name_ not in raw:
                continue
            text = _text(raw[name_])
            if not text:
                continue
            value = self.choices[name_].get(_key(text))
            if value is None:
                allowed = "、".join(str(label) for _v, label in CHOICES[name_].choices)
                err(name_, _("Unknown value; use one of: %(allowed)s.") % {"allowed": allowed},
                    text)  # fmt: skip
            else:
                row.values[name_] = value
        # texts
        for name_ in TEXT_FIELDS:
            text = _text(raw.get(name_))
            if len(text) > self.lengths[name_]:
                err(name_, _("Too long (at most %(n)s characters).") % {"n": self.lengths[name_]},
                    text[:30])  # fmt: skip
            elif text:
                row.values[name_] = text
        email = _text(raw.get("email"))
        if email:
            try:
                validate_email(email)
                row.values["email"] = email
            except ValidationError:
                err("email", _("Not a valid e-mail address."), email)
        # dates and documents
        if raw.get("birth_date") not in (None, ""):
            try:
                row.values["birth_date"] = self._birth_date(raw["birth_date"])
            except ValueError as exc:
                err("birth_date", str(exc), raw["birth_date"])
        if raw.get("id_number") not in (None, ""):
            try:
                row.values["id_number"] = _id_number(raw["id_number"])
            except ValueError as exc:
                err("id_number", str(exc), raw["id_number"])
        # project and consultant
        project = self.default_project
        text = _text(raw.get("project"))
        if text:
            project = self.projects.get(_key(text))
            if project is None:
                err("project", _("No project of %(company)s is called “%(name)s”.")
                    % {"company": self.company, "name": text}, text)  # fmt: skip
        if (
            project is not None
            and self.my_projects is not None
            and project.pk not in self.my_projects
        ):
            err("project", _("You cannot import customers into %(project)s.")
                    % {"project": project}, text or project)  # fmt: skip
            project = None
        row.values["project"] = project
        owner = None
        text = _text(raw.get("owner"))
        if text:
            owner = self.owners.get(_key(text))
            if owner is None:
                err("owner", _("“%(name)s” is not a consultant of %(company)s.")
                    % {"name": text, "company": self.company}, text)  # fmt: skip
            elif self.own_only and owner.pk != self.by.pk:
                err("owner", _("You can only import customers for yourself."), text)
                owner = None
            elif (
                project is not None
                and None not in self.consultant_projects.get(owner.pk, set())
                and project.pk not in self.consultant_projects.get(owner.pk, set())
            ):
                err("owner", _("%(name)s is not a consultant of %(project)s.")
                    % {"name": owner, "project": project}, text)  # fmt: skip
        elif self.own_only:
            owner = self.by
        row.values["owner"] = owner
        self._model_rules(row, err)
        return row

    def _model_rules(self, row, err) -> None:
        """The rules customer_register applies through validate_fields (issue 7 item 16):
        lengths, choices, control characters … on every value the row sets."""
        already = {e.field for e in row.errors}
        fields = {f for f in row.values if f not in ("project", "owner")}
        candidate = self._candidate  # one instance, reset per row: 100,000 rows stay fast
        for f in fields:
            setattr(candidate, f, row.values[f])
        for name_, message in field_errors(candidate, fields - already).items():
            err(name_, message, row.values.get(name_))

    def _birth_date(self, value) -> date:
        d = _parse_date(value)
        if d > self.today:
            raise ValueError(_("The birth date is in the future."))
        if d.year < 1900:
            raise ValueError(_("The birth date is before 1900."))
        return d

    def link_existing(self, rows: list[CheckedRow]) -> None:
        """Mark rows whose number already belongs to a customer of the company (one query)."""
        phones = [r.phone for r in rows if r.phone and not r.errors]
        if not phones:
            return
        found = {}
        for phone, cid, code, name in (
            CustomerPhone.objects.unscoped("import dedupe")
            .filter(company=self.company, phone__in=phones)
            .values_list("phone", "customer_id", "customer__code", "customer__name")
        ):
            found[phone] = (cid, code, name)
        if not found:
            return
        visible = set(
            Customer.objects.visible_to(self.by)
            .filter(pk__in=[v[0] for v in found.values()])
            .values_list("pk", flat=True)
        )
        for r in rows:
            hit = found.get(r.phone)
            if hit and not r.errors:
                cid, code, name = hit
                r.existing = (
                    {"row": r.row, "id": cid, "code": code, "name": name}
                    if cid in visible
                    else {"row": r.row, "id": None, "code": "", "name": ""}
                )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _phone_text(value) -> str:
    if isinstance(value, float):
        if not value.is_integer():
            return str(value)
        value = int(value)
    return _text(value)


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and 1 <= value < 80_000:  # an Excel serial day number
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = str(value).strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("Not a valid date; write it as YYYY-MM-DD."))


def _id_number(value) -> str:
    if isinstance(value, float):
        raise ValueError(
            _(
                "Excel stored this ID number as a number and lost its last digits. "
                "Format the column as text and type it again."
            )
        )
    text = _text(value).upper().replace(" ", "")
    if _ID18.match(text):
        try:
            datetime.strptime(text[6:14], "%Y%m%d")
        except ValueError as exc:
            raise ValueError(_("The birth date inside this ID number is impossible.")) from exc
        if id_check_digit(text[:17]) != text[17]:
            raise ValueError(_("The check digit of this ID number is wrong; check for typos."))
        return text
    if _ID15.match(text) or _OTHER_ID.match(text):
        return text
    raise ValueError(_("Not a valid ID document number."))


# --- who may import --------------------------------------------------------------------------


def _is_own_only(user) -> bool:
    grants = grants_for(user)
    return bool(grants) and all(g.level == ScopeLevel.OWN for g in grants)


def _projects_limit(user, company) -> set | None:
    """Project ids ``user`` may import into, or None for the whole company."""
    if sees_everything(user):
        return None
    levels = {}
    for a in user.role_assignments.all():
        if a.company_id != company.pk:
            continue
        if ROLE_SCOPE[a.role] >= ScopeLevel.COMPANY and Perm.REASSIGN_CUSTOMERS in _perms(a):
            return None
        if a.role in CONSULTANT_ROLES or Perm.REASSIGN_CUSTOMERS in _perms(a):
            levels.setdefault("projects", set()).add(a.project_id)
    return levels.get("projects", set())


def _perms(assignment):
    from anju.core.roles import ROLE_PERMS

    return ROLE_PERMS[assignment.role]


def can_import(user, company) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or has_perm(user, Perm.REASSIGN_CUSTOMERS, company=company):
        return True
    return any(
        a.role in CONSULTANT_ROLES and a.company_id == getattr(company, "pk", company)
        for a in user.role_assignments.all()
    )


def may_see_import(user, job) -> bool:
    """The uploader, or who may see the file's phones in full where it imports to (SEC-2).

    The preview and error report show the file as uploaded, so seeing the job row (company
    scope) is not enough: an engineer or a manager of another project must not read it.
    """
    if job.created_by_id == user.pk:
        return True
    return has_perm(
        user,
        Perm.UNMASK_PERSONAL_DATA,
        company=job.company_id,
        project=job.params.get("project"),
    ) and has_perm(user, Perm.REASSIGN_CUSTOMERS, company=job.company_id)


def import_companies(user):
    """Companies ``user`` may import customers into."""
    from anju.org.models import Company

    return [c for c in Company.objects.visible_to(user) if can_import(user, c)]


def _require_import(user, company):
    if not can_import(user, company):
        raise NotPermitted(
            _("Only consultants, sales managers and data stewards may import customers.")
        )


# --- services ------------------------------------------------------------------------------


@dataclass
class Preview:
    table: Table
    columns: list  # (header, field label or None)
    rows: list  # CheckedRow, the first PREVIEW_ROWS data rows


def _read_upload(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ApplicationError(
            _("The file is too large (%(size)s MB; at most %(max)s MB). Split it into parts.")
            % {"size": round(size / 1024 / 1024, 1), "max": MAX_FILE_BYTES // 1024 // 1024},
            field="file",
        )
    upload.seek(0)
    return upload.read(MAX_FILE_BYTES + 1)


def customer_import_prepare(
    *, by, company, upload, project=None, all_or_nothing: bool = True
) -> Job:
    """Check the upload (size, type, columns) and keep it with a queued job for the preview.

    Nothing about customers is written; a file-level problem raises ApplicationError.
    """
    _require_import(by, company)
    if project is not None and project.company_id != company.pk:
        raise ApplicationError(_("The project belongs to another company."), field="project")
    data = _read_upload(upload)
    table = read_table(data, upload.name)
    first = next((r for r in table.rows if not _blank(r[1])), None)
    if first is None:
        raise ApplicationError(_("The file has column headers but no customers."), field="file")
    upload.seek(0)
    job = job_start(
        by=by,
        kind=JOB_KIND,
        company=company,
        title=_("Customer import: %(file)s") % {"file": upload.name[:150]},
        input_file=upload,
        params={
            "filename": upload.name,
            "project": project.pk if project else None,
            "all_or_nothing": bool(all_or_nothing),
            "confirmed": False,
        },
    )
    # The job list links here: the import's own page has the preview and the error report.
    job.params["next_url"] = reverse("customer_import:detail", args=[job.pk])
    job.save(update_fields=["params"])
    return job


def _job_upload(job):
    job.input_file.open("rb")
    try:
        return job.input_file.read()
    finally:
        job.input_file.close()


def _default_project(job):
    from anju.org.models import Project

    pid = job.params.get("project")
    return (
        Project.objects.unscoped("import job: checked at upload")
        .filter(pk=pid, company=job.company_id)
        .first()
        if pid
        else None
    )


def import_preview(*, by, job) -> Preview:
    """The mapping and the first rows of a prepared import, checked (read-only)."""
    table = read_table(_job_upload(job), job.params.get("filename", ""))
    checker = RowChecker(
        by=by,
        company=job.company,
        default_project=_default_project(job),
        header=table.header,
        mapping=table.mapping,
    )
    rows = []
    for number, cells in table.rows:
        if _blank(cells):
            continue
        rows.append(checker.check(number, cells))
        if len(rows) >= PREVIEW_ROWS:
            break
    checker.link_existing(rows)
    columns = [
        (h, COLUMN_BY_FIELD[table.mapping[i]].label if i in table.mapping else None)
        for i, h in enumerate(table.header)
        if h
    ]
    return Preview(table, columns, rows)


def customer_import_start(*, by, job) -> Job:
    """The user confirmed the preview: queue the import (runs after this transaction)."""
    from ..tasks_import import customer_import_task

    with transaction.atomic():
        job = (
            Job.objects.unscoped("lock the job the caller passed")
            .select_for_update()
            .get(pk=job.pk)
        )
        if job.kind != JOB_KIND or job.created_by_id != by.pk:
            raise NotPermitted()
        if job.params.get("confirmed") or job.status != Job.Status.QUEUED:
            raise ApplicationError(_("This import has already been started."))
        job.params = {**job.params, "confirmed": True}
        job.save(update_fields=["params", "updated_at"])
        transaction.on_commit(lambda: customer_import_task.enqueue(job.pk))
    return job


def run_customer_import(*, job_id: int) -> Job:
    """The background part: check every row, then write in one transaction (all or nothing)."""
    with job_running(job_id) as job:
        by = job.created_by
        try:
            return _run(job, by)
        except ApplicationError as exc:
            return job_finish(job=job, failed=True, message=str(exc))


def _run(job, by) -> Job:
    _require_import(by, job.company)
    all_or_nothing = job.params.get("all_or_nothing", True)
    table = read_table(_job_upload(job), job.params.get("filename", ""))
    checker = RowChecker(
        by=by,
        company=job.company,
        default_project=_default_project(job),
        header=table.header,
        mapping=table.mapping,
    )
    job_progress(job=job, done=0, total=0, message=_("Reading the file…"), force=True)
    raw = []
    for number, cells in table.rows:
        if _blank(cells):
            continue
        raw.append((number, cells))
        if len(raw) > MAX_ROWS:
            raise ApplicationError(
                _("The file has more than %(max)s rows. Split it into parts.")
                % {"max": f"{MAX_ROWS:,}"}
            )
    total = len(raw)
    # progress: checking counts as the first half, writing as the second
    job_progress(job=job, done=0, total=2 * total, message=_("Checking rows…"), force=True)
    checked, errors = [], []
    for start in range(0, total, BATCH):
        batch = [checker.check(n, cells) for n, cells in raw[start : start + BATCH]]
        checker.link_existing(batch)
        for r in batch:
            errors.extend(e.as_dict() for e in r.errors)
        checked.extend(batch)
        job_progress(job=job, done=start + len(batch))
    raw = None
    bad_rows = {e["row"] for e in errors}
    existing = [r.existing for r in checked if r.existing is not None]
    new = [r for r in checked if not r.errors and r.existing is None]
    result = {
        "rows": total,
        "bad_rows": len(bad_rows),
        "existing": len(existing),
        "existing_rows": existing[:1000],
        "created": 0,
        "all_or_nothing": all_or_nothing,
        "written": False,
    }
    if errors and all_or_nothing:
        return job_finish(
            job=job,
            result=result,
            errors=errors,
            message=_(
                "%(bad)s of %(rows)s rows have problems, so nothing was imported. "
                "Correct them (see the report) and upload the file again."
            )
            % {"bad": len(bad_rows), "rows": total},
        )
    job_progress(job=job, done=total, message=_("Saving customers…"), force=True)
    try:
        with transaction.atomic():
            created = _write(job, by, new, done_before=total)
    except IntegrityError as exc:
        raise ApplicationError(
            _(
                "Some numbers were registered by colleagues while the import ran; nothing was "
                "imported. Start the import again."
            )
        ) from exc
    result.update(created=created, written=True)
    message = _("%(created)s customers imported, %(existing)s already existed.") % {
        "created": created,
        "existing": len(existing),
    }
    if errors:
        message += " " + _("%(bad)s rows with problems were skipped.") % {"bad": len(bad_rows)}
    return job_finish(job=job, result=result, errors=errors, message=message)


def _write(job, by, rows: list[CheckedRow], *, done_before: int) -> int:
    """Bulk-create customers, phones and their registration events; inside a transaction."""
    if not rows:
        return 0
    company = job.company
    now = timezone.now()
    first = allocate_number_block(kind="customer_code", scope=company, count=len(rows))
    protect = company.customer_protection_days

    written = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        customers = []
        for k, r in enumerate(batch):
            v = dict(r.values)
            project, owner = v.pop("project"), v.pop("owner")
            c = Customer(
                company=company,
                project=project,
                owner=owner,
                protected_until=now + timedelta(days=protect) if owner else None,
                code=customer_code(company, first + start + k),
                name_pinyin=name_pinyin(v["name"]),
                name_initials=name_initials(v["name"]),
                phone=r.phone,
                phone_last4=r.phone[-4:],
                last_activity_at=now,
                **v,
            )
            c.completeness = completeness_of(c)
            customers.append(c)
        Customer.objects.bulk_create(customers)
        CustomerPhone.objects.bulk_create(
            [CustomerPhone(company=company, customer=c, phone=c.phone) for c in customers]
        )
        record_events(
            by=by,
            verb="customer.registered",
            targets=customers,
            details=lambda c: {"owner": c.owner_id, "source": c.source, "import_job": job.pk},
        )
        # a status beyond "lead" is a move customer_set_status would have recorded
        record_events(
            by=by,
            verb="customer.status_changed",
            targets=[c for c in customers if c.status != CustomerStatus.LEAD],
            details=lambda c: {
                "from": CustomerStatus.LEAD,
                "to": c.status,
                "reason": "import",
                "import_job": job.pk,
            },
        )
        written += len(customers)
        # the second half of the bar: rows written, scaled to the rows checked
        job_progress(job=job, done=done_before + (start + len(batch)) * done_before // len(rows))
    return written


def error_report_rows(job):
    """Rows of the downloadable error report (header first)."""
    yield [_("Row"), _("Column"), _("Reason"), _("Value")]
    for e in job.errors or []:
        yield [e.get("row"), e.get("column"), e.get("reason"), e.get("value", "")]
