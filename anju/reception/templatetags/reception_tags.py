from django import template
from django.urls import NoReverseMatch, reverse

from anju.core.masking import mask_phone

register = template.Library()


@register.filter
def customer_url(customer):
    """The customer's 360° page if the customers app has one, else ''."""
    if customer is None:
        return ""
    try:
        return reverse("customers:detail", args=[customer.pk])
    except NoReverseMatch:
        return ""


@register.filter
def masked(phone):
    return mask_phone(phone) if phone else ""


@register.filter
def mmss(seconds):
    if seconds is None:
        return "—"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.filter
def pct(value):
    return "—" if value is None else f"{value:.1f}%"


@register.filter
def yuan(amount, decimals=0):
    """3456000 → 3,456,000 (grouped the same in every language)."""
    if amount in (None, ""):
        return ""
    return f"{amount:,.{int(decimals)}f}"
