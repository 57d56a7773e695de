"""A share of a whole as a percentage with one decimal — the one rounding every report uses
(complaint report SVC-6, satisfaction figures SUR-3), so their figures agree."""

from decimal import ROUND_HALF_UP, Decimal


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, rounded half up to 0.1; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
