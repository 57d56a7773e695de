"""Amounts as a Chinese contract writes them: ``¥1,234,567.89`` and 人民币大写金额.

The capitals follow the rules for filling in bills and settlement vouchers
(《正确填写票据和结算凭证的基本规定》):

* digits 壹贰叁肆伍陆柒捌玖, units 拾佰仟, groups 万 and 亿, then 元角分;
* 整 after 元 when there are no 角 and 分 (``100`` → 壹佰元整); none after 角 or 分;
* a leading 1 is written out: ``10`` → 壹拾元整, ``100,010`` → 壹拾万零壹拾元整;
* zeros between two written digits become one 零, also across 万/亿
  (``1,004,000.50`` → 壹佰万零肆仟元伍角); trailing zeros of a group are not written;
* no 角 but 分: 零 stands for the 角 (``100.05`` → 壹佰元零伍分);
* less than one yuan: no 元 (``0.50`` → 伍角); nothing at all: 零元整.

An amount is Decimal (or int) in whole 分, from 0 up to 9,999 亿元; anything else is refused
with an ApplicationError naming ``field``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ("", "拾", "佰", "仟")  # within a group of four digits
GROUPS = ("", "万", "亿")  # groups of four digits, from the right
LIMIT = Decimal(10) ** 12  # 1万亿: beyond that a group would need 万亿
CENT = Decimal("0.01")


def _as_decimal(amount, field: str) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"an amount is a Decimal or an int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ApplicationError(_("Enter an amount."), field=field)
    return value


def yuan_in_capitals(amount: Decimal, *, field: str = "amount") -> str:
    """人民币大写金额: ``Decimal("1004000.50")`` → ``壹佰万零肆仟元伍角``."""
    value = _as_decimal(amount, field)
    if value < 0:
        raise ApplicationError(_("An amount in capitals cannot be negative."), field=field)
    if value >= LIMIT:
        raise ApplicationError(
            _("An amount in capitals must be less than one trillion yuan."), field=field
        )
    if value != value.quantize(CENT):
        raise ApplicationError(_("An amount has at most two decimals (分)."), field=field)
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10

    words = _integer_in_capitals(yuan)
    if yuan:
        words += "元"
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"  # 100.05 → 壹佰元零伍分
    if fen:
        words += DIGITS[fen] + "分"
    return words


def _integer_in_capitals(number: int) -> str:
    """``1004000`` → 壹佰万零肆仟; 0 → "" (the caller writes 零元整)."""
    groups = []  # most significant first, four digits each
    while number:
        groups.insert(0, number % 10000)
        number //= 10000
    words = []
    zero_pending = False
    for index, group in enumerate(groups):
        group_unit = GROUPS[len(groups) - 1 - index]
        digits = f"{group:04d}"
        for position, digit in enumerate(digits):
            if digit == "0":
                zero_pending = zero_pending or bool(words)
                continue
            if zero_pending:
                words.append("零")
                zero_pending = False
            words.append(DIGITS[int(digit)] + UNITS[3 - position])
        if group:
            words.append(group_unit)
    return "".join(words)


def yuan_figures(amount: Decimal, *, field: str = "amount") -> str:
    """``Decimal("1234567.891")`` → ``¥1,234,567.89`` (half up to 分); negative: ``-¥5.00``."""
    try:
        value = _as_decimal(amount, field).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a Decimal context holds
        raise ApplicationError(_("Enter an amount."), field=field) from None
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"
