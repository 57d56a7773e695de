"""Organisation (SPEC §0): group → city companies → projects; departments; staff and roles."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.core.roles import Role
from anju.core.scope import ScopedModel, ScopedQuerySet, ScopeSpec


class Holding(models.Model):
    """集团 The group at the top of the tree (one per installation)."""

    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self):
        return self.name


class Company(ScopedModel, models.Model):
    """城市公司 A city company; every business record belongs to one (ORG-1)."""

    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="companies")
    # The prefix of every customer code (SZ0000123): short, so codes fit and stay readable.
    code = models.CharField(
        _("code"),
        max_length=6,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9]{1,5}$",
                _("2 to 6 lowercase letters or digits, starting with a letter (e.g. sz)."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    # CUS-4: how long a consultant's registration protects his customer from colleagues;
    # each logged follow-up renews it.
    customer_protection_days = models.PositiveSmallIntegerField(
        _("customer protection period (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    # CUS-8: a lead with no activity for this long is archived (never deleted).
    stale_lead_days = models.PositiveSmallIntegerField(
        _("stale lead after (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )

    scope = ScopeSpec(company="pk")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("city company")
        verbose_name_plural = _("city companies")

    def __str__(self):
        return self.name


class Project(ScopedModel, models.Model):
    """项目 (楼盘) A development project of a city company."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="projects")
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(company="company", project="pk")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["company__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="uniq_project_code")
        ]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.name


class Department(ScopedModel, models.Model):
    """部门 A department of a company, optionally attached to one project."""

    class Kind(models.TextChoices):
        SALES = "sales", _("Sales")  # 销售
        SERVICE = "service", _("Customer service")  # 客服/客户关系中心
        ENGINEERING = "engineering", _("Engineering")  # 工程/项目管理
        PROPERTY = "property", _("Property management")  # 物业
        MARKETING = "marketing", _("Marketing")  # 营销
        KEY_ACCOUNTS = "key_accounts", _("Key accounts")  # 大客户组
        CALL_CENTRE = "call_centre", _("Call centre")  # 呼叫中心
        MANAGEMENT = "management", _("Management")  # 管理层

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="departments")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="departments"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)

    scope = ScopeSpec(company="company", project="project")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["company__code", "kind", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class StaffManager(UserManager.from_queryset(ScopedQuerySet)):
    def get_by_natural_key(self, username):
        # Logging in: the name typed decides who asks, so no one's scope applies yet.
        return self.unscoped("authentication looks up the login name").get(
            **{self.model.USERNAME_FIELD: username}
        )


class User(ScopedModel, AbstractUser):
    """A staff account. Roles and the projects they apply to are in RoleAssignment."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )

    # A staff member is visible to whoever sees his company; consultants see only themselves.
    scope = ScopeSpec(company="company", owner="pk")
    objects = StaffManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username


class RoleAssignment(ScopedModel, models.Model):
    """A role held by a user in one company, and for project roles in one project."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope = ScopeSpec(company="company", project="project")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "company", "project"], name="uniq_role_assignment"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "company"],
                condition=models.Q(project__isnull=True),
                name="uniq_role_assignment_companywide",
            ),
        ]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self):
        where = self.project or self.company
        return f"{self.get_role_display()} @ {where}"
