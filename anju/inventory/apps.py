from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "anju.inventory"
    label = "inventory"
    verbose_name = _("Units")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Building)
        auditlog.register(models.Unit)
