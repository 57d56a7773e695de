"""Demo webhook subscriptions: one paused subscription per company, with a failed test ping.

Paused and pointing at an ``.invalid`` host, so a demo installation never sends anything;
they give the pages and the authorisation matrix a row in each company.
"""

from django.utils import timezone

from .models import PING_VERB, DeliveryStatus, WebhookDelivery, WebhookSubscription
from .services import new_secret


def seed(world):
    now = timezone.now()
    for code, company in world["companies"].items():
        subscription = WebhookSubscription.objects.create(
            company=company,
            name=f"CRM sync ({code})",
            target_url=f"https://crm-{code}.example.invalid/anju/webhooks",
            verbs=["customer.registered", "reception.opportunity_won"],
            is_active=False,
            secret=new_secret(),
        )
        WebhookDelivery.objects.create(
            company=company,
            subscription=subscription,
            verb=PING_VERB,
            status=DeliveryStatus.FAILED,
            attempts=1,
            last_attempt_at=now,
            last_error="gaierror: [Errno -2] Name or service not known",
        )
