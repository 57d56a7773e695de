from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "anju.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        # Django's own catalogue says 组 for "group(s)" (auth) and wins over ours: the
        # holding's names get their own words (shown names only, no migration).
        models.Holding._meta.verbose_name = _("holding group")
        models.Holding._meta.verbose_name_plural = _("holding groups")

        auditlog.register(models.Company)
        auditlog.register(models.Project)
        auditlog.register(models.Department)
        auditlog.register(models.RoleAssignment)
        auditlog.register(
            models.User, exclude_fields=["password", "last_login"], mask_fields=["phone"]
        )
