"""System checks: every concrete Anju model with a company declares its scope (ORG-1/ORG-2),
and every model declaring a scope is read through a ScopedQuerySet (issue 7 item 6)."""

from django.apps import apps
from django.core import checks

from .scope import ScopedModel, ScopedQuerySet


@checks.register()
def business_models_declare_scope(app_configs=None, **kwargs):
    errors = []
    for model in apps.get_models():
        if not model.__module__.startswith("anju."):
            continue
        has_company = any(f.name == "company" for f in model._meta.get_fields())
        if has_company and getattr(model, "scope", None) is None:
            errors.append(
                checks.Error(
                    f"{model._meta.label} belongs to a company but declares no scope",
                    hint="Add scope = ScopeSpec(...) and objects = ScopedQuerySet.as_manager()",
                    id="anju.E001",
                )
            )
    return errors


@checks.register()
def scoped_models_refuse_undecided_reads(app_configs=None, **kwargs):
    """A model with ``scope`` whose default manager is a plain one would read unscoped."""
    errors = []
    for model in apps.get_models():
        if getattr(model, "scope", None) is None:
            continue
        if not isinstance(model._default_manager.all(), ScopedQuerySet):
            errors.append(
                checks.Error(
                    f"{model._meta.label} declares a scope but its default manager does not "
                    "return a ScopedQuerySet, so its reads need no scope decision",
                    hint="objects = ScopedQuerySet.as_manager() (or from_queryset(ScopedQuerySet))",
                    id="anju.E002",
                )
            )
        if not issubclass(model, ScopedModel):
            errors.append(
                checks.Error(
                    f"{model._meta.label} declares a scope but does not inherit ScopedModel, so "
                    "its uniqueness validation would read without a scope decision",
                    hint="class X(ScopedModel, models.Model) (CompanyOwned/ProjectOwned do)",
                    id="anju.E003",
                )
            )
    return errors
