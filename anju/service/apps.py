from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "anju.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self):
        from .wiring import wire

        wire()
