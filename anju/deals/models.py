"""Deals (房源交易): queue numbers (QUE-1), launch day, subscriptions with their price lines
(SUB-1/2), agreement templates (SUB-3), contracts and payments (SUB-4), sales changes (SUB-5).

A subscription is the one row that ties a customer to a unit: at most one *live*
subscription per unit, enforced by a partial unique constraint on top of the unit row lock
that every service takes (``inventory.services.unit_for_update``). Prices are stored as
lines when agreed and never recomputed, so a later rule change leaves them alone.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.core.models import CompanyOwned, ProjectOwned, TimeStamped
from anju.core.scope import ScopedQuerySet, ScopeSpec
from anju.core.validation import MAX_MONEY, MONEY_RANGE, NOTE_LENGTH, NOTE_MAX_LENGTH

SIGNED_MONEY_RANGE = [MinValueValidator(-MAX_MONEY), MaxValueValidator(MAX_MONEY)]
RATE_RANGE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def _money(verbose, **kwargs):
    kwargs.setdefault("validators", MONEY_RANGE)
    return models.DecimalField(verbose, max_digits=14, decimal_places=2, **kwargs)


def _consultant(verbose=None):
    verbose = verbose or _("consultant")
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose, on_delete=models.PROTECT, related_name="+"
    )


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card")
    TRANSFER = "transfer", _("Bank transfer")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")


class PaymentPlan(models.TextChoices):
    ONE_OFF = "one_off", _("One-off payment")  # 一次性
    INSTALMENTS = "instalments", _("Instalments")  # 分期
    MORTGAGE = "mortgage", _("Mortgage")  # 按揭


# --- queue numbers (QUE-1) ----------------------------------------------------------------------


class QueueStatus(models.TextChoices):
    # "Waiting" alone is the approvals' "已等待 (so long)": the context tells them apart
    WAITING = "waiting", pgettext_lazy("queue status", "Waiting")  # 有效, not yet called
    CALLED = "called", _("Called")  # launch day: his turn now
    SKIPPED = "skipped", _("Skipped")  # called, did not come: may be recalled
    USED = "used", _("Chose a unit")  # a subscription came of it
    CANCELLED = "cancelled", _("Cancelled")


QUEUE_TRANSITIONS = {
    QueueStatus.WAITING: {QueueStatus.CALLED, QueueStatus.CANCELLED, QueueStatus.USED},
    QueueStatus.CALLED: {
        QueueStatus.SKIPPED,
        QueueStatus.USED,
        QueueStatus.WAITING,
        QueueStatus.CANCELLED,
    },
    QueueStatus.SKIPPED: {QueueStatus.CALLED, QueueStatus.CANCELLED},
    QueueStatus.USED: {QueueStatus.WAITING},  # the subscription was cancelled before signing
    QueueStatus.CANCELLED: set(),
}
LIVE_QUEUE_STATUSES = (QueueStatus.WAITING, QueueStatus.CALLED, QueueStatus.SKIPPED)


class QueueTicket(ProjectOwned):
    """排号 A customer's place in a project's queue, with his deposit (诚意金) if he paid one.

    ``number`` comes from ``allocate_number(kind="queue", scope=project)``: sequential per
    project, no gap, never reissued (a cancelled number stays cancelled)."""

    number = models.PositiveIntegerField(_("queue number"))
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="queue_tickets",
    )
    consultant = _consultant()
    intention = models.CharField(_("intention"), max_length=200, blank=True)  # 意向房源/户型
    deposit_amount = _money(_("deposit (CNY)"), default=Decimal("0"))
    deposit_method = models.CharField(
        _("paid by"), max_length=12, choices=PaymentMethod.choices, blank=True
    )
    deposit_receipt_no = models.CharField(_("receipt number"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=QueueStatus.choices, default=QueueStatus.WAITING
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    refund_amount = _money(_("refund (CNY)"), null=True, blank=True)
    refund_method = models.CharField(
        _("refunded by"), max_length=12, choices=PaymentMethod.choices, blank=True
    )
    refund_receipt_no = models.CharField(_("refund receipt number"), max_length=40, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="uniq_queue_number"),
            models.CheckConstraint(
                condition=Q(deposit_amount__gte=0), name="queue_deposit_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status", "number"]),
            models.Index(fields=["consultant", "status"]),
            models.Index(fields=["customer"]),
        ]
        verbose_name = _("queue number")
        verbose_name_plural = _("queue numbers")

    def __str__(self):
        return f"{self.number:04d}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_QUEUE_STATUSES


# --- launch day (开盘选房) ------------------------------------------------------------------------


class LaunchStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class LaunchDay(ProjectOwned):
    """开盘 A launch: queue numbers are called in order and choose units of its buildings."""

    name = models.CharField(_("name"), max_length=60)
    buildings = models.ManyToManyField(
        "inventory.Building", verbose_name=_("buildings"), related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=LaunchStatus.choices, default=LaunchStatus.OPEN
    )
    current = models.ForeignKey(
        QueueTicket,
        verbose_name=_("current number"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_by = _consultant(_("opened by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One running launch per project: the big screens all follow the same one.
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="open"), name="uniq_open_launch"
            )
        ]
        verbose_name = _("launch day")


# --- pricing configuration (SUB-2) -------------------------------------------------------------


class DiscountKind(models.TextChoices):
    RATE = "rate", _("Share off")
    AMOUNT = "amount", _("Amount off")


class SalesDiscount(ProjectOwned):
    """销售折扣 A discount or promotion a project offers, with its validity and stacking order."""

    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=DiscountKind.choices)
    # rate: share off (0.0200 = 2 %); amount: yuan off
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4, validators=MONEY_RANGE)
    order = models.PositiveSmallIntegerField(
        _("stacking order"), default=10, validators=[MaxValueValidator(999)]
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    # Empty = any payment plan / any building of the project.
    payment_plans = models.JSONField(_("payment plans"), default=list, blank=True)
    buildings = models.ManyToManyField(
        "inventory.Building", verbose_name=_("buildings"), blank=True, related_name="+"
    )
    exclusive_group = models.CharField(_("exclusive group"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["project", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_sales_discount_code")
        ]
        verbose_name = _("sales discount")

    def __str__(self):
        return self.name


class DiscountAuthority(ProjectOwned):
    """折扣权限 The total sales discount a role may give alone on a project; beyond it a
    manager approves. A role without a row here has no authority of its own (0)."""

    role = models.CharField(_("role"), max_length=30)
    max_rate = models.DecimalField(
        _("largest share off"), max_digits=5, decimal_places=4, validators=RATE_RANGE
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "role"], name="uniq_discount_authority")
        ]
        verbose_name = _("discount authority")


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("Subscription agreement")  # 认购书
    QUEUE_RECEIPT = "queue_receipt", _("Queue-number receipt")  # 排号凭证
    PAYMENT_RECEIPT = "payment_receipt", _("Payment receipt")  # 收款收据 / 退款凭证


class DocumentTemplate(ProjectOwned):
    """A project's printable template (SUB-3), edited in the browser by a manager."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=20000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="uniq_document_template")
        ]
        verbose_name = _("document template")


# --- subscriptions (SUB-1/2) --------------------------------------------------------------------


class SubscriptionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (unit held)")  # 预留
    PENDING = "pending", _("Waiting for approval")
    SUBSCRIBED = "subscribed", _("Subscribed")  # 认购
    SIGNED = "signed", _("Signed")  # 签约
    CANCELLED = "cancelled", _("Cancelled")  # 退房 / 放弃


SUBSCRIPTION_TRANSITIONS = {
    SubscriptionStatus.DRAFT: {
        SubscriptionStatus.PENDING,
        SubscriptionStatus.SUBSCRIBED,
        SubscriptionStatus.CANCELLED,
    },
    SubscriptionStatus.PENDING: {
        SubscriptionStatus.DRAFT,
        SubscriptionStatus.SUBSCRIBED,
        SubscriptionStatus.CANCELLED,
    },
    SubscriptionStatus.SUBSCRIBED: {SubscriptionStatus.SIGNED, SubscriptionStatus.CANCELLED},
    SubscriptionStatus.SIGNED: {SubscriptionStatus.CANCELLED},
    SubscriptionStatus.CANCELLED: set(),
}
LIVE_SUBSCRIPTION_STATUSES = (
    SubscriptionStatus.DRAFT,
    SubscriptionStatus.PENDING,
    SubscriptionStatus.SUBSCRIBED,
    SubscriptionStatus.SIGNED,
)


class Subscription(ProjectOwned):
    """认购 One main buyer (plus co-buyers) and one unit, at a price explained by its lines."""

    number = models.PositiveIntegerField(_("subscription number"))
    unit = models.ForeignKey(
        "inventory.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="subscriptions",
    )
    consultant = _consultant()
    queue_ticket = models.ForeignKey(
        QueueTicket,
        verbose_name=_("queue number"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subscriptions",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.DRAFT,
    )
    payment_plan = models.CharField(
        _("payment plan"), max_length=12, choices=PaymentPlan.choices, default=PaymentPlan.ONE_OFF
    )
    list_price = _money(_("list price (CNY)"))
    final_price = _money(_("price (CNY)"))
    special_discount = _money(_("special discount (CNY)"), default=Decimal("0"))
    deposit = _money(_("deposit (CNY)"), default=Decimal("0"))  # 定金
    sign_by = models.DateField(_("sign by"), null=True, blank=True)  # 签约期限
    tier_code = models.CharField(_("member tier applied"), max_length=20, blank=True)
    tier_source = models.CharField(_("tier from"), max_length=10, blank=True)
    points_used = models.PositiveIntegerField(_("points used"), default=0)
    points_value = _money(_("points offset (CNY)"), default=Decimal("0"))
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    approval_reasons = models.JSONField(default=list, blank=True)
    subscribed_at = models.DateTimeField(_("subscribed at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="uniq_subscription_number"),
            # SUB-1: at most one live subscription per unit, whatever the services do.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(status__in=["draft", "pending", "subscribed", "signed"]),
                name="uniq_live_subscription_per_unit",
            ),
            models.CheckConstraint(condition=Q(final_price__gt=0), name="subscription_price_gt_0"),
        ]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["consultant", "status"]),
            models.Index(fields=["customer"]),
            models.Index(fields=["unit", "status"]),
        ]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self):
        return f"RG{self.number:06d}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_SUBSCRIPTION_STATUSES


class CoBuyer(TimeStamped):
    """共同买受人 A co-buyer on a subscription (a CUS-7 relation of the main buyer)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="co_buyers"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("co-buyer"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "customer"], name="uniq_co_buyer")
        ]


class PriceLine(models.Model):
    """One step of a subscription's price (SUB-2), stored when the price is agreed."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="price_lines"
    )
    position = models.PositiveSmallIntegerField()
    step = models.CharField(max_length=10)  # list | sales | member | points | final
    code = models.CharField(max_length=40, blank=True)
    label = models.CharField(max_length=100)
    rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=SIGNED_MONEY_RANGE)
    running_total = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["subscription", "position"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "position"], name="uniq_price_line")
        ]

    def __str__(self):
        return f"{self.label} {self.amount}"


class RelativeTierClaim(TimeStamped):
    """A direct relative (not a co-buyer) lends his higher tier: proof plus an approval."""

    subscription = models.OneToOneField(
        Subscription, on_delete=models.CASCADE, related_name="relative_claim"
    )
    relative = models.ForeignKey(
        "customers.Customer", verbose_name=_("relative"), on_delete=models.PROTECT, related_name="+"
    )
    relation = models.CharField(_("relation"), max_length=20)
    proof = models.FileField(_("proof"), upload_to="deals/proof/%Y/%m/", max_length=200)
    approved = models.BooleanField(default=False)


# --- contracts and payments (SUB-4) -------------------------------------------------------------


class Contract(ProjectOwned):
    """签约 The contract that follows a subscription, with its payment plan."""

    number = models.PositiveIntegerField(_("contract number"))
    subscription = models.OneToOneField(
        Subscription, on_delete=models.PROTECT, related_name="contract"
    )
    consultant = _consultant()
    payment_plan = models.CharField(_("payment plan"), max_length=12, choices=PaymentPlan.choices)
    total = _money(_("contract price (CNY)"))
    down_payment = _money(_("down payment (CNY)"), default=Decimal("0"))
    loan_amount = _money(_("loan (CNY)"), default=Decimal("0"))
    signed_at = models.DateTimeField(_("signed at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="uniq_contract_number")
        ]
        verbose_name = _("contract")

    def __str__(self):
        return f"HT{self.number:06d}"


class InstalmentKind(models.TextChoices):
    DOWN_PAYMENT = "down_payment", _("Down payment")  # 首付
    INSTALMENT = "instalment", _("Instalment")  # 分期款
    LOAN = "loan", _("Mortgage loan")  # 按揭贷款
    FULL = "full", _("Full payment")  # 一次性房款


class Instalment(models.Model):
    """One amount due on a date under a contract's payment plan."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=14, choices=InstalmentKind.choices)
    due_date = models.DateField(_("due"))
    amount = _money(_("amount (CNY)"))
    # What the payments cover of it, in due order: recomputed under the subscription's lock
    # by every payment service, never edited on its own.
    paid = _money(_("paid (CNY)"), default=Decimal("0"))

    class Meta:
        ordering = ["contract", "position"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="uniq_instalment")
        ]
        indexes = [models.Index(fields=["due_date"])]

    def __str__(self):
        return f"{self.due_date} {self.amount}"


class Payment(ProjectOwned):
    """A payment (or, negative, a refund with its reason) on a subscription's deal.

    Payments are not tied to instalments one by one: what was paid in total is spread over
    the contract's instalments in due order (``Instalment.paid``), so a partial payment, a
    payment covering two instalments and a refund all keep the plan consistent."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=14, decimal_places=2, validators=SIGNED_MONEY_RANGE
    )
    method = models.CharField(_("paid by"), max_length=12, choices=PaymentMethod.choices)
    receipt_no = models.CharField(_("receipt number"), max_length=40, blank=True)
    paid_on = models.DateField(_("paid on"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    scope = ScopeSpec(company="company", project="project", owner="subscription__consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["subscription", "paid_on"])]
        verbose_name = _("payment")


# --- sales changes (SUB-5) ----------------------------------------------------------------------


class ChangeKind(models.TextChoices):
    CHANGE_UNIT = "change_unit", _("Change unit")  # 换房
    RENAME = "rename", _("Change the buyer")  # 更名
    ADD_CO_BUYER = "add_co_buyer", _("Add a co-buyer")
    REMOVE_CO_BUYER = "remove_co_buyer", _("Remove a co-buyer")
    PRICE_ADJUSTMENT = "price_adjustment", _("Price adjustment")
    CANCELLATION = "cancellation", _("Cancellation")  # 退房


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SalesChange(ProjectOwned):
    """销售业务变更 A requested change to a subscription; applied when approved."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("change"), max_length=20, choices=ChangeKind.choices)
    payload = models.JSONField(default=dict)
    reason = models.TextField(_("reason"), max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="subscription__consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subscription", "status"])]
        verbose_name = _("sales change")


# --- payment reminders (SUB-4, MSG-4) -----------------------------------------------------------

# The texts a company starts from; fields as in message templates (MSG-1), {金额} {到期日}
# {合同号} {款项} filled in by the reminder itself (``reminders.py``). Service messages: no
# 回T退订, never suppressed by a marketing opt-out.
DEFAULT_REMINDER_BEFORE_TEXT = (
    "{称呼}您好，您在{项目}的购房合同{合同号}{款项}{金额}元将于{到期日}到期，"
    "请按时缴付。如已缴付请忽略。"
)
DEFAULT_REMINDER_OVERDUE_TEXT = (
    "{称呼}您好，您在{项目}的购房合同{合同号}{款项}{金额}元已于{到期日}到期，"
    "目前尚未缴清，请尽快缴付。如已缴付请忽略。"
)
REMINDER_TEXT_LENGTH = 500


class PaymentReminderSettings(CompanyOwned):
    """A company's payment reminders: on or off, how many days before a due date, the texts.

    No row means the defaults (on, 7 days, the texts above); the settings page writes one on
    the first change."""

    enabled = models.BooleanField(_("send payment reminders"), default=True)
    days_before = models.PositiveSmallIntegerField(
        _("remind before the due date (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    before_text = models.TextField(
        _("text before the due date"),
        max_length=REMINDER_TEXT_LENGTH,
        default=DEFAULT_REMINDER_BEFORE_TEXT,
    )
    overdue_text = models.TextField(
        _("text when overdue"),
        max_length=REMINDER_TEXT_LENGTH,
        default=DEFAULT_REMINDER_OVERDUE_TEXT,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company"], name="uniq_payment_reminder_settings")
        ]
        verbose_name = _("payment reminder settings")
        verbose_name_plural = _("payment reminder settings")

    def __str__(self):
        return f"payment reminders {self.company_id}"
