from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "anju.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from auditlog.registry import auditlog

        from anju.core.events import register_event_listener

        from . import models, registry
        from .delivery import on_events_recorded

        # The secret never goes into the audit log; its rotation is an event of its own.
        auditlog.register(models.WebhookSubscription, exclude_fields=["secret"])
        registry.register_builtin_verbs()
        register_event_listener(on_events_recorded)

        from anju.customers.privacy import register_erasure_handler

        from .privacy import erase_delivery_answers

        register_erasure_handler(erase_delivery_answers)  # SEC-2: answers echoing the person
