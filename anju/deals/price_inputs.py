"""From the deals rows to the pure pricing engine's request (SUB-2), and back to lines.

``pricing.py`` knows nothing of the database; this module reads what it needs — the
project's discounts, the buyers' tiers (membership), the requester's authority — and turns a
quote into the ``PriceLine`` rows a subscription keeps.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError
from anju.core.roles import Role
from anju.membership.selectors import tier_of

from . import pricing
from .models import DiscountAuthority, PriceLine, SalesDiscount

# A role's authority on a project until the project sets its own (DiscountAuthority rows):
# the share of the list price its sales discounts may take off without an approval.
DEFAULT_AUTHORITY = {
    Role.SALES_CONSULTANT: Decimal("0.0100"),
    Role.KEY_ACCOUNT_REP: Decimal("0.0100"),
    Role.SALES_MANAGER: Decimal("0.0300"),
    Role.COMPANY_MANAGEMENT: Decimal("0.0500"),
}


def sales_discounts(project, codes) -> tuple[pricing.SalesDiscount, ...]:
    """The project's active discounts named by ``codes`` (an unknown code is refused)."""
    codes = list(dict.fromkeys(c.strip() for c in codes or () if c and c.strip()))
    if not codes:
        return ()
    rows = {
        d.code: d
        for d in SalesDiscount.objects.unscoped("the discounts of the project being priced")
        .filter(project=project, code__in=codes, is_active=True)
        .prefetch_related("buildings")
    }
    unknown = [c for c in codes if c not in rows]
    if unknown:
        raise ApplicationError(
            _("Unknown discount: %(codes)s.") % {"codes": "、".join(unknown)},
            field="discount_codes",
            code="unknown_discount",
        )
    return tuple(as_engine_discount(rows[c]) for c in codes)


def as_engine_discount(row) -> pricing.SalesDiscount:
    return pricing.SalesDiscount(
        code=row.code,
        name=row.name,
        kind=row.kind,
        value=row.value,
        order=row.order,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        payment_plans=frozenset(row.payment_plans or ()),
        building_ids=frozenset(b.pk for b in row.buildings.all()),
        exclusive_group=row.exclusive_group,
    )


def as_engine_tier(tier) -> pricing.TierInfo:
    return pricing.TierInfo(
        code=tier.code, name=tier.name, rank=tier.rank, discount_rate=tier.discount_rate
    )


def buyer_tiers(customers) -> tuple[pricing.TierInfo, ...]:
    return tuple(as_engine_tier(tier_of(c)) for c in customers)


def authority_rate(user, project) -> Decimal | None:
    """The largest share off ``user`` may give alone on ``project``: the best of his roles
    there (the project's rows, else the defaults). None only for the system (no user)."""
    if user is None:
        return None
    roles = {
        a.role
        for a in user.role_assignments.all()
        if a.project_id in (None, project.pk) and a.company_id in (None, project.company_id)
    }
    configured = dict(
        DiscountAuthority.objects.unscoped("the authority table of the project being priced")
        .filter(project=project, role__in=roles)
        .values_list("role", "max_rate")
    )
    rates = [configured.get(r, DEFAULT_AUTHORITY.get(r, Decimal("0"))) for r in roles]
    return max(rates, default=Decimal("0"))


def quote_or_error(request: pricing.PriceRequest) -> pricing.Quote:
    """The engine's refusal (an expired promotion …) as the one error shape."""
    try:
        return pricing.quote(request)
    except pricing.PricingError as exc:
        raise ApplicationError(str(exc), field=exc.field, code=exc.code) from exc


def today():
    return timezone.localdate()


def price_line_rows(subscription, quote) -> list[PriceLine]:
    return [
        PriceLine(
            subscription=subscription,
            position=position,
            step=line.step,
            code=line.code or "",
            label=str(line.label)[:100],
            rate=line.rate,
            amount=line.amount,
            running_total=line.running_total,
            note=str(line.note or "")[:200],
        )
        for position, line in enumerate(quote.lines, start=1)
    ]
