"""人民币大写金额 and ¥ figures (core/chinese_money.py)."""

from decimal import Decimal

import pytest

from anju.core.chinese_money import yuan_figures, yuan_in_capitals
from anju.core.errors import ApplicationError

CAPITALS = [
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角"),
    ("0.56", "伍角陆分"),
    ("1", "壹元整"),
    ("1.10", "壹元壹角"),
    ("10", "壹拾元整"),  # a leading 1 is written out
    ("15", "壹拾伍元整"),
    ("20", "贰拾元整"),
    ("100.05", "壹佰元零伍分"),  # no 角 but 分: 零 stands for the 角
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("1000.50", "壹仟元伍角"),
    ("1001", "壹仟零壹元整"),
    ("1409.50", "壹仟肆佰零玖元伍角"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("10010", "壹万零壹拾元整"),
    ("100010", "壹拾万零壹拾元整"),  # zeros across 万: one 零
    ("107000.53", "壹拾万零柒仟元伍角叁分"),
    ("1004000.50", "壹佰万零肆仟元伍角"),
    ("3282500.50", "叁佰贰拾捌万贰仟伍佰元伍角"),
    ("10000000", "壹仟万元整"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000", "壹亿零壹万元整"),
    ("1000000000.01", "壹拾亿元零壹分"),
    ("1.230", "壹元贰角叁分"),  # trailing zeros beyond 分 are fine
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize(("amount", "capitals"), CAPITALS)
def test_capitals(amount, capitals):
    assert yuan_in_capitals(Decimal(amount)) == capitals


def test_an_int_is_an_amount_too():
    assert yuan_in_capitals(20000) == "贰万元整"


@pytest.mark.parametrize("amount", ["-0.01", "-100", "0.001", "1000000000000", "NaN", "Infinity"])
def test_refused_amounts_name_the_field(amount):
    with pytest.raises(ApplicationError) as refused:
        yuan_in_capitals(Decimal(amount), field="total")
    assert refused.value.field == "total"


def test_a_float_is_a_programming_error():
    with pytest.raises(TypeError):
        yuan_in_capitals(1.5)


@pytest.mark.parametrize(
    ("amount", "figures"),
    [
        ("0", "¥0.00"),
        ("5", "¥5.00"),
        ("1234567.89", "¥1,234,567.89"),
        ("1234567.885", "¥1,234,567.89"),  # half up to 分
        ("1000000000.01", "¥1,000,000,000.01"),
        ("-50000", "-¥50,000.00"),
    ],
)
def test_figures(amount, figures):
    assert yuan_figures(Decimal(amount)) == figures


def test_figures_refuse_what_is_not_an_amount():
    with pytest.raises(ApplicationError):
        yuan_figures(Decimal("NaN"))
    with pytest.raises(ApplicationError):
        yuan_figures(Decimal("1e40"))
