"""Sales reception (SAL-1 … SAL-5): calls, visits, follow-up tasks, opportunities.

Every row belongs to one project of one company (ORG-1) and to the consultant who handles
it (``owner`` in the scope), so a consultant sees his own, a sales manager his project's.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned, ProjectOwned
from anju.core.scope import ScopedQuerySet, ScopeSpec
from anju.core.validation import MONEY_RANGE, NOTE_LENGTH, NOTE_MAX_LENGTH, SORT_ORDER_RANGE

# The reception standards of seed 001 (万科客户接待流程).
MAX_RINGS = 3  # 铃响 3 声以内必须接听
MAX_CALL_SECONDS = 10 * 60  # 接听客户来电不应超过十分钟
MAX_WAIT_SECONDS = 60  # 客户等待时间不超过 1 分钟


class RiskFactor(ProjectOwned):
    """风险提示 A known adverse factor of a project that every visitor must be told about."""

    title = models.CharField(_("adverse factor"), max_length=200)
    description = models.TextField(
        _("what to tell the customer"),
        blank=True,
        max_length=NOTE_MAX_LENGTH,
        validators=NOTE_LENGTH,
    )
    sort_order = models.PositiveSmallIntegerField(
        _("order"), default=0, validators=SORT_ORDER_RANGE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["project", "sort_order", "id"]
        verbose_name = _("risk factor")
        verbose_name_plural = _("risk factors")

    def __str__(self):
        return self.title


class PhoneCall(ProjectOwned):
    """来电 One phone inquiry (SAL-1), answered by a consultant."""

    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
    )
    called_at = models.DateTimeField(_("call time"))
    # The reception standards' measures (issue 9 item 6): entered by the consultant, never
    # defaulted; NULL = not recorded, shown as missing in the metrics, never as met.
    rings = models.PositiveSmallIntegerField(
        _("rings before answer"), null=True, blank=True, validators=[MaxValueValidator(99)]
    )
    answer_seconds = models.PositiveIntegerField(
        _("seconds to answer"), null=True, blank=True, validators=[MaxValueValidator(3600)]
    )
    duration_seconds = models.PositiveIntegerField(
        _("call duration (seconds)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(24 * 3600)],
    )
    form_opened_at = models.DateTimeField(_("form opened at"), null=True, blank=True)
    phone = models.CharField(_("caller's number"), max_length=20, blank=True)
    caller_name = models.CharField(_("caller's name"), max_length=50, blank=True)
    details_declined = models.BooleanField(_("caller declined to give details"), default=False)
    is_repeat = models.BooleanField(_("repeat caller"), default=False)
    questions = models.TextField(
        _("questions asked"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    visit_wanted = models.BooleanField(_("wants to visit"), default=False)
    visit_booked_for = models.DateTimeField(_("visit booked for"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-called_at", "-id"]
        indexes = [
            models.Index(fields=["project", "phone", "called_at"]),
            models.Index(fields=["consultant", "-called_at"]),
            models.Index(fields=["project", "-called_at"]),
            models.Index(fields=["company", "-called_at"]),
            # the group's list has no company prefix (issue 10 item 1)
            models.Index(fields=["-called_at", "-id"], name="call_newest_all"),
            # Tomorrow's booked visits of a company, for their reminders (MSG-4).
            models.Index(
                fields=["company", "visit_booked_for"],
                condition=models.Q(visit_booked_for__isnull=False),
                name="call_booked_for",
            ),
        ]
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")

    def __str__(self):
        when = timezone.localtime(self.called_at)
        return f"{self.caller_name or self.phone or '—'} @ {when:%Y-%m-%d %H:%M}"

    @property
    def answered_in_time(self) -> bool | None:
        """None: the rings were not recorded (missing, not met)."""
        return None if self.rings is None else self.rings <= MAX_RINGS

    @property
    def too_long(self) -> bool | None:
        return None if self.duration_seconds is None else self.duration_seconds > MAX_CALL_SECONDS


class Visit(ProjectOwned):
    """来访 A customer's visit to the sales office (SAL-3)."""

    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    # Who received the visitor (issue 9 item 3): the consultant on duty. Usually the
    # consultant credited above; for a colleague's protected customer the visit is credited to
    # the owner and this is the colleague who greeted him until the hand-over.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    arrived_at = models.DateTimeField(_("arrival"))
    # NULL = not recorded (issue 9 item 6): the wait is then missing in the metrics, not met.
    reception_started_at = models.DateTimeField(_("reception started"), null=True, blank=True)
    waiting_seconds = models.PositiveIntegerField(
        _("waiting time (seconds)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(12 * 3600)],
    )
    form_opened_at = models.DateTimeField(_("form opened at"), null=True, blank=True)
    party_size = models.PositiveSmallIntegerField(
        _("party size"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    products_shown = models.TextField(
        _("products shown"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    # Picked from the project's inventory (issue 9 item 10); products_shown keeps their names.
    units_shown = models.ManyToManyField(
        "inventory.Unit", verbose_name=_("units shown"), blank=True, related_name="+"
    )
    layouts_shown = models.JSONField(_("layouts shown"), default=list, blank=True)
    # The call that booked this visit (SAL-1 → SAL-3), when there was one.
    booked_call = models.ForeignKey(
        PhoneCall,
        verbose_name=_("booked by the call"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booked_visits",
    )
    risk_factors_disclosed = models.ManyToManyField(
        RiskFactor, verbose_name=_("risk factors disclosed"), blank=True, related_name="+"
    )
    # Counted when the visit is registered, so later edits of the list keep history honest.
    risk_factors_total = models.PositiveSmallIntegerField(default=0)
    risk_factors_disclosed_count = models.PositiveSmallIntegerField(default=0)
    club_invited = models.BooleanField(_("invited to the club"), default=False)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-arrived_at", "-id"]
        indexes = [
            models.Index(fields=["consultant", "-arrived_at"]),
            models.Index(fields=["project", "-arrived_at"]),
            models.Index(fields=["company", "-arrived_at"]),
            models.Index(fields=["-arrived_at", "-id"], name="visit_newest_all"),  # the group
        ]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self):
        return f"{self.customer_id} @ {timezone.localtime(self.arrived_at):%Y-%m-%d %H:%M}"

    @property
    def waited_in_time(self) -> bool | None:
        """None: the reception start was not recorded (missing, not met)."""
        return None if self.waiting_seconds is None else self.waiting_seconds < MAX_WAIT_SECONDS

    @property
    def fully_disclosed(self) -> bool:
        return self.risk_factors_disclosed_count >= self.risk_factors_total


class TaskKind(models.TextChoices):
    SMS = "sms", _("Thank-you SMS")
    CALL = "call", _("Invitation call")
    VISIT_CONFIRMATION = "visit_confirmation", _("Visit confirmation call")
    REVISIT = "revisit", _("Revisit")
    VISIT_BY_COLLEAGUE = "visit_by_colleague", _("Your customer visited; a colleague received")
    FOLLOW_UP = "follow_up", _("Follow-up call")
    IN_PERSON = "in_person", _("Visit in person")  # SUR-4: a very dissatisfied answer


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


TASK_TRANSITIONS = {
    TaskStatus.OPEN: {TaskStatus.DONE, TaskStatus.CANCELLED},
    TaskStatus.DONE: set(),
    TaskStatus.CANCELLED: set(),
}


class FollowUpTask(ProjectOwned):
    """跟进任务 A follow-up generated by the rules (SAL-2) or scheduled after a deal (SAL-5)."""

    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    rule = models.CharField(_("rule"), max_length=40)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_date = models.DateField(_("due date"))
    title = models.CharField(_("task"), max_length=200)
    message = models.TextField(
        _("message text"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="followup_tasks",
    )
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.BigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    # The calls this task follows up: the one that created it and any later call of the same
    # customer the same local day that folded into it (issue 9 item 2).
    calls = models.ManyToManyField(
        PhoneCall, verbose_name=_("calls followed up"), blank=True, related_name="followup_tasks"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.TextField(
        _("outcome"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    # SAL-5 revisit results
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    needs_changed = models.BooleanField(_("needs changed"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="assignee")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_date"]),
            models.Index(fields=["project", "status", "due_date"]),
            models.Index(fields=["company", "status", "due_date"]),
            # the group's list, all tasks or by status (issue 10 item 1)
            models.Index(fields=["due_date", "id"], name="task_due_all"),
            models.Index(fields=["status", "due_date", "id"], name="task_status_due_all"),
            models.Index(fields=["customer", "-due_date"]),
            models.Index(fields=["source_type", "source_id"]),
        ]
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")

    def __str__(self):
        return f"{self.title} ({self.due_date})"

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())

    def overdue_on(self, today) -> bool:
        """Open and due before ``today`` (a list asks with one date for all its rows)."""
        return self.status == TaskStatus.OPEN and self.due_date < today


class FollowUpSettings(CompanyOwned):
    """A company's timings of the follow-up rules (SAL-2, SAL-5), in calendar days.

    No row means the defaults (``followup_rules.DEFAULT_TIMING``); the settings page writes
    one on the first change.
    """

    invitation_days = models.PositiveSmallIntegerField(
        _("invitation call after (days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    confirmation_days_before = models.PositiveSmallIntegerField(
        _("confirmation call before the visit (days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
    )
    no_intent_days = models.PositiveSmallIntegerField(
        _("follow-up call without visit intent after (days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    post_visit_days = models.PositiveSmallIntegerField(
        _("post-visit follow-up after (days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    # SAL-5: revisits after the deal's key moments
    subscription_revisit_days = models.PositiveSmallIntegerField(
        _("revisit after a subscription (days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    signing_revisit_days = models.PositiveSmallIntegerField(
        _("revisit after a signing (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company"], name="uniq_followup_settings_company")
        ]
        verbose_name = _("follow-up settings")
        verbose_name_plural = _("follow-up settings")

    def __str__(self):
        return f"follow-up settings {self.company_id}"


class _Reason(CompanyOwned):
    """A managed list entry (per company) explaining why opportunities are won or lost."""

    name = models.CharField(_("reason"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(
        _("order"), default=0, validators=SORT_ORDER_RANGE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["company", "sort_order", "id"]

    def __str__(self):
        return self.name


class WinReason(_Reason):
    class Meta(_Reason.Meta):
        verbose_name = _("win reason")
        verbose_name_plural = _("win reasons")


class LossReason(_Reason):
    class Meta(_Reason.Meta):
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")


class Stage(models.TextChoices):
    CONTACT = "contact", _("First contact")  # 初步接触
    NEEDS = "needs", _("Needs confirmed")  # 需求确认
    PROPOSAL = "proposal", _("Units proposed")  # 推荐房源
    NEGOTIATION = "negotiation", _("Negotiation")  # 价格洽谈
    WON = "won", _("Won")  # 赢得
    LOST = "lost", _("Lost")  # 丢失


OPEN_STAGES = (Stage.CONTACT, Stage.NEEDS, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)
STAGE_TRANSITIONS = {
    **{s: set(Stage) - {s} for s in OPEN_STAGES},
    Stage.WON: set(),
    Stage.LOST: set(),
}


class Opportunity(ProjectOwned):
    """销售机会 A chance to sell to a customer (SAL-4), closed as won or lost with a reason."""

    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default="contact")
    products_of_interest = models.CharField(_("products of interest"), max_length=300)
    # An opportunity opened from a visit carries what was shown there (issue 9 item 10).
    source_visit = models.ForeignKey(
        Visit,
        verbose_name=_("opened from the visit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    units_of_interest = models.ManyToManyField(
        "inventory.Unit", verbose_name=_("units of interest"), blank=True, related_name="+"
    )
    expected_value = models.DecimalField(
        _("expected value (CNY)"), max_digits=14, decimal_places=2, validators=MONEY_RANGE
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    win_reason = models.ForeignKey(
        WinReason,
        verbose_name=_("win reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    loss_reason = models.ForeignKey(
        LossReason,
        verbose_name=_("loss reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_note = models.TextField(
        _("closing note"), blank=True, max_length=NOTE_MAX_LENGTH, validators=NOTE_LENGTH
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project", owner="consultant")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["consultant", "stage"]),
            models.Index(fields=["project", "stage"]),
            models.Index(fields=["company", "stage"]),
            models.Index(fields=["company", "closed_at"]),
            # the list, newest first, at every scope level (issue 10 item 1)
            models.Index(fields=["-created_at", "-id"], name="opp_newest_all"),
            models.Index(fields=["company", "-created_at", "-id"], name="opp_newest_company"),
            models.Index(fields=["project", "-created_at", "-id"], name="opp_newest_project"),
            models.Index(fields=["consultant", "-created_at", "-id"], name="opp_newest_consultant"),
        ]
        verbose_name = _("sales opportunity")
        verbose_name_plural = _("sales opportunities")

    def __str__(self):
        return f"{self.customer_id} · {self.products_of_interest}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


# --- reception order (接待顺序, seed 001; issue 9 item 3) -----------------------------------------


class DeskDay(ProjectOwned):
    """One day of one sales office's reception order. Its row is the lock every change of that
    day's order takes, so two receptionists never hand the same turn out twice."""

    day = models.DateField(_("day"))

    class Meta:
        ordering = ["-day", "project"]
        constraints = [
            models.UniqueConstraint(fields=["project", "day"], name="uniq_desk_day_per_project")
        ]
        verbose_name = _("reception order")
        verbose_name_plural = _("reception orders")

    def __str__(self):
        return f"{self.project_id} {self.day}"


class DutyStatus(models.TextChoices):
    ON_DUTY = "on_duty", _("On duty")
    STEPPED_OUT = "stepped_out", _("Stepped out")
    OFF = "off", _("Off duty")


class DutySlot(ProjectOwned):
    """A consultant's place in a day's reception order.

    ``queue_key`` orders the queue: the next walk-in goes to the consultant on duty with the
    smallest key, whose key then moves past everyone else's (to the back of the queue). A
    consultant who steps out keeps his key: back at the desk, he has his place again.
    """

    desk_day = models.ForeignKey(DeskDay, on_delete=models.CASCADE, related_name="slots")
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    queue_key = models.PositiveIntegerField(_("place in the order"))
    status = models.CharField(
        _("status"), max_length=12, choices=DutyStatus.choices, default=DutyStatus.ON_DUTY
    )

    class Meta:
        ordering = ["desk_day", "queue_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["desk_day", "consultant"], name="uniq_duty_slot_per_consultant"
            )
        ]
        verbose_name = _("duty slot")
        verbose_name_plural = _("duty slots")

    def __str__(self):
        return f"{self.consultant_id} #{self.queue_key}"


class TurnKind(models.TextChoices):
    IN_ORDER = "in_order", _("Walk-in, next in order")  # 轮排
    ASKED_FOR = "asked_for", _("Customer asked for his consultant")  # 指定
    # Looked up at the desk and known: he goes to his own consultant (issue 9 item 3).
    RETURNING = "returning", _("Returning customer, goes to his consultant")  # 老客户
    SKIPPED = "skipped", _("Skipped")  # 跳过


class DeskTurn(ProjectOwned):
    """One entry of the reception desk's book: a walk-in handed to a consultant, or a
    consultant skipped (with the reason). The fairness table counts these. A returning
    customer's turn names his owner; the customer himself is the subject of its event only,
    so the book never shows who he is."""

    desk_day = models.ForeignKey(DeskDay, on_delete=models.CASCADE, related_name="turns")
    kind = models.CharField(_("kind"), max_length=12, choices=TurnKind.choices)
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consultant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # For a customer who asked for his consultant or a returning customer: who seated him and
    # stayed with him until the hand-over.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["project", "-at"]),
            models.Index(fields=["company", "-at"]),
        ]
        verbose_name = _("desk turn")
        verbose_name_plural = _("desk turns")

    def __str__(self):
        return f"{self.kind} {self.consultant_id} @ {self.at:%Y-%m-%d %H:%M}"
