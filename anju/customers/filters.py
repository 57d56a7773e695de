"""The customer list's filters, parsed once (issue 7 item 16).

``CustomerFilter`` validates and applies the filters for the list page, the API
(``GET /customers``, ``POST /customers/search``) and the export, so a filter added here
works in all three and they cannot disagree. Owner and project choices are limited to what
the user may see; the search goes through ``selectors._search_q`` (phone-search rules and
access logging, issue 7 item 2). Invalid filters give no rows, never the whole list.
"""

import functools
import inspect
import re
from datetime import date, datetime, time, timedelta
from typing import Literal

import django_filters
from django import forms
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import create_model

from anju.core.api_types import MAX_ID, Flag, Id, Input, IsoDate, RefId, Text
from anju.core.errors import ApplicationError, NotFound
from anju.org.selectors import projects_visible_to

from . import selectors
from .models import SOURCE_CODE_PATTERN, CustomerStatus, Grade
from .sources import SourceCode, filter_source_choices

# The API names its id filters ``owner_id`` / ``project_id`` (reception lists also
# ``consultant_id`` / ``unit_id``); the page and export ``owner`` / ``project`` … Same
# filters, two spellings of the parameter.
API_NAMES = {
    "owner_id": "owner",
    "project_id": "project",
    "consultant_id": "consultant",
    "unit_id": "unit",
}


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A choice by id: a non-number or an id beyond any row is refused before the database
    sees it (SEC-4, the API's ``Id`` bound), with the usual "select a valid choice"."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(getattr(value, "pk", value)).strip()
        # isascii: "²" is a digit to str.isdigit() but not to int()
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(text)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter on one visible row by id (owner, project …); its queryset is set per user."""

    field_class = BoundedModelChoiceField


class _Checkbox(forms.CheckboxInput):
    """Ticked for 1/true/on (the page sends 1, JSON true); "0" and "false" are not ticked."""

    def value_from_datadict(self, data, files, name):
        return str(data.get(name, "")).strip().lower() in ("1", "true", "on", "yes")


class _CheckboxFilter(django_filters.BooleanFilter):
    """A checkbox: ticked or not (never "unknown"), as on the list page."""

    field_class = forms.BooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _Checkbox)
        super().__init__(*args, **kwargs)


class ListFilter(django_filters.FilterSet):
    """A list's filters, shared by its page, its API endpoint and its export.

    Always bound (no data = no filters). Invalid input, or a filter refusing with an
    ApplicationError, yields no rows and a form error: ``rows()`` is then None.
    """

    def __init__(self, data=None, *, user, queryset, **kwargs):
        data = data if data is not None else QueryDict()
        super().__init__(data, queryset=queryset, **kwargs)
        self.user = user

    @classmethod
    def from_api(cls, data, *, user, **kwargs):
        """The same filters from API parameters (``owner_id`` → ``owner`` …): a dict, a
        QueryDict, or the validated ``api_schema()`` object of the operation."""
        if isinstance(data, Schema):
            data = data.dict(exclude_none=True)
        values = {API_NAMES.get(k, k): _form_value(v) for k, v in data.items() if v != ""}
        return cls(values, user=user, **kwargs)

    @classmethod
    def api_schema(cls, name: str, *, exclude=(), __base__=Schema, **extra_fields):
        """The list's filters as a ninja ``Query`` schema, built from this FilterSet, so the
        OpenAPI document states exactly the values the filters accept (issue 8 item 2):
        choices as enums, ids as ``Id``, dates as YYYY-MM-DD, texts with their length."""
        api_names = {v: k for k, v in API_NAMES.items()}
        fields = {}
        for filter_name, filter_ in cls.base_filters.items():
            if filter_name in exclude:
                continue
            annotation = _api_type(filter_, body=issubclass(__base__, Input))
            with translation.override("en"):  # the API document speaks English
                description = str(filter_.label or "")
            fields[api_names.get(filter_name, filter_name)] = (
                annotation | None,
                Field(None, description=description),
            )
        for field_name, spec in extra_fields.items():
            fields[field_name] = spec
        return create_model(name, __base__=__base__, __doc__=inspect.getdoc(cls), **fields)

    def filter_queryset(self, queryset):
        """All filters, or no rows when any is invalid or refused (the form says why)."""
        if not self.form.is_valid():
            return queryset.none()
        try:
            return super().filter_queryset(queryset)
        except ApplicationError as exc:  # e.g. a phone search this role may not make
            self.refusal = exc  # the API answers with its own status and code
            field = exc.field if exc.field in self.form.fields else None
            self.form.add_error(field, str(exc.message))
            return queryset.none()

    def rows(self):
        """The filtered rows, or None when the filters are invalid (``errors`` says why)."""
        rows = self.qs
        return None if self.errors else rows

    def rows_or_error(self, names=None):
        """The filtered rows; invalid filters raise an ApplicationError (API 400, export 400)."""
        rows = self.rows()
        if rows is None:
            refusal = getattr(self, "refusal", None)
            if refusal is not None and refusal.status_code != 422:
                raise refusal  # 403 a search this role may not make, 429 too many
            raise filter_errors(self, names)
        return rows

    def used(self) -> dict:
        """The filters in effect, for an export's access-log line."""
        if not self.form.is_valid():
            return {}
        return {k: v for k, v in self.form.cleaned_data.items() if v not in ("", None, False)}


class ProjectListFilter(ListFilter):
    """``project``: one of the projects the user sees (reception's and the deals' lists)."""

    project = IdChoiceFilter(label=_("Project"), queryset=None, empty_label=_("All projects"))

    def __init__(self, data=None, *, user, queryset, **kwargs):
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["project"].queryset = projects_visible_to(user)


class ConsultantListFilter(ListFilter):
    """``consultant``: one consultant's rows; the choices are the sales people the user
    oversees, himself included — not every colleague (engineers, stewards …), who never
    hold a deal or a call."""

    consultant = IdChoiceFilter(
        label=_("Consultant"), queryset=None, empty_label=_("All consultants")
    )

    def __init__(self, data=None, *, user, queryset, **kwargs):
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["consultant"].queryset = selectors.consultants_visible_to(
            user, with_managers=True
        )


class SourceFilter(django_filters.ChoiceFilter):
    """A source channel: the choices are the user's companies' lists, so the API states the
    code's pattern, not a fixed enum (issue 9 item 12)."""


def _api_type(filter_, *, body=False):
    """The schema type of a filter: query strings are parsed, a JSON body keeps its types."""
    if isinstance(filter_, IdChoiceFilter):
        return RefId if body else Id
    if isinstance(filter_, SourceFilter):
        return SourceCode
    if isinstance(filter_, django_filters.ChoiceFilter):
        values = tuple(str(value) for value, _label in filter_.extra["choices"])
        return Literal[values]
    if isinstance(filter_, django_filters.DateFilter):
        return IsoDate
    if isinstance(filter_, django_filters.BooleanFilter):
        return Flag if body else bool
    max_length = filter_.extra.get("max_length") or 100
    return Text(max_length)


def _form_value(value):
    """A validated API value as the FilterSet's form reads it."""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class CustomerFilter(ListFilter):
    q = django_filters.CharFilter(label=_("Search"), max_length=50, method="filter_search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=CustomerStatus.choices, empty_label=_("All statuses")
    )
    grade = django_filters.ChoiceFilter(
        label=_("Grade"), choices=Grade.choices, empty_label=_("All grades")
    )
    # the companies' own lists (issue 9 item 12): choices set per user below
    source = SourceFilter(label=_("Source"), choices=(), empty_label=_("All sources"))
    owner = IdChoiceFilter(label=_("Consultant"), queryset=None, empty_label=_("All consultants"))
    project = IdChoiceFilter(label=_("Project"), queryset=None, empty_label=_("All projects"))
    # Registered between two local days, both included (the workbench's "new customers").
    created_from = django_filters.DateFilter(
        label=_("Registered from"), method="filter_created_from", widget=_DATE
    )
    created_to = django_filters.DateFilter(
        label=_("Registered to"), method="filter_created_to", widget=_DATE
    )
    # Stale leads are archived, never deleted (CUS-8): this brings them back into view.
    include_archived = _CheckboxFilter(
        label=_("Include archived"), method="filter_archived", required=False
    )

    def __init__(self, data=None, *, user, **kwargs):
        queryset = selectors.customer_list(user, include_archived=True)
        super().__init__(data, user=user, queryset=queryset, **kwargs)
        self.filters["owner"].queryset = selectors.consultants_visible_to(user)
        self.filters["project"].queryset = projects_visible_to(user)
        # A callable: read only when a source is given or the select is drawn, so the API's
        # unfiltered list costs no query for it (issue 10: ≤ 6 queries per list API); read
        # once when both happen (a page filtered by source: checked, then drawn).
        self.filters["source"].extra["choices"] = functools.cache(
            lambda: filter_source_choices(user)
        )

    def filter_search(self, queryset, name, value):
        return queryset.filter(selectors._search_q(value, self.user))

    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_created_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))

    def filter_archived(self, queryset, name, value):
        # called for False too (only "" and None skip a method): archived hidden by default
        return queryset if value else queryset.filter(archived_at__isnull=True)

    def used(self) -> dict:
        """The filters in effect, for an export's access-log line (a phone search masked)."""
        shown = super().used()
        if shown.get("q"):
            shown["q"] = selectors.masked_search_text(shown["q"])
        return shown


def filter_errors(filterset, names=None) -> ApplicationError:
    """The FilterSet's errors as one ApplicationError (the API's 400 ``detail``/``field``)."""
    names = {v: k for k, v in (names or {}).items()}
    errors = filterset.errors
    parts = []
    for field, messages in errors.items():
        label = names.get(field, field) if field != "__all__" else ""
        parts.append(f"{label}: {' '.join(messages)}" if label else " ".join(messages))
    first = next(iter(errors), None)
    field = names.get(first, first) if first not in (None, "__all__") else None
    if first is not None and _names_a_row_out_of_sight(filterset, first):
        # A well-formed id of a project or consultant the user cannot see: as for any row
        # outside the scope, "not found" (404), never a hint that it exists.
        return NotFound(_("Not found."), field=field)
    if first is not None and _names_an_unknown_source(filterset, first):
        # A well-formed source code that is not on the user's companies' lists (404, as in a
        # request body: customers.sources.check_source).
        return NotFound(_("Unknown source channel."), field=field, code="unknown_source")
    return ApplicationError("; ".join(parts), field=field, code="invalid_filter")


def _names_an_unknown_source(filterset, name) -> bool:
    if not isinstance(filterset.filters.get(name), SourceFilter):
        return False
    return re.fullmatch(SOURCE_CODE_PATTERN, str(filterset.data.get(name, ""))) is not None


def _names_a_row_out_of_sight(filterset, name) -> bool:
    filter_ = filterset.filters.get(name)
    if not isinstance(filter_, IdChoiceFilter):
        return False
    value = str(filterset.data.get(name, "")).strip()
    return value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID


# --- a list as an export job (``core.export_jobs``, issue 8 item 3) ------------------------------


def export_filter_names(filter_class) -> tuple:
    """The FilterSet's filters under the names the list API uses (``project`` → ``project_id``)."""
    back = {v: k for k, v in API_NAMES.items()}
    return tuple(back.get(name, name) for name in filter_class.base_filters)


def _in_body(exc: ApplicationError) -> ApplicationError:
    if exc.field and not exc.field.startswith("filters."):
        exc.field = f"filters.{exc.field}"  # named as in the request body
    return exc


def export_check(filter_class):
    """An export kind's ``check``: the FilterSet's form validation (choices, ids the user may
    see, dates), answered as the list API answers it; the filters themselves run in the job,
    so a phone search is run and logged once."""

    def check(user, filters, params):
        filterset = filter_class.from_api(filters, user=user)
        if not filterset.form.is_valid():
            raise _in_body(filter_errors(filterset, API_NAMES))

    return check


def export_rows(filter_class):
    """An export kind's ``rows``: the list's own FilterSet, as the list API applies it."""

    def rows(user, filters, params):
        filterset = filter_class.from_api(filters, user=user)
        try:
            found = filterset.rows_or_error(API_NAMES)
        except ApplicationError as exc:
            raise _in_body(exc) from None
        used = " ".join(f"{k}={v}" for k, v in filterset.used().items())
        return found, used[:150]

    return rows
