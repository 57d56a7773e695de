"""The pricing engine (SUB-2): a table of requests and the lines they must give, a table of
requests it must refuse, and a property test over random requests. No database."""

import dataclasses
import random
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from anju.deals.pricing import (
    MAX_PRICE,
    NOTE_NON_MEMBER,
    NOTE_RELATIVE_APPLIED,
    NOTE_RELATIVE_NO_PROOF,
    NOTE_RELATIVE_NOT_HIGHER,
    NOTE_RELATIVE_PENDING,
    STEPS,
    PriceRequest,
    PricingError,
    Quote,
    RelativeTier,
    SalesDiscount,
    TierInfo,
    explain,
    format_percent,
    format_yuan,
    quote,
)

NON_MEMBER = TierInfo("none", "非会员", 0, D("0"))
BLUE = TierInfo("blue", "蓝卡", 1, D("0.0050"))
SILVER = TierInfo("silver", "银卡", 2, D("0.0100"))
GOLD = TierInfo("gold", "金卡", 3, D("0.0150"))

ONE_OFF = SalesDiscount(
    "one_off", "一次性付款优惠", "rate", D("0.02"), order=10, payment_plans=frozenset({"one_off"})
)
MAY_PROMO = SalesDiscount(
    "may",
    "五一促销",
    "amount",
    D("10000.0000"),  # as the model stores it: four decimals
    order=20,
    valid_from=date(2026, 5, 1),
    valid_to=date(2026, 5, 7),
    exclusive_group="promo",
)
OPENING = SalesDiscount("opening", "开盘优惠", "rate", D("0.01"), order=30, exclusive_group="promo")
TOWER_1 = SalesDiscount(
    "tower1", "1栋特惠", "amount", D("5000"), order=40, building_ids=frozenset({1})
)
TEN_OFF = SalesDiscount("r10", "九折", "rate", D("0.1"), order=1)
CUT_100K = SalesDiscount("a100k", "直减十万", "amount", D("100000"), order=2)
FIVE_OFF = SalesDiscount("r5", "九五折", "rate", D("0.05"), order=1)


def relative(tier=GOLD, *, approved=False, proof=True):
    return RelativeTier(tier, "parent", approved=approved, proof_given=proof)


def request(**changes) -> PriceRequest:
    base = PriceRequest(
        list_price=D("1000000.00"), on=date(2026, 5, 1), building_id=1, payment_plan="one_off"
    )
    return dataclasses.replace(base, **changes)


def rows(*lines):
    """Expected lines as (step, code, amount, running total)."""
    return [(step, code, D(amount), D(total)) for step, code, amount, total in lines]


LIST_1M = ("list", "list", "1000000.00", "1000000.00")
ONE_OFF_1M = ("sales", "one_off", "-20000.00", "980000.00")

# id, request, expected lines, member tier code, tier source, approval reasons
CASES = [
    pytest.param(
        request(discounts=(ONE_OFF,)),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "none", "0.00", "980000.00"),
            ("final", "final", "980000.00", "980000.00"),
        ),
        None,
        None,
        (),
        id="non-member with one-off discount",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), buyer_tiers=(NON_MEMBER,)),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "none", "0.00", "980000.00"),
            ("final", "final", "980000.00", "980000.00"),
        ),
        None,
        None,
        (),
        id="rank 0 tier is a non-member",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), buyer_tiers=(BLUE, SILVER)),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "silver", "-9800.00", "970200.00"),
            ("final", "final", "970200.00", "970200.00"),
        ),
        "silver",
        "buyer",
        (),
        id="joint silver + blue -> silver, on the total after sales discounts",
    ),
    pytest.param(
        request(buyer_tiers=(NON_MEMBER, SILVER)),
        rows(
            LIST_1M,
            ("member", "silver", "-10000.00", "990000.00"),
            ("final", "final", "990000.00", "990000.00"),
        ),
        "silver",
        "buyer",
        (),
        id="joint silver + non-member -> silver",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), buyer_tiers=(SILVER,), relative=relative(proof=True)),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "silver", "-9800.00", "970200.00"),
            ("final", "final", "970200.00", "970200.00"),
        ),
        "silver",
        "buyer",
        ("relative_tier",),
        id="relative gold with proof, not approved -> buyers' tier, needs approval",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), buyer_tiers=(SILVER,), relative=relative(proof=False)),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "silver", "-9800.00", "970200.00"),
            ("final", "final", "970200.00", "970200.00"),
        ),
        "silver",
        "buyer",
        (),
        id="relative gold without proof -> not applied, no approval asked",
    ),
    pytest.param(
        request(buyer_tiers=(SILVER,), relative=relative(approved=True, proof=False)),
        rows(
            LIST_1M,
            ("member", "silver", "-10000.00", "990000.00"),
            ("final", "final", "990000.00", "990000.00"),
        ),
        "silver",
        "buyer",
        (),
        id="relative gold approved but no proof -> not applied",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), buyer_tiers=(SILVER,), relative=relative(approved=True)),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "gold", "-14700.00", "965300.00"),
            ("final", "final", "965300.00", "965300.00"),
        ),
        "gold",
        "relative",
        (),
        id="relative gold with proof and approval -> gold",
    ),
    pytest.param(
        request(relative=relative(approved=True)),
        rows(
            LIST_1M,
            ("member", "gold", "-15000.00", "985000.00"),
            ("final", "final", "985000.00", "985000.00"),
        ),
        "gold",
        "relative",
        (),
        id="non-member buyer, approved relative gold -> gold",
    ),
    pytest.param(
        request(buyer_tiers=(SILVER,), relative=relative(BLUE, approved=True)),
        rows(
            LIST_1M,
            ("member", "silver", "-10000.00", "990000.00"),
            ("final", "final", "990000.00", "990000.00"),
        ),
        "silver",
        "buyer",
        (),
        id="relative's lower tier is ignored",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), special_discount=D("5000"), authority_rate=D("0.02")),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("sales", "special", "-5000.00", "975000.00"),
            ("member", "none", "0.00", "975000.00"),
            ("final", "final", "975000.00", "975000.00"),
        ),
        None,
        None,
        ("over_authority",),
        id="over authority (2.5 % > 2 %) -> needs approval",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), special_discount=D("5000"), authority_rate=D("0.025")),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("sales", "special", "-5000.00", "975000.00"),
            ("member", "none", "0.00", "975000.00"),
            ("final", "final", "975000.00", "975000.00"),
        ),
        None,
        None,
        (),
        id="exactly at authority -> no approval",
    ),
    pytest.param(
        request(
            discounts=(ONE_OFF,),
            buyer_tiers=(GOLD,),
            points_offset_value=D("2000"),
            authority_rate=D("0.02"),
        ),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "gold", "-14700.00", "965300.00"),
            ("points", "points", "-2000.00", "963300.00"),
            ("final", "final", "963300.00", "963300.00"),
        ),
        "gold",
        "buyer",
        (),
        id="membership and points do not count against authority",
    ),
    pytest.param(
        request(
            special_discount=D("30000"),
            authority_rate=D("0.02"),
            buyer_tiers=(SILVER,),
            relative=relative(),
        ),
        rows(
            LIST_1M,
            ("sales", "special", "-30000.00", "970000.00"),
            ("member", "silver", "-9700.00", "960300.00"),
            ("final", "final", "960300.00", "960300.00"),
        ),
        "silver",
        "buyer",
        ("over_authority", "relative_tier"),
        id="both reasons, in step order",
    ),
    pytest.param(
        request(discounts=(TEN_OFF, CUT_100K)),
        rows(
            LIST_1M,
            ("sales", "r10", "-100000.00", "900000.00"),
            ("sales", "a100k", "-100000.00", "800000.00"),
            ("member", "none", "0.00", "800000.00"),
            ("final", "final", "800000.00", "800000.00"),
        ),
        None,
        None,
        (),
        id="stacking: rate first, then amount",
    ),
    pytest.param(
        request(
            discounts=(
                dataclasses.replace(TEN_OFF, order=2),
                dataclasses.replace(CUT_100K, order=1),
            )
        ),
        rows(
            LIST_1M,
            ("sales", "a100k", "-100000.00", "900000.00"),
            ("sales", "r10", "-90000.00", "810000.00"),
            ("member", "none", "0.00", "810000.00"),
            ("final", "final", "810000.00", "810000.00"),
        ),
        None,
        None,
        (),
        id="stacking: amount first, then rate -> a different price",
    ),
    pytest.param(
        request(list_price=D("1234567.89"), buyer_tiers=(GOLD,)),
        rows(
            ("list", "list", "1234567.89", "1234567.89"),
            # 18,518.51835 -> 18,518.52 (truncating would give .51)
            ("member", "gold", "-18518.52", "1216049.37"),
            ("final", "final", "1216049.37", "1216049.37"),
        ),
        "gold",
        "buyer",
        (),
        id="rounding: 1,234,567.89 x 1.5 %",
    ),
    pytest.param(
        request(list_price=D("100.10"), discounts=(FIVE_OFF,)),
        rows(
            ("list", "list", "100.10", "100.10"),
            # 5.005 -> 5.01 half up (half even would give 5.00)
            ("sales", "r5", "-5.01", "95.09"),
            ("member", "none", "0.00", "95.09"),
            ("final", "final", "95.09", "95.09"),
        ),
        None,
        None,
        (),
        id="rounding: a half fen rounds up",
    ),
    pytest.param(
        request(
            list_price=D("100.10"),
            discounts=(FIVE_OFF, dataclasses.replace(FIVE_OFF, code="r5b", order=2)),
        ),
        rows(
            ("list", "list", "100.10", "100.10"),
            ("sales", "r5", "-5.01", "95.09"),
            # from the rounded running total: 95.09 x 5 % = 4.7545 -> 4.75
            ("sales", "r5b", "-4.75", "90.34"),
            ("member", "none", "0.00", "90.34"),
            ("final", "final", "90.34", "90.34"),
        ),
        None,
        None,
        (),
        id="rounding: each line from the rounded running total",
    ),
    pytest.param(
        request(discounts=(ONE_OFF,), buyer_tiers=(SILVER,), points_offset_value=D("2000")),
        rows(
            LIST_1M,
            ONE_OFF_1M,
            ("member", "silver", "-9800.00", "970200.00"),
            ("points", "points", "-2000.00", "968200.00"),
            ("final", "final", "968200.00", "968200.00"),
        ),
        "silver",
        "buyer",
        (),
        id="points offset after the membership discount",
    ),
    pytest.param(
        request(discounts=(TOWER_1, MAY_PROMO), payment_plan="mortgage", on=date(2026, 5, 7)),
        rows(
            LIST_1M,
            ("sales", "may", "-10000.00", "990000.00"),
            ("sales", "tower1", "-5000.00", "985000.00"),
            ("member", "none", "0.00", "985000.00"),
            ("final", "final", "985000.00", "985000.00"),
        ),
        None,
        None,
        (),
        id="promotion on its last day, building discount in its building, by order",
    ),
]


@pytest.mark.parametrize("req, lines, tier_code, source, reasons", CASES)
def test_quote(req, lines, tier_code, source, reasons):
    q = quote(req)
    assert [(x.step, x.code, x.amount, x.running_total) for x in q.lines] == lines
    assert q.final_price == lines[-1][3]
    assert (q.member_tier.code if q.member_tier else None) == tier_code
    assert q.tier_source == source
    assert q.approval_reasons == reasons
    assert q.needs_approval is bool(reasons)


def _bad(field, code, **changes):
    return pytest.param(request(**changes), field, code, id=f"{field}: {code}")


ERRORS = [
    _bad("discounts", "discount_expired", discounts=(MAY_PROMO,), on=date(2026, 5, 8)),
    pytest.param(
        request(discounts=(MAY_PROMO,), on=date(2026, 4, 30)),
        "discounts",
        "discount_expired",
        id="promotion not begun",
    ),
    _bad("discounts", "discount_not_applicable", discounts=(ONE_OFF,), payment_plan="mortgage"),
    pytest.param(
        request(discounts=(TOWER_1,), building_id=2),
        "discounts",
        "discount_not_applicable",
        id="other building",
    ),
    _bad("discounts", "discount_exclusive", discounts=(MAY_PROMO, OPENING)),
    _bad("discounts", "discount_duplicate", discounts=(ONE_OFF, ONE_OFF)),
    pytest.param(
        request(discounts=(ONE_OFF, dataclasses.replace(ONE_OFF, name="again"))),
        "discounts",
        "discount_duplicate",
        id="same code twice",
    ),
    _bad(
        "discounts",
        "discount_too_large",
        discounts=(dataclasses.replace(CUT_100K, value=D("1000000")),),
    ),
    _bad("discounts", "invalid_rate", discounts=(dataclasses.replace(TEN_OFF, value=D("1")),)),
    pytest.param(
        request(discounts=(dataclasses.replace(TEN_OFF, value=D("0")),)),
        "discounts",
        "invalid_rate",
        id="rate 0",
    ),
    pytest.param(
        request(discounts=(dataclasses.replace(TEN_OFF, value=D("0.00001")),)),
        "discounts",
        "invalid_rate",
        id="rate finer than the stored four decimals",
    ),
    pytest.param(
        request(discounts=(dataclasses.replace(TEN_OFF, value=0.1),)),
        "discounts",
        "invalid_amount",
        id="float rate",
    ),
    _bad("discounts", "invalid_discount", discounts=(dataclasses.replace(CUT_100K, value=D("0")),)),
    pytest.param(
        request(discounts=(dataclasses.replace(CUT_100K, kind="percent"),)),
        "discounts",
        "invalid_discount",
        id="unknown kind",
    ),
    pytest.param(
        request(discounts=(dataclasses.replace(CUT_100K, code="special"),)),
        "discounts",
        "invalid_discount",
        id="reserved code",
    ),
    _bad("list_price", "price_not_positive", list_price=D("0")),
    pytest.param(
        request(list_price=D("-1")), "list_price", "price_not_positive", id="negative price"
    ),
    _bad("list_price", "invalid_amount", list_price=1000000.0),
    pytest.param(request(list_price=True), "list_price", "invalid_amount", id="bool price"),
    pytest.param(request(list_price=D("NaN")), "list_price", "invalid_amount", id="NaN price"),
    pytest.param(request(list_price=D("1000.001")), "list_price", "invalid_amount", id="below fen"),
    pytest.param(
        request(list_price=MAX_PRICE + D("0.01")), "list_price", "invalid_amount", id="absurd price"
    ),
    _bad("special_discount", "invalid_amount", special_discount=D("-1")),
    _bad("special_discount", "discount_too_large", special_discount=D("1000000")),
    _bad("points_offset_value", "invalid_amount", points_offset_value=2000.0),
    _bad(
        "points_offset_value",
        "offset_too_large",
        discounts=(ONE_OFF,),
        points_offset_value=D("980000"),
    ),
    pytest.param(
        request(points_offset_value=D("1000000.01")),
        "points_offset_value",
        "offset_too_large",
        id="offset beyond the price",
    ),
    _bad(
        "buyer_tiers",
        "invalid_rate",
        buyer_tiers=(dataclasses.replace(GOLD, discount_rate=D("1")),),
    ),
    _bad("buyer_tiers", "invalid_tier", buyer_tiers=(dataclasses.replace(GOLD, rank=-1),)),
    pytest.param(
        request(list_price=D("0.01"), buyer_tiers=(TierInfo("half", "半价", 4, D("0.5")),)),
        "buyer_tiers",
        "discount_too_large",
        id="a member discount rounding the price to 0",
    ),
    _bad("relative", "invalid_relative", relative=RelativeTier(GOLD, "", True, True)),
    _bad("authority_rate", "invalid_rate", authority_rate=D("1.5")),
    _bad("payment_plan", "invalid_payment_plan", payment_plan="cash"),
    _bad("on", "invalid_date", on=datetime(2026, 5, 1, 10, 0)),
]


@pytest.mark.parametrize("req, field, code", ERRORS)
def test_refused(req, field, code):
    with pytest.raises(PricingError) as refused:
        quote(req)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert isinstance(refused.value, ValueError) and str(refused.value)


def test_member_line_notes_say_why():
    def member_line(req):
        return next(line for line in quote(req).lines if line.step == "member")

    non_member = member_line(request())
    assert (non_member.amount, non_member.rate, non_member.note) == (D("0"), None, NOTE_NON_MEMBER)
    assert member_line(request(buyer_tiers=(SILVER,))).note == ""
    notes = {
        NOTE_RELATIVE_NO_PROOF: relative(proof=False),
        NOTE_RELATIVE_PENDING: relative(proof=True),
        NOTE_RELATIVE_APPLIED: relative(approved=True),
        NOTE_RELATIVE_NOT_HIGHER: relative(BLUE, approved=True),
    }
    for note, rel in notes.items():
        assert member_line(request(buyer_tiers=(SILVER,), relative=rel)).note == note


def test_sales_discount_rate_counts_sales_and_special_only():
    q = quote(
        request(
            discounts=(ONE_OFF,),
            special_discount=D("5000"),
            buyer_tiers=(GOLD,),
            points_offset_value=D("100"),
        )
    )
    assert q.sales_discount_rate == D("0.025")
    assert quote(request(list_price=D("300.00"), special_discount=D("1"))).sales_discount_rate == D(
        "0.003333"
    )


def test_unlimited_authority_never_asks():
    q = quote(request(special_discount=D("500000"), authority_rate=None))
    assert (q.needs_approval, q.approval_reasons) == (False, ())


def test_choosing_order_does_not_change_the_quote():
    chosen = [TOWER_1, ONE_OFF, MAY_PROMO, TEN_OFF]
    first = quote(request(discounts=tuple(chosen), buyer_tiers=(BLUE,)))
    for seed in range(5):
        random.Random(seed).shuffle(chosen)
        assert quote(request(discounts=tuple(chosen), buyer_tiers=(BLUE,))) == first


def test_same_request_same_lines():
    req = request(
        discounts=(ONE_OFF, TOWER_1), buyer_tiers=(SILVER, BLUE), points_offset_value=D("88.88")
    )
    assert quote(req) == quote(req)
    assert quote(req).lines == quote(dataclasses.replace(req)).lines


def test_money_is_decimal_in_fen_never_float():
    # ints are exact and accepted; every amount comes back as a Decimal with two places
    req = request(
        list_price=1234567,
        discounts=(ONE_OFF, MAY_PROMO),
        special_discount=300,
        buyer_tiers=(GOLD,),
        points_offset_value=D("12.5"),
    )
    q = quote(req)
    _assert_money(q.final_price)
    assert type(q.sales_discount_rate) is D
    for line in q.lines:
        _assert_money(line.amount)
        _assert_money(line.running_total)
        assert line.rate is None or type(line.rate) is D


def _assert_money(value):
    assert type(value) is D
    assert value.as_tuple().exponent == -2, value


def test_max_price_is_the_columns_bound():
    from anju.core.validation import MAX_MONEY

    assert MAX_PRICE == MAX_MONEY


def test_the_module_stays_pure():
    import ast
    from pathlib import Path

    import anju.deals.pricing as module

    imported = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert {m for m in imported if m.startswith(("django", "anju"))} == {"django.utils.translation"}


def test_explain_one_text_per_line():
    q = quote(request(list_price=D("1234567.89"), buyer_tiers=(GOLD, BLUE)))
    text = explain(q)
    assert len(text) == len(q.lines) == 3
    assert all(isinstance(t, str) for t in text)
    assert "¥1,234,567.89" in text[0]
    assert "-¥18,518.52" in text[1] and "1.5%" in text[1] and "¥1,216,049.37" in text[1]
    assert "金卡" in text[1]
    assert "¥1,216,049.37" in text[2]


def test_explain_names_the_discount_and_the_note():
    text = explain(quote(request(discounts=(ONE_OFF,), special_discount=D("1234.5"))))
    assert "一次性付款优惠" in text[1] and "2%" in text[1] and "-¥20,000.00" in text[1]
    assert "-¥1,234.50" in text[2]
    assert str(NOTE_NON_MEMBER) in text[3] and "¥0.00" in text[3] and "-¥0.00" not in text[3]


@pytest.mark.parametrize(
    "amount, shown",
    [
        (D("1234567.89"), "¥1,234,567.89"),
        (D("-18518.52"), "-¥18,518.52"),
        (D("0.00"), "¥0.00"),
        (D("5"), "¥5.00"),
    ],
)
def test_format_yuan(amount, shown):
    assert format_yuan(amount) == shown


@pytest.mark.parametrize(
    "rate, shown",
    [(D("0.015"), "1.5%"), (D("0.0200"), "2%"), (D("0.1"), "10%"), (D("0.0050"), "0.5%")],
)
def test_format_percent(rate, shown):
    assert format_percent(rate) == shown


# --- property: whatever the (valid) request, the lines add up -----------------------------

TIERS = st.sampled_from([NON_MEMBER, BLUE, SILVER, GOLD])


@st.composite
def requests(draw):
    """Random valid requests; bounds keep every price positive (10,000 less at most 5,000 of
    amounts and four 5 % cuts, 1.5 % membership and 1,000 of points)."""
    fen = {"places": 2, "allow_nan": False, "allow_infinity": False}
    discounts = []
    for i in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            value = draw(st.decimals(D("0.0001"), D("0.05"), places=4, allow_nan=False))
            kind = "rate"
        else:
            value = draw(st.decimals(D("0.01"), D("1000"), **fen))
            kind = "amount"
        discounts.append(SalesDiscount(f"d{i}", f"折扣{i}", kind, value, draw(st.integers(0, 5))))
    rel = draw(
        st.none() | st.builds(RelativeTier, TIERS, st.just("child"), st.booleans(), st.booleans())
    )
    return request(
        list_price=draw(st.decimals(D("10000"), D("100000000"), **fen)),
        discounts=tuple(discounts),
        special_discount=draw(st.decimals(D("0"), D("1000"), **fen)),
        buyer_tiers=tuple(draw(st.lists(TIERS, max_size=3))),
        relative=rel,
        points_offset_value=draw(st.decimals(D("0"), D("1000"), **fen)),
        authority_rate=draw(st.none() | st.decimals(D("0"), D("0.3"), places=4, allow_nan=False)),
    )


@hypothesis_settings(max_examples=100, deadline=None)
@given(requests())
def test_lines_always_add_up(req):
    q: Quote = quote(req)
    first, *steps, last = q.lines
    assert (first.step, first.amount, first.running_total) == (
        "list",
        req.list_price,
        req.list_price,
    )
    total = first.running_total
    for line in steps:
        assert line.amount <= 0
        total += line.amount
        assert line.running_total == total
    assert last.step == "final" and last.amount == last.running_total == total == q.final_price
    assert q.final_price == req.list_price + sum(line.amount for line in steps)
    assert q.final_price > 0
    for line in q.lines:
        _assert_money(line.amount)
        _assert_money(line.running_total)
    assert [STEPS.index(line.step) for line in q.lines] == sorted(
        STEPS.index(line.step) for line in q.lines
    )
    assert quote(req) == q


def test_a_discount_of_nothing_is_zero_not_minus_zero():
    staff = TierInfo("staff", "员工", 1, D("0"))
    line = next(x for x in quote(request(buyer_tiers=(staff,))).lines if x.step == "member")
    assert line.amount == 0 and not line.amount.is_signed()
    assert "-¥" not in explain(quote(request(buyer_tiers=(staff,))))[1]


def test_plans_and_buildings_as_lists_work_like_sets():
    # the model keeps payment plans in a JSON list; the caller may pass it as it is
    listed = dataclasses.replace(ONE_OFF, payment_plans=["one_off"], building_ids=[1, 3])
    assert quote(request(discounts=(listed,))).final_price == D("980000.00")
    with pytest.raises(PricingError) as refused:
        quote(request(discounts=(listed,), building_id=2))
    assert refused.value.code == "discount_not_applicable"
    assert hash(quote(request(discounts=(listed,))))  # frozen all the way down
