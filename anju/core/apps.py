from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "anju.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from auditlog.registry import auditlog

        from . import (
            checks,  # noqa: F401  (registers the scope system check)
            security,  # noqa: F401  (stamps the login time for the session cap)
        )
        from .models import ApiToken

        # Token creation and revocation are security events (SEC-3); the hash stays out.
        auditlog.register(ApiToken, exclude_fields=["key_hash", "last_used_at"])

        from auditlog.models import LogEntry
        from django.db.models.signals import pre_save

        pre_save.connect(security.mask_audit_entry, sender=LogEntry, dispatch_uid="anju_mask")
        from .navigation import NavItem, register_nav
        from .roles import Role

        # Issue 7 item 10: the reader of the personal-data access log (SEC-2).
        register_nav(
            NavItem(
                _("Access log"),
                "access_log:list",
                frozenset({Role.DATA_STEWARD, Role.ADMINISTRATOR}),
            )
        )
