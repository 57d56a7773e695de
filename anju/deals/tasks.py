"""Deals background work: payment reminders (SUB-4) through messaging's outbox."""

from django_tasks import task

from anju.core.scheduling import periodic


@periodic(cron="0 10 * * *")
@task()
def send_payment_reminders() -> int:
    """Every day at 10:00: reminders of instalments due soon and of overdue ones (service
    SMS to the main buyer; keys make a second run send nothing twice). The default queue:
    it only writes the outbox, whose own task sends."""
    from .services.reminders import send_payment_reminders as send

    return send()
