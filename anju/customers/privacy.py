"""PIPL rights (SEC-2, issue 7 items 13–14): what each app holds about one person, and how
each app erases it. Other apps plug in without this app knowing them, from AppConfig.ready()::

    register_personal_data_provider("calls", calls_of, label=_("Calls"), model=PhoneCall)
    register_erasure_handler(erase_my_rows)

* ``calls_of(customer) -> list[dict]`` returns every row the app holds about that one
  customer, for the data package (a copy of everything held, PIPL art. 45). It is a *system*
  read: the caller has already checked that the requester may see the customer and holds
  ``Perm.PERSONAL_DATA_REQUESTS``; providers read unscoped on purpose (``Model.objects.unscoped("why")``).
* ``erase_my_rows(erasure)`` runs inside the anonymisation's transaction: it replaces the
  personal text of its rows (``erasure.scrub(text)``), deletes what only identifies (the
  phone index), keeps the rows themselves as anonymous facts, reports counts with
  ``erasure.count(name, n)`` and the rows it touched with ``erasure.touch(Model, pks,
  personal_fields)`` so that their events and audit-log entries are scrubbed too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst

PersonalDataProvider = Callable[[object], list[dict]]
ErasureHandler = Callable[["Erasure"], None]

ERASED = "***"  # what replaces a number, an ID or an e-mail in kept text
ANONYMOUS_PREFIX = "已匿名"  # the stored name of an anonymised customer: 已匿名-3F9A2C

# JSON keys whose values are personal whatever they hold (events, job errors, audit data).
PERSONAL_KEYS = frozenset(
    {
        "phone",
        "phones",
        "phone_last4",
        "name",
        "caller_name",
        "id_number",
        "email",
        "address",
        "birth_date",
        "wechat",
        "raw",
        "value",
    }
)


@dataclass(frozen=True)
class _Provider:
    name: str
    fn: PersonalDataProvider
    label: object
    model: type[models.Model] | None = None
    titles: dict = field(default_factory=dict)

    def headers(self, rows: list[dict]) -> dict:
        """Each key of the rows → its column title: ``titles`` first, then the model field's
        verbose name, else the key itself (always in the rows' key order)."""
        keys = dict.fromkeys(k for row in rows for k in row)
        return {key: self.title(key) for key in keys}

    def title(self, key: str):
        if key in self.titles:
            return self.titles[key]
        if self.model is not None:
            try:
                return capfirst(self.model._meta.get_field(key).verbose_name)
            except FieldDoesNotExist:
                pass
        return key


_PROVIDERS: list[_Provider] = []
_ERASURE_HANDLERS: list[ErasureHandler] = []


def register_personal_data_provider(
    name: str, fn: PersonalDataProvider, *, label=None, model=None, titles=None
) -> None:
    """Add a kind of data to every customer's data package (one sheet and one JSON key).

    The sheet's column titles are the ``model``'s field verbose names (for rows made by
    ``model_rows``), or ``titles`` (key → lazy translated text) for keys of one's own.
    """
    if any(p.name == name for p in _PROVIDERS):
        return
    _PROVIDERS.append(
        _Provider(name=name, fn=fn, label=label or name, model=model, titles=dict(titles or {}))
    )


def personal_data_providers() -> list[_Provider]:
    return list(_PROVIDERS)


def register_erasure_handler(handler: ErasureHandler) -> None:
    if handler not in _ERASURE_HANDLERS:
        _ERASURE_HANDLERS.append(handler)


def run_erasure_handlers(erasure: Erasure) -> None:
    for handler in _ERASURE_HANDLERS:
        handler(erasure)


# --- rows for the data package -----------------------------------------------------------------


def plain(value):
    """A value as JSON and a spreadsheet both take it: text, number, bool or None."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def model_rows(objects: Iterable[models.Model], *, exclude: Iterable[str] = ()) -> list[dict]:
    """Every concrete field of each row, choices as their label, relations as their name."""
    exclude = set(exclude)
    rows = []
    for obj in objects:
        row = {}
        for f in obj._meta.concrete_fields:
            if f.name in exclude:
                continue
            if f.is_relation:
                related = getattr(obj, f.name)
                row[f.name] = str(related) if related is not None else None
            elif f.choices:
                row[f.name] = (
                    getattr(obj, f"get_{f.name}_display")()
                    if getattr(obj, f.attname) not in ("", None)
                    else ""
                )
            else:
                row[f.name] = plain(getattr(obj, f.attname))
        rows.append(row)
    return rows


# --- erasure -----------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What one anonymisation erases, handed to every app's erasure handler.

    ``customer_ids`` is the customer and every duplicate merged into it (one person);
    ``phones`` every number that person held, read before the phone index is deleted.
    """

    company_id: int
    customer_ids: list[int]
    phones: set[str]
    names: set[str]
    other_secrets: set[str]
    label: str
    counts: dict = field(default_factory=dict)
    touched: dict = field(default_factory=dict)  # model → ({pks}, {personal fields})
    _pattern: re.Pattern | None = None

    def count(self, name: str, n: int) -> None:
        if n:
            self.counts[name] = self.counts.get(name, 0) + n

    def touch(self, model, pks: Iterable, personal_fields: Iterable[str] = ()) -> None:
        pks = {int(pk) for pk in pks}
        if not pks:
            return
        known_pks, known_fields = self.touched.setdefault(model, (set(), set()))
        known_pks.update(pks)
        known_fields.update(personal_fields)

    # -- scrubbing --------------------------------------------------------------------------

    @property
    def pattern(self) -> re.Pattern:
        """Any name, number (also written 138 1234 5678 or 138-1234-5678), ID or e-mail."""
        if self._pattern is None:
            parts = []
            for phone in sorted(self.phones, key=len, reverse=True):
                digits = re.sub(r"\D", "", phone)
                if len(digits) >= 5:
                    parts.append(r"[\s\-]?".join(re.escape(d) for d in digits))
            for text in sorted(self.names | self.other_secrets, key=len, reverse=True):
                if len(text) >= 2:
                    parts.append(re.escape(text))
            self._pattern = re.compile("|".join(parts) if parts else r"(?!x)x", re.IGNORECASE)
        return self._pattern

    def scrub(self, text):
        """Kept text without the person: names become the anonymous label, the rest ***."""
        if not isinstance(text, str) or not text:
            return text
        return self.pattern.sub(lambda m: self.label if m.group(0) in self.names else ERASED, text)

    def scrub_json(self, value, *, personal_keys=PERSONAL_KEYS):
        """A JSON value with personal keys blanked and every string scrubbed."""
        if isinstance(value, dict):
            return {
                k: (
                    _blank(v)
                    if k in personal_keys
                    else self.scrub_json(v, personal_keys=personal_keys)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.scrub_json(v, personal_keys=personal_keys) for v in value]
        return self.scrub(value)

    def mentions(self, value) -> bool:
        if value in (None, ""):
            return False
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, default=str)
        return bool(self.pattern.search(value))

    def like_terms(self) -> list[str]:
        """Substrings for a database LIKE filter that finds rows mentioning the person.

        Names also in their JSON-escaped form: SQLite stores JSON with escapes such as \\u5f20 (张).
        """
        terms = {re.sub(r"\D", "", p) for p in self.phones}
        for text in self.names | self.other_secrets:
            if len(text) >= 2:
                terms.add(text)
                terms.add(json.dumps(text)[1:-1])
        return sorted(t for t in terms if len(t) >= 2)


def _blank(value):
    if value in (None, "", [], {}):
        return value
    if isinstance(value, list):
        return [ERASED for _v in value]
    return ERASED


def anonymous_label() -> str:
    import secrets

    return f"{ANONYMOUS_PREFIX}-{secrets.token_hex(3).upper()}"
