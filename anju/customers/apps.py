from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "anju.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Customer, mask_fields=["id_number"])
        auditlog.register(models.CustomerPhone)
        auditlog.register(models.CustomerRelation)
