"""House template filters: money and masking, formatted the same on every page."""

from decimal import Decimal, InvalidOperation

from django import template

from anju.core.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter
def money(value, places=2):
    """Decimal → '¥6,000,484.00' (CNY with thousands separators)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"¥{amount:,.{int(places)}f}"


register.filter("mask_phone", mask_phone)
register.filter("mask_id", mask_id_number)
