from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "anju.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from auditlog.registry import auditlog

        from anju.core.navigation import NavItem, register_nav
        from anju.core.roles import ROLE_PERMS, Perm

        from . import gateways, integration, models  # noqa: F401 – gateways register themselves
        from .sources import register_own_sources

        register_own_sources()

        for model in (models.MessageTemplate, models.MessagingSettings, models.CareSettings):
            auditlog.register(model)

        messaging_staff = frozenset(
            role
            for role, perms in ROLE_PERMS.items()
            if perms & {Perm.MANAGE_TEMPLATES, Perm.RUN_CAMPAIGNS, Perm.APPROVE_CAMPAIGN}
        )
        register_nav(NavItem(_("Messages"), "messaging:outbox", messaging_staff))
        integration.register()

        from .campaign_apps import campaigns_ready

        campaigns_ready()
