"""Webhooks API (INT-2, issue 8 item 4): subscriptions, their secret, test pings and the
delivery log. For a company's administrators (``MANAGE_ORG`` there); others get 403, and a
subscription of a company out of the caller's scope 404.

How a receiver verifies a delivery: see the Webhooks section of docs/api.md.
"""

from datetime import datetime
from enum import Enum
from typing import Annotated
from uuid import UUID

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from anju.core.api_errors import PATTERN_MESSAGES
from anju.core.api_types import Flag, Id, Input, Pagination, RefId, may_answer, model_text
from anju.core.errors import ApplicationError
from anju.core.scope import get_visible_or_404
from anju.org.models import Company

from . import selectors, services
from .models import URL_MAX_LENGTH, DeliveryStatus, WebhookSubscription
from .registry import publishable_verbs
from .targets import TARGET_URL_PATTERN

router = Router(tags=["webhooks"])

_VERB_HELP = "event verbs, from GET /webhooks/verbs (e.g. customer.registered)"


class VerbOut(Schema):
    verb: str
    label: str


class SubscriptionOut(Schema):
    id: int
    company_id: int
    name: str
    target_url: str
    verbs: list[str]
    is_active: bool
    may_unmask: bool
    secret: str = Field(description="masked (whsec_Ab…9xYz); in full only when created or rotated")
    secret_rotated_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_secret(obj):
        return obj.masked_secret


class SubscriptionSecretOut(SubscriptionOut):
    secret: str = Field(description="the signing secret in full: shown this once, keep it")

    @staticmethod
    def resolve_secret(obj):
        return obj.secret


# The verbs registered when the URLs load (every app's ready() has run): the schema's enum.
VerbName = Enum("WebhookVerbName", {v.replace(".", "__"): v for v in publishable_verbs()}, type=str)

PATTERN_MESSAGES[TARGET_URL_PATTERN] = gettext_lazy(
    "Enter an http or https URL with a host name or IPv4 address, e.g. "
    "https://crm.example.com/hooks/anju (no user name or password)."
)
TargetUrl = Annotated[
    str,
    Field(
        max_length=URL_MAX_LENGTH,
        pattern=TARGET_URL_PATTERN,
        description="http or https URL (private, loopback and link-local addresses only where "
        "the installation allows them)",
    ),
]
Name = model_text(WebhookSubscription, "name")


class SubscriptionIn(Input):
    """Subscribe ``target_url`` to ``verbs`` of a company. Rules beyond the schema: you
    administer the company; ``may_unmask`` needs the right to see personal data in full
    there (403 otherwise); a private address is refused where not allowed (422)."""

    company_id: RefId | None = Field(None, description="default: your own company")
    name: Name = ""
    target_url: TargetUrl
    verbs: list[VerbName] = Field(..., min_length=1, max_length=50, description=_VERB_HELP)
    is_active: Flag = True
    may_unmask: Flag = Field(
        False, description="send names, phones and ID numbers in full (needs that permission)"
    )


class SubscriptionPatch(Input):
    """Change what is sent; leave a field out to keep it. Pointing a ``may_unmask``
    subscription at another URL needs the right to see personal data in full."""

    name: Name = Field(None)
    target_url: TargetUrl = Field(None)
    verbs: list[VerbName] = Field(None, min_length=1, max_length=50, description=_VERB_HELP)
    is_active: Flag = Field(None)
    may_unmask: Flag = Field(None)


class DeliveryOut(Schema):
    id: int
    delivery_id: UUID = Field(description="X-Anju-Delivery and the payload's id, on every retry")
    subscription_id: int
    event_id: int | None = Field(description="null for a test ping")
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_response_body: str = Field(description="the first 2 KB of the receiver's last answer")
    last_error: str
    delivered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_delivery_id(obj):
        return obj.uuid

    @staticmethod
    def resolve_event(obj):
        return obj.verb


@router.get("/webhooks/verbs", response=list[VerbOut])
def list_webhook_verbs(request):
    """The events a subscription may choose."""
    return [{"verb": v.verb, "label": str(v.label)} for v in publishable_verbs().values()]


@router.get("/webhooks/subscriptions", response=list[SubscriptionOut])
@paginate(Pagination)
def list_webhook_subscriptions(request, company_id: Id | None = None):
    """Subscriptions of the companies you administer (secrets masked)."""
    return selectors.subscriptions_for(request.user, company_id=company_id)


def _no_store(response: HttpResponse) -> None:
    """An answer holding a secret in full stays out of every cache."""
    response["Cache-Control"] = "no-store"


@router.post("/webhooks/subscriptions", response={201: SubscriptionSecretOut})
def create_webhook_subscription(request, response: HttpResponse, payload: SubscriptionIn):
    """Subscribe a URL to events of a company. The answer holds the signing secret in full,
    the only time it is shown (rotate it if lost)."""
    if payload.company_id:
        company = get_visible_or_404(Company, request.user, pk=payload.company_id)
    elif request.user.company_id:
        company = request.user.company
    else:
        raise ApplicationError(_("Choose the company."), field="company_id")
    subscription = services.subscription_create(
        by=request.user,
        company=company,
        name=payload.name,
        target_url=payload.target_url,
        verbs=[str(getattr(v, "value", v)) for v in payload.verbs],
        is_active=payload.is_active,
        may_unmask=payload.may_unmask,
    )
    _no_store(response)
    return Status(201, subscription)


@router.get("/webhooks/subscriptions/{int:webhook_id}", response=SubscriptionOut)
def get_webhook_subscription(request, webhook_id: Id):
    """One subscription (secret masked)."""
    return selectors.subscription_detail(request.user, webhook_id)


@router.patch("/webhooks/subscriptions/{int:webhook_id}", response=SubscriptionOut)
def update_webhook_subscription(request, webhook_id: Id, payload: SubscriptionPatch):
    """Change the name, URL, events, active flag or ``may_unmask`` (the fields sent)."""
    subscription = selectors.subscription_detail(request.user, webhook_id)
    changes = payload.dict(exclude_unset=True)
    if "verbs" in changes:
        changes["verbs"] = [str(getattr(v, "value", v)) for v in changes["verbs"]]
    return services.subscription_update(by=request.user, subscription=subscription, **changes)


@router.delete("/webhooks/subscriptions/{int:webhook_id}", response={204: None})
def delete_webhook_subscription(request, webhook_id: Id):
    """Delete the subscription and its delivery log."""
    subscription = selectors.subscription_detail(request.user, webhook_id)
    services.subscription_delete(by=request.user, subscription=subscription)
    return Status(204, None)


@router.post(
    "/webhooks/subscriptions/{int:webhook_id}/rotate-secret", response=SubscriptionSecretOut
)
def rotate_webhook_secret(request, response: HttpResponse, webhook_id: Id):
    """A new signing secret, in full in this answer only; the old one stops at once."""
    subscription = selectors.subscription_detail(request.user, webhook_id)
    rotated = services.subscription_rotate_secret(by=request.user, subscription=subscription)
    _no_store(response)
    return rotated


@router.post("/webhooks/subscriptions/{int:webhook_id}/ping", response={202: DeliveryOut})
def ping_webhook(request, webhook_id: Id):
    """Queue a signed ``webhook.ping`` to the URL (tried once); its delivery shows the result."""
    subscription = selectors.subscription_detail(request.user, webhook_id)
    return Status(202, services.subscription_ping(by=request.user, subscription=subscription))


@router.get("/webhooks/subscriptions/{int:webhook_id}/deliveries", response=list[DeliveryOut])
@paginate(Pagination)
def list_webhook_deliveries(request, webhook_id: Id, status: DeliveryStatus | None = None):
    """The subscription's delivery log, newest first: attempts, last answer, next attempt."""
    return selectors.deliveries_of(request.user, webhook_id, status=status)


@router.post(
    "/webhooks/subscriptions/{int:webhook_id}/deliveries/{int:delivery_id}/redeliver",
    response={202: DeliveryOut},
    openapi_extra=may_answer(409),
)
def redeliver_webhook(request, webhook_id: Id, delivery_id: Id):
    """Send a delivery again now, with the same delivery id (409 while it is being sent)."""
    delivery = selectors.delivery_detail(request.user, webhook_id, delivery_id)
    return Status(202, services.delivery_redeliver(by=request.user, delivery=delivery))
