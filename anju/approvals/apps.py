from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "anju.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self):
        from auditlog.registry import auditlog

        from anju.core.navigation import ALL_ROLES, NavItem, register_nav

        from . import models
        from .selectors import pending_count_for

        auditlog.register(models.ApprovalRequest)
        # Everyone may ask (through the apps that use approvals) and follow his requests;
        # the badge counts what waits for the user's own decision.
        register_nav(NavItem(_("Approvals"), "approvals:queue", ALL_ROLES, badge=pending_count_for))
