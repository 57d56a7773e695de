"""Customers API (CUS-1 … CUS-5, SEC-2): the same services and selectors as the pages.

Phones and ID numbers come masked; ``POST /customers/{id}/reveal/{field}`` returns a full
value to roles allowed to see it, and logs it.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from anju.core.api_errors import PATTERN_MESSAGES
from anju.core.api_types import (
    Email,
    Id,
    Input,
    IsoDate,
    Money,
    Pagination,
    RefId,
    Text,
    may_answer,
    model_text,
)
from anju.core.errors import ApplicationError
from anju.core.masking import mask_id_number, mask_phone
from anju.core.scope import get_visible_or_404
from anju.core.validation import MAX_AREA
from anju.org.models import Company, Project

from . import selectors, services
from .filters import API_NAMES, CustomerFilter
from .models import (
    Customer,
    CustomerStatus,
    Gender,
    Grade,
    LifeStage,
    PaymentAbility,
    Purpose,
    Source,
)
from .sources import SourceCode

router = Router(tags=["customers"])

_SEARCH_HELP = (
    "name, pinyin or initials, customer code, or phone: the full number or the last 4 "
    "digits (a prefix only for roles that may see numbers in full)"
)


class CustomerOut(Schema):
    id: int
    code: str
    name: str
    phone: str
    status: CustomerStatus
    grade: str
    source: str = Field(description="the code of a channel on the company's list")
    source_name: str = Field(description="the channel's name on the company's list")
    company_id: int
    project_id: int | None
    owner_id: int | None
    owner_name: str
    protected_until: datetime | None
    completeness: int
    created_at: datetime

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_owner_name(obj):
        return str(obj.owner) if obj.owner_id else ""

    @staticmethod
    def resolve_source_name(obj):
        return obj.get_source_display()


# The columns CustomerOut shows, for a read of one customer that needs no more (issue 10:
# the screen pop, the call centre's most frequent request, read the whole row and two more).
CUSTOMER_OUT_COLUMNS = (
    "code",
    "name",
    "phone",
    "status",
    "grade",
    "source",
    "company_id",
    "project_id",
    "owner_id",
    "protected_until",
    "completeness",
    "created_at",
)


class CustomerDetailOut(CustomerOut):
    gender: Gender
    birth_date: date | None
    id_number: str
    occupation: str
    address: str
    family_structure: str
    email: str
    area_min: Decimal | None
    area_max: Decimal | None
    layout_wanted: str
    budget_min: Decimal | None
    budget_max: Decimal | None
    purpose: str
    life_stage: str
    payment_ability: str
    referrer_id: int | None

    @staticmethod
    def resolve_id_number(obj):
        return mask_id_number(obj.id_number)


# A phone number as people type it: a mainland mobile (138 1234 5678), a landline with its
# area code (0755-12345678), or +country… The server validates it with libphonenumber
# (customers/phones.py); the pattern only bounds the characters.
PHONE_PATTERN = r"^\+?[0-9][0-9 ()-]{2,28}$"
PHONE_DESCRIPTION = (
    "a valid number: a mainland mobile (11 digits, 1[3-9]…), a landline with its area code "
    "(0755-12345678), or +country code…; spaces, dashes and brackets are ignored"
)
PATTERN_MESSAGES[PHONE_PATTERN] = gettext_lazy("Enter a phone number, e.g. 138 1234 5678.")
Phone = Annotated[
    str,
    Field(
        max_length=30,
        pattern=PHONE_PATTERN,
        description=PHONE_DESCRIPTION,
        json_schema_extra={"format": "phone", "examples": ["13812345678"]},
    ),
]
OptionalPhone = Annotated[
    str,
    Field(
        max_length=30,
        pattern=PHONE_PATTERN.replace("^", "^(?:").replace("$", ")?$"),
        description=PHONE_DESCRIPTION + "; empty when the caller declined to give it",
        json_schema_extra={"format": "phone"},
    ),
]
PATTERN_MESSAGES[PHONE_PATTERN.replace("^", "^(?:").replace("$", ")?$")] = PATTERN_MESSAGES[
    PHONE_PATTERN
]


class CustomerIn(Input):
    """Register a customer by phone (CUS-1/2). Rules beyond the schema: the project (if
    given) is of the company; a number protected by a colleague is a 409."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": 1,
                    "phone": "138 1234 5678",
                    "name": "王先生",
                    "source": "hotline",
                    "budget_max": "3500000.00",
                }
            ]
        }
    )

    company_id: RefId | None = None
    project_id: RefId | None = None
    phone: Phone
    name: model_text(Customer, "name", required=True)
    gender: Gender = Gender.UNKNOWN
    birth_date: IsoDate | None = Field(None, description="in the past, after 1900")
    source: SourceCode = Source.OTHER.value
    grade: Grade | None = None
    layout_wanted: model_text(Customer, "layout_wanted") = ""
    budget_max: Money() | None = None


class RegistrationOut(Schema):
    created: bool
    message: str
    customer: CustomerOut


class CustomerPatch(Input):
    """Change a customer's profile; only the fields sent change, ``null`` clears. Rules
    beyond the schema: ``area_min`` ≤ ``area_max``, ``budget_min`` ≤ ``budget_max``;
    ``birth_date`` in the past, after 1900."""

    # Fields that cannot be cleared are not nullable: leave them out to keep them.
    name: model_text(Customer, "name", required=True) = Field(None)
    gender: Gender = Field(None)
    birth_date: IsoDate | None = None
    id_number: model_text(Customer, "id_number") | None = None
    occupation: model_text(Customer, "occupation") | None = None
    address: model_text(Customer, "address") | None = None
    family_structure: model_text(Customer, "family_structure") | None = None
    email: Email | None = None
    area_min: Money(MAX_AREA) | None = None
    area_max: Money(MAX_AREA) | None = None
    layout_wanted: model_text(Customer, "layout_wanted") | None = None
    budget_min: Money() | None = None
    budget_max: Money() | None = None
    purpose: Purpose | None = None
    source: SourceCode = Field(None)
    grade: Grade | None = None
    life_stage: LifeStage | None = None
    payment_ability: PaymentAbility | None = None


class RevealOut(Schema):
    field: str
    value: str


def _company_and_project(user, payload):
    project = None
    if payload.project_id:
        project = get_visible_or_404(Project, user, pk=payload.project_id)
    if payload.company_id:
        company = get_visible_or_404(Company, user, pk=payload.company_id)
    elif project is not None:
        company = project.company
    elif user.company_id:
        company = user.company
    else:
        raise Http404("not found")
    return company, project


@router.post(
    "/customers",
    response={200: RegistrationOut, 201: RegistrationOut},
    openapi_extra=may_answer(409),
)
def register_customer(request, payload: CustomerIn):
    """Register by phone; an existing customer is returned (created=false), never duplicated."""
    company, project = _company_and_project(request.user, payload)
    profile = payload.dict(exclude={"company_id", "project_id", "phone", "name"}, exclude_none=True)
    profile = {k: v for k, v in profile.items() if v != ""}
    registration = services.customer_register(
        by=request.user,
        company=company,
        project=project,
        phone=payload.phone,
        name=payload.name,
        **profile,
    )
    return Status(201 if registration.created else 200, registration)


class PhoneLookupIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13812345678"}]})

    phone: Phone
    company_id: RefId | None = None


def _choices(choices) -> str:
    return ", ".join(str(value) for value in choices.values)


# In a URL the search may not be a phone number (issue 7 item 9): it must hold something
# besides digits and the separators people type in numbers (selectors.is_phone_search).
_NOT_ONLY_DIGITS = r"^$|^[^\x00-\x1f\x7f-\x9f\ufffe\uffff]*[^0-9\s()+\-\x00-\x1f\x7f-\x9f\ufffe\uffff][^\x00-\x1f\x7f-\x9f\ufffe\uffff]*$"
PATTERN_MESSAGES[_NOT_ONLY_DIGITS] = gettext_lazy(
    "Search phone numbers with POST /api/v1/customers/search (a JSON body), not in the URL."
)
NotAPhone = Annotated[str, Field(max_length=50, pattern=_NOT_ONLY_DIGITS)]

# The list's filters, built from ``CustomerFilter`` (the FilterSet the page and the export
# use, issue 7 item 16), so the document states exactly what they accept (issue 8 item 2).
CustomerFilterQuery = CustomerFilter.api_schema(
    "CustomerFilterQuery",
    q=(
        NotAPhone | None,
        Field(None, description="name, pinyin or initials, or customer code (not a phone)"),
    ),
)
CustomerSearchIn = CustomerFilter.api_schema(
    "CustomerSearchIn",
    __base__=Input,
    q=(Text(50) | None, Field(None, description=_SEARCH_HELP)),
)


def _filtered(request, data):
    """The rows of ``CustomerFilter`` for ``data``; invalid filters → 4xx with the reason."""
    return CustomerFilter.from_api(data, user=request.user).rows_or_error(API_NAMES)


@router.get("/customers", response=list[CustomerOut])
@paginate(Pagination, page_size=50)
def list_customers(request, filters: Query[CustomerFilterQuery]):
    """Customers you may see. ``q`` is a name, pinyin or code here; search phone numbers
    with ``POST /customers/search`` (issue 7 item 9: no phone numbers in URLs)."""
    if selectors.is_phone_search(request.GET.get("q")):
        raise ApplicationError(
            _(
                "Search phone numbers with POST /api/v1/customers/search (a JSON body), "
                "not in the URL."
            ),
            field="q",
        )
    return _filtered(request, filters)


@router.post("/customers/search", response=list[CustomerOut])
@paginate(Pagination, page_size=50)
def search_customers(request, payload: CustomerSearchIn):
    """The customer list searched by a body: name, pinyin, code or phone (SEC-2: without the
    unmask permission a phone only by the full number or the last 4 digits; logged)."""
    return _filtered(request, payload)


@router.post("/customers/lookup", response=CustomerOut)
def lookup_by_phone(request, payload: PhoneLookupIn):
    """The customer with this full number in the company (the caller's screen pop)."""
    # The company's id is enough (no query for the user's own company: issue 10, the
    # screen pop is the call centre's most frequent request).
    company = (
        get_visible_or_404(Company, request.user, pk=payload.company_id).pk
        if payload.company_id
        else request.user.company_id
    )
    if company is None:
        raise Http404("not found")
    customer = selectors.customer_by_phone(
        request.user, company, payload.phone[:30], only=CUSTOMER_OUT_COLUMNS
    )
    if customer is None:
        raise Http404("not found")
    return customer


@router.get("/customers/{int:customer_id}", response=CustomerDetailOut)
def get_customer(request, customer_id: Id):
    return selectors.customer_detail(request.user, customer_id)


@router.patch(
    "/customers/{int:customer_id}", response=CustomerDetailOut, openapi_extra=may_answer(409)
)
def update_customer(request, customer_id: Id, payload: CustomerPatch):
    customer = selectors.customer_detail(request.user, customer_id)
    changes = payload.dict(exclude_unset=True)
    changes = {k: ("" if v is None and k not in _NULLABLE else v) for k, v in changes.items()}
    return services.customer_update(by=request.user, customer=customer, **changes)


_NULLABLE = {"birth_date", "area_min", "area_max", "budget_min", "budget_max"}


@router.post(
    "/customers/{int:customer_id}/claim", response=CustomerOut, openapi_extra=may_answer(409)
)
def claim_customer(request, customer_id: Id):
    customer = selectors.customer_detail(request.user, customer_id)
    return services.customer_claim(by=request.user, customer=customer)


@router.post("/customers/{int:customer_id}/reveal/{field}", response=RevealOut)
def reveal_personal_data(request, customer_id: Id, field: Literal["phone", "id_number"]):
    """The full phone or ID number: roles that may see personal data in full, and for the phone
    the customer's consultant or the holder of an open follow-up task about him; logged (SEC-2).
    """
    customer = selectors.customer_to_reveal(request.user, customer_id)
    value = services.customer_reveal_personal_data(
        by=request.user, customer=customer, field=field[:20], ip=request.META.get("REMOTE_ADDR")
    )
    return {"field": field, "value": value}


# --- source channels (issue 9 item 12) --------------------------------------------------------


class SourceChannelOut(Schema):
    company_id: int
    code: str = Field(description="what a customer's ``source`` takes")
    name: str
    active: bool = Field(description="a retired channel stays on its customers, takes no new")


@router.get("/source-channels", response=list[SourceChannelOut])
@paginate(Pagination, page_size=50)
def list_source_channels(request, company_id: Id | None = None):
    """The source channels of the companies you see (managed per company by its managers):
    the codes ``source`` takes when registering or changing a customer."""
    from anju.org.selectors import companies_visible_to

    from .sources import source_table

    if company_id is not None:
        companies = [get_visible_or_404(Company, request.user, pk=company_id)]
    else:
        companies = list(companies_visible_to(request.user))
    return [
        {"company_id": c.pk, "code": code, "name": name, "active": active}
        for c in companies
        for code, name, active in source_table(c.pk)
    ]
