from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _access_log_filters():
    from .access_log_api import AccessLogFilters

    return AccessLogFilters


class CoreConfig(AppConfig):
    name = "anju.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from auditlog.registry import auditlog

        from .admin_names import brand_admin

        brand_admin()  # issue 9 item 16: the product's titles and names in the admin

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

        # Issue 8 item 3: the access log as an export job (the page's columns and filters).
        from .access_log import EXPORT_FILTERS, access_log_export_rows, export_columns
        from .export_jobs import ExportKind, register_export_kind

        register_export_kind(
            ExportKind(
                name="access_log",
                filename="access-log",
                columns=export_columns,
                rows=access_log_export_rows,
                filters=tuple(EXPORT_FILTERS),
                label=_("Access log"),
                filter_schema=_access_log_filters,
            )
        )
        from django.urls import reverse

        from .export_jobs import JOB_KIND as EXPORT_JOB
        from .export_jobs import export_available
        from .jobs import register_job_links

        def export_links(user, job):
            if job.created_by_id != user.pk or not export_available(job):
                return {}
            return {"download_url": reverse("api:export_download", args=[job.pk])}

        register_job_links(EXPORT_JOB, export_links)
