from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, 0) if mapping else 0


@register.filter
def wan(amount):
    """Money in 万元 (10,000 CNY), as sales offices read prices: 3,456,000 → 345.6."""
    if amount in (None, ""):
        return ""
    return f"{amount / 10000:,.1f}"
