"""Club background work: the referral credit after a visit, the nightly points expiry."""

from django_tasks import task

from anju.core.scheduling import periodic


@task()
def credit_referral_visit(visit_id: int) -> bool:
    """看房积分 for the referrer of the visit's customer (idempotent; True if credited now
    or before — the entry exists)."""
    from anju.reception.models import Visit

    from .services.referral import referral_credit_for_visit

    visit = (
        Visit.objects.unscoped("background task")
        .select_related("customer", "customer__referrer", "customer__company__holding")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        return False
    return referral_credit_for_visit(visit=visit) is not None


@periodic(cron="30 1 * * *")
@task()
def expire_points() -> int:
    """Write expiry rows for credits whose last day has passed (FIFO, idempotent): daily, so
    a credit that ends on 31 December is gone on the morning of 1 January."""
    from .services import points_expire_due

    return points_expire_due()
