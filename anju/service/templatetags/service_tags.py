"""The service desk's template helpers: how much time is left, as a busy agent reads it."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


def _span(minutes: int) -> str:
    if minutes < 60:
        return _("%(n)s min") % {"n": max(minutes, 1)}
    if minutes < 6 * 60 and minutes % 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    if minutes < 48 * 60:
        return _("%(n)s h") % {"n": minutes // 60}
    return _("%(n)s days") % {"n": minutes // (24 * 60)}


def due_text(moment, now=None) -> str:
    """还剩 35 分钟 / 已超时 2 小时: the time to a due moment, or past it ("" for none)."""
    if moment is None:
        return ""
    now = now or timezone.now()
    seconds = (moment - now).total_seconds()
    if seconds >= 0:
        return _("%(span)s left") % {"span": _span(int(seconds // 60))}
    return _("%(span)s overdue") % {"span": _span(int(-seconds // 60))}


@register.filter
def due_in(moment):
    return due_text(moment)


@register.filter
def is_late(ticket) -> bool:
    """Open and past its next due time (flagged by the sweep, or due a moment ago)."""
    if not ticket.is_open:
        return False
    return bool(ticket.overdue or (ticket.next_due_at and ticket.next_due_at <= timezone.now()))


@register.filter
def minutes_span(minutes) -> str:
    """A limit in words: 120 → 2 小时, 4320 → 3 天 (exact, else in minutes)."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return _("1 day") if days == 1 else _("%(n)s days") % {"n": days}
    if minutes % 60 == 0:
        return _("%(n)s h") % {"n": minutes // 60}
    return _("%(n)s min") % {"n": minutes}
