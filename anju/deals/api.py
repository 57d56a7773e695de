"""Deals API (issue 12): the same selectors and services as the pages, the same scope."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from anju.core.api_types import (
    Count,
    Flag,
    Id,
    Input,
    IsoDate,
    Money,
    Pagination,
    may_answer,
    model_text,
)
from anju.core.errors import NotPermitted
from anju.core.masking import mask_phone
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.customers.filters import API_NAMES
from anju.customers.refs import HIDDEN_ID, customer_id_for, customer_name_for

from . import contract_selectors, selectors, services
from .contract_filters import ContractFilter, OverdueFilter
from .models import InstalmentKind, Payment, PaymentMethod, PaymentPlan
from .services.contracts import MAX_DUE_DAYS, MAX_INSTALMENTS

router = Router(tags=["deals"])


# --- signing and payments (SUB-4) ---------------------------------------------------------------


class InstalmentOut(Schema):
    position: int
    kind: InstalmentKind
    due_date: date
    amount: Decimal
    paid: Decimal = Field(description="what the payments cover of it, in due order")
    balance: Decimal
    state: str = Field(description="paid, partly_paid, due or overdue")
    days_overdue: int

    @staticmethod
    def resolve_balance(obj):
        return contract_selectors.instalment_state(obj).balance

    @staticmethod
    def resolve_state(obj):
        return contract_selectors.instalment_state(obj).code

    @staticmethod
    def resolve_days_overdue(obj):
        return contract_selectors.instalment_state(obj).days_overdue


class ContractRow(Schema):
    id: int
    number: str = Field(description="HT000012")
    subscription_id: int
    project_id: int
    unit_id: int
    customer_id: int | None = Field(description=HIDDEN_ID)
    consultant_id: int
    payment_plan: PaymentPlan
    total: Decimal
    down_payment: Decimal
    loan_amount: Decimal
    signed_at: datetime
    cancelled_at: datetime | None

    @staticmethod
    def resolve_number(obj):
        return str(obj)

    @staticmethod
    def resolve_unit_id(obj):
        return obj.subscription.unit_id

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.subscription.customer)


class ContractOut(ContractRow):
    paid: Decimal = Field(description="paid on the deal, refunds deducted")
    balance: Decimal
    instalments: list[InstalmentOut]


def _contract_out(contract):
    """The contract with what is paid on its deal (one SUM) and its prefetched instalments."""
    contract.paid = services.paid_total(contract.subscription)
    contract.balance = contract.total - contract.paid
    return contract


class InstalmentIn(Input):
    due_date: IsoDate
    amount: Money(description="yuan, above 0")


class ContractIn(Input):
    """Sign a subscribed deal (SUB-4). Rules beyond the schema, by ``payment_plan``:

    * ``one_off``: one payment of the whole price, due ``due_days`` after signing (default 7);
      no ``instalments``, ``down_payment`` or ``loan_amount``.
    * ``instalments``: at least two ``instalments`` (due dates strictly increasing, none
      before ``signed_on`` nor more than 10 years after it) adding up to the price exactly;
      no ``due_days``, ``down_payment`` or ``loan_amount``.
    * ``mortgage``: ``down_payment`` (at least 20 % of the price) + ``loan_amount`` (above 0)
      = the price; the down payment is due ``due_days`` after signing, the loan
      ``loan_due_on`` (default 90 days after signing, not before the down payment); no
      ``instalments``.

    ``signed_on`` is not in the future nor before the subscription (default: today). The
    instalments cover the whole price; what was paid before signing counts towards the first
    of them. A plan other than the agreed one is refused (409 ``plan_changes_price``) when a
    discount of the price was given for the agreed plan only."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"payment_plan": "one_off"},
                {
                    "payment_plan": "mortgage",
                    "down_payment": "600000",
                    "loan_amount": "1400000",
                },
            ]
        }
    )

    payment_plan: PaymentPlan
    signed_on: IsoDate | None = Field(None, description="default: today")
    due_days: Count(0, MAX_DUE_DAYS) | None = Field(
        None, description="one_off and mortgage: days after signing (default 7)"
    )
    down_payment: Money() | None = Field(None, description="mortgage only")
    loan_amount: Money() | None = Field(None, description="mortgage only")
    loan_due_on: IsoDate | None = Field(None, description="mortgage only")
    instalments: list[InstalmentIn] | None = Field(
        None, max_length=MAX_INSTALMENTS, description="instalments plan only"
    )


@router.post(
    "/subscriptions/{int:subscription_id}/contract",
    response={201: ContractOut},
    openapi_extra=may_answer(409),
)
def sign_contract(request, subscription_id: Id, payload: ContractIn):
    """签约 Sign the subscribed deal: the contract, numbered per project, and its instalments
    (409 ``already_signed``, ``not_subscribed``, ``plan_changes_price``)."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    contract = services.contract_sign(
        by=request.user,
        subscription=subscription,
        payment_plan=payload.payment_plan,
        signed_on=payload.signed_on,
        down_payment=payload.down_payment or 0,
        loan_amount=payload.loan_amount or 0,
        instalments=[(row.due_date, row.amount) for row in payload.instalments or ()],
        due_days=payload.due_days,
        loan_due_on=payload.loan_due_on,
    )
    contract = contract_selectors.contract_detail(request.user, contract.pk)
    return Status(201, _contract_out(contract))


@router.get("/contracts/{int:contract_id}", response=ContractOut)
def get_contract(request, contract_id: Id):
    """A contract with its instalments (paid, due, overdue) and what is paid."""
    return _contract_out(contract_selectors.contract_detail(request.user, contract_id))


ContractQuery = ContractFilter.api_schema("ContractQuery")


@router.get("/contracts", response=list[ContractRow], openapi_extra=may_answer(404))
@paginate(Pagination, page_size=50)
def list_contracts(request, filters: Query[ContractQuery]):
    """Contracts, newest first; ``project_id``, ``payment_plan``, signed between
    ``signed_from`` and ``signed_to`` (local days, both included)."""
    return ContractFilter.from_api(filters, user=request.user).rows_or_error(API_NAMES)


class PaymentOut(Schema):
    id: int
    subscription_id: int
    amount: Decimal = Field(description="negative: a refund")
    method: PaymentMethod
    receipt_no: str
    paid_on: date
    reason: str
    recorded_by_id: int
    created_at: datetime


class PaymentIn(Input):
    """A payment received, or with ``refund`` true a refund paid back (it needs a
    ``reason``). A payment is at most the deal's balance (409 ``more_than_balance``), a
    refund at most what was paid (409 ``refund_too_large``); ``paid_on`` is not in the
    future (default: today)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "50000", "method": "transfer"}]}
    )

    amount: Money(description="yuan, above 0")
    method: PaymentMethod
    refund: Flag = False
    paid_on: IsoDate | None = Field(None, description="default: today; not in the future")
    receipt_no: model_text(Payment, "receipt_no") = ""
    reason: model_text(Payment, "reason") = Field("", description="required for a refund")


@router.post(
    "/subscriptions/{int:subscription_id}/payments",
    response={201: PaymentOut},
    openapi_extra=may_answer(409),
)
def record_payment(request, subscription_id: Id, payload: PaymentIn):
    """Record a payment or a refund on a subscribed or signed deal (409 ``not_payable``);
    spread over the contract's instalments in due order."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    payment = services.payment_record(
        by=request.user,
        subscription=subscription,
        amount=-payload.amount if payload.refund else payload.amount,
        method=payload.method,
        paid_on=payload.paid_on,
        receipt_no=payload.receipt_no,
        reason=payload.reason,
    )
    return Status(201, payment)


@router.get("/subscriptions/{int:subscription_id}/payments", response=list[PaymentOut])
@paginate(Pagination, page_size=50)
def list_payments(request, subscription_id: Id):
    """The deal's payments and refunds, newest first."""
    subscription = selectors.subscription_detail(request.user, subscription_id)
    return contract_selectors.payments_of(request.user, subscription)


class OverdueOut(Schema):
    contract_id: int
    contract_number: str
    project_id: int
    customer_id: int | None = Field(description=HIDDEN_ID)
    customer_name: str = Field(description="masked where you may not open the customer's file")
    phone: str = Field(description="masked")
    consultant_id: int
    position: int
    kind: InstalmentKind
    due_date: date
    amount: Decimal
    paid: Decimal
    balance: Decimal
    days_overdue: int

    @staticmethod
    def resolve_contract_number(obj):
        return str(obj.contract)

    @staticmethod
    def resolve_project_id(obj):
        return obj.contract.project_id

    @staticmethod
    def resolve_customer_id(obj, context):
        return customer_id_for(context, obj.contract.subscription.customer)

    @staticmethod
    def resolve_customer_name(obj, context):
        return customer_name_for(context, obj.contract.subscription.customer)

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.contract.subscription.customer.phone)

    @staticmethod
    def resolve_consultant_id(obj):
        return obj.contract.consultant_id

    @staticmethod
    def resolve_days_overdue(obj):
        return contract_selectors.days_overdue(obj)


OverdueQuery = OverdueFilter.api_schema("OverdueQuery")


@router.get("/instalments/overdue", response=list[OverdueOut], openapi_extra=may_answer(404))
@paginate(Pagination, page_size=50)
def list_overdue(request, filters: Query[OverdueQuery]):
    """Instalments of signed deals past due with a balance, the longest overdue first
    (managers: VIEW_REPORTS); ``project_id``, ``overdue_days`` (at least 1/7/30/90 days)."""
    if not has_perm(request.user, Perm.VIEW_REPORTS):
        raise NotPermitted()
    return OverdueFilter.from_api(filters, user=request.user).rows_or_error(API_NAMES)


# --- end of signing and payments ----------------------------------------------------------------


# --- sales changes (SUB-5) ----------------------------------------------------------------------
from .changes_api import router as changes_router  # noqa: E402

router.add_router("", changes_router)
