"""The customer club (万客会, MEM-1 … MEM-3): tiers, members, the points ledger, gifts.

Tiers and their rules are the group's (one ``org.Holding``): 非会员 < 蓝卡 < 银卡 < 金卡 by
``rank``, each with the subscription discount rate pricing reads. A member is one customer of
one city company (``Membership``); every tier change is a ``TierChange`` row (the history on
the member page) and an event.

Points are a ledger (MEM-2): ``PointsEntry`` rows are immutable — the model refuses update
and delete, a correction is a reversal row. The balance is the sum of a customer's rows;
``PointsAccount.balance`` caches it, written only in the transaction that writes the row,
with a database CHECK (balance ≥ 0) and a conditional UPDATE that make a redemption above
the balance fail even when twenty run at once (services.py).

The events helper adds community events in ``events*`` modules of this package.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned, TimeStamped
from anju.core.scope import ScopedModel, ScopedQuerySet, ScopeSpec
from anju.core.validation import SORT_ORDER_RANGE

TIER_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,19}$"
MAX_POINTS = 100_000_000  # one movement; far above any real credit, inside every integer column
POINTS_RANGE = [MinValueValidator(1), MaxValueValidator(MAX_POINTS)]
DISCOUNT_RANGE = [MinValueValidator(0), MaxValueValidator(1)]
# The ledger row a member scope reads through: the customer's project and owner, as a
# customer's own rows (CustomerRelation, CustomerNote) do.
CUSTOMER_SCOPE = ScopeSpec(company="company", project="customer__project", owner="customer__owner")


# --- configuration (per group) ---------------------------------------------------------------


class Tier(TimeStamped):
    """会员等级 One tier of the group's club. ``rank`` orders them (0 = 非会员, not a member).

    ``discount_rate`` is the share of the price a member of this tier gets off at
    subscription (0.0100 = 1 %); pricing reads it through ``selectors.tier_of``.
    """

    holding = models.ForeignKey(
        "org.Holding", verbose_name=_("group"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(
        _("code"),
        max_length=20,
        validators=[
            RegexValidator(
                TIER_CODE_PATTERN,
                _("Use lower-case letters, digits and _ (starting with a letter)."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=30)
    rank = models.PositiveSmallIntegerField(_("order"), validators=SORT_ORDER_RANGE)
    discount_rate = models.DecimalField(
        _("subscription discount rate"),
        max_digits=5,
        decimal_places=4,
        default=0,
        validators=DISCOUNT_RANGE,
        help_text=_("Share of the price taken off at subscription: 0.01 is 1 %."),
    )

    class Meta:
        ordering = ["holding", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["holding", "code"], name="uniq_tier_code"),
            models.UniqueConstraint(fields=["holding", "rank"], name="uniq_tier_rank"),
            models.CheckConstraint(
                condition=Q(discount_rate__gte=0, discount_rate__lte=1), name="tier_discount_0_1"
            ),
        ]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self):
        return self.name

    @property
    def is_member_tier(self) -> bool:
        return self.rank > 0


class TierTrigger(models.TextChoices):
    """Business facts that may move a member up (MEM-3); the deals app reports them."""

    SIGNED = "signed", _("Contract signed")  # 签约
    SECOND_PURCHASE = "second_purchase", _("Second purchase")  # 二次置业


class TierRule(TimeStamped):
    """升级规则 When ``trigger`` happens, a member below ``tier`` is raised to it (never down)."""

    holding = models.ForeignKey(
        "org.Holding", verbose_name=_("group"), on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.CharField(_("when"), max_length=20, choices=TierTrigger.choices)
    tier = models.ForeignKey(
        Tier, verbose_name=_("raise to"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["holding", "trigger"]
        constraints = [
            models.UniqueConstraint(fields=["holding", "trigger"], name="uniq_tier_rule_trigger")
        ]
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")

    def __str__(self):
        return f"{self.get_trigger_display()} → {self.tier}"


class ClubSettings(TimeStamped):
    """The group's club settings: 看房积分, expiry, what a point is worth as a price offset."""

    DEFAULT_REFERRAL_VISIT_POINTS = 200
    DEFAULT_EXPIRY_YEARS = 2
    DEFAULT_POINTS_PER_YUAN = 10

    holding = models.OneToOneField(
        "org.Holding", verbose_name=_("group"), on_delete=models.PROTECT, related_name="+"
    )
    referral_visit_points = models.PositiveIntegerField(
        _("points for a referred friend's first visit"),
        default=DEFAULT_REFERRAL_VISIT_POINTS,
        validators=[MaxValueValidator(MAX_POINTS)],
    )
    points_expire = models.BooleanField(_("points expire"), default=True)
    expiry_years = models.PositiveSmallIntegerField(
        _("points expire at the end of the calendar year this many years after the credit"),
        default=DEFAULT_EXPIRY_YEARS,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    points_per_yuan = models.PositiveIntegerField(
        _("points per yuan of price offset"),
        default=DEFAULT_POINTS_PER_YUAN,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )

    class Meta:
        verbose_name = _("club settings")
        verbose_name_plural = _("club settings")

    def __str__(self):
        return f"club settings of {self.holding_id}"


# --- members -----------------------------------------------------------------------------------


class MemberType(models.TextChoices):
    """Who may join (MEM-1; seed 004 会员构成)."""

    CUSTOMER = "customer", _("Customer")  # 意向客户 / 签约客户
    OWNER = "owner", _("Owner")  # 业主
    FAMILY = "family", _("Family member")  # 业主家庭成员 (CUS-7)
    EMPLOYEE = "employee", _("Employee")  # 员工


class Membership(CompanyOwned):
    """会员 One customer's club membership (MEM-1): one per customer, in his company."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="membership",
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="+"
    )
    member_type = models.CharField(
        _("member type"), max_length=10, choices=MemberType.choices, default=MemberType.CUSTOMER
    )
    # A family member joins through a relative's membership (CUS-7 relation).
    family_of = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("family of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joined_at = models.DateTimeField(_("joined"))
    joined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enrolled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    via_visit = models.ForeignKey(
        "reception.Visit",
        verbose_name=_("joined at the visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope = CUSTOMER_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-joined_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-joined_at", "-id"], name="member_company_new"),
            models.Index(fields=["company", "tier", "-joined_at"], name="member_company_tier"),
            models.Index(
                fields=["company", "member_type", "-joined_at"], name="member_company_type"
            ),
        ]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self):
        return f"{self.customer_id} {self.tier}"


class TierChange(CompanyOwned):
    """One change of a member's tier (MEM-3): why, by whom, when; the tier history."""

    class ChangeKind(models.TextChoices):
        JOINED = "joined", _("Joined")
        RULE = "rule", _("By rule")
        MANUAL = "manual", _("Manual, approved")
        MERGE = "merge", _("Customer records merged")

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="tier_changes"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices)
    reason = models.CharField(_("reason"), max_length=200)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope = CUSTOMER_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["membership", "-created_at"], name="tierchange_member")]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self):
        return f"{self.membership_id}: {self.from_tier_id} → {self.to_tier_id}"


# --- points ledger (MEM-2) ------------------------------------------------------------------


class PointsAccount(CompanyOwned):
    """积分账户 A customer's points: the ledger's entries and their cached sum.

    Separate from ``Membership`` because points come before joining: a referrer who is not
    (yet) a member still earns his 看房积分. ``balance`` is written only by the services, in
    the transaction that writes the entry, and never below zero (CHECK and a conditional
    UPDATE); a test compares it with the ledger's sum.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="points_account",
    )
    balance = models.IntegerField(_("points balance"), default=0)
    # The nightly expiry's settlement (services.points.points_expire_account): every credit
    # that expired before ``expiry_settled_before`` and existed at ``expiry_settled_at`` has
    # been expired or was used up, so the next night looks at this account only when a
    # credit expires later or a credit was written since.
    expiry_settled_before = models.DateField(null=True, blank=True, editable=False)
    expiry_settled_at = models.DateTimeField(null=True, blank=True, editable=False)

    scope = CUSTOMER_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")

    def __str__(self):
        return f"{self.customer_id}: {self.balance}"


class ImmutableRowError(RuntimeError):
    """A ledger row was about to be edited or deleted: corrections are new rows."""


class LedgerQuerySet(ScopedQuerySet):
    """The ledger's queryset refuses bulk edits and deletes, as the model refuses single ones."""

    def update(self, **kwargs):
        raise ImmutableRowError("points entries are immutable; write a reversal row")

    def delete(self):
        raise ImmutableRowError("points entries are immutable; write a reversal row")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableRowError("points entries are immutable; write a reversal row")

    def erase_notes(self, notes: dict) -> int:
        """PIPL erasure (SEC-2) only: replace the notes ``{pk: scrubbed text}``. The law's
        right to erasure outranks the ledger's immutability for this one free-text field;
        points, reasons and references never change."""
        for pk, note in notes.items():
            ScopedQuerySet.update(self.filter(pk=pk), note=note)
        return len(notes)


class PointsReason(models.TextChoices):
    """Why points moved (MEM-2). Credits are positive rows, debits negative."""

    VISIT_REFERRAL = "visit_referral", _("Referred friend's visit")  # 看房积分
    PURCHASE = "purchase", _("Purchase")  # 购房积分
    REFERRAL_PURCHASE = "referral_purchase", _("Referral purchase")  # 老带新
    EVENT_ATTENDANCE = "event_attendance", _("Event attendance")  # 活动参与
    GIFT_REDEMPTION = "gift_redemption", _("Redeemed for a gift")  # 兑换礼品
    PRICE_OFFSET = "price_offset", _("Price offset")  # 抵扣房款
    GIFT_RETURN = "gift_return", _("Gift returned")  # 退还礼品: the redemption's points back
    OFFSET_RETURN = "offset_return", _("Price offset returned")  # 退房: the offset's points back
    EXPIRY = "expiry", _("Expired")  # 过期
    REVERSAL = "reversal", _("Reversal")  # 冲正
    ADJUSTMENT = "adjustment", _("Manual adjustment")  # 人工调整
    MERGE_TRANSFER = "merge_transfer", _("Moved by a customer merge")  # 合并转移


# Reasons a caller may credit with ``points_credit`` (the rest have their own services).
CREDIT_REASONS = frozenset(
    {
        PointsReason.VISIT_REFERRAL,
        PointsReason.PURCHASE,
        PointsReason.REFERRAL_PURCHASE,
        PointsReason.EVENT_ATTENDANCE,
    }
)


class PointsEntry(ScopedModel, models.Model):
    """积分流水 One immutable credit (+) or debit (−) of a customer's points (MEM-2).

    ``(account, reason, reference)`` is unique: the idempotency key. A task that credits
    看房积分 twice, or a second visit, finds the first row instead of writing another.
    Credits carry ``expires_on`` (the group's expiry rule at the time of the credit); the
    expiry task writes EXPIRY rows against them oldest first. ``save`` refuses to update a
    row and ``delete`` refuses always: a correction is a REVERSAL row pointing at ``reverses``.
    """

    company = models.ForeignKey(
        "org.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=20, choices=PointsReason.choices)
    reference = models.CharField(_("reference"), max_length=80)
    note = models.CharField(_("note"), max_length=200, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    # The credit a targeted debit is taken from (an expiry, a merge transfer), so the FIFO
    # allocation of the other debits leaves it alone (services.credit_remainders).
    against = models.ForeignKey(
        "self",
        verbose_name=_("taken from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), db_index=True)

    scope = CUSTOMER_SCOPE
    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reason", "reference"], name="uniq_points_idempotency"
            ),
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="points_account_new"),
            models.Index(fields=["customer", "-created_at", "-id"], name="points_customer_new"),
            # The expiry task: credits due, oldest first.
            models.Index(
                fields=["expires_on", "account"],
                condition=Q(points__gt=0, expires_on__isnull=False),
                name="points_credit_expiry",
            ),
        ]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")

    def __str__(self):
        return f"{self.customer_id} {self.points:+d} {self.reason}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableRowError("points entries are immutable; write a reversal row")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError("points entries are immutable; write a reversal row")

    @property
    def is_credit(self) -> bool:
        return self.points > 0


# --- gifts (MEM-2 redemption) ----------------------------------------------------------------


class Gift(CompanyOwned):
    """礼品 A gift of the company's catalogue, bought with points; ``stock`` never below zero."""

    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    points_cost = models.PositiveIntegerField(_("points"), validators=POINTS_RANGE)
    stock = models.PositiveIntegerField(
        _("in stock"), default=0, validators=[MaxValueValidator(1_000_000)]
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["company", "points_cost", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="gift_stock_not_negative"),
            models.UniqueConstraint(fields=["company", "name"], name="uniq_gift_name"),
        ]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")

    def __str__(self):
        return self.name


class Redemption(CompanyOwned):
    """积分兑换 Points given for gifts: the debit row it wrote and the stock it took."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    gift = models.ForeignKey(
        Gift, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    points = models.PositiveIntegerField(_("points"))
    entry = models.OneToOneField(
        PointsEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="redemption"
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed out by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A returned gift (services.points.redemption_return): stock and points are back.
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("return taken by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.CharField(_("reason for the return"), max_length=200, blank=True)

    scope = CUSTOMER_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="redemption_customer")]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")

    def __str__(self):
        return f"{self.customer_id} {self.gift_id} × {self.quantity}"


# Community events and lectures (MEM-4) live in their own module; imported for Django.
from .events_models import ClubEvent, EventFeedback, EventRegistration  # noqa: E402, F401
