from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from anju.core.admin_base import ScopedAdminMixin, ScopedModelAdmin
from anju.core.errors import ApplicationError

from .models import Company, Department, Holding, Project, RoleAssignment, User
from .services import check_role_place


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["role", "company", "project"]

    def clean(self):
        data = super().clean()
        try:
            check_role_place(
                role=data.get("role"), company=data.get("company"), project=data.get("project")
            )
        except ApplicationError as exc:
            raise forms.ValidationError({exc.field or "role": exc.message}) from exc
        return data


class RoleAssignmentInline(ScopedAdminMixin, admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentForm
    extra = 1
    autocomplete_fields = ["project"]


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    list_display = ["username", "display_name", "company", "department", "is_active"]
    list_filter = ["company", "is_active", "role_assignments__role"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Anju"), {"fields": ["display_name", "phone", "company", "department"]}),
    )
    inlines = [RoleAssignmentInline]


@admin.register(Holding)
class HoldingAdmin(admin.ModelAdmin):
    list_display = ["name"]


@admin.register(Company)
class CompanyAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "city", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Project)
class ProjectAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "company", "is_active"]
    list_filter = ["company"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "company", "project"]
    list_filter = ["company", "kind"]
