"""Customer service (SVC-1 … SVC-7): one ticket engine for complaints, requests and repairs.

A ``Ticket`` is every customer matter the service desk takes: 投诉 complaints with their full
loop (SVC-4), 咨询/建议/表扬, 报修 and the value-added requests, each type with its own short
flow in the same engine (``FLOWS``). Every ticket always has a responsible person and a next
due time (``next_due_at``): the SLA sweep (``sla.py``) flags and escalates what is late, so
nothing falls through. A group complaint (群诉) links several owners' tickets under one
``ServiceCase``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.core.models import CompanyOwned, ProjectOwned, TimeStamped
from anju.core.scope import ScopedModel, ScopedQuerySet, ScopeSpec
from anju.core.validation import MONEY_RANGE, NOTE_LENGTH


def _user(verbose, **kwargs):
    kwargs.setdefault("on_delete", models.PROTECT)
    kwargs.setdefault("related_name", "+")
    return models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=verbose, **kwargs)


class TicketType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")  # 投诉
    CONSULTATION = "consultation", _("Consultation")  # 咨询
    SUGGESTION = "suggestion", _("Suggestion")  # 建议
    PRAISE = "praise", _("Praise")  # 表扬
    REPAIR = "repair", _("Repair request")  # 报修
    DECORATION = "decoration", _("Decoration advice")  # 装修咨询
    LEGAL = "legal", _("Legal advice")  # 法律咨询
    CUSTODY = "custody", _("Rental/resale custody")  # 托管
    PRE_INSPECTION = "pre_inspection", _("Pre-delivery inspection")  # 预先验房
    EXPERT = "expert", _("Expert Q&A")  # 专家答疑, routed to a department


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")  # 热线电话
    EMAIL = "email", _("E-mail")
    WEB_FORM = "web_form", _("Web form")  # 网站表单
    ON_SITE = "on_site", _("On site")  # 现场
    FORUM = "forum", _("Online forum")  # 网上论坛
    TRANSFERRED = "transferred", _("Transferred by a department")  # 相关部门转述
    MEDIA = "media", _("Media")  # 媒体


class Category(models.TextChoices):
    DESIGN = "design", _("Design & planning")  # 规划设计
    QUALITY = "quality", _("Engineering quality")  # 工程质量
    SALES_PROMISE = "sales_promise", _("Sales promises")  # 销售承诺
    SERVICE = "service", _("Service process")  # 服务过程
    PROPERTY = "property", _("Property management")  # 物业管理
    REPAIRS = "repairs", _("Repairs")  # 维修
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SENSITIVE = "sensitive", _("Sensitive")  # 媒体 / 群诉: management at once


class SensitiveReason(models.TextChoices):
    MEDIA = "media", _("Media involved")  # 媒体介入
    GROUP = "group", _("Group complaint")  # 群诉


class ComplainantType(models.TextChoices):
    QUALITY_WATCHER = "quality_watcher", _("Quality watcher")  # 品质监督型
    RATIONAL = "rational", _("Rational")  # 理智型
    NEGOTIATOR = "negotiator", _("Negotiator")  # 谈判型
    VICTIM = "victim", _("Victim")  # 受害者型
    ADVOCATE = "advocate", _("Loyal advocate")  # 忠诚拥护型


class Level(models.IntegerChoices):
    """Who answers for the ticket now (SVC-4 step 9, SVC-5): raised by an unsatisfied
    revisit or a breached time limit, never lowered."""

    AGENT = 0, _("Service agent")  # 客服专员
    SERVICE_MANAGER = 1, _("Service manager")  # 客服经理
    MANAGEMENT = 2, _("Company management")  # 公司管理层


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")  # 非常满意
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    AVERAGE = "average", _("Average")  # 一般
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


class SolutionKind(models.TextChoices):
    REPAIR = "repair", _("Repair")  # 维修
    REPLACE = "replace", _("Replace")  # 更换
    COMPENSATE = "compensate", _("Compensate")  # 赔偿
    EXPLAIN = "explain", _("Explain")  # 解释说明


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")  # 已受理
    ACCEPTED = "accepted", _("Valid, to assign")  # 投诉成立
    ASSIGNED = "assigned", _("Assigned")  # 已派单: the responsible analyses / handles
    ANALYSED = "analysed", _("Cause found")  # 原因已查明: a solution next
    SOLUTION_PENDING = "solution_pending", _("Solution awaiting approval")  # 方案待审批
    SOLUTION_APPROVED = "solution_approved", _("Solution approved")  # 方案已批准
    IMPLEMENTED = "implemented", _("Done, revisits due")  # 已处理，待回访
    CLOSED = "closed", _("Closed")  # 已关闭


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    INVALID = "invalid", _("Not valid")  # 投诉不成立: replied with the explanation
    ANSWERED = "answered", _("Answered at once")  # a consultation answered on the phone


class Handling(models.TextChoices):
    """How a closed ticket was handled (SVC-6): 当即处理 / 期限内处理 / 循环往复处理."""

    AT_ONCE = "at_once", _("At once")  # resolved before the first-response limit
    WITHIN_LIMIT = "within_limit", _("Within the limit")
    LATE = "late", _("After the limit")
    REPEATED = "repeated", _("After repeated loops")  # an unsatisfied revisit sent it back


S = Status
# SVC-4, the complaint loop: an unsatisfied revisit sends it back to cause analysis (ASSIGNED).
COMPLAINT_FLOW = {
    S.RECEIVED: {S.ACCEPTED, S.CLOSED},  # judged valid, or not valid: reply and close
    S.ACCEPTED: {S.ASSIGNED},
    S.ASSIGNED: {S.ANALYSED},
    S.ANALYSED: {S.SOLUTION_PENDING},
    S.SOLUTION_PENDING: {S.SOLUTION_APPROVED, S.ANALYSED},  # approved, or rejected/withdrawn
    S.SOLUTION_APPROVED: {S.IMPLEMENTED},
    S.IMPLEMENTED: {S.CLOSED, S.ASSIGNED},
    S.CLOSED: set(),
}
# Requests (咨询, 建议, 报修, the value-added services): answered at once, or assigned, done,
# revisited where required, closed. A repair revisit 不满意 sends it back to the responsible.
REQUEST_FLOW = {
    S.RECEIVED: {S.ASSIGNED, S.CLOSED},
    S.ASSIGNED: {S.IMPLEMENTED},
    S.IMPLEMENTED: {S.CLOSED, S.ASSIGNED},
    S.CLOSED: set(),
}
PRAISE_FLOW = {S.RECEIVED: {S.CLOSED}, S.CLOSED: set()}  # thanked, passed on, closed

FLOWS = {t: REQUEST_FLOW for t in TicketType.values}
FLOWS[TicketType.COMPLAINT] = COMPLAINT_FLOW
FLOWS[TicketType.PRAISE] = PRAISE_FLOW

OPEN_STATUSES = tuple(s for s in Status.values if s != Status.CLOSED)


def required_revisits(ticket_type: str, category: str) -> int:
    """SVC-4 step 8: an engineering-quality complaint needs 2 revisits, any other complaint
    and a repair 1; consultations, suggestions and praise none (a revisit may still be made)."""
    if ticket_type == TicketType.COMPLAINT:
        return 2 if category == Category.QUALITY else 1
    if ticket_type == TicketType.REPAIR:
        return 1
    return 0


class ServiceSettings(ScopedModel, models.Model):
    """A company's service desk settings: who takes tickets nobody is named for (the public
    form's), and the working days within which a revisit is due (SVC-4: 5)."""

    company = models.OneToOneField(
        "org.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    intake_user = _user(
        _("takes unassigned tickets"), null=True, blank=True, on_delete=models.SET_NULL
    )
    revisit_working_days = models.PositiveSmallIntegerField(
        _("revisit within (working days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(company="company")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service settings")

    def __str__(self):
        return f"{self.company_id}"


class SlaPolicy(CompanyOwned):
    """Time limits per ticket type and severity (SVC-5), in minutes, counted 24/7."""

    ticket_type = models.CharField(_("type"), max_length=16, choices=TicketType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(43200)]
    )
    solution_minutes = models.PositiveIntegerField(
        _("solution (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(259200)]
    )
    closure_minutes = models.PositiveIntegerField(
        _("closure (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(525600)]
    )

    class Meta:
        ordering = ["company", "ticket_type", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "ticket_type", "severity"], name="uniq_sla_policy"
            )
        ]
        verbose_name = _("time limit")


class ServiceCase(ProjectOwned):
    """群诉 One issue several owners complain about: their tickets are linked here."""

    title = models.CharField(_("title"), max_length=100)
    created_by = _user(_("created by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("group case")

    def __str__(self):
        return self.title


class Ticket(ProjectOwned):
    """客服工单 One customer matter, from receipt to closure (SVC-1 … SVC-5)."""

    number = models.PositiveIntegerField(_("number"))  # allocate_number per company
    ticket_type = models.CharField(_("type"), max_length=16, choices=TicketType.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.OTHER
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    sensitive_reason = models.CharField(
        _("why sensitive"), max_length=8, choices=SensitiveReason.choices, blank=True
    )
    complainant_type = models.CharField(
        _("complainant type"), max_length=16, choices=ComplainantType.choices, blank=True
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # Who contacted us when no customer record is linked yet (the public form, a neighbour).
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # SVC-6 counts by customer class (A/B/C/D = the customer's grade), taken at receipt.
    customer_class = models.CharField(_("customer class"), max_length=1, blank=True)
    unit = models.ForeignKey(
        "inventory.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    case = models.ForeignKey(
        ServiceCase,
        verbose_name=_("group case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=100)
    description = models.TextField(_("what happened"), validators=NOTE_LENGTH)
    demand = models.TextField(_("what the customer asks for"), blank=True, validators=NOTE_LENGTH)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    level = models.PositiveSmallIntegerField(
        _("escalation level"), choices=Level.choices, default=Level.AGENT
    )
    loops = models.PositiveSmallIntegerField(_("loops"), default=0)  # unsatisfied revisits
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible = _user(_("responsible"))
    received_by = _user(_("received by"), null=True, blank=True)

    cause = models.TextField(_("cause"), blank=True, validators=NOTE_LENGTH)
    reply = models.TextField(_("reply to the customer"), blank=True, validators=NOTE_LENGTH)
    summary = models.TextField(_("closing summary"), blank=True, validators=NOTE_LENGTH)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    handling = models.CharField(_("handling"), max_length=14, choices=Handling.choices, blank=True)
    satisfaction = models.CharField(  # the last revisit's answer
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )

    # The clocks (SVC-5), 24/7. ``next_due_at`` is the earliest limit still running.
    received_at = models.DateTimeField(_("received at"))
    first_response_due = models.DateTimeField(_("first response due"))
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    solution_due = models.DateTimeField(_("solution due"))
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    closure_due = models.DateTimeField(_("closure due"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    revisit_due_on = models.DateField(_("revisit due"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)  # flagged by the sweep

    scope = ScopeSpec(company="company", project="project", owner="responsible")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="uniq_ticket_number"),
            # Nothing can fall through: an open ticket always has its next due time.
            models.CheckConstraint(
                condition=Q(status="closed") | Q(next_due_at__isnull=False),
                name="open_ticket_has_next_due",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "next_due_at"]),
            models.Index(fields=["project", "status", "received_at"]),
            models.Index(fields=["responsible", "status", "next_due_at"]),
            # The SLA sweep's read: open, not yet flagged, due by now.
            models.Index(
                fields=["next_due_at"],
                condition=~Q(status="closed") & Q(overdue=False),
                name="service_ticket_sweep",
            ),
            models.Index(fields=["company", "received_at"]),
            models.Index(fields=["customer", "received_at"]),
            models.Index(fields=["unit", "received_at"]),
            # The monthly report (SVC-6): complaints by month received and closed, per
            # company or project, answered from the index alone (the columns it counts by
            # are in the key: SQLite has no INCLUDE). The closed ones also find the tickets
            # still open at a month's end (closed_at null or later).
            models.Index(
                fields=["company", "received_at", "customer_class", "category"],
                condition=Q(ticket_type="complaint"),
                name="service_complaint_received",
            ),
            models.Index(
                fields=["project", "received_at", "customer_class", "category"],
                condition=Q(ticket_type="complaint"),
                name="service_complaint_received_p",
            ),
            models.Index(
                fields=["company", "closed_at", "handling"],
                condition=Q(ticket_type="complaint"),
                name="service_complaint_closed",
            ),
            models.Index(
                fields=["project", "closed_at", "handling"],
                condition=Q(ticket_type="complaint"),
                name="service_complaint_closed_p",
            ),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self):
        return f"KF{self.number:06d}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def flow(self) -> dict:
        return FLOWS[self.ticket_type]

    @property
    def revisits_required(self) -> int:
        return required_revisits(self.ticket_type, self.category)


class TicketSolution(ScopedModel, TimeStamped):
    """处理方案 A proposed solution (SVC-4 step 5); approved by a manager (step 6)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="solutions")
    kind = models.CharField(_("solution"), max_length=12, choices=SolutionKind.choices)
    description = models.TextField(_("what will be done"), validators=NOTE_LENGTH)
    compensation = models.DecimalField(
        _("compensation (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=MONEY_RANGE,
    )
    proposed_by = _user(_("proposed by"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    approval = models.ForeignKey(
        "approvals.ApprovalRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope = ScopeSpec(
        company="ticket__company", project="ticket__project", owner="ticket__responsible"
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("solution")


class TicketRevisit(ScopedModel, TimeStamped):
    """回访 Customer service asks the customer how it went (SVC-4 step 8)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="revisits")
    loop = models.PositiveSmallIntegerField(_("loop"), default=0)  # the ticket's loops then
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices)
    comment = models.TextField(_("what the customer said"), blank=True, validators=NOTE_LENGTH)
    revisited_at = models.DateTimeField(_("revisited at"))
    due_on = models.DateField(_("was due"), null=True, blank=True)
    by = _user(_("revisited by"))

    scope = ScopeSpec(
        company="ticket__company", project="ticket__project", owner="ticket__responsible"
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["revisited_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "loop"]),
            # the monthly report's revisits by month and answer
            models.Index(
                fields=["revisited_at", "ticket", "satisfaction"], name="service_revisit_month"
            ),
        ]
        verbose_name = _("revisit")


def attachment_path(instance, filename):
    # Private: under MEDIA_ROOT, which no URL serves; the ticket's page streams it to who
    # may see the ticket. The stored name is ours, never the uploader's.
    return f"service/{instance.ticket.company_id}/{instance.ticket_id}/{instance.token}"


class TicketAttachment(ScopedModel, TimeStamped):
    """A photo of the problem, served only to who may see the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    token = models.CharField(max_length=40, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = _user(_("uploaded by"), null=True, blank=True)

    scope = ScopeSpec(
        company="ticket__company", project="ticket__project", owner="ticket__responsible"
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")


class EscalationStage(models.TextChoices):
    RECEIPT = "receipt", _("Sensitive at receipt")
    FIRST_RESPONSE = "first_response", _("First response late")
    SOLUTION = "solution", _("Solution late")
    CLOSURE = "closure", _("Closure late")
    REVISIT = "revisit", _("Revisit late")
    UNSATISFIED = "unsatisfied", _("Customer not satisfied")


class TicketEscalation(ScopedModel, TimeStamped):
    """One escalation notice: the sweep notifies each late stage of each loop once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="escalations")
    stage = models.CharField(_("stage"), max_length=16, choices=EscalationStage.choices)
    loop = models.PositiveSmallIntegerField(default=0)
    step = models.PositiveSmallIntegerField(default=0)  # which revisit was late
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    due_at = models.DateTimeField(_("was due"), null=True, blank=True)

    scope = ScopeSpec(
        company="ticket__company", project="ticket__project", owner="ticket__responsible"
    )
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "stage", "loop", "step"], name="uniq_ticket_escalation"
            )
        ]
        verbose_name = _("escalation")


from .delivery_models import *  # noqa: E402,F401,F403
from .public_models import PublicThrottle, PublicVerification  # noqa: E402, F401  (public form)
