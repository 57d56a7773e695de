"""Organisation reads, scoped to the user (ORG-2)."""

from .models import Company, Project, User


def companies_visible_to(user):
    return Company.objects.visible_to(user).filter(is_active=True).order_by("code")


def projects_visible_to(user, *, company=None):
    qs = Project.objects.visible_to(user).filter(is_active=True).select_related("company")
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("company__code", "code")


def staff_visible_to(user, *, company=None):
    qs = User.objects.visible_to(user).filter(is_active=True).select_related("company")
    if company is not None:
        qs = qs.filter(company=company)
    return qs.order_by("username")
