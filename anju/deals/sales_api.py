"""Deals API, the sales side (QUE-1, SUB-1/2): queue numbers and subscriptions with their
price explanation — the same selectors and services as the pages, the same scope."""

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_types import (
    Count,
    Flag,
    Id,
    Input,
    IsoDate,
    Money,
    Pagination,
    RefId,
    Text,
    may_answer,
)
from anju.core.masking import mask_name
from anju.customers.filters import API_NAMES
from anju.customers.refs import HIDDEN_ID, customer_id_for, seen
from anju.customers.selectors import customer_detail, customer_to_act_on
from anju.inventory.selectors import unit_detail
from anju.org.selectors import projects_visible_to

from . import selectors, services
from .filters import QueueFilter, SubscriptionFilter
from .models import PaymentMethod, PaymentPlan, QueueStatus, SubscriptionStatus

router = Router(tags=["deals"])
QueueQuery = QueueFilter.api_schema("QueueQuery")
SubscriptionQuery = SubscriptionFilter.api_schema("SubscriptionQuery")


def _project(request, project_id):
    from anju.core.errors import NotFound

    # the row alone (no company joined, no ordering): the services need its ids only
    project = (
        projects_visible_to(request.user)
        .select_related(None)
        .filter(pk=project_id)
        .order_by()
        .first()
    )
    if project is None:
        raise NotFound(_("No such project."), field="project_id")
    return project


# --- queue numbers ------------------------------------------------------------------------------


class QueueTicketOut(Schema):
    id: int
    project_id: int
    number: int
    customer_id: int | None = Field(description=HIDDEN_ID)
    customer_name: str = Field(description="masked")
    consultant_id: int
    intention: str
    deposit_amount: Decimal
    deposit_method: str
    deposit_receipt_no: str
    status: QueueStatus
    called_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    refund_amount: Decimal | None
    created_at: datetime

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer)

    @staticmethod
    def resolve_customer_name(obj):
        return mask_name(obj.customer.name)


class QueueIssueIn(Input):
    """排号. Rules beyond the schema: a deposit above 0 needs ``deposit_method``; one live
    number per customer and project (409 ``already_queued``)."""

    project_id: RefId
    customer_id: RefId
    intention: Text(200) = ""
    deposit_amount: Money() = Decimal("0")
    deposit_method: PaymentMethod | None = None
    deposit_receipt_no: Text(40) = ""


class QueueCancelIn(Input):
    """A deposit paid is refunded and the refund recorded: ``refund_amount`` (≤ the
    deposit; default: the whole deposit) and ``refund_method`` (default: how it was paid)."""

    reason: Text(200, required=True)
    refund_amount: Money() | None = None
    refund_method: PaymentMethod | None = None
    refund_receipt_no: Text(40) = ""


@router.post(
    "/queue-numbers",
    response={201: QueueTicketOut},
    openapi_extra=may_answer(404, 409, 422),
)
def issue_queue_number(request, payload: QueueIssueIn):
    """The project's next number: sequential, no gap, no duplicate, also under load."""
    project = _project(request, payload.project_id)
    customer = customer_to_act_on(request.user, payload.customer_id)
    ticket = services.queue_number_issue(
        by=request.user,
        project=project,
        customer=customer,
        intention=payload.intention,
        deposit_amount=payload.deposit_amount,
        deposit_method=payload.deposit_method or "",
        deposit_receipt_no=payload.deposit_receipt_no,
    )
    return Status(201, ticket)


@router.get("/queue-numbers", response=list[QueueTicketOut])
@paginate(Pagination)
def list_queue_numbers(request, filters: Query[QueueQuery]):
    """Queue numbers you see (a consultant: his own), by project and number; the same
    filters as the page and its export."""
    return QueueFilter.from_api(filters, user=request.user).rows_or_error(API_NAMES)


@router.get("/queue-numbers/{ticket_id}", response=QueueTicketOut)
def get_queue_number(request, ticket_id: Id):
    return selectors.queue_ticket_detail(request.user, ticket_id)


@router.post(
    "/queue-numbers/{ticket_id}/cancel",
    response=QueueTicketOut,
    openapi_extra=may_answer(409, 422),
)
def cancel_queue_number(request, ticket_id: Id, payload: QueueCancelIn):
    """Cancel with the refund recorded; the number is never issued again.

    A number that took a deposit needs `refund_amount` (at most the deposit) and
    `refund_method` (409 `refund_required` / `refund_too_large`); one that took none takes
    no refund (409 `no_deposit`)."""
    ticket = selectors.queue_ticket_detail(request.user, ticket_id)
    refund = payload.refund_amount
    if refund is None and ticket.deposit_amount:
        refund = ticket.deposit_amount  # the documented default: the whole deposit back
    return services.queue_number_cancel(
        by=request.user,
        ticket=ticket,
        reason=payload.reason,
        refund_amount=refund,
        refund_method=payload.refund_method or (ticket.deposit_method if refund else ""),
        refund_receipt_no=payload.refund_receipt_no,
    )


# --- subscriptions ------------------------------------------------------------------------------


class PriceLineOut(Schema):
    step: str = Field(description="list | sales | member | points | final")
    code: str
    label: str
    rate: Decimal | None
    amount: Decimal = Field(description="negative for a discount; the price on list/final")
    running_total: Decimal
    note: str


class DealSubscriptionOut(Schema):
    id: int
    number: int
    project_id: int
    unit_id: int
    unit: str
    customer_id: int | None = Field(description=HIDDEN_ID)
    customer_name: str = Field(description="masked")
    co_buyer_ids: list[int] = Field(description="the co-buyers whose files you may open")
    consultant_id: int
    queue_ticket_id: int | None
    status: SubscriptionStatus
    payment_plan: PaymentPlan
    list_price: Decimal
    final_price: Decimal
    deposit: Decimal
    sign_by: date | None
    tier_code: str
    tier_source: str
    points_used: int
    points_value: Decimal
    needs_approval: bool
    approval_reasons: list[str]
    price_lines: list[PriceLineOut] = Field(description="the price explained, step by step")
    subscribed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_unit(obj):
        return str(obj.unit)

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.customer)

    @staticmethod
    def resolve_customer_name(obj):
        return mask_name(obj.customer.name)

    @staticmethod
    def resolve_co_buyer_ids(obj, context):
        return [c.customer_id for c in obj.co_buyers.all() if seen(context, c.customer)]

    @staticmethod
    def resolve_price_lines(obj):
        return list(obj.price_lines.all())


class SubscriptionTermsIn(Input):
    """The draft's terms; the price is computed from them (an expired or inapplicable
    discount, too many points, a co-buyer who is the buyer or not related: 422)."""

    payment_plan: PaymentPlan = PaymentPlan.ONE_OFF
    co_buyer_ids: list[RefId] = Field(default_factory=list, max_length=10)
    discount_codes: list[Text(20, required=True)] = Field(default_factory=list, max_length=20)
    special_discount: Money() = Decimal("0")
    points: Count(0, 100_000_000) = 0
    deposit: Money() = Decimal("0")
    sign_by: IsoDate | None = Field(None, description="today or later")


class DealSubscriptionIn(SubscriptionTermsIn):
    """Hold ``unit_id`` for ``customer_id`` with these terms; ``confirm`` subscribes at once
    (or asks a manager's approval beyond your authority). A unit already held or sold: 409
    ``unit_taken``."""

    unit_id: RefId
    customer_id: RefId
    queue_ticket_id: RefId | None = None
    confirm: Flag = False


class ReleaseIn(Input):
    reason: Text(200, required=True)


def _terms(request, payload: SubscriptionTermsIn) -> dict:
    return {
        "payment_plan": payload.payment_plan,
        "co_buyers": [
            customer_detail(request.user, pk) for pk in dict.fromkeys(payload.co_buyer_ids)
        ],
        "discount_codes": payload.discount_codes,
        "special_discount": payload.special_discount,
        "points": payload.points,
        "deposit": payload.deposit,
        "sign_by": payload.sign_by,
    }


def _subscription_out(request, subscription):
    return selectors.subscription_detail(request.user, subscription.pk)


@router.post(
    "/subscriptions",
    response={201: DealSubscriptionOut},
    openapi_extra=may_answer(404, 409, 422),
)
def create_subscription(request, payload: DealSubscriptionIn):
    """认购: of two requests for one unit at the same moment exactly one succeeds. While a
    launch sells the unit's building, only the number being called holds it (409
    ``on_launch``; a skipped number: 409 ``ticket_skipped``, recall it first)."""
    unit = unit_detail(request.user, payload.unit_id)
    customer = customer_detail(request.user, payload.customer_id)
    ticket = None
    if payload.queue_ticket_id:
        ticket = selectors.queue_ticket_detail(request.user, payload.queue_ticket_id)
    with transaction.atomic():
        subscription = services.subscription_hold(
            by=request.user, unit=unit, customer=customer, queue_ticket=ticket
        )
        services.subscription_set_terms(
            by=request.user, subscription=subscription, **_terms(request, payload)
        )
        if payload.confirm:
            services.subscription_confirm(by=request.user, subscription=subscription)
    return Status(201, _subscription_out(request, subscription))


@router.get("/subscriptions", response=list[DealSubscriptionOut])
@paginate(Pagination)
def list_subscriptions(request, filters: Query[SubscriptionQuery]):
    """Subscriptions you see, newest first, with their price lines; the page's filters."""
    rows = SubscriptionFilter.from_api(filters, user=request.user).rows_or_error(API_NAMES)
    return rows.prefetch_related("price_lines", "co_buyers")


@router.get("/subscriptions/{subscription_id}", response=DealSubscriptionOut)
def get_subscription(request, subscription_id: Id):
    """With its price lines: the final price explained step by step."""
    return selectors.subscription_detail(request.user, subscription_id)


@router.put(
    "/subscriptions/{subscription_id}/terms",
    response=DealSubscriptionOut,
    openapi_extra=may_answer(409, 422),
)
def set_terms(request, subscription_id: Id, payload: SubscriptionTermsIn):
    """Re-price a draft (a confirmed price never changes: 409 ``not_draft``)."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    services.subscription_set_terms(
        by=request.user, subscription=subscription, **_terms(request, payload)
    )
    return _subscription_out(request, subscription)


@router.post(
    "/subscriptions/{subscription_id}/confirm",
    response=DealSubscriptionOut,
    openapi_extra=may_answer(409),
)
def confirm_subscription(request, subscription_id: Id):
    """Subscribe, or — beyond your authority or with a relative's tier — ask approval (the
    status becomes ``pending``)."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    services.subscription_confirm(by=request.user, subscription=subscription)
    return _subscription_out(request, subscription)


@router.post(
    "/subscriptions/{subscription_id}/release",
    response=DealSubscriptionOut,
    openapi_extra=may_answer(409, 422),
)
def release_subscription(request, subscription_id: Id, payload: ReleaseIn):
    """Give up a draft or pending subscription: the unit is for sale again."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    services.subscription_release(by=request.user, subscription=subscription, reason=payload.reason)
    return _subscription_out(request, subscription)
