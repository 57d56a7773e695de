"""House template filters: money and masking, formatted the same on every page."""

from decimal import Decimal, InvalidOperation

from django import template
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html

from anju.core.masking import mask_id_number, mask_name, mask_phone

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


@register.filter
def share(rate):
    """A share as a percentage: Decimal('0.0150') → '1.5%' (empty for None)."""
    if rate in (None, ""):
        return ""
    try:
        percent = (Decimal(rate) * 100).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return rate
    return f"{percent:f}%"


register.filter("mask_phone", mask_phone)
register.filter("mask_id", mask_id_number)
register.filter("mask_name", mask_name)


@register.simple_tag(takes_context=True)
def user_may(context, perm, obj=None):
    """``{% user_may "log_calls" as may_log %}``: hide a button the user could not use.

    Only to hide buttons; the service checks. ``obj`` narrows to its company/project.
    """
    from anju.core.permissions import has_perm

    request = context.get("request")
    user = getattr(request, "user", None)
    company = getattr(obj, "company_id", None)
    project = getattr(obj, "project_id", None) if obj is not None else None
    return has_perm(user, perm, company=company, project=project)


@register.filter
def options(choices) -> list:
    """``{% for value, label in field.field.choices|options %}``: the choices read once.

    A template ``for`` asks ``len()`` first, and a model choice field answers that with a
    COUNT query before the query that lists the rows (issue 10 item 2), and then reads them
    through a server-side cursor (three round trips, and none under PgBouncer's transaction
    pooling). Here the rows are one plain query.
    """
    if not isinstance(choices, ModelChoiceIterator):
        return list(iter(choices))  # list() alone would ask len() too
    field = choices.field
    head = [("", field.empty_label)] if field.empty_label is not None else []
    if getattr(field, "null_label", None) is not None:  # django-filter's "none" choice
        head.append((field.null_value, field.null_label))
    return head + [choices.choice(row) for row in list(choices.queryset)]


@register.filter
def seen_by(obj, user) -> bool:
    """``{% if record|seen_by:request.user %}``: link only to what the viewer may open
    (issue 9 item 4). Decided from the loaded row, no query (``core.scope.sees_loaded``)."""
    from anju.core.scope import sees_loaded

    return obj is not None and user is not None and sees_loaded(user, obj)


@register.simple_tag
def domain_term(title, term: str):
    """``{% domain_term title "排号" %}``: the domain's own Chinese word after a heading, for
    who reads the page in English or where the Chinese title says it otherwise — not twice
    ("排号 排号") on the Chinese page."""
    if str(title) == term:
        return ""
    return format_html(' <span class="text-secondary small">{}</span>', term)
