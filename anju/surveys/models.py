"""Satisfaction and loyalty surveys (SPEC §7, SUR-1 … SUR-5).

A ``SurveyTemplate`` is one version of a questionnaire for a touchpoint (端口); once a survey
has used it, it is never edited again — a change is a new version, so last year's answers
keep the questions they answered. A ``Survey`` (调查) asks one population of one company
(or one project) with one template version, by SMS or e-mail link or by phone; each person
asked is a ``SurveyResponse`` (答卷) with a link token, and each answer a ``SurveyAnswer``.
The figures (SUR-3) are counted from the answers of the questions that carry a measure.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.core.models import CompanyOwned
from anju.core.scope import ScopeSpec


class Touchpoint(models.TextChoices):
    """端口: where the customer meets the company (the group's yearly survey, seed 000)."""

    SALES = "sales", _("Sales service")  # 销售服务
    DESIGN = "design", _("Planning and design")  # 规划设计
    ENGINEERING = "engineering", _("Engineering quality")  # 工程质量
    REPAIR = "repair", _("Repair service")  # 维修服务
    PROPERTY = "property", _("Property management")  # 物业管理
    COMPLAINT = "complaint", _("Complaint handling")  # 投诉处理
    INTERNAL = "internal", _("Employee satisfaction")  # SUR-5: 员工满意度


# The touchpoints whose very dissatisfied answers the customer's consultant follows up in
# person (SUR-4); the others go to the service person named on the survey.
SALES_TOUCHPOINTS = {Touchpoint.SALES, Touchpoint.DESIGN}


class QuestionKind(models.TextChoices):
    SCALE_5 = "scale5", _("Scale 1–5")
    SCALE_10 = "scale10", _("Scale 1–10")
    CHOICE = "choice", _("One choice")
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", pgettext_lazy("question kind", "Text")


SCALE_TOP = {QuestionKind.SCALE_5: 5, QuestionKind.SCALE_10: 10}


class Measure(models.TextChoices):
    """What a question counts toward in the figures (SUR-3)."""

    NONE = "", _("No figure")
    SATISFACTION = "satisfaction", _("Overall satisfaction")  # 满意率: the top two answers
    INDICATOR = "indicator", _("Satisfaction indicator")  # one of a touchpoint's indicators
    BUY_AGAIN = "buy_again", _("Would buy again")  # 忠诚: with "recommend"
    RECOMMEND = "recommend", _("Would recommend")
    NPS = "nps", _("Likelihood to recommend (NPS)")  # 1–10: 9–10 promote, 1–6 detract


class Population(models.TextChoices):
    """SUR-2: whom a survey asks, by the owner's stage (from contracts and key handovers)."""

    PRE_OWNERS = "pre_owners", _("Signed, not yet delivered (准业主)")
    SETTLING = "settling", _("First year after delivery (磨合期)")
    STABLE = "stable", _("Second year after delivery (稳定期)")
    ESTABLISHED = "established", _("Three years and more (老业主)")
    ALL_OWNERS = "all_owners", _("Everyone who signed")
    STAFF = "staff", _("The company's staff (internal survey)")


class SurveyChannel(models.TextChoices):
    SMS = "sms", _("SMS link")
    EMAIL = "email", pgettext_lazy("survey channel", "E-mail link")
    PHONE = "phone", _("By phone")


class SurveyTemplate(models.Model):
    """问卷模板 One version of a questionnaire (group-wide: every company asks alike, so
    their figures compare)."""

    touchpoint = models.CharField(_("touchpoint"), max_length=12, choices=Touchpoint.choices)
    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    is_current = models.BooleanField(_("current"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["touchpoint", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["touchpoint"],
                condition=models.Q(is_current=True),
                name="uniq_current_survey_template",
            )
        ]
        verbose_name = _("survey template")

    def __str__(self):
        return f"{self.name} v{self.version}"


class SurveyQuestion(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("question"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=QuestionKind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    measure = models.CharField(
        _("measure"), max_length=12, choices=Measure.choices, default="", blank=True
    )
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="uniq_question_position")
        ]
        verbose_name = _("survey question")

    def __str__(self):
        return self.text


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("survey status", "Draft")
    OPEN = "open", pgettext_lazy("survey status", "Open")
    CLOSED = "closed", pgettext_lazy("survey status", "Closed")


SURVEY_TRANSITIONS = {
    SurveyStatus.DRAFT: {SurveyStatus.OPEN},
    SurveyStatus.OPEN: {SurveyStatus.CLOSED},
    SurveyStatus.CLOSED: set(),
}


class Survey(CompanyOwned):
    """调查 One company's (or project's) survey of one population with one template."""

    project = models.ForeignKey(
        "org.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("questionnaire"), on_delete=models.PROTECT, related_name="+"
    )
    touchpoint = models.CharField(_("touchpoint"), max_length=12, choices=Touchpoint.choices)
    population = models.CharField(_("population"), max_length=12, choices=Population.choices)
    channel = models.CharField(_("channel"), max_length=6, choices=SurveyChannel.choices)
    year = models.PositiveSmallIntegerField(
        _("survey year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # SUR-4: who visits a very dissatisfied customer of a service touchpoint in person.
    follow_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("follows up very dissatisfied answers"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project")

    class Meta:
        ordering = ["-year", "-created_at", "-id"]
        indexes = [models.Index(fields=["company", "year", "touchpoint"])]
        verbose_name = _("survey")

    def __str__(self):
        return self.name


class ResponseStatus(models.TextChoices):
    INVITED = "invited", pgettext_lazy("survey response", "Invited")
    ANSWERED = "answered", pgettext_lazy("survey response", "Answered")
    DECLINED = "declined", pgettext_lazy("survey response", "Declined")  # 拒访, on the phone


class CallOutcome(models.TextChoices):
    """A phone call that brought no answers (the agent records it; SUR-2)."""

    NO_ANSWER = "no_answer", _("No answer, call again")  # 未接通
    DECLINED = "declined", _("Declined the survey")  # 拒访


class SurveyResponse(CompanyOwned):
    """答卷 One person asked: his link's token, and once he answered, when and how."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    project = models.ForeignKey(
        "org.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    staff = models.ForeignKey(  # SUR-5: an employee asked (his answers are not shown by name)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(max_length=43, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ResponseStatus.choices, default=ResponseStatus.INVITED
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_via = models.CharField(
        _("answered via"), max_length=6, choices=SurveyChannel.choices, blank=True
    )
    taken_by = models.ForeignKey(  # who asked the questions on the phone
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    follow_up_task_id = models.BigIntegerField(null=True, blank=True)  # SUR-4, reception's task
    calls = models.PositiveSmallIntegerField(_("calls without answers"), default=0)
    last_call_at = models.DateTimeField(_("last call"), null=True, blank=True)

    scope = ScopeSpec(company="company", project="project")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "customer"],
                condition=models.Q(customer__isnull=False),
                name="uniq_survey_customer",
            ),
            models.UniqueConstraint(
                fields=["survey", "staff"],
                condition=models.Q(staff__isnull=False),
                name="uniq_survey_staff",
            ),
        ]
        indexes = [models.Index(fields=["survey", "status"])]
        verbose_name = _("survey response")

    def __str__(self):
        return f"{self.survey_id}:{self.pk}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # scales; yes = 1, no = 0
    text = models.CharField(max_length=500, blank=True)  # a choice, or the words written

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="uniq_answer")]
        indexes = [models.Index(fields=["question", "score"])]
        verbose_name = _("survey answer")

    def __str__(self):
        return f"{self.response_id}:{self.question_id}"
