"""Customer information (CUS-1 … CUS-8): the profile, its phones and related people."""

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned
from anju.core.scope import ScopedQuerySet, ScopeSpec
from anju.core.validation import (
    AREA_RANGE,
    MONEY_RANGE,
    NOTE_LENGTH,
    NOTE_MAX_LENGTH,
    SORT_ORDER_RANGE,
)

SOURCE_CODE_PATTERN = r"^[a-z][a-z0-9_]{0,19}$"


class CustomerStatus(models.TextChoices):
    """The customer's stage in the lifecycle (SPEC intro, CUS-2)."""

    LEAD = "lead", _("Lead")  # 线索
    VISITOR = "visitor", _("Visitor")  # 来访
    INTENTION = "intention", _("Intention")  # 意向
    SUBSCRIBED = "subscribed", _("Subscribed")  # 认购
    SIGNED = "signed", _("Signed")  # 签约
    OWNER = "owner", _("Owner")  # 交付/入住
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    LOYAL = "loyal", _("Loyal")  # 忠诚
    LIFETIME = "lifetime", _("Lifetime customer")  # 终身


class Source(models.TextChoices):
    """Source channel (CUS-1)."""

    ADVERTISING = "advertising", _("Advertising")  # 广告
    REFERRAL = "referral", _("Friend referral")  # 朋友介绍
    WALK_BY = "walk_by", _("Walk-by")  # 路过
    ONLINE = "online", _("Online")  # 网络
    EXHIBITION = "exhibition", _("Exhibition")  # 展会
    OWNER_REFERRAL = "owner_referral", _("Owner referral")  # 老带新
    KEY_ACCOUNT = "key_account", _("Key account")  # 大客户
    HOTLINE = "hotline", _("Hotline")  # 来电
    OTHER = "other", _("Other")  # 其他


ONLINE_SOURCES = frozenset({Source.ONLINE})


class Grade(models.TextChoices):
    """Intention grade (CUS-2)."""

    A = "A", _("A – ready to buy")
    B = "B", _("B – strong interest")
    C = "C", _("C – some interest")
    D = "D", _("D – little interest")


class LifeStage(models.TextChoices):
    """Life-stage segment (CUS-2), after the 11 segments of a large US home builder."""

    SINGLE_FIRST = "single_first", _("Single first-time buyer")  # 单身首次置业
    YOUNG_COUPLE = "young_couple", _("Young couple")  # 青年之家
    FAMILY_BABY = "family_baby", _("Family with a baby")  # 小太阳
    FAMILY_YOUNG_KIDS = "family_young_kids", _("Family with young children")  # 小学家庭
    FAMILY_TEENS = "family_teens", _("Family with teenagers")  # 中学家庭
    MATURE_FAMILY = "mature_family", _("Mature family")  # 成熟家庭
    THREE_GENERATIONS = "three_generations", _("Three generations")  # 三代同堂
    EMPTY_NEST = "empty_nest", _("Empty nest")  # 空巢
    ACTIVE_SENIOR = "active_senior", _("Active senior")  # 活跃长者
    AFFLUENT_UPGRADER = "affluent_upgrader", _("Affluent upgrader")  # 富贵之家
    INVESTOR = "investor", _("Investor")  # 投资客


class PaymentAbility(models.TextChoices):
    LOW = "low", _("Low")
    MIDDLE = "middle", _("Middle")
    HIGH = "high", _("High")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "U", _("Unknown")


class Purpose(models.TextChoices):
    SELF_USE = "self_use", _("Own use")  # 自住
    INVESTMENT = "investment", _("Investment")  # 投资
    BOTH = "both", _("Both")


# A list shows customers that are not merged into another and, by default, not archived.
LIVE = Q(merged_into__isnull=True)
LIVE_UNARCHIVED = Q(merged_into__isnull=True, archived_at__isnull=True)


class MonthDay(models.Func):
    """A date's month and day as one integer, 5 March → 305: "whose birthday is today" is
    then one equality on an index (MSG-4 birthday greetings at 1M customers).

    Written per database so that the index may hold it: PostgreSQL's EXTRACT on a date is
    immutable, SQLite's substr is deterministic; Django's own ExtractMonth on
    SQLite calls a Python function that a plain sqlite3 connection (backups) does not know.
    """

    output_field = models.IntegerField()
    arity = 1
    template = (
        "CAST(EXTRACT(MONTH FROM %(expressions)s) * 100"
        " + EXTRACT(DAY FROM %(expressions)s) AS INTEGER)"
    )

    def as_sqlite(self, compiler, connection, **extra_context):
        # dates are 'YYYY-MM-DD' text in SQLite; substr is a builtin, usable in an index
        template = "CAST(substr(%(expressions)s, 6, 2) || substr(%(expressions)s, 9, 2) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _newest_first_indexes(*prefixes):
    return [
        models.Index(
            fields=[*([p] if p else []), "-created_at", "-id"],
            condition=LIVE,
            name=f"cust_new_{p or 'all'}",
        )
        for p in prefixes
    ]


def _filter_indexes(*prefixes):
    indexes = []
    for prefix in prefixes:
        fields = list(prefix) if isinstance(prefix, tuple) else [prefix] if prefix else []
        indexes.append(
            models.Index(
                fields=[*fields, "status", "grade", "source", "-created_at", "-id"],
                condition=LIVE_UNARCHIVED,
                name=f"cust_filter_{fields[0] if fields else 'all'}",
            )
        )
    return indexes


class Customer(CompanyOwned):
    """客户 One person known to one city company (CUS-3: one person, one customer).

    ``project`` is where the customer was registered (it decides what project-level roles
    see); ``owner`` is the consultant whose customer this is, protected until
    ``protected_until`` (CUS-4).
    """

    code = models.CharField(_("customer code"), max_length=20, unique=True)
    project = models.ForeignKey(
        "org.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    protected_until = models.DateTimeField(_("protected until"), null=True, blank=True)

    name = models.CharField(_("name"), max_length=50, db_index=True)  # prefix search
    name_pinyin = models.CharField(max_length=200, blank=True, db_index=True)
    name_initials = models.CharField(max_length=50, blank=True, db_index=True)
    gender = models.CharField(
        _("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20)  # primary, normalised
    phone_last4 = models.CharField(max_length=4, db_index=True)
    id_number = models.CharField(_("ID document number"), max_length=30, blank=True)
    occupation = models.CharField(_("occupation"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    family_structure = models.CharField(_("family structure"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    # Needs (CUS-1)
    area_min = models.DecimalField(
        _("area from (m²)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AREA_RANGE,
    )
    area_max = models.DecimalField(
        _("area to (m²)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AREA_RANGE,
    )
    layout_wanted = models.CharField(_("layout wanted"), max_length=50, blank=True)
    budget_min = models.DecimalField(
        _("budget from (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=MONEY_RANGE,
    )
    budget_max = models.DecimalField(
        _("budget to (CNY)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=MONEY_RANGE,
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, blank=True)

    # Classification (CUS-2)
    # A code from the company's managed list of source channels (``SourceChannel``, issue 9
    # item 12); the built-in ``Source`` codes are every company's defaults.
    source = models.CharField(_("source channel"), max_length=20, default=Source.OTHER)
    referrer = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CustomerStatus.choices, default=CustomerStatus.LEAD
    )
    grade = models.CharField(_("intention grade"), max_length=1, choices=Grade.choices, blank=True)
    life_stage = models.CharField(
        _("life stage"), max_length=20, choices=LifeStage.choices, blank=True
    )
    payment_ability = models.CharField(
        _("payment ability"), max_length=6, choices=PaymentAbility.choices, blank=True
    )

    # Data quality and lifecycle (CUS-8, CUS-3 merge)
    completeness = models.PositiveSmallIntegerField(
        _("completeness (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    # SEC-2 (PIPL): set when the personal fields were erased; the row stays as an anonymous
    # fact so counts and reports stay right (customers/privacy.py).
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="owner")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "phone"]),
            models.Index(fields=["company", "phone_last4"]),
            models.Index(fields=["company", "status"]),
            # The list, newest first, at every scope level (issue 10 item 1): the group (no
            # prefix), a company, a project, a consultant's own. Partial on "not merged"
            # like every list; archived rows are few and filtered on the way.
            *_newest_first_indexes(None, "company", "project", "owner"),
            # The list's filters (status, grade, source) at every level, newest first too:
            # the capped count is read from the index alone, and a rare combination's first
            # page does not walk the company (EXPLAIN at 1M: 360 ms → 1 ms).
            *_filter_indexes(None, "company", "project", ("owner", "company")),
            # Today's birthdays of a company (MSG-4 scheduled care): an index read, not a
            # walk of the company's customers; in key order, so a batch resumes after its
            # last key without a sort.
            models.Index(
                models.F("company"),
                MonthDay("birth_date"),
                models.F("id"),
                condition=LIVE_UNARCHIVED & Q(birth_date__isnull=False),
                name="cust_birthday",
            ),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return f"{self.name} ({self.code})"

    def get_source_display(self) -> str:
        """The source channel's name in the company's list; lists annotate the company's
        own name (``sources.with_source_names``), so they need no query per row."""
        from .sources import DEFAULT_SOURCE_NAMES, source_name

        if hasattr(self, "own_source_name"):
            return self.own_source_name or DEFAULT_SOURCE_NAMES.get(self.source, self.source)
        return source_name(self.company_id, self.source)


class SourceChannel(CompanyOwned):
    """来源渠道 A company's managed list of how customers find it (CUS-1, issue 9 item 12).

    ``code`` is what customers store and the API speaks (``douyin``); ``name`` is shown.
    A company without rows uses ``sources.DEFAULT_SOURCES``; its first change writes them.
    """

    code = models.CharField(
        _("code"),
        max_length=20,
        validators=[
            RegexValidator(
                SOURCE_CODE_PATTERN,
                _("Use lower-case letters, digits and _ (starting with a letter)."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(
        _("order"), default=0, validators=SORT_ORDER_RANGE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["company", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="uniq_source_code"),
        ]
        verbose_name = _("source channel")
        verbose_name_plural = _("source channels")

    def __str__(self):
        return self.name


class CustomerPhone(CompanyOwned):
    """Every phone number of a customer; unique per company, so a number finds one person."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(_("phone"), max_length=20)
    label = models.CharField(_("label"), max_length=20, blank=True)

    scope = ScopeSpec(company="company", project="customer__project", owner="customer__owner")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "phone"], name="uniq_company_phone")
        ]
        verbose_name = _("customer phone")

    def __str__(self):
        return self.phone


class RelationKind(models.TextChoices):
    CO_BUYER = "co_buyer", _("Co-buyer")  # 共同购房人
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    OTHER_FAMILY = "other_family", _("Other family")
    REFERRER = "referrer", _("Referred this customer")  # 推荐人
    FRIEND = "friend", _("Friend")


DIRECT_RELATIVES = frozenset({RelationKind.SPOUSE, RelationKind.PARENT, RelationKind.CHILD})


class CustomerRelation(CompanyOwned):
    """A related person (CUS-7): co-buyer, family member (membership discount rules), referrer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relations")
    related = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("relation"), max_length=20, choices=RelationKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = ScopeSpec(company="company", project="customer__project", owner="customer__owner")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "related", "kind"], name="uniq_customer_relation"
            )
        ]
        verbose_name = _("related person")

    def __str__(self):
        return f"{self.customer_id} {self.kind} {self.related_id}"


class CustomerNote(CompanyOwned):
    """备注 A free note on a customer, written on his 360° page (SAL-6): what was said,
    what he worries about. Shown on the timeline; part of his data package; cleared on
    erasure (``notes.py``)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(
        _("note"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )

    scope = ScopeSpec(company="company", project="customer__project", owner="customer__owner")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")

    def __str__(self):
        return f"{self.customer_id}: {self.text[:30]}"


from .privacy_models import ErasureRequest, RetentionPolicy  # noqa: E402,F401  (SEC-2 rows)
