"""Messaging background work: sending what is due (issue 11 item 6)."""

from django_tasks import task

from anju.core.scheduling import periodic


@periodic(cron="* * * * *")
@task()
def send_due_messages() -> int:
    """Send every due message (enqueued on commit by message_enqueue; every minute as a sweep
    for quiet hours ending and retries). Safe to run in many workers at once: rows are
    claimed, never shared."""
    from .outbox import run_until_idle

    return run_until_idle(max_seconds=50).sent


# --- scheduled care (MSG-4): hourly, each company at its own send hour (care.py) ---------------


@periodic(cron="5 * * * *")
@task(queue_name="messaging")
def care_birthdays() -> int:
    """Today's birthday greetings of every company whose send hour has come."""
    from .care import send_birthdays

    return send_birthdays()


@periodic(cron="10 * * * *")
@task(queue_name="messaging")
def care_festivals() -> int:
    """春节, 中秋 (lunar dates) and 国庆 greetings on the day, at each company's send hour."""
    from .care import send_festivals

    return send_festivals()


@periodic(cron="15 * * * *")
@task(queue_name="messaging")
def care_visit_reminders() -> int:
    """Reminders of the visits booked for tomorrow (service messages)."""
    from .care import send_visit_reminders

    return send_visit_reminders()
