"""看房积分 (MEM-2, seed 001): a referred friend's first visit credits his referrer.

Reception does not know the club: the club listens to its ``reception.visit_registered``
events (``wiring.on_events``), and after the visit's commit a task calls
``referral_credit_for_visit``. The credit's idempotency key is the referred customer, so it
is written once however often the task runs and however often the friend comes back.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from anju.core.masking import mask_name
from anju.customers.services import merged_customer_ids

from ..models import PointsReason
from ._common import holding_of, live_customer, settings_of
from .points import points_credit


def referral_reference(customer) -> str:
    return f"referred:{customer.pk}"


def referral_credit_for_visit(*, visit):
    """Credit the referrer of the visit's customer if this is the customer's first visit.
    System work (the referrer is credited whoever received the friend); None when nothing
    is due: no referrer, not the first visit, 看房积分 set to 0, an erased referrer."""
    from anju.reception.models import Visit

    customer = visit.customer
    if customer.referrer_id is None:
        return None
    earlier = (
        Visit.objects.unscoped("is this the customer's first visit")
        .filter(customer_id__in=merged_customer_ids(live_customer(customer)))
        .filter(
            Q(arrived_at__lt=visit.arrived_at) | Q(arrived_at=visit.arrived_at, pk__lt=visit.pk)
        )
        .exists()
    )
    if earlier:
        return None
    referrer = live_customer(customer.referrer)
    if referrer.pk == live_customer(customer).pk or referrer.anonymised_at is not None:
        return None
    points = settings_of(holding_of(referrer)).referral_visit_points
    if not points:
        return None
    return points_credit(
        by=None,
        customer=referrer,
        points=points,
        reason=PointsReason.VISIT_REFERRAL,
        reference=referral_reference(customer),
        # the referrer's ledger is read by who serves the referrer: the friend may be another
        # consultant's or project's customer, so he is named masked, never by his code
        note=_("First visit of referred customer %(name)s") % {"name": mask_name(customer.name)},
    )
