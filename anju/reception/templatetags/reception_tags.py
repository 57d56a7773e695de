from django import template
from django.urls import NoReverseMatch, reverse

from anju.core.masking import mask_phone
from anju.core.scope import sees_loaded

register = template.Library()


@register.filter
def customer_url(customer, viewer=None):
    """The customer's 360° page if the viewer may open it, else '' (issue 9 item 4: a link
    to a page the viewer may not open is a 404; the name is shown as text instead).

    Decided from the loaded row (``sees_loaded``), no query per row.
    """
    if customer is None or viewer is None or not sees_loaded(viewer, customer):
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


@register.simple_tag(takes_context=True)
def task_list(context, tasks, quick=False, empty="", show_assignee=False):
    """``{% task_list tasks quick=True empty=… %}``: the task list, built in Python
    (``reception/task_rows.py``, issue 10 item 2)."""
    from anju.reception.task_rows import task_list_html

    return task_list_html(
        context["request"], tasks, quick=quick, empty=empty, show_assignee=show_assignee
    )
