"""Checking the rows of a customer import (CUS-9): values, duplicates, who may import.

- **Identity** follows ``customer_register`` (CUS-3): a number is normalised and identifies one
  customer in the company. A number **already in the company** is *linked*, not an error: the
  existing customer is left exactly as it is (no owner change, no claim, no overwrite) and the
  row is listed as "already a customer" with its code when the importer may see it (numbers
  of customers he may not open are logged as a phone search is, SEC-2). The same
  number **twice in the file** is an error on the later row ("same number as row N").
- Who may import: consultants and key-account reps (the customers become theirs; the
  consultant column may only name themselves), and roles that may reassign customers
  (sales manager — within his projects —, company management, data steward).
- Rows are checked with the same ``validate_fields`` rules as ``customer_register``
  (lengths, choices, control characters …) (issue 7 item 16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, NotPermitted
from anju.core.models import PersonalDataAccess
from anju.core.permissions import has_perm
from anju.core.roles import ROLE_SCOPE, Perm, Role, ScopeLevel
from anju.core.scope import grants_for, sees_everything
from anju.core.services import personal_data_access_log
from anju.core.validation import field_errors

from ..demo import id_check_digit
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
from ..phones import normalise_phone
from ..sources import source_table
from .reading import COLUMN_BY_FIELD

CONSULTANT_ROLES = (Role.SALES_CONSULTANT, Role.KEY_ACCOUNT_REP)


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
    "grade": Grade,
    "status": CustomerStatus,
    "life_stage": LifeStage,
    "payment_ability": PaymentAbility,
    "purpose": Purpose,
}
TEXT_FIELDS = ("occupation", "address", "family_structure", "layout_wanted")

_KEY_NOISE = re.compile(r"[\s\-_–·.。]+")
_ID18 = re.compile(r"^\d{17}[\dX]$")
_ID15 = re.compile(r"^\d{15}$")
_OTHER_ID = re.compile(r"^[A-Z0-9()（）-]{5,30}$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")


def _key(text) -> str:
    return _KEY_NOISE.sub("", str(text).strip().lower())


UNKNOWN_SOURCE_CHOICES = ("error", "other")  # what an unknown source channel becomes


def _source_table(company_id) -> dict[str, str]:
    """Key → code for the company's active channels: codes, names, built-in labels in both
    languages and everyday aliases (issue 9 item 12)."""
    active = {code: name for code, name, on in source_table(company_id) if on}
    table = {}
    for code, name in active.items():
        table[_key(code)] = code
        table[_key(name)] = code
    for value, label in Source.choices:
        if value in active:
            for lang in ("en", "zh-hans"):
                with translation.override(lang):
                    table.setdefault(_key(str(label)), value)
    for alias, value in CHOICE_ALIASES["source"].items():
        if value in active:
            table.setdefault(_key(alias), value)
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

    def __init__(
        self,
        *,
        by,
        company,
        default_project=None,
        header=None,
        mapping=None,
        unknown_source="error",
    ):
        from anju.org.models import Project, RoleAssignment

        self.by = by
        self.company = company
        self.sources = _source_table(company.pk)
        self.source_names = "、".join(name for _code, name, on in source_table(company.pk) if on)
        self.unknown_source = unknown_source
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
        # the source channel: the company's list; an unknown one as the importer chose
        text = _text(raw.get("source"))
        if text:
            value = self.sources.get(_key(text))
            if value is None and self.unknown_source == "other":
                value = Source.OTHER
            if value is None:
                err("source",
                    _("Unknown source channel; use one of: %(allowed)s (or import unknown "
                      "channels as “Other”).") % {"allowed": self.source_names},
                    text)  # fmt: skip
            else:
                row.values["source"] = value
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
        unseen = 0
        for r in rows:
            hit = found.get(r.phone)
            if hit and not r.errors:
                cid, code, name = hit
                unseen += cid not in visible
                r.existing = (
                    {"row": r.row, "id": cid, "code": code, "name": name}
                    if cid in visible
                    else {"row": r.row, "id": None, "code": "", "name": ""}
                )
        if unseen:
            self._log_unseen_matches(unseen)

    def _log_unseen_matches(self, count: int) -> None:
        # Linking must say that a number is on file, so a file of numbers tells which are
        # customers somewhere in the company — as a phone search does, and like one it is
        # logged (SEC-2): whose they are stays unsaid.
        personal_data_access_log(
            by=self.by,
            action=PersonalDataAccess.Action.SEARCH,
            company=self.company,
            fields="phone",
            record_count=count,
            description=f"customer import: {count} number(s) on file for customers "
            "the importer may not open",
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


def may_import_somewhere(user) -> bool:
    """Whether ``user`` may import customers into some company: the list's Import button,
    decided from his role assignments (read once per request), with no query for the
    companies themselves (issue 10: ≤ 10 queries a list page). The upload form lists them
    (``import_companies``) and the upload checks the one chosen."""
    if not getattr(user, "is_authenticated", False):
        return False
    return has_perm(user, Perm.REASSIGN_CUSTOMERS) or any(
        a.role in CONSULTANT_ROLES for a in user.role_assignments.all()
    )


def import_companies(user):
    """Companies ``user`` may import customers into."""
    from anju.org.models import Company

    return [c for c in Company.objects.visible_to(user) if can_import(user, c)]


def _require_import(user, company):
    if not can_import(user, company):
        raise NotPermitted(
            _("Only consultants, sales managers and data stewards may import customers.")
        )
