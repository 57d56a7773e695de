from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceptionConfig(AppConfig):
    name = "anju.reception"
    label = "reception"
    verbose_name = _("Sales reception")

    def ready(self):
        from auditlog.registry import auditlog

        from anju.core.navigation import SALES, NavItem, register_nav
        from anju.core.roles import Role
        from anju.customers.timeline import register_timeline_provider

        from . import models, timeline

        auditlog.register(models.PhoneCall, mask_fields=["phone"])  # masked (issue 7 item 9)
        for model in (
            models.Visit,
            models.FollowUpTask,
            models.Opportunity,
            models.RiskFactor,
            models.WinReason,
            models.LossReason,
            models.FollowUpSettings,
        ):
            auditlog.register(model)

        managers = frozenset(
            {
                Role.SALES_MANAGER,
                Role.COMPANY_MANAGEMENT,
                Role.GROUP_CENTRE,
                Role.ADMINISTRATOR,
            }
        )
        register_nav(NavItem(_("Reception"), "reception:calls", SALES))
        register_nav(NavItem(_("Follow-up tasks"), "reception:tasks", SALES))
        register_nav(NavItem(_("Opportunities"), "reception:opportunities", SALES))
        register_nav(NavItem(_("Reception metrics"), "reception:metrics", managers))
        register_nav(NavItem(_("Follow-up rules"), "reception:followup_rules", managers))

        for provider in timeline.PROVIDERS:
            register_timeline_provider(
                provider, covers=("reception.",), sources=(timeline.SOURCES[provider],)
            )

        from anju.customers.handover import register_handover_handler
        from anju.customers.merging import register_merge_handler

        from .merging import hand_over_open_work, move_reception_records

        register_merge_handler(move_reception_records)
        register_handover_handler(hand_over_open_work)

        from anju.customers.responsibility import register_responsibility_provider

        from .selectors import holds_open_task_for

        register_responsibility_provider(holds_open_task_for)  # issue 9 item 1: he must call

        from . import privacy  # SEC-2: calls, visits, tasks, opportunities in PIPL requests

        privacy.register()

        from .exports import register_export_kinds  # issue 8 item 3: exports as API jobs

        register_export_kinds()
