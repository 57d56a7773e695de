"""Shared API parameter types: bounded so that no input can overflow the database (SEC-4).

Use ``Id`` for every id in a path or a filter, and ``Pagination`` for every list::

    @router.get("/things", response=list[ThingOut])
    @paginate(Pagination)
    def list_things(request, project_id: Id | None = None): ...
"""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Strict,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .api_errors import PATTERN_MESSAGES
from .pagination import COUNT_CAP, MAX_PAGE, first_page_or_count
from .validation import (
    CONTROL_CHARS_MULTI_LINE,
    CONTROL_CHARS_SINGLE_LINE,
    MAX_MONEY,
    NOTE_MAX_LENGTH,
)

MAX_ID = 2**53  # beyond any real row, and inside every database's integer range
MAX_PAGE_SIZE = 500  # pages: MAX_PAGE as on the list pages (issue 10 item 3); deeper, filter

# JSON Schema's integer, as text: digits, and a zero fraction (1.0 is an integer there too).
_DIGITS = re.compile(r"-?[0-9]+(\.0+)?")


def _url_integer(value):
    # A query string's integer is digits, as its schema says: pydantic would also read
    # " 4", "4\r" or "4_000" as a number (seen in the contract run: page=4%0D accepted).
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise PydanticCustomError("int_parsing", "a whole number, digits only")
    return value


# The bounds first, then the validator: bounds after a validator leave the JSON schema.
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_url_integer)]


class Pagination(PageNumberPagination):
    """Page-number pagination with bounded page and page size (default 50, at most 500)."""

    class Input(Schema):
        page: Annotated[int, Field(ge=1, le=MAX_PAGE), BeforeValidator(_url_integer)] = Field(
            1, description=f"1 to {MAX_PAGE}; beyond, narrow the filters"
        )
        page_size: (
            Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE), BeforeValidator(_url_integer)] | None
        ) = None

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
        rows, count = first_page_or_count(queryset, pagination.page, page_size)
        return {
            "items": rows[:page_size]
            if rows is not None
            else queryset[offset : offset + page_size],
            "count": min(count, COUNT_CAP),
            "count_capped": count > COUNT_CAP,
        }


# --- request schemas whose constraints are the server's own (issue 8 item 2) -------------
#
# The OpenAPI document must say what the server refuses, so the constraints are built from
# the same constants the services validate with (core/validation.py, the models' fields).
# What JSON Schema cannot say (a range's lower end ≤ its upper end, a time not in the
# future) is said in the field's description, and the contract run's generator is told
# (scripts/api_contract/hooks.py).

ERRORS_EXTENSION = "x-anju-errors"


def may_answer(*statuses: int) -> dict:
    """``openapi_extra`` for an operation that can also answer 409 or 429 (anju/api.py)."""
    return {ERRORS_EXTENSION: sorted(statuses)}


class Input(Schema):
    """Base of every request body: an unknown field is refused (422) instead of being
    ignored, so a misspelt field name never silently does nothing."""

    model_config = ConfigDict(extra="forbid")


def _text_pattern(*, multiline: bool, required: bool) -> str:
    refused = CONTROL_CHARS_MULTI_LINE if multiline else CONTROL_CHARS_SINGLE_LINE
    if not required:
        return rf"^[^{refused}]*$"
    return rf"^[^{refused}]*[^\s{refused}][^{refused}]*$"  # at least one visible character


PATTERN_MESSAGES.update(
    {
        _text_pattern(multiline=False, required=False): gettext_lazy(
            "Line breaks, tabs and invisible control characters are not allowed here."
        ),
        _text_pattern(multiline=True, required=False): gettext_lazy(
            "Invisible control characters are not allowed."
        ),
        _text_pattern(multiline=False, required=True): gettext_lazy(
            "Enter some text (not only spaces), without line breaks or control characters."
        ),
        _text_pattern(multiline=True, required=True): gettext_lazy(
            "Enter some text (not only spaces), without invisible control characters."
        ),
    }
)


def Text(  # noqa: N802 – a type factory, read as a type: ``name: Text(50, required=True)``
    max_length: int,
    *,
    required: bool = False,
    multiline: bool = False,
    description: str | None = None,
):
    """A text field: at most ``max_length`` characters, no control characters (tabs and line
    breaks only when ``multiline``), and when ``required`` not blank — as the services'
    ``validate_fields``/``validate_text`` refuse them."""
    return Annotated[
        str,
        Field(
            max_length=max_length,
            min_length=1 if required else None,
            pattern=_text_pattern(multiline=multiline, required=required),
            description=description,
        ),
    ]


def model_text(model, field_name: str, *, required: bool = False, description=None):
    """``Text`` with the length of a model's field, so schema and table never disagree."""
    field = model._meta.get_field(field_name)
    multiline = field.get_internal_type() == "TextField"
    max_length = field.max_length or NOTE_MAX_LENGTH
    return Text(max_length, required=required, multiline=multiline, description=description)


def _no_float(value):
    # A JSON float such as 0.1 is already rounded; money travels as a string ("12.50") or a
    # whole number (1280000 or 1280000.0), and becomes a Decimal (SEC-4: never a float).
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "money, not true/false")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("decimal_type", "money as a string or a whole number")
        return int(value)
    return value


def _money_pattern(maximum: Decimal) -> str:
    digits = len(str(int(maximum)))
    return rf"^[0-9]{{1,{digits}}}(\.[0-9]{{1,2}})?$"


def Money(maximum: Decimal = MAX_MONEY, *, description: str | None = None):  # noqa: N802
    """An amount 0 … ``maximum`` (all nines: the column's capacity), at most 2 decimals:
    ``"1280000.00"`` or ``1280000``; the string pattern is exactly that bound."""
    pattern = _money_pattern(maximum)
    PATTERN_MESSAGES.setdefault(
        pattern, gettext_lazy("Enter an amount like 1280000 or 1280000.50.")
    )
    return Annotated[
        Decimal,
        BeforeValidator(_no_float),
        Field(ge=0, le=maximum, decimal_places=2, description=description),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": int(maximum)},
                    {"type": "string", "pattern": pattern, "maxLength": 16},
                ],
                "description": description or "",
            }
        ),
    ]


def _json_integer(value):
    # JSON Schema's "integer" is any number without a fraction (79.0 is one); a string or
    # true/false is not, though pydantic would read "5" and true as integers.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_from_float", "a whole number")
        return int(value)
    return value


# Body fields take JSON's own types only: true/false, not 0/1 or "true"; 5, not "5".
Flag = Annotated[bool, Strict()]


def _form_flag(value):
    # A form field is text: "true" or "false" are the boolean's only spellings there.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PydanticCustomError("bool_parsing", "true or false")


FormFlag = Annotated[bool, BeforeValidator(_form_flag)]  # a boolean in a multipart form

# The bounds before the validator, so the schema states them as minimum/maximum.
RefId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_json_integer)]


def Count(minimum: int, maximum: int):  # noqa: N802 – a type factory
    """A whole number ``minimum`` … ``maximum`` in a body: ``rings: Count(0, 99)``."""
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_json_integer)]


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value):
    # pydantic would read a number ("6.6e-251") as a Unix time; a date is YYYY-MM-DD only.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError("date_parsing", "a date as YYYY-MM-DD")
    return value


def _iso_datetime(value):
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value[:1].isdigit():
        raise PydanticCustomError("datetime_parsing", "a date and time in ISO 8601")
    return value


IsoDate = Annotated[
    date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]
IsoDateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with the offset, e.g. 2026-11-25T10:30:00+08:00",
        }
    ),
]


# The addresses Django's EmailValidator (the model's) accepts, in its dot-atom form.
_ATOM = r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"
PATTERN_MESSAGES[EMAIL_PATTERN] = gettext_lazy("Enter an e-mail address like name@example.com.")


def _mailbox_fits(value: str) -> str:
    # RFC 5321 limits the part before the @ to 64 characters; Django's validator does not,
    # and a mail server would bounce such an address (the document's "email" format says it).
    if len(value.rpartition("@")[0]) > 64:
        raise PydanticCustomError("email_local_part", "local part longer than 64 characters")
    return value


Email = Annotated[
    str,
    Field(
        max_length=254,
        pattern=EMAIL_PATTERN,
        json_schema_extra={"format": "email"},
        description="an e-mail address",
    ),
    AfterValidator(_mailbox_fits),
]
