from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "anju.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from auditlog.registry import auditlog

        from anju.core.navigation import SALES, NavItem, register_nav
        from anju.core.roles import Role

        from . import models, timeline

        # Numbers are stored masked in the audit trail (issue 7 item 9), like on screen.
        auditlog.register(models.Customer, mask_fields=["id_number", "phone"])
        auditlog.register(models.CustomerPhone, mask_fields=["phone"])
        auditlog.register(models.CustomerRelation)
        auditlog.register(models.SourceChannel)

        everyone_with_customers = SALES | {
            Role.SERVICE_AGENT,
            Role.SERVICE_MANAGER,
            Role.PROPERTY_STEWARD,
        }
        register_nav(
            NavItem(_("Customers"), "customers:list", frozenset(everyone_with_customers)),
            after="home",
        )
        timeline.register_timeline_provider(timeline.events_timeline)
        register_nav(
            NavItem(
                _("Source channels"),
                "customers:sources",
                frozenset({Role.SALES_MANAGER, Role.COMPANY_MANAGEMENT, Role.ADMINISTRATOR}),
            )
        )

        from . import privacy_customers  # SEC-2: data packages and erasure (PIPL)

        privacy_customers.register()

        from . import notes  # SAL-6: notes on the 360° page, their timeline, PIPL

        notes.register()

        from .exports import register_export_kinds  # issue 8 item 3: exports as API jobs

        register_export_kinds()
        from anju.core.jobs import register_job_links

        from .import_api import import_job_links
        from .privacy_api import package_job_links

        register_job_links("customer_import", import_job_links)
        register_job_links("customer_data_package", package_job_links)
        register_nav(
            NavItem(
                _("Personal data requests"),
                "privacy:requests",
                frozenset(
                    {
                        Role.DATA_STEWARD,
                        Role.ADMINISTRATOR,
                        Role.SERVICE_MANAGER,
                        Role.COMPANY_MANAGEMENT,
                    }
                ),
            )
        )
