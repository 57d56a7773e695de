"""Model-field validation for services: lengths, ranges, choices, e-mail, control characters.

SQLite ignores VARCHAR lengths and PostgreSQL rejects them with a server error, so every
service that writes user input checks the fields it sets through here first (SEC-4).

Text is also refused when it holds characters no person types (issue 7 item 4): NUL, which
PostgreSQL cannot store at all, and the other C0/C1 control characters, U+FFFE/U+FFFF and
lone surrogates, which break .xlsx exports. Multi-line text (TextField) may hold tab, line
feed and carriage return; single-line text (CharField) none of them. The same rule serves
forms (``core.forms.CleanTextMixin``), the API (through the services) and the import.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext as _

from .errors import ApplicationError

# Bounds shared by models, forms, API schemas and the import (issue 7 item 4).
NOTE_MAX_LENGTH = 2000  # notes, outcomes, questions, descriptions (TextField)
# The largest values the columns hold, so that "at most N digits" in the API's schema and
# the validators say the same (issue 8 item 2).
MAX_MONEY = Decimal("999999999999.99")  # CNY; DecimalField(max_digits=14, decimal_places=2)
MAX_AREA = Decimal("99999.99")  # m²; DecimalField(max_digits=7, decimal_places=2)
MAX_SORT_ORDER = 999
MONEY_RANGE = [MinValueValidator(0), MaxValueValidator(MAX_MONEY)]
AREA_RANGE = [MinValueValidator(0), MaxValueValidator(MAX_AREA)]
NOTE_LENGTH = [MaxLengthValidator(NOTE_MAX_LENGTH)]  # TextField does not check max_length
SORT_ORDER_RANGE = [MaxValueValidator(MAX_SORT_ORDER)]

# C0 controls except \t \n \r, DEL and C1 controls, lone surrogates, the non-characters
# U+FFFE and U+FFFF.
# The same classes as regular-expression text, for the API's schemas (core/api_types.py):
# the OpenAPI document states exactly what these refuse (issue 8 item 2). Lone surrogates
# cannot travel in UTF-8 JSON, so the schema patterns leave them out.
CONTROL_CHARS_SINGLE_LINE = r"\x00-\x1f\x7f-\x9f\ufffe\uffff"
CONTROL_CHARS_MULTI_LINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"
_CONTROL_MULTI_LINE = re.compile(f"[{CONTROL_CHARS_MULTI_LINE}\ud800-\udfff]")
_CONTROL_SINGLE_LINE = re.compile(f"[{CONTROL_CHARS_SINGLE_LINE}\ud800-\udfff]")


def control_character_error(value, *, multiline: bool = False) -> str | None:
    """A message if ``value`` (text) holds a character refused at entry, else None."""
    if not isinstance(value, str):
        return None
    pattern = _CONTROL_MULTI_LINE if multiline else _CONTROL_SINGLE_LINE
    found = pattern.search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\t\n\r":
        return _("Line breaks and tabs are not allowed here.")
    return _("Contains an invisible control character (U+%(code)04X); remove it.") % {
        "code": ord(char)
    }


def _is_text_field(field) -> bool:
    return isinstance(field, models.CharField | models.TextField)


def field_errors(instance, fields) -> dict[str, str]:
    """Every problem in ``fields`` of ``instance``: {field name: message} (no label, so a
    per-row report such as the import's can put it beside its column).

    The model's own validators (lengths, ranges, choices …) plus the control-character rule
    for every CharField/TextField among ``fields``.
    """
    errors = {}
    meta = instance._meta
    for name in fields:
        f = meta.get_field(name)
        raw = getattr(instance, f.attname)
        if _is_text_field(f):
            message = control_character_error(raw, multiline=isinstance(f, models.TextField))
            if message:
                errors[name] = message
                continue
        if f.blank and raw in f.empty_values:  # as Model.clean_fields does
            continue
        try:
            setattr(instance, f.attname, f.clean(raw, instance))
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    return errors


def validate_fields(instance, fields) -> None:
    """Run the model's own field validators on ``fields`` of ``instance``; the first problem
    becomes an ApplicationError naming the field (in model field order)."""
    errors = field_errors(instance, fields)
    if errors:
        order = [f.name for f in instance._meta.concrete_fields]
        name = min(errors, key=lambda n: order.index(n) if n in order else len(order))
        label = instance._meta.get_field(name).verbose_name
        raise ApplicationError(f"{label}: {errors[name]}", field=name)


def validate_text(value, *, field: str, max_length: int = 500, multiline: bool = True) -> None:
    """The same rule for text kept outside a model field (a reason stored in an event)."""
    message = control_character_error(value, multiline=multiline)
    if message is None and value is not None and len(value) > max_length:
        message = _("Too long (at most %(n)s characters).") % {"n": max_length}
    if message:
        raise ApplicationError(message, field=field)


def money_amount(value, *, field: str, negative: bool = False) -> Decimal:
    """An amount in yuan, rounded to the fen, that fits the money columns (SEC-4); negative
    only where ``negative`` (refunds). Every service reading money from a user uses it."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ApplicationError(_("Enter an amount of money."), field=field) from exc
    if not amount.is_finite():
        raise ApplicationError(_("Enter an amount of money."), field=field)
    if amount < 0 and not negative:
        raise ApplicationError(_("The amount cannot be negative."), field=field)
    amount = amount.quantize(Decimal("0.01"))  # 999999999999.995 rounds past the limit
    if abs(amount) > MAX_MONEY:
        raise money_too_large(field)
    return amount


def money_too_large(field: str) -> ApplicationError:
    return ApplicationError(
        _("The amount is too large (at most %(max)s).") % {"max": f"{MAX_MONEY:,}"}, field=field
    )
