"""The club's configuration (MEM-1, MEM-3): the group's tiers, rules and settings; each
company's gift catalogue."""

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from anju.core.errors import ApplicationError, Conflict, NotFound
from anju.core.events import record_event
from anju.core.permissions import require_perm
from anju.core.roles import Perm
from anju.core.validation import validate_fields

from ..models import ClubSettings, Gift, Tier, TierRule, TierTrigger
from ._common import ensure_club, require_group_manager, settings_of

_TEMPORARY_RANK = 10_000  # ranks are unique: a swap passes through values no tier uses


def _first_company(holding):
    """Events need a company: a group setting is recorded on the group's first company."""
    from anju.org.models import Company

    return (
        Company.objects.unscoped("a group setting's event")
        .filter(holding=holding)
        .order_by("pk")
        .first()
    )


def _rate(value) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(_("Enter a rate like 0.01."), field="discount_rate") from exc
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
        raise ApplicationError(_("The rate must be between 0 and 1."), field="discount_rate")
    return rate


@transaction.atomic
def tiers_configure(*, by, holding, changes: dict) -> list[Tier]:
    """Rename, reorder and re-rate the group's tiers at once: ``{tier_id: {"name", "rank",
    "discount_rate"}}``. 非会员 stays rank 0 and rate 0 (it is not a membership); the
    ranks of the member tiers must be distinct and above 0."""
    require_group_manager(by, holding)
    tiers = {t.pk: t for t in ensure_club(holding)}
    tiers = {
        t.pk: t
        for t in Tier.objects.filter(pk__in=list(tiers)).select_for_update().order_by("rank")
    }
    unknown = set(changes) - set(tiers)
    if unknown:
        raise NotFound(_("Unknown tier."), field="tier", code="unknown_tier")
    before = {pk: (t.name, t.rank, str(t.discount_rate)) for pk, t in tiers.items()}
    for pk, values in changes.items():
        tier = tiers[pk]
        if "name" in values:
            tier.name = (values["name"] or "").strip()
            if not tier.name:
                raise ApplicationError(_("Enter the tier's name."), field="name")
        if tier.rank == 0:
            continue  # 非会员: name only
        if "rank" in values:
            tier.rank = values["rank"]
        if "discount_rate" in values:
            tier.discount_rate = _rate(values["discount_rate"])
    for tier in tiers.values():
        validate_fields(tier, ["name", "rank", "discount_rate"])
    ranks = [t.rank for t in tiers.values()]
    if len(set(ranks)) != len(ranks) or sum(1 for r in ranks if r == 0) != 1:
        raise ApplicationError(
            _("Each tier needs its own order number, above 0 for member tiers."), field="rank"
        )
    if len({t.name for t in tiers.values()}) != len(tiers):
        raise ApplicationError(_("Two tiers have the same name."), field="name")
    for tier in tiers.values():  # ranks are unique: move out of the way first
        Tier.objects.filter(pk=tier.pk).update(rank=tier.rank + _TEMPORARY_RANK)
    for tier in tiers.values():
        tier.save(update_fields=["name", "rank", "discount_rate", "updated_at"])
    after = {pk: (t.name, t.rank, str(t.discount_rate)) for pk, t in tiers.items()}
    company = _first_company(holding)
    changed = {
        str(pk): {"before": before[pk], "after": after[pk]}
        for pk in tiers
        if before[pk] != after[pk]
    }
    if changed and company is not None:
        record_event(
            by=by,
            verb="membership.tiers_configured",
            target=company,
            company=company,
            details={"changes": changed},
        )
    return sorted(tiers.values(), key=lambda t: t.rank)


@transaction.atomic
def tier_create(*, by, holding, code: str, name: str, rank: int, discount_rate) -> Tier:
    """Add a tier to the group's club (e.g. 钻石卡 above 金卡)."""
    require_group_manager(by, holding)
    ensure_club(holding)
    tier = Tier(
        holding=holding,
        code=(code or "").strip(),
        name=(name or "").strip(),
        rank=rank,
        discount_rate=_rate(discount_rate),
    )
    validate_fields(tier, ["code", "name", "rank", "discount_rate"])
    if not tier.name:
        raise ApplicationError(_("Enter the tier's name."), field="name")
    if not isinstance(rank, int) or rank < 1:
        raise ApplicationError(_("A member tier's order is above 0."), field="rank")
    taken = Tier.objects.filter(holding=holding)
    if taken.filter(code=tier.code).exists():
        raise Conflict(_("A tier with this code exists."), field="code", code="duplicate")
    if taken.filter(rank=rank).exists():
        raise Conflict(_("Another tier has this order."), field="rank", code="duplicate")
    try:
        with transaction.atomic():
            tier.save()
    except IntegrityError as exc:
        raise Conflict(_("A tier with this code or order exists."), code="duplicate") from exc
    company = _first_company(holding)
    if company is not None:
        record_event(
            by=by,
            verb="membership.tier_created",
            target=company,
            company=company,
            details={"tier": tier.code, "name": tier.name, "rank": rank},
        )
    return tier


@transaction.atomic
def tier_rule_set(*, by, holding, trigger: str, tier, is_active: bool = True) -> TierRule:
    """Set what ``trigger`` raises a member to (MEM-3), or switch the rule off."""
    require_group_manager(by, holding)
    if trigger not in TierTrigger.values:
        raise ApplicationError(
            _("Unknown tier rule trigger."), field="trigger", code="unknown_trigger"
        )
    ensure_club(holding)
    tier_id = getattr(tier, "pk", tier)
    tier = Tier.objects.filter(holding=holding, pk=tier_id).first()
    if tier is None:
        raise NotFound(_("Unknown tier."), field="tier", code="unknown_tier")
    if tier.rank == 0:
        raise ApplicationError(_("A rule raises a member to a member tier."), field="tier")
    rule, _created = TierRule.objects.select_for_update().get_or_create(
        holding=holding, trigger=trigger, defaults={"tier": tier, "is_active": bool(is_active)}
    )
    before = (rule.tier_id, rule.is_active)
    rule.tier, rule.is_active = tier, bool(is_active)
    rule.save()
    company = _first_company(holding)
    if company is not None and (before != (rule.tier_id, rule.is_active) or _created):
        record_event(
            by=by,
            verb="membership.tier_rule_set",
            target=company,
            company=company,
            details={"trigger": trigger, "tier": tier.code, "active": rule.is_active},
        )
    return rule


SETTINGS_FIELDS = ("referral_visit_points", "points_expire", "expiry_years", "points_per_yuan")


@transaction.atomic
def club_settings_update(*, by, holding, **changes) -> ClubSettings:
    """Change the group's 看房积分, expiry rule or offset value. Only new credits take a new
    expiry rule: a credit keeps the date it was given with."""
    require_group_manager(by, holding)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown setting."), field=sorted(unknown)[0])
    current = settings_of(holding)
    if current.pk is None:
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            current = ClubSettings.objects.get(holding=holding)
    current = ClubSettings.objects.select_for_update().get(pk=current.pk)
    before = {f: getattr(current, f) for f in SETTINGS_FIELDS}
    for field, value in changes.items():
        setattr(current, field, value)
    validate_fields(current, list(SETTINGS_FIELDS))
    current.save()
    after = {f: getattr(current, f) for f in SETTINGS_FIELDS}
    company = _first_company(holding)
    if company is not None and before != after:
        record_event(
            by=by,
            verb="membership.settings_changed",
            target=company,
            company=company,
            details={"before": before, "after": after},
        )
    return current


GIFT_FIELDS = ("name", "description", "points_cost", "is_active")
MAX_STOCK = 1_000_000


def _require_gift_manager(by, company):
    require_perm(by, Perm.MANAGE_MEMBERSHIP, company=company)


def _save_gift(gift):
    validate_fields(gift, ["name", "description", "points_cost", "stock"])
    if not gift.name.strip():
        raise ApplicationError(_("Enter the gift's name."), field="name")
    try:
        with transaction.atomic():
            gift.save()
    except IntegrityError as exc:
        raise Conflict(
            _("The catalogue has a gift with this name."), field="name", code="duplicate"
        ) from exc


@transaction.atomic
def gift_create(
    *, by, company, name: str, points_cost: int, stock: int = 0, description: str = ""
) -> Gift:
    """Add a gift to the company's catalogue (礼品目录)."""
    _require_gift_manager(by, company)
    gift = Gift(
        company=company,
        name=(name or "").strip(),
        description=(description or "").strip(),
        points_cost=points_cost,
        stock=stock,
    )
    _save_gift(gift)
    record_event(
        by=by,
        verb="membership.gift_created",
        target=gift,
        details={"name": gift.name, "points_cost": points_cost, "stock": stock},
    )
    return gift


def _restocked(gift, restock) -> int:
    """The stock after adding ``restock`` (negative: written off after a stock-taking)."""
    if isinstance(restock, bool) or not isinstance(restock, int):
        raise ApplicationError(_("Enter a whole number."), field="restock")
    stock = gift.stock + restock
    if stock < 0:
        raise ApplicationError(
            _("Only %(n)s in stock: cannot take away %(m)s.") % {"n": gift.stock, "m": -restock},
            field="restock",
        )
    if stock > MAX_STOCK:
        raise ApplicationError(
            _("At most %(n)s in stock.") % {"n": f"{MAX_STOCK:,}"}, field="restock"
        )
    return stock


@transaction.atomic
def gift_update(*, by, gift, restock: int = 0, **changes) -> Gift:
    """Change a gift: name, cost, offered or not; ``restock`` adds to the stock (or takes
    away, after a stock-taking). The stock is never written as a number read earlier:
    redemptions take from it meanwhile, and a form loaded before them would put them back
    (a lost update). The delta is applied to the locked row."""
    _require_gift_manager(by, gift.company_id)
    unknown = set(changes) - set(GIFT_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0])
    gift = (
        Gift.objects.unscoped("lock the gift the caller holds").select_for_update().get(pk=gift.pk)
    )
    before = {f: getattr(gift, f) for f in (*GIFT_FIELDS, "stock")}
    for field, value in changes.items():
        setattr(gift, field, value.strip() if isinstance(value, str) else value)
    gift.stock = _restocked(gift, restock)
    _save_gift(gift)
    after = {f: getattr(gift, f) for f in (*GIFT_FIELDS, "stock")}
    if before != after:
        record_event(
            by=by,
            verb="membership.gift_changed",
            target=gift,
            details={
                **{f: [before[f], after[f]] for f in after if before[f] != after[f]},
                "restock": restock,
            },
        )
    return gift
