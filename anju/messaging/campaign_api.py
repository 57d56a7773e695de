"""Campaign API (MSG-2): the same selectors and services as the pages.

GET  /campaigns                      the campaigns the caller sees
POST /campaigns                      create (recipients: a customer filter or an event)
GET  /campaigns/{id}                 status, counts, cost, job progress, message statuses
POST /campaigns/{id}/generate        202: generate the pending-send list (a job)
POST /campaigns/{id}/submit          ask for approval
POST /campaigns/{id}/approve         approve (or return, ``approve: false`` + comment)
POST /campaigns/{id}/send            202: release the list into the outbox (a job)
POST /campaigns/{id}/retry           send the failed messages again
GET  /campaigns/{id}/messages        the campaign's messages, paged, by status
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_types import Flag, Id, Input, Pagination, RefId, Text, may_answer, model_text
from anju.core.errors import NotFound
from anju.core.masking import mask_name
from anju.customers.filters import CustomerFilter
from anju.org.models import Company, Project

from . import campaign_selectors as selectors
from . import campaign_services as services
from .campaign_services import CAMPAIGN_FIELDS
from .campaigns import Campaign, CampaignStatus, RecipientSource
from .models import Channel, Kind, MessageTemplate
from .services import mask_address

router = Router(tags=["campaigns"])

CustomerFilterIn = CustomerFilter.api_schema(
    "CampaignCustomerFilter", __base__=Input, exclude=("include_archived",)
)


class CampaignIn(Input):
    """A campaign. With ``template_id`` the template's channel, kind, subject and text are
    used; else ``text`` (fields such as {称呼} {项目}; an unknown field is refused). ``extra``
    gives the campaign-wide fields {活动} {日期} {时间} {地点}. Recipients: ``source``
    ``filter`` with ``filters`` (the customer list's filters) or ``event`` with ``event_id``;
    uploaded lists are made on the page."""

    company_id: RefId
    project_id: RefId | None = None
    name: model_text(Campaign, "name", required=True)
    channel: Channel = Channel.SMS
    kind: Kind = Kind.MARKETING
    template_id: RefId | None = None
    subject: model_text(Campaign, "subject") = ""
    text: model_text(Campaign, "text", required=True) | None = None  # or a template_id
    extra: dict[Literal[CAMPAIGN_FIELDS], Text(50)] = Field(default_factory=dict)
    source: Literal["filter", "event"] = "filter"
    filters: CustomerFilterIn | None = None
    event_id: RefId | None = None


class CampaignDecisionIn(Input):
    approve: Flag = True
    comment: Text(2000, multiline=True) = ""


class CampaignJobOut(Schema):
    id: int
    status: str
    progress_done: int
    progress_total: int
    message: str


class CampaignListOut(Schema):
    id: int
    company_id: int
    project_id: int | None
    name: str
    channel: Channel
    kind: Kind
    template_id: int | None
    subject: str
    text: str
    extra: dict
    source: RecipientSource
    source_params: dict
    status: CampaignStatus
    counts: dict = Field(description="to_send, candidates and each reason left out")
    segments: int
    cost: Decimal = Field(description="segments × the price of one segment (yuan)")
    prepared_by_id: int
    approved_by_id: int | None
    approved_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_cost(obj):
        return selectors.campaign_cost(obj)


class CampaignOut(CampaignListOut):
    job: CampaignJobOut | None = Field(None, description="the running generation or release")
    messages: dict | None = Field(None, description="messages per status, once sending")


class CampaignMessageOut(Schema):
    id: int
    to: str = Field(description="masked")
    customer_id: int | None
    customer_name: str = Field(description="masked")
    status: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    error_code: str

    @staticmethod
    def resolve_to(obj):
        return mask_address(obj.channel, obj.to)

    @staticmethod
    def resolve_customer_name(obj):
        return mask_name(obj.customer.name) if obj.customer_id else ""


class MessageQuery(Schema):
    status: Literal[selectors.SHOWN_STATUSES] | None = None


def _job(campaign):
    job = {
        CampaignStatus.GENERATING: campaign.generate_job,
        CampaignStatus.SENDING: campaign.send_job,
    }.get(campaign.status)
    return CampaignJobOut.from_orm(job) if job is not None else None


def _out(user, campaign) -> Campaign:
    started = campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT)
    campaign.job = _job(campaign)
    campaign.messages = selectors.campaign_message_counts(user, campaign) if started else None
    return campaign


def _visible(model, user, pk, field):
    row = model.objects.visible_to(user).filter(pk=pk).first() if pk else None
    if pk and row is None:
        raise NotFound(_("Not found, or outside your scope."), field=field)
    return row


@router.get("/campaigns", response=list[CampaignListOut])
@paginate(Pagination)
def list_campaigns(request, status: CampaignStatus | None = None):
    """The campaigns the caller sees, newest first."""
    return selectors.campaign_list(request.user, status=status or "").select_related(None)


@router.post("/campaigns", response={201: CampaignOut}, openapi_extra=may_answer(409))
def create_campaign(request, payload: CampaignIn):
    """Create a draft campaign; generate its list next."""
    company = _visible(Company, request.user, payload.company_id, "company_id")
    project = _visible(Project, request.user, payload.project_id, "project_id")
    template = _visible(MessageTemplate, request.user, payload.template_id, "template_id")
    params = (
        payload.filters.dict(exclude_none=True) if payload.filters else {}
    ) if payload.source == "filter" else {"event": payload.event_id}  # fmt: skip
    campaign = services.campaign_create(
        by=request.user,
        company=company,
        project=project,
        name=payload.name,
        channel=payload.channel,
        kind=payload.kind,
        template=template,
        text=payload.text or "",
        subject=payload.subject,
        extra=payload.extra,
        source=payload.source,
        source_params=params,
    )
    return Status(201, _out(request.user, selectors.campaign_for(request.user, campaign.pk)))


@router.get("/campaigns/{int:campaign_id}", response=CampaignOut)
def get_campaign(request, campaign_id: Id):
    """One campaign: status, counts, cost, the running job's progress, message statuses."""
    return _out(request.user, selectors.campaign_for(request.user, campaign_id))


def _acted(request, campaign_id):
    return _out(request.user, selectors.campaign_for(request.user, campaign_id))


@router.post(
    "/campaigns/{int:campaign_id}/generate",
    response={202: CampaignOut},
    openapi_extra=may_answer(409),
)
def generate_campaign(request, campaign_id: Id):
    """Generate the pending-send list in the background; poll ``GET /campaigns/{id}``.
    409 ``already_generating`` while one runs, ``campaign_locked`` once approval was asked."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    services.campaign_generate(by=request.user, campaign=campaign)
    return Status(202, _acted(request, campaign_id))


@router.post(
    "/campaigns/{int:campaign_id}/submit", response=CampaignOut, openapi_extra=may_answer(409)
)
def submit_campaign(request, campaign_id: Id):
    """Ask for approval. 422 ``no_recipients`` when nobody is to be sent to."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    services.campaign_submit(by=request.user, campaign=campaign)
    return _acted(request, campaign_id)


@router.post(
    "/campaigns/{int:campaign_id}/approve", response=CampaignOut, openapi_extra=may_answer(409)
)
def approve_campaign(request, campaign_id: Id, payload: CampaignDecisionIn):
    """Approve (or, with ``approve: false`` and a comment, return) a campaign awaiting
    approval. Not by whoever prepared or generated it (403)."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    services.campaign_decide(
        by=request.user, campaign=campaign, approve=payload.approve, comment=payload.comment
    )
    return _acted(request, campaign_id)


@router.post(
    "/campaigns/{int:campaign_id}/send", response={202: CampaignOut}, openapi_extra=may_answer(409)
)
def send_campaign(request, campaign_id: Id):
    """Release the approved list into the outbox (a job). 409 ``not_approved``."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    services.campaign_send(by=request.user, campaign=campaign)
    return Status(202, _acted(request, campaign_id))


class RetryOut(Schema):
    retried: int


@router.post("/campaigns/{int:campaign_id}/retry", response=RetryOut)
def retry_campaign(request, campaign_id: Id):
    """Send the campaign's failed messages again (same idempotency keys)."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    return {"retried": services.campaign_retry_failed(by=request.user, campaign=campaign)}


@router.get("/campaigns/{int:campaign_id}/messages", response=list[CampaignMessageOut])
@paginate(Pagination)
def list_campaign_messages(request, campaign_id: Id, filters: Query[MessageQuery]):
    """The campaign's messages, newest first; ``status`` queued (with held and sending), sent,
    delivered, failed, suppressed or cancelled."""
    campaign = selectors.campaign_for(request.user, campaign_id)
    return selectors.campaign_messages(request.user, campaign, status=filters.status or "")
