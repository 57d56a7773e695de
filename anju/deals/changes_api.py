"""Sales changes through the API (SUB-5): ask for a change of a deal, list and read changes.
The same selectors and services as the pages; deciding is ``POST /approvals/{id}/approve``
(``approval_id`` of a change), withdrawing ``POST /approvals/{id}/withdraw``."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Union

from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Discriminator, Tag

from anju.core.api_types import Flag, Id, Input, Money, Pagination, RefId, Text, may_answer
from anju.core.errors import NotFound
from anju.customers.filters import API_NAMES

from . import change_selectors
from .change_filters import SalesChangeFilter
from .models import ChangeKind, ChangeStatus, PaymentMethod
from .selectors import subscription_detail
from .services.changes import REASON_MAX_LENGTH, change_what, sales_change_request

router = Router(tags=["deals"])

# As literals, not the model's enums: membership's TierChange.ChangeKind has the same class
# name, and the OpenAPI document keeps one component per name.
SalesChangeKind = Literal[tuple(ChangeKind.values)]
SalesChangeStatus = Literal[tuple(ChangeStatus.values)]

Reason = Text(REASON_MAX_LENGTH, required=True, multiline=True, description="why the deal changes")


class _ChangeIn(Input):
    reason: Reason


class ChangeUnitIn(_ChangeIn):
    """换房: to another available unit of the same project, priced again with the deal's
    discounts (as on the day it was subscribed), special discount, member rate and points
    offset."""

    kind: Literal["change_unit"]
    unit_id: RefId = Field(description="an available unit of the deal's project")


class RenameIn(_ChangeIn):
    """更名: the buyer becomes a co-buyer or a recorded relation (CUS-7) of the buyer."""

    kind: Literal["rename"]
    customer_id: RefId = Field(description="the new buyer")
    keep_old_buyer: Flag = Field(False, description="the old buyer stays as a co-buyer")


class AddCoBuyerIn(_ChangeIn):
    """A co-buyer: a recorded relation of the buyer (CUS-7), not the buyer himself."""

    kind: Literal["add_co_buyer"]
    customer_id: RefId


class RemoveCoBuyerIn(_ChangeIn):
    kind: Literal["remove_co_buyer"]
    customer_id: RefId = Field(description="one of the deal's co-buyers")


class PriceAdjustmentIn(_ChangeIn):
    """A new final price: above 0, not below what was paid nor the deposit."""

    kind: Literal["price_adjustment"]
    final_price: Money(description="the new price in yuan, above 0")


class CancellationIn(_ChangeIn):
    """退房: the refund (0 … what was paid) is recorded when approved; ``refund_method`` is
    required when ``refund_amount`` is above 0."""

    kind: Literal["cancellation"]
    refund_amount: Money(description="0 … what was paid")
    refund_method: PaymentMethod | None = Field(None, description="required for a refund above 0")
    refund_receipt_no: Text(40) = ""


_VARIANTS = (
    ChangeUnitIn,
    RenameIn,
    AddCoBuyerIn,
    RemoveCoBuyerIn,
    PriceAdjustmentIn,
    CancellationIn,
)


def _kind_of(value):
    # Without a valid "kind" the body is checked as a unit change's, so that every problem
    # in it is named (see core/exports_api.py).
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"kind={kind if kind in ChangeKind.values else 'change_unit'}"


SalesChangeIn = Annotated[
    Union[  # noqa: UP007 — tagged members
        tuple(
            Annotated[v, Tag(f"kind={v.model_fields['kind'].annotation.__args__[0]}")]
            for v in _VARIANTS
        )
    ],
    Discriminator(_kind_of),
]


def _discriminator() -> dict:
    mapping = {
        v.model_fields["kind"].annotation.__args__[0]: f"#/components/schemas/{v.__name__}"
        for v in _VARIANTS
    }
    body = {
        "discriminator": {"propertyName": "kind", "mapping": mapping},
        "examples": [
            {"kind": "price_adjustment", "reason": "团购优惠", "final_price": "1250000"},
            {
                "kind": "cancellation",
                "reason": "客户资金问题",
                "refund_amount": "50000",
                "refund_method": "transfer",
            },
        ],
    }
    return {"requestBody": {"content": {"application/json": {"schema": body}}}}


class ChangePriceLineOut(Schema):
    position: int
    step: str = Field(description="list | sales | member | points | adjust | final")
    code: str
    label: str
    rate: Decimal | None
    amount: Decimal
    running_total: Decimal
    note: str


def _from_payload(name):
    """A field of the change's payload (None where its kind has none)."""

    def resolve(obj):
        value = (obj.payload or {}).get(name)
        return None if value == "" else value

    return staticmethod(resolve)


class SalesChangeOut(Schema):
    id: int
    subscription_id: int
    subscription_number: str
    project_id: int
    kind: SalesChangeKind
    status: SalesChangeStatus
    what: str = Field(description="what the change does, in words")
    reason: str
    requested_by_id: int
    created_at: datetime
    applied_at: datetime | None
    approval_id: int | None = Field(description="decide or withdraw it under /approvals/{id}")
    from_unit_id: int | None = None
    to_unit_id: int | None = None
    from_customer_id: int | None = None
    to_customer_id: int | None = None
    customer_id: int | None = Field(None, description="the co-buyer added or removed")
    keep_old_buyer: bool | None = None
    old_final_price: Decimal | None = None
    new_final_price: Decimal | None = None
    refund_amount: Decimal | None = None
    refund_method: PaymentMethod | None = None
    refund_receipt_no: str | None = None
    paid: Decimal | None = Field(None, description="paid when the cancellation was asked")
    kept: Decimal | None = Field(None, description="paid and not refunded, once applied")
    points_returned: int | None = None
    new_lines: list[ChangePriceLineOut] | None = Field(None, description="the price once applied")
    old_lines: list[ChangePriceLineOut] | None = Field(
        None, description="the price before, once applied"
    )

    resolve_from_unit_id = _from_payload("from_unit_id")
    resolve_to_unit_id = _from_payload("to_unit_id")
    resolve_from_customer_id = _from_payload("from_customer_id")
    resolve_to_customer_id = _from_payload("to_customer_id")
    resolve_customer_id = _from_payload("customer_id")
    resolve_keep_old_buyer = _from_payload("keep_old_buyer")
    resolve_old_final_price = _from_payload("old_final_price")
    resolve_new_final_price = _from_payload("new_final_price")
    resolve_refund_amount = _from_payload("refund_amount")
    resolve_refund_method = _from_payload("refund_method")
    resolve_refund_receipt_no = _from_payload("refund_receipt_no")
    resolve_paid = _from_payload("paid")
    resolve_kept = _from_payload("kept")
    resolve_points_returned = _from_payload("points_returned")
    resolve_new_lines = _from_payload("new_lines")
    resolve_old_lines = _from_payload("old_lines")

    @staticmethod
    def resolve_subscription_number(obj):
        return f"RG{obj.subscription.number:06d}"

    @staticmethod
    def resolve_what(obj):
        return change_what(obj)


@router.post(
    "/subscriptions/{int:subscription_id}/changes",
    response={201: SalesChangeOut},
    openapi_extra=may_answer(409) | _discriminator(),
)
def request_change(request, subscription_id: Id, payload: Body[SalesChangeIn]):
    """Ask for a sales change of a subscribed or signed deal; it applies when a manager
    approves it (409 ``change_pending`` while another change waits, ``not_changeable`` for
    a deal not subscribed or signed, ``unit_taken``)."""
    subscription = subscription_detail(request.user, subscription_id)
    data = payload.dict()
    kind = data.pop("kind")
    reason = data.pop("reason")
    details = {}
    if "unit_id" in data:
        details["unit"] = _visible_unit(request.user, data.pop("unit_id"))
    if "customer_id" in data:
        details["customer"] = _visible_customer(request.user, data.pop("customer_id"))
    if kind == ChangeKind.CANCELLATION:
        data["refund_method"] = data.get("refund_method") or ""
    details.update(data)
    change = sales_change_request(
        by=request.user, subscription=subscription, kind=kind, reason=reason, **details
    )
    return Status(201, change_selectors.sales_change_detail(request.user, change.pk))


SalesChangeQuery = SalesChangeFilter.api_schema("SalesChangeQuery")


@router.get("/sales-changes", response=list[SalesChangeOut], openapi_extra=may_answer(404))
@paginate(Pagination)
def list_changes(request, filters: Query[SalesChangeQuery]):
    """The changes of the deals I see, newest first; filters ``kind``, ``status``,
    ``project_id``."""
    rows = SalesChangeFilter.from_api(filters, user=request.user).rows_or_error(API_NAMES)
    return rows


@router.get("/sales-changes/{int:change_id}", response=SalesChangeOut)
def get_change(request, change_id: Id):
    return change_selectors.sales_change_detail(request.user, change_id)


def _visible_unit(user, pk):
    from anju.inventory.models import Unit

    unit = Unit.objects.visible_to(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Not found, or outside your scope."), field="unit_id")
    return unit


def _visible_customer(user, pk):
    from anju.customers.models import Customer

    customer = Customer.objects.visible_to(user).filter(pk=pk).first()
    if customer is None:
        raise NotFound(_("Not found, or outside your scope."), field="customer_id")
    return customer
