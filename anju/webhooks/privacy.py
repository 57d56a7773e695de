"""PIPL erasure (SEC-2) for the delivery log: a receiver's answer may echo the person.

Deliveries keep no payload (it is built from the rows at each attempt, so a retry after an
erasure carries the anonymised customer); only the first 2 KB of the receiver's last answer
are stored, with mobiles and ID numbers already masked. A name echoed there is scrubbed
here, for the deliveries of events about the erased customer.
"""

from django.contrib.contenttypes.models import ContentType

from .models import WebhookDelivery


def erase_delivery_answers(erasure) -> None:
    customer_type = ContentType.objects.get_by_natural_key("customers", "customer")
    rows = list(
        WebhookDelivery.objects.unscoped("PIPL erasure")
        .filter(
            company_id=erasure.company_id,
            event__subject_type=customer_type,
            event__subject_id__in=list(erasure.customer_ids),
        )
        .exclude(last_response_body="")
        .only("pk", "last_response_body")
    )
    changed = []
    for row in rows:
        scrubbed = erasure.scrub(row.last_response_body)
        if scrubbed != row.last_response_body:
            row.last_response_body = scrubbed
            changed.append(row)
    erasure.touch(WebhookDelivery, [r.pk for r in rows], {"last_response_body"})
    WebhookDelivery.objects.unscoped("PIPL erasure").bulk_update(
        changed, ["last_response_body"], batch_size=500
    )
    erasure.count("webhook_answers", len(changed))
