"""Club API (MEM-1 … MEM-3): tiers, a customer's membership and points, joining, redeeming,
adjusting — the same selectors and services as the pages, the same scope."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_types import Count, Id, Input, Pagination, RefId, Text, may_answer
from anju.core.errors import NotFound
from anju.core.masking import mask_phone
from anju.customers.filters import API_NAMES
from anju.customers.models import Customer
from anju.customers.selectors import customer_detail

from . import selectors, services
from .filters import MemberFilter
from .models import MAX_POINTS, MemberType, PointsReason, TierChange

router = Router(tags=["membership"])


class TierOut(Schema):
    id: int | None = Field(description="null until the group's club is first used")
    code: str
    name: str
    rank: int
    discount_rate: Decimal = Field(description="share of the price off at subscription")


@router.get("/membership/tiers", response=list[TierOut])
def list_tiers(request):
    """The group's tiers, lowest first (非会员 has rank 0)."""
    holding = selectors.holding_for_user(request.user)
    return selectors.tiers_of(holding) if holding else []


class MemberOut(Schema):
    customer_id: int
    customer_code: str
    phone: str = Field(description="masked")
    is_member: bool
    tier: TierOut
    member_type: MemberType | None
    joined_at: datetime | None
    family_of_id: int | None
    via_visit_id: int | None
    points_balance: int


def _member_out(request, customer):
    membership = selectors.member_for(request.user, customer)
    tier = membership.tier if membership else selectors.tier_of(customer)
    return {
        "customer_id": customer.pk,
        "customer_code": customer.code,
        "phone": mask_phone(customer.phone),
        "is_member": membership is not None,
        "tier": tier,
        "member_type": membership.member_type if membership else None,
        "joined_at": membership.joined_at if membership else None,
        "family_of_id": membership.family_of_id if membership else None,
        "via_visit_id": membership.via_visit_id if membership else None,
        "points_balance": selectors.points_balance(customer),
    }


class MemberRow(Schema):
    customer_id: int
    customer_code: str
    name: str
    phone: str = Field(description="masked")
    tier_code: str
    tier_name: str
    member_type: MemberType
    joined_at: datetime
    company_id: int
    points_balance: int

    @staticmethod
    def resolve_customer_code(obj):
        return obj.customer.code

    @staticmethod
    def resolve_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.customer.phone)

    @staticmethod
    def resolve_tier_code(obj):
        return obj.tier.code

    @staticmethod
    def resolve_tier_name(obj):
        return obj.tier.name

    @staticmethod
    def resolve_points_balance(obj):
        account = getattr(obj.customer, "points_account", None)
        return account.balance if account else 0


MemberQuery = MemberFilter.api_schema("MemberQuery")


@router.get("/membership/members", response=list[MemberRow], openapi_extra=may_answer(404))
@paginate(Pagination, page_size=50)
def list_members(request, filters: Query[MemberQuery]):
    """Members newest first; ``tier`` (a tier's code; unknown → 422 ``unknown_tier``),
    ``member_type``."""
    rows = MemberFilter.from_api(filters, user=request.user).rows_or_error(API_NAMES)
    return rows.select_related("customer__points_account")


@router.get("/membership/customers/{int:customer_id}", response=MemberOut)
def get_member(request, customer_id: Id):
    """The customer's membership (or 非会员) and points balance."""
    return _member_out(request, customer_detail(request.user, customer_id))


class JoinIn(Input):
    member_type: MemberType = MemberType.CUSTOMER
    visit_id: RefId | None = Field(None, description="joined on site at this visit of his")
    family_of_id: RefId | None = Field(
        None, description="member_type family: the related member (CUS-7 relation needed)"
    )


def _visible_customer(request, customer_id, *, field):
    found = Customer.objects.visible_to(request.user).filter(pk=customer_id).first()
    if found is None:
        raise NotFound(_not_found(), field=field)
    return found


def _not_found():
    from django.utils.translation import gettext

    return gettext("Not found, or outside your scope.")


@router.post(
    "/membership/customers/{int:customer_id}/join",
    response={201: MemberOut},
    openapi_extra=may_answer(409),
)
def join(request, customer_id: Id, payload: JoinIn):
    """Enrol the customer (409 ``already_member`` the second time)."""
    customer = customer_detail(request.user, customer_id)
    services._common.require_club_desk(request.user, customer)
    visit = None
    if payload.visit_id is not None:
        from anju.reception.selectors import visit_detail

        visit = visit_detail(request.user, payload.visit_id)  # 404 when out of scope
    family_of = (
        _visible_customer(request, payload.family_of_id, field="family_of_id")
        if payload.family_of_id
        else None
    )
    services.membership_join(
        by=request.user,
        customer=customer,
        member_type=payload.member_type,
        via_visit=visit,
        family_of=family_of,
    )
    return Status(201, _member_out(request, customer))


class BalanceOut(Schema):
    customer_id: int
    points_balance: int
    offset_value_per_100_points: Decimal = Field(description="yuan off the price for 100 points")


@router.get("/membership/customers/{int:customer_id}/points", response=BalanceOut)
def get_points(request, customer_id: Id):
    customer = customer_detail(request.user, customer_id)
    return {
        "customer_id": customer.pk,
        "points_balance": selectors.points_balance(customer),
        "offset_value_per_100_points": services.points_offset_value(customer, 100),
    }


class EntryOut(Schema):
    id: int
    created_at: datetime
    points: int = Field(description="+ credit, − debit")
    reason: PointsReason
    reference: str
    note: str
    expires_on: date | None
    reverses_id: int | None
    created_by_id: int | None


@router.get("/membership/customers/{int:customer_id}/points/entries", response=list[EntryOut])
@paginate(Pagination, page_size=50)
def list_entries(request, customer_id: Id):
    """The customer's points ledger, newest first (immutable rows)."""
    customer = customer_detail(request.user, customer_id)
    return selectors.ledger_of(request.user, customer)


class RedeemGiftIn(Input):
    gift_id: RefId
    quantity: Count(1, 100) = 1


class RedemptionOut(Schema):
    id: int
    gift_id: int
    quantity: int
    points: int
    entry_id: int | None
    points_balance: int


@router.post(
    "/membership/customers/{int:customer_id}/redemptions",
    response={201: RedemptionOut},
    openapi_extra=may_answer(409),
)
def redeem_gift(request, customer_id: Id, payload: RedeemGiftIn):
    """Points for a gift: 409 ``insufficient_points`` / ``out_of_stock``, nothing written."""
    customer = customer_detail(request.user, customer_id)
    services._common.require_club_desk(request.user, customer)
    gift = selectors.gifts_visible(request.user).filter(pk=payload.gift_id).first()
    if gift is None or gift.company_id != customer.company_id:
        raise NotFound(_not_found(), field="gift_id")
    redemption = services.points_redeem_gift(
        by=request.user, customer=customer, gift=gift, quantity=payload.quantity
    )
    return Status(
        201,
        {
            "id": redemption.pk,
            "gift_id": gift.pk,
            "quantity": redemption.quantity,
            "points": redemption.points,
            "entry_id": redemption.entry_id,
            "points_balance": selectors.points_balance(customer),
        },
    )


class OffsetIn(Input):
    points: Count(1, MAX_POINTS)
    reference: Text(80, required=True, description="what the offset is for, e.g. subscription:12")


@router.post(
    "/membership/customers/{int:customer_id}/offsets",
    response={200: EntryOut, 201: EntryOut},
    openapi_extra=may_answer(409),
)
def redeem_offset(request, customer_id: Id, payload: OffsetIn):
    """Points as a price offset (201). Idempotent per ``reference``: the same points again
    answer the first row with 200; other points under a used reference are refused (409
    ``reference_used``)."""
    customer = customer_detail(request.user, customer_id)
    entry = services.points_redeem_offset(
        by=request.user, customer=customer, points=payload.points, reference=payload.reference
    )
    return Status(200 if getattr(entry, "replayed", False) else 201, entry)


class AdjustIn(Input):
    points: Count(-MAX_POINTS, MAX_POINTS) = Field(description="+ or −, not 0")
    note: Text(200, required=True, description="why")


@router.post(
    "/membership/customers/{int:customer_id}/adjustments",
    response={201: EntryOut},
    openapi_extra=may_answer(409),
)
def adjust(request, customer_id: Id, payload: AdjustIn):
    """A manual correction by a club manager (MANAGE_MEMBERSHIP)."""
    customer = customer_detail(request.user, customer_id)
    entry = services.points_adjust(
        by=request.user, customer=customer, points=payload.points, note=payload.note
    )
    return Status(201, entry)


class TierRequestIn(Input):
    tier_id: RefId
    reason: Text(200, required=True)


class TierRequestOut(Schema):
    approval_id: int
    status: str
    summary: str


@router.post(
    "/membership/customers/{int:customer_id}/tier-change-requests",
    response={201: TierRequestOut},
    openapi_extra=may_answer(409),
)
def request_tier_change(request, customer_id: Id, payload: TierRequestIn):
    """Ask for a manual tier change; it takes effect when approved (``/approvals``)."""
    customer = customer_detail(request.user, customer_id)
    approval = services.tier_change_request(
        by=request.user, customer=customer, tier=payload.tier_id, reason=payload.reason
    )
    return Status(
        201, {"approval_id": approval.pk, "status": approval.status, "summary": approval.summary}
    )


class TierChangeOut(Schema):
    id: int
    created_at: datetime
    from_tier: str | None
    to_tier: str
    kind: TierChange.ChangeKind
    reason: str
    changed_by_id: int | None
    approved_by_id: int | None

    @staticmethod
    def resolve_from_tier(obj):
        return obj.from_tier.code if obj.from_tier else None

    @staticmethod
    def resolve_to_tier(obj):
        return obj.to_tier.code


@router.get("/membership/customers/{int:customer_id}/tier-changes", response=list[TierChangeOut])
@paginate(Pagination, page_size=50)
def list_tier_changes(request, customer_id: Id):
    customer = customer_detail(request.user, customer_id)
    membership = selectors.member_for(request.user, customer)
    if membership is None:
        return TierChange.objects.none()
    return selectors.tier_history(request.user, membership)


class GiftOut(Schema):
    id: int
    company_id: int
    name: str
    description: str
    points_cost: int
    stock: int
    is_active: bool


@router.get("/membership/gifts", response=list[GiftOut])
@paginate(Pagination, page_size=50)
def list_gifts(request, company_id: Id | None = None):
    """The gift catalogues the user sees (per company), cheapest first."""
    rows = selectors.gifts_visible(request.user)
    if company_id is not None:
        rows = rows.filter(company_id=company_id)
    return rows
