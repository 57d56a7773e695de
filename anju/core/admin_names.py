"""The Django admin titled and translated as the product (issue 9 item 16).

The admin's titles become the product's; apps we do not own (auditlog, axes, the task
database) get Chinese names here, since their own catalogues have none. Only the displayed
``_meta`` names change (``original_attrs`` stays), so no migration sees a difference.
"""

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

APPS = {  # app label: (app name, {model name: (singular, plural)})
    "auditlog": (_("Audit log"), {"logentry": (_("change record"), _("change records"))}),
    "axes": (
        _("Login security"),
        {
            "accessattempt": (_("failed login attempt"), _("failed login attempts")),
            "accessfailurelog": (_("login failure"), _("login failures")),
            "accesslog": (_("login record"), _("login records")),
        },
    ),
    "django_tasks_database": (
        _("Background tasks"),
        {"dbtaskresult": (_("task result"), _("task results"))},
    ),
    "auth": (_("Permission groups"), {"group": (_("permission group"), _("permission groups"))}),
}


def brand_admin() -> None:
    admin.site.site_header = _("Anju CRM administration")
    admin.site.site_title = _("Anju CRM")
    admin.site.index_title = _("System administration")
    for label, (name, models) in APPS.items():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        config.verbose_name = name
        for model_name, (singular, plural) in models.items():
            try:
                model = config.get_model(model_name)
            except LookupError:
                continue
            model._meta.verbose_name = singular
            model._meta.verbose_name_plural = plural
