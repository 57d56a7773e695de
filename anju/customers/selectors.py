"""Customer reads, scoped (ORG-2): search and lists used by pages, API and exports."""

import re

from django.db.models import Q

from anju.core.scope import get_visible_or_404

from .models import Customer
from .phones import normalise_phone

_DIGITS = re.compile(r"^\d+$")
_LATIN = re.compile(r"^[a-zA-Z]+$")


def _search_q(text: str) -> Q:
    """Name, pinyin, pinyin initials (张三丰 → zsf), phone (full or last 4) or customer code."""
    text = text.strip()
    if _DIGITS.match(text):
        if len(text) == 4:
            return Q(phone_last4=text)
        if len(text) >= 7:
            try:
                return Q(phones__phone=normalise_phone(text))
            except Exception:  # noqa: BLE001 – not a full number: fall through to prefix
                pass
        return Q(phone__startswith=text) | Q(code__iendswith=text)
    if _LATIN.match(text):
        lower = text.lower()
        return (
            Q(name_initials__startswith=lower)
            | Q(name_pinyin__startswith=lower)
            | Q(code__iexact=text)
        )
    return Q(name__startswith=text) | Q(code__iexact=text)


def customer_list(
    user,
    *,
    q=None,
    status=None,
    grade=None,
    source=None,
    owner=None,
    project=None,
    include_archived=False,
):
    """The customers ``user`` may see, filtered; newest first. Merged duplicates are hidden."""
    qs = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if q:
        qs = qs.filter(_search_q(q)).distinct()
    if status:
        qs = qs.filter(status=status)
    if grade:
        qs = qs.filter(grade=grade)
    if source:
        qs = qs.filter(source=source)
    if owner:
        qs = qs.filter(owner=owner)
    if project:
        qs = qs.filter(project=project)
    return qs.select_related("owner", "project").order_by("-created_at", "-id")


def customer_detail(user, customer_id) -> Customer:
    return get_visible_or_404(
        Customer.objects.select_related("owner", "project", "company", "referrer"),
        user,
        pk=customer_id,
    )


def customer_by_phone(user, company, phone: str) -> Customer | None:
    """Lookup by full number within a company (callers' screen pop, dedupe hints)."""
    phone = normalise_phone(phone)
    return (
        Customer.objects.visible_to(user)
        .filter(company=company, phones__phone=phone)
        .select_related("owner", "project")
        .first()
    )
