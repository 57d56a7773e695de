"""The price of a unit at subscription, explained line by line (SUB-2, issue 12 item 4).

Pure: no database, no clock, no settings. The caller (deals' services) reads the project's
discounts, the buyers' tiers and the requester's authority, builds a ``PriceRequest`` and
stores the lines of the ``Quote`` it gets back; a stored quote is never recomputed.

Order of the steps::

    list     the unit's list price
    sales    each chosen discount by (order, code), then the special discount (额外优惠)
    member   the membership discount of the tier that applies (always one line)
    points   the points offset, when points are used
    final    the price

Rounding: every discount line's amount is computed from the running total before it and
rounded to the fen (0.01) ROUND_HALF_UP *at that line*; the running totals are the exact
sums of the rounded amounts, so the lines always add up to the final price, which is in fen.
Money is ``Decimal`` throughout: a float is refused, never converted.

The membership tier: the highest rank among the buyers (joint buyers); a direct relative's
higher tier only with proof documents *and* an approval. Without proof it is simply not
applied (the member line says so); with proof but no approval yet, the buyers' tier applies
and the quote needs approval (reason ``relative_tier``). A buyer without a tier (or of rank 0,
非会员) gets a member line of 0.00 with a note, so every quote explains the membership step.

Authority: ``sales_discount_rate`` is the sales discounts (special included) over the list
price; beyond ``authority_rate`` the quote needs approval (reason ``over_authority``). The
membership discount and the points are entitlements and do not count.

See docs/pricing.md for the rules in plain words.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from django.utils.translation import gettext_lazy as _

FEN = Decimal("0.01")
# Rates (discounts, tiers, authority) are stored with four decimals (0.0150 = 1.5 %); a finer
# rate could not be stored with the lines it produced, so it is refused.
RATE_STEP = Decimal("0.0001")
# The shown share of the sales discounts; the approval decision compares exact amounts.
SHARE_STEP = Decimal("0.000001")
# Equal to anju.core.validation.MAX_MONEY (a test keeps them equal): not imported, so that
# this module stays free of Django's validators and models.
MAX_PRICE = Decimal("999999999999.99")
PAYMENT_PLANS = frozenset({"one_off", "instalments", "mortgage"})

STEPS = ("list", "sales", "member", "points", "final")
SPECIAL_CODE = "special"  # the special discount's line code; no configured discount may use it
NON_MEMBER_CODE = "none"  # the member line's code when no tier applies (the 非会员 tier's code)

REASON_OVER_AUTHORITY = "over_authority"
REASON_RELATIVE_TIER = "relative_tier"

LABEL_LIST = _("List price")
LABEL_SPECIAL = _("Special discount")
LABEL_MEMBER = _("Membership discount")
LABEL_POINTS = _("Points offset")
LABEL_FINAL = _("Final price")

NOTE_NON_MEMBER = _("No buyer is a club member")
NOTE_RELATIVE_APPLIED = _("Tier of a direct relative, with proof and approval")
NOTE_RELATIVE_NO_PROOF = _("A relative's higher tier needs proof documents; not applied")
NOTE_RELATIVE_PENDING = _("A relative's higher tier awaits approval; not applied yet")
NOTE_RELATIVE_NOT_HIGHER = _("A relative's tier is not higher than the buyers'")


class PricingError(ValueError):
    """A request the engine refuses. ``field`` names the request's field, ``code`` is the
    stable machine code; the caller turns it into an ApplicationError."""

    def __init__(self, message, *, field: str, code: str):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code


# --- what the caller passes ---------------------------------------------------------------


@dataclass(frozen=True)
class SalesDiscount:
    """A project's configured discount or promotion, as chosen by the consultant."""

    code: str
    name: str
    kind: Literal["rate", "amount"]  # rate: share off the running total; amount: yuan off
    value: Decimal
    order: int  # stacking order, lower first
    valid_from: date | None = None  # inclusive
    valid_to: date | None = None  # inclusive
    payment_plans: frozenset[str] = frozenset()  # empty = any plan
    building_ids: frozenset[int] = frozenset()  # empty = any building
    exclusive_group: str = ""  # at most one discount of a non-empty group


@dataclass(frozen=True)
class TierInfo:
    code: str
    name: str
    rank: int  # 0 = 非会员
    discount_rate: Decimal  # share off


@dataclass(frozen=True)
class RelativeTier:
    """A direct relative who is not a co-buyer (the caller decides who is one)."""

    tier: TierInfo
    relation: str
    approved: bool
    proof_given: bool


@dataclass(frozen=True)
class PriceRequest:
    list_price: Decimal
    on: date
    building_id: int
    payment_plan: str  # one_off | instalments | mortgage
    discounts: tuple[SalesDiscount, ...] = ()
    special_discount: Decimal = Decimal("0")  # 额外优惠, yuan
    buyer_tiers: tuple[TierInfo, ...] = ()  # main buyer and co-buyers
    relative: RelativeTier | None = None
    points_offset_value: Decimal = Decimal("0")  # yuan
    authority_rate: Decimal | None = None  # None = unlimited


# --- what the engine returns --------------------------------------------------------------


@dataclass(frozen=True)
class PriceLine:
    """One step. Discount lines have a negative (or zero) ``amount``; the list and final
    lines carry the price itself. ``running_total`` is the price after this line."""

    step: str
    code: str
    label: str  # a configured discount's name, else a lazy translation: str() it to store
    rate: Decimal | None
    amount: Decimal
    running_total: Decimal
    note: str = ""  # why, where the line needs it (a lazy translation)


@dataclass(frozen=True)
class Quote:
    lines: tuple[PriceLine, ...]
    final_price: Decimal
    sales_discount_rate: Decimal
    needs_approval: bool
    approval_reasons: tuple[str, ...]
    member_tier: TierInfo | None
    tier_source: Literal["buyer", "relative"] | None


def quote(req: PriceRequest) -> Quote:
    """Price ``req`` step by step; raises ``PricingError`` for a request it refuses."""
    req = _checked_request(req)
    discounts = _applicable_discounts(req)
    choice = _choose_tier(req.buyer_tiers, req.relative)

    ledger = _Ledger(req.list_price)
    for discount in discounts:
        _take_sales_discount(ledger, discount)
    if req.special_discount:
        ledger.take_amount(
            "sales", SPECIAL_CODE, LABEL_SPECIAL, req.special_discount, field="special_discount"
        )
    sales_total = req.list_price - ledger.total
    _take_member_discount(ledger, choice)
    if req.points_offset_value:
        ledger.take_amount(
            "points",
            "points",
            LABEL_POINTS,
            req.points_offset_value,
            field="points_offset_value",
            too_large="offset_too_large",
        )
    ledger.close()

    reasons = _approval_reasons(req, sales_total, choice)
    return Quote(
        lines=tuple(ledger.lines),
        final_price=ledger.total,
        sales_discount_rate=(sales_total / req.list_price).quantize(SHARE_STEP, ROUND_HALF_UP),
        needs_approval=bool(reasons),
        approval_reasons=reasons,
        member_tier=choice.tier,
        tier_source=choice.source,
    )


# --- the lines ----------------------------------------------------------------------------


class _Ledger:
    """The lines so far and the running total; refuses a step that leaves nothing to pay."""

    def __init__(self, list_price: Decimal):
        self.total = list_price
        self.lines = [PriceLine("list", "list", LABEL_LIST, None, list_price, list_price)]

    def take_rate(self, step, code, label, rate, *, field, note=""):
        amount = (self.total * rate).quantize(FEN, ROUND_HALF_UP)
        self._take(step, code, label, rate, amount, field=field, note=note)

    def take_amount(self, step, code, label, amount, *, field, too_large="discount_too_large"):
        self._take(step, code, label, None, amount, field=field, too_large=too_large)

    def explain_nothing(self, step, code, label, *, note):
        """A line that takes nothing off but says why (a buyer who is not a member)."""
        self.lines.append(PriceLine(step, code, label, None, Decimal("0.00"), self.total, note))

    def close(self):
        self.lines.append(PriceLine("final", "final", LABEL_FINAL, None, self.total, self.total))

    def _take(self, step, code, label, rate, amount, *, field, note="", too_large=""):
        if amount >= self.total:
            raise PricingError(
                _("%(label)s of %(amount)s leaves nothing to pay (%(total)s remain).")
                % {"label": label, "amount": format_yuan(amount), "total": format_yuan(self.total)},
                field=field,
                code=too_large or "discount_too_large",
            )
        self.total -= amount
        self.lines.append(PriceLine(step, code, label, rate, -amount, self.total, note))


def _take_sales_discount(ledger: _Ledger, discount: SalesDiscount):
    if discount.kind == "rate":
        ledger.take_rate("sales", discount.code, discount.name, discount.value, field="discounts")
    else:
        ledger.take_amount("sales", discount.code, discount.name, discount.value, field="discounts")


def _take_member_discount(ledger: _Ledger, choice: _TierChoice):
    if choice.tier is None:
        note = choice.note or NOTE_NON_MEMBER
        ledger.explain_nothing("member", NON_MEMBER_CODE, LABEL_MEMBER, note=note)
        return
    field = "relative" if choice.source == "relative" else "buyer_tiers"
    rate = choice.tier.discount_rate
    ledger.take_rate("member", choice.tier.code, LABEL_MEMBER, rate, field=field, note=choice.note)


# --- the membership tier ------------------------------------------------------------------


@dataclass(frozen=True)
class _TierChoice:
    tier: TierInfo | None
    source: Literal["buyer", "relative"] | None
    note: str = ""
    relative_pending: bool = False  # proof given, approval still missing


def _buyers_best_tier(buyer_tiers: tuple[TierInfo, ...]) -> TierInfo | None:
    members = [tier for tier in buyer_tiers if tier.rank > 0]
    # Ranks are unique within a group; rate and code only make a tie (bad data) deterministic.
    return max(members, key=lambda t: (t.rank, t.discount_rate, t.code), default=None)


def _choose_tier(buyer_tiers, relative: RelativeTier | None) -> _TierChoice:
    best = _buyers_best_tier(buyer_tiers)
    buyers = _TierChoice(best, "buyer" if best else None)
    if relative is None:
        return buyers
    if relative.tier.rank <= (best.rank if best else 0):
        return dataclasses.replace(buyers, note=NOTE_RELATIVE_NOT_HIGHER)
    # Proof comes first: an approval given without documents does not lend a tier.
    if not relative.proof_given:
        return dataclasses.replace(buyers, note=NOTE_RELATIVE_NO_PROOF)
    if not relative.approved:
        return dataclasses.replace(buyers, note=NOTE_RELATIVE_PENDING, relative_pending=True)
    return _TierChoice(relative.tier, "relative", note=NOTE_RELATIVE_APPLIED)


def _approval_reasons(req: PriceRequest, sales_total: Decimal, choice: _TierChoice):
    reasons = []
    # Compared as amounts, not as the rounded share, so that nothing slips through rounding.
    if req.authority_rate is not None and sales_total > req.list_price * req.authority_rate:
        reasons.append(REASON_OVER_AUTHORITY)
    if choice.relative_pending:
        reasons.append(REASON_RELATIVE_TIER)
    return tuple(reasons)


# --- the discounts chosen -----------------------------------------------------------------


def _applicable_discounts(req: PriceRequest) -> list[SalesDiscount]:
    """The chosen discounts in stacking order, each one valid for this request."""
    seen_codes, seen_groups = set(), {}
    for discount in req.discounts:
        if discount.code in seen_codes:
            raise _discount_error(_("%(name)s is chosen twice."), discount, "discount_duplicate")
        seen_codes.add(discount.code)
        _check_applicable(discount, req)
        if discount.exclusive_group:
            other = seen_groups.setdefault(discount.exclusive_group, discount)
            if other is not discount:
                raise PricingError(
                    _("%(name)s and %(other)s cannot be combined.")
                    % {"name": discount.name, "other": other.name},
                    field="discounts",
                    code="discount_exclusive",
                )
    # The code breaks ties so that the consultant's choosing order never changes the price.
    return sorted(req.discounts, key=lambda d: (d.order, d.code))


def _check_applicable(discount: SalesDiscount, req: PriceRequest):
    if discount.valid_from is not None and req.on < discount.valid_from:
        raise _discount_error(
            _("%(name)s is valid only from %(day)s."),
            discount,
            "discount_expired",
            discount.valid_from,
        )
    if discount.valid_to is not None and req.on > discount.valid_to:
        raise _discount_error(
            _("%(name)s ended on %(day)s."), discount, "discount_expired", discount.valid_to
        )
    if discount.payment_plans and req.payment_plan not in discount.payment_plans:
        raise _discount_error(
            _("%(name)s is not offered with this payment plan."),
            discount,
            "discount_not_applicable",
        )
    if discount.building_ids and req.building_id not in discount.building_ids:
        raise _discount_error(
            _("%(name)s is not offered for this building."), discount, "discount_not_applicable"
        )


def _discount_error(message, discount, code, day=None) -> PricingError:
    params = {"name": discount.name, "day": day.isoformat() if day else ""}
    return PricingError(message % params, field="discounts", code=code)


# --- the request's values -----------------------------------------------------------------


def _checked_request(req: PriceRequest) -> PriceRequest:
    """``req`` with its money in fen, or a PricingError naming the first bad field."""
    if _decimal(req.list_price, "list_price") <= 0:
        raise PricingError(
            _("The list price must be above zero."), field="list_price", code="price_not_positive"
        )
    list_price = _money(req.list_price, "list_price")
    _check_day(req.on, "on")
    if req.payment_plan not in PAYMENT_PLANS:
        raise PricingError(
            _("Unknown payment plan."), field="payment_plan", code="invalid_payment_plan"
        )
    for tier in req.buyer_tiers:
        _check_tier(tier, "buyer_tiers")
    if req.relative is not None:
        _check_relative(req.relative)
    if req.authority_rate is not None:
        _rate(req.authority_rate, "authority_rate", zero_ok=True, one_ok=True)
    return dataclasses.replace(
        req,
        list_price=list_price,
        discounts=tuple(_checked_discount(d) for d in req.discounts),
        special_discount=_money(req.special_discount, "special_discount"),
        points_offset_value=_money(req.points_offset_value, "points_offset_value"),
    )


def _checked_discount(discount: SalesDiscount) -> SalesDiscount:
    field = "discounts"
    if not isinstance(discount, SalesDiscount):
        raise PricingError(_("Not a sales discount."), field=field, code="invalid_discount")
    if not discount.code or discount.code == SPECIAL_CODE or not discount.name:
        raise _discount_error(
            _("%(name)s has no usable code or name."), discount, "invalid_discount"
        )
    if not _is_int(discount.order):
        raise _discount_error(_("%(name)s has no stacking order."), discount, "invalid_discount")
    for day in (discount.valid_from, discount.valid_to):
        if day is not None:
            _check_day(day, field)
    # The model keeps plans in a JSON list: frozensets keep the quote hashable.
    discount = dataclasses.replace(
        discount,
        payment_plans=frozenset(discount.payment_plans),
        building_ids=frozenset(discount.building_ids),
    )
    if discount.kind == "rate":
        return dataclasses.replace(discount, value=_rate(discount.value, field))
    if discount.kind == "amount":
        value = _money(discount.value, field)
        if value <= 0:
            raise _discount_error(_("%(name)s takes nothing off."), discount, "invalid_discount")
        return dataclasses.replace(discount, value=value)
    raise _discount_error(_("%(name)s is of an unknown kind."), discount, "invalid_discount")


def _check_tier(tier: TierInfo, field: str):
    if not isinstance(tier, TierInfo) or not _is_int(tier.rank) or tier.rank < 0:
        raise PricingError(_("Not a member tier."), field=field, code="invalid_tier")
    # 0 is a tier without a discount; the whole price off (1) is absurd.
    _rate(tier.discount_rate, field, zero_ok=True)


def _check_relative(relative: RelativeTier):
    if not isinstance(relative, RelativeTier) or not relative.relation:
        raise PricingError(
            _("A relative's tier needs the relation."), field="relative", code="invalid_relative"
        )
    _check_tier(relative.tier, "relative")


def _money(value, field: str) -> Decimal:
    """A non-negative amount in fen, at most MAX_PRICE, as a Decimal with two places."""
    amount = _decimal(value, field)
    if not 0 <= amount <= MAX_PRICE or amount != amount.quantize(FEN):
        raise PricingError(
            _("Enter an amount between 0 and %(max)s yuan, to the fen.")
            % {"max": f"{MAX_PRICE:,}"},
            field=field,
            code="invalid_amount",
        )
    return amount.quantize(FEN)


def _rate(value, field: str, *, zero_ok=False, one_ok=False) -> Decimal:
    """A share between 0 and 1 (both ends excluded unless allowed), in steps of RATE_STEP."""
    rate = _decimal(value, field)
    low_ok = rate >= 0 if zero_ok else rate > 0
    high_ok = rate <= 1 if one_ok else rate < 1
    if not (low_ok and high_ok) or rate != rate.quantize(RATE_STEP):
        raise PricingError(
            _("Enter a share between 0 and 1 with at most four decimals, e.g. 0.015."),
            field=field,
            code="invalid_rate",
        )
    return rate


def _decimal(value, field: str) -> Decimal:
    # A float has already lost the exact fen; int is exact and welcome (but not bool).
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if _is_int(value):
        return Decimal(value)
    raise PricingError(_("Enter an exact number."), field=field, code="invalid_amount")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_day(day, field: str):
    # A datetime would compare with a date by raising TypeError: refused as input instead.
    if not isinstance(day, date) or isinstance(day, datetime):
        raise PricingError(_("Enter a date."), field=field, code="invalid_date")


# --- text ---------------------------------------------------------------------------------


def format_yuan(amount: Decimal) -> str:
    """¥1,234,567.89 and -¥18,518.52 (ASCII minus: every PDF font has it)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def format_percent(rate: Decimal) -> str:
    """0.015 → 1.5%, 0.02 → 2%."""
    percent = (rate * 100).normalize()
    return f"{percent:f}%"


def explain(q: Quote) -> list[str]:
    """One line of text per PriceLine, in the active language, for pages and the PDF."""
    return [_explain_line(line, q.member_tier) for line in q.lines]


def _explain_line(line: PriceLine, member_tier: TierInfo | None) -> str:
    label = line.label
    if line.step == "member" and member_tier is not None:
        label = _("%(label)s (%(tier)s)") % {"label": label, "tier": member_tier.name}
    params = {
        "label": label,
        "amount": format_yuan(line.amount),
        "total": format_yuan(line.running_total),
        "rate": format_percent(line.rate) if line.rate is not None else "",
    }
    if line.step in ("list", "final"):
        text = _("%(label)s: %(total)s") % params
    elif line.rate is None:
        text = _("%(label)s: %(amount)s, leaves %(total)s") % params
    else:
        text = _("%(label)s %(rate)s: %(amount)s, leaves %(total)s") % params
    if line.note:
        text = _("%(text)s (%(note)s)") % {"text": text, "note": line.note}
    return str(text)
