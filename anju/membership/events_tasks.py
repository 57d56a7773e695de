"""Background work of club events (MEM-4): the time notice before each event."""

from django_tasks import task

from anju.core.scheduling import periodic


@periodic(cron="*/15 * * * *")
@task()
def send_event_reminders() -> int:
    """Remind the registered of events starting within their reminder period; idempotent
    (a registration is reminded once: its ``reminded_at`` and the outbox key)."""
    from .events_services import send_due_reminders

    return send_due_reminders()
