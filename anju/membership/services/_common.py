"""What the club's services share: the group's tiers and settings, permission checks."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.core.errors import Conflict, NotPermitted
from anju.core.permissions import has_perm
from anju.core.roles import Perm
from anju.core.scope import can_see

from ..models import ClubSettings, Tier, TierRule, TierTrigger

# The group's tiers until it configures its own (MEM-1, seed 001): code, name, rank,
# subscription discount rate. Rank 0 is 非会员, the tier of everyone who has not joined.
DEFAULT_TIERS = (
    ("none", "非会员", 0, "0.0000"),
    ("blue", "蓝卡", 1, "0.0050"),
    ("silver", "银卡", 2, "0.0100"),
    ("gold", "金卡", 3, "0.0200"),
)
# signing → 银卡, a second purchase → 金卡 (MEM-3), until the group changes them.
DEFAULT_RULES = ((TierTrigger.SIGNED, "silver"), (TierTrigger.SECOND_PURCHASE, "gold"))


_recorded_at: ContextVar = ContextVar("membership_recorded_at", default=None)


def recorded_now():
    """The time a club row is recorded at: now, or the moment ``recorded_at`` sets."""
    return _recorded_at.get() or timezone.now()


@contextmanager
def recorded_at(moment):
    """Record club rows as of ``moment`` (an aware datetime in the past): for loading a
    ledger's history — the demo's year of points, a migration from the old system. The
    rules are the same; only the rows' times (and the credits' expiry) follow ``moment``."""
    if timezone.is_naive(moment) or moment > timezone.now():
        raise ValueError("recorded_at needs an aware moment that is not in the future")
    token = _recorded_at.set(moment)
    try:
        yield moment
    finally:
        _recorded_at.reset(token)


def stamp(row) -> None:
    """Give a just-written row (created_at auto-set) the ``recorded_at`` moment, if one is set."""
    moment = _recorded_at.get()
    if moment is not None:
        type(row)._base_manager.filter(pk=row.pk).update(created_at=moment)
        row.created_at = moment


def holding_of(company_or_customer):
    """The group (``org.Holding``) whose club a company or a customer belongs to."""
    company = getattr(company_or_customer, "company", company_or_customer)
    return company.holding


def ensure_club(holding) -> list[Tier]:
    """The group's tiers, writing the defaults (tiers, rules) the first time a service needs
    them. Safe when two requests do it at once: the loser reads the winner's rows."""
    tiers = list(Tier.objects.filter(holding=holding).order_by("rank"))
    if tiers:
        return tiers
    try:
        with transaction.atomic():
            by_code = {}
            for code, name, rank, rate in DEFAULT_TIERS:
                by_code[code] = Tier.objects.create(
                    holding=holding, code=code, name=name, rank=rank, discount_rate=rate
                )
            for trigger, code in DEFAULT_RULES:
                TierRule.objects.create(holding=holding, trigger=trigger, tier=by_code[code])
    except IntegrityError:
        pass  # written meanwhile by another request
    return list(Tier.objects.filter(holding=holding).order_by("rank"))


def settings_of(holding) -> ClubSettings:
    """The group's club settings; the defaults (unsaved) until it changes them."""
    return ClubSettings.objects.filter(holding=holding).first() or ClubSettings(holding=holding)


def entry_tier(tiers) -> Tier:
    """The tier a new member starts in: the lowest above 非会员 (蓝卡)."""
    members = [t for t in tiers if t.rank > 0]
    if not members:
        raise Conflict(
            _("The club has no member tier; configure the tiers first."), code="no_tiers"
        )
    return min(members, key=lambda t: t.rank)


def expiry_date(settings: ClubSettings, credited_on: date) -> date | None:
    """The last day a credit counts: 31 December of the ``expiry_years``-th calendar year
    after the credit (default 2: credited in 2026 → expires after 2028-12-31)."""
    if not settings.points_expire:
        return None
    return date(credited_on.year + settings.expiry_years, 12, 31)


def _customer_place(customer):
    return {"company": customer.company_id, "project": customer.project_id}


def require_club_desk(by, customer) -> None:
    """Enrolling and redeeming: staff of the club desk (REDEEM_POINTS) who see the customer."""
    if not (
        has_perm(by, Perm.REDEEM_POINTS, **_customer_place(customer)) and can_see(by, customer)
    ):
        raise NotPermitted()


def require_club_manager(by, customer) -> None:
    """Correcting points: MANAGE_MEMBERSHIP where the customer is, and seeing him."""
    if not (
        has_perm(by, Perm.MANAGE_MEMBERSHIP, **_customer_place(customer)) and can_see(by, customer)
    ):
        raise NotPermitted()


def require_group_manager(by, holding) -> None:
    """The group's tiers and rules: MANAGE_MEMBERSHIP covering every company of the group
    (the group relations centre), since they apply to all of them."""
    from anju.org.models import Company

    companies = list(
        Company.objects.unscoped("the companies a group-wide setting applies to")
        .filter(holding=holding)
        .values_list("pk", flat=True)
    )
    if not companies or not all(
        has_perm(by, Perm.MANAGE_MEMBERSHIP, company=pk) for pk in companies
    ):
        raise NotPermitted()


def live_customer(customer):
    """The customer a write about ``customer`` lands on: the survivor of a merge (CUS-3)."""
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


def refuse_erased(customer) -> None:
    if customer.anonymised_at is not None:
        raise Conflict(_("This customer's personal data was erased."), code="anonymised")
