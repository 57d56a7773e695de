from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "anju.membership"
    label = "membership"
    verbose_name = _("Customer club")

    def ready(self):
        from . import wiring

        wiring.register()
