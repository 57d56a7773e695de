"""System check: every concrete Anju model with a company declares its scope (ORG-1/ORG-2)."""

from django.apps import apps
from django.core import checks


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
