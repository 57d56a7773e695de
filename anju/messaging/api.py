"""Messaging API (issue 11 item 11): templates, the outbox's messages, consent.

Same selectors and services as the pages, so the same scope and rules. Addresses for the
consent endpoints travel in JSON bodies, never in a URL (SEC-2); answers show them masked.
"""

from datetime import datetime
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from anju.core.api_types import Flag, Id, Input, Pagination, RefId, Text, may_answer, model_text
from anju.core.errors import ApplicationError
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import get_visible_or_404
from anju.customers.filters import API_NAMES
from anju.customers.refs import HIDDEN_ID, customer_id_for, text_about, viewer
from anju.org.models import Company

from . import selectors, services
from .filters import MessageFilter
from .models import (
    ADDRESS_MAX_LENGTH,
    Channel,
    ConsentChange,
    Kind,
    MessageTemplate,
    Status,
)

router = Router(tags=["messaging"])


class FieldOut(Schema):
    key: str = Field(description="used as {key} in a template")
    label: str
    example: str
    given_by_caller: bool = Field(description="a campaign or event supplies the value")


class TemplateOut(Schema):
    id: int
    company_id: int
    name: str
    channel: Channel
    kind: Kind
    subject: str
    body: str
    is_active: bool
    provider_template_code: str = Field(description="the SMS provider's approved template")
    fields: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_fields(obj):
        from .templating import fields_used

        return fields_used(obj.subject) + [f for f in fields_used(obj.body) if f not in obj.subject]


Body = model_text(MessageTemplate, "body", required=True)
Subject = model_text(MessageTemplate, "subject")
TemplateName = model_text(MessageTemplate, "name", required=True)
# The provider's code: letters, digits and underscores (SMS_123456), as the service checks.
ProviderCode = Annotated[
    str, Field(max_length=40, pattern=r"^[A-Za-z0-9_]*$", description="e.g. SMS_123456")
]


class TemplateIn(Input):
    """A template of a company where you manage templates. Rules beyond the schema: every
    {field} used exists (GET /message-templates/fields; else 422 naming it); an e-mail needs
    a subject; only an SMS template has a provider template code; names are unique per
    company."""

    company_id: RefId | None = Field(None, description="default: your own company")
    name: TemplateName
    channel: Channel = Channel.SMS
    kind: Kind = Kind.MARKETING
    subject: Subject = ""
    body: Body
    provider_template_code: ProviderCode = Field(
        "", description="SMS: the approved template at the provider (Aliyun SMS_…)"
    )


class TemplatePatch(Input):
    """Only the fields sent change. Moving a template to e-mail drops its SMS provider
    template code; a provider code for a template that stays e-mail is 409
    ``not_sms_template``."""

    name: TemplateName = Field(None)
    channel: Channel = Field(None)
    kind: Kind = Field(None)
    subject: Subject = Field(None)
    body: Body = Field(None)
    is_active: Flag = Field(None)
    provider_template_code: ProviderCode = Field(None)


class PreviewIn(Input):
    """The final text for a customer you see (names masked unless you may see his data in
    full), or with the example values; with 【signature】 and, for marketing SMS, 回T退订."""

    company_id: RefId | None = Field(None, description="default: your own company")
    body: Body
    channel: Channel = Channel.SMS
    kind: Kind = Kind.MARKETING
    customer_id: RefId | None = None


class TemplatePreviewOut(Schema):
    text: str
    length: int = Field(description="characters, signature and opt-out note included")
    segments: int = Field(description="SMS charged: 1 up to 70 characters, else one per 67")
    masked: bool
    fields: list[str]


class MessageOut(Schema):
    id: int
    company_id: int
    project_id: int | None
    customer_id: int | None = Field(description=HIDDEN_ID)
    template_id: int | None
    channel: Channel
    kind: Kind
    status: Status
    to: str = Field(description="masked")
    subject: str
    text: str = Field(description="as the recipient reads it (SMS: with the signature)")
    segments: int
    idempotency_key: str
    source: str
    attempts: int
    not_before: datetime | None
    gateway: str
    provider_id: str
    error_code: str
    error: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer) if obj.customer_id else None

    @staticmethod
    def resolve_to(obj):
        return obj.to_masked

    @staticmethod
    def resolve_error(obj):
        return obj.error_shown

    @staticmethod
    def resolve_text(obj, context):
        return (
            text_about(viewer(context), obj.customer, obj.full_text)
            if obj.customer_id
            else obj.full_text
        )


class Address(Input):
    channel: Channel
    address: Text(ADDRESS_MAX_LENGTH, required=True, description="mobile or e-mail")


class ConsentIn(Address):
    note: Text(200, description="opting in: how the customer agreed (required)") = ""


class ConsentChangeOut(Schema):
    id: int
    channel: Channel
    address: str = Field(description="masked")
    opted_out: bool
    source: ConsentChange.Source
    note: str
    by: str | None
    at: datetime

    @staticmethod
    def resolve_address(obj):
        return services.mask_address(obj.channel, obj.address)

    @staticmethod
    def resolve_by(obj):
        return str(obj.by) if obj.by_id else None


class ConsentOut(Schema):
    channel: Channel
    address: str = Field(description="masked")
    opted_out: bool
    history: list[ConsentChangeOut]


MessageQuery = MessageFilter.api_schema("MessageQuery")


def _company(request, company_id):
    if company_id:
        return get_visible_or_404(Company, request.user, pk=company_id)
    if request.user.company_id:
        return request.user.company
    raise ApplicationError(_("Choose the company."), field="company_id")


# --- templates ----------------------------------------------------------------------------------


@router.get("/message-templates/fields", response=list[FieldOut])
def list_template_fields(request):
    """The fields a template may use ({称呼} {姓名} {项目} {顾问} {顾问电话} {活动} {日期} …)."""
    selectors.require_messaging(request.user)
    return [
        {
            "key": f.key,
            "label": str(f.label),
            "example": f.example,
            "given_by_caller": f.value is None,
        }
        for f in selectors.fields_table()
    ]


@router.get("/message-templates", response=list[TemplateOut])
@paginate(Pagination)
def list_templates(request):
    """The templates of the companies you see."""
    selectors.require_messaging(request.user)
    return selectors.templates_visible_to(request.user).order_by("company_id", "name", "pk")


@router.post("/message-templates", response={201: TemplateOut}, openapi_extra=may_answer(409))
def create_template(request, payload: TemplateIn):
    """A new template (needs MANAGE_TEMPLATES in the company)."""
    company = _company(request, payload.company_id)
    data = payload.dict(exclude={"company_id"})
    return HttpStatus(201, services.template_create(by=request.user, company=company, **data))


@router.post("/message-templates/preview", response=TemplatePreviewOut)
def preview_template(request, payload: PreviewIn):
    """The text as it will be sent, its length and SMS segments; 422 for an unknown field."""
    company = _company(request, payload.company_id)
    if not has_perm(request.user, Perm.MANAGE_TEMPLATES, company=company.pk):
        selectors.require_messaging(request.user)
    preview = selectors.template_preview(
        request.user,
        company=company,
        body=payload.body,
        channel=payload.channel,
        kind=payload.kind,
        customer_id=payload.customer_id,
    )
    if preview.error:
        raise ApplicationError(preview.error, field=preview.error_field)
    return {
        "text": preview.text,
        "length": preview.length,
        "segments": preview.segments,
        "masked": preview.masked,
        "fields": list(preview.fields),
    }


@router.get("/message-templates/{int:template_id}", response=TemplateOut)
def get_template(request, template_id: Id):
    return selectors.template_detail(request.user, template_id)


@router.patch(
    "/message-templates/{int:template_id}", response=TemplateOut, openapi_extra=may_answer(409)
)
def update_template(request, template_id: Id, payload: TemplatePatch):
    """Change the fields sent (needs MANAGE_TEMPLATES in the template's company)."""
    template = selectors.template_detail(request.user, template_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.template_update(by=request.user, template=template, **changes)


# --- messages -----------------------------------------------------------------------------------


@router.get("/messages", response=list[MessageOut])
@paginate(Pagination, page_size=50)
def list_messages(request, filters: Query[MessageQuery]):
    """The outbox: messages of the customers and projects you see, newest first."""
    data = filters.dict(exclude_none=True)
    return MessageFilter.from_api(data, user=request.user).rows_or_error(API_NAMES)


@router.get("/messages/{int:message_id}", response=MessageOut)
def get_message(request, message_id: Id):
    return selectors.message_detail(request.user, message_id)


@router.post("/messages/{int:message_id}/retry", response=MessageOut, openapi_extra=may_answer(409))
def retry_message(request, message_id: Id):
    """Send a failed or uncertain message again, with the same idempotency key (needs
    RUN_CAMPAIGNS)."""
    message = selectors.message_detail(request.user, message_id)
    services.message_retry(by=request.user, message=message)
    return selectors.message_detail(request.user, message.pk)


@router.post(
    "/messages/{int:message_id}/mark-sent", response=MessageOut, openapi_extra=may_answer(409)
)
def mark_message_sent(request, message_id: Id):
    """An uncertain message (its worker's lease ran out mid-send on a gateway that does not
    deduplicate) was received after all: SENT, never sent again (needs RUN_CAMPAIGNS)."""
    message = selectors.message_detail(request.user, message_id)
    services.message_mark_sent(by=request.user, message=message)
    return selectors.message_detail(request.user, message.pk)


# --- consent ------------------------------------------------------------------------------------


def _consent(request, payload, *, after_change: bool = True) -> dict:
    if not selectors.may_use_messaging(request.user):
        # Any staff member may record an opt-out; the history is for messaging staff.
        address = services.normalise_address(payload.channel, payload.address, field="address")
        return {
            "channel": payload.channel,
            "address": services.mask_address(payload.channel, address),
            "opted_out": True,
            "history": [],
        }
    view = selectors.consent_history(
        request.user,
        channel=payload.channel,
        address=payload.address,
        after_change=after_change,
    )
    return {
        "channel": view.channel,
        "address": view.address_masked,
        "opted_out": view.opted_out,
        "history": view.history,
    }


@router.post("/consent/opt-out", response=ConsentOut)
def consent_opt_out(request, payload: ConsentIn):
    """The address receives no more marketing in the group; queued marketing is cancelled.
    Any staff member may record it."""
    services.opt_out(
        by=request.user,
        channel=payload.channel,
        address=payload.address,
        source=ConsentChange.Source.API,
        note=payload.note,
    )
    return _consent(request, payload)


@router.post("/consent/opt-in", response=ConsentOut)
def consent_opt_in(request, payload: ConsentIn):
    """Marketing allowed again (needs RUN_CAMPAIGNS and a note saying how the customer agreed)."""
    services.opt_in(
        by=request.user,
        channel=payload.channel,
        address=payload.address,
        source=ConsentChange.Source.API,
        note=payload.note,
    )
    return _consent(request, payload)


@router.post("/consent/history", response=ConsentOut, openapi_extra=may_answer(429))
def consent_history(request, payload: Address):
    """Whether the address opted out, and its history (masked). A POST: the address is in
    the body, never in a URL. A lookup by a full number counts as a phone search: logged,
    and 429 once the hourly phone-search limit is spent."""
    selectors.require_messaging(request.user)
    return _consent(request, payload, after_change=False)
