"""Background work of the service desk: thin, the logic is in escalation.py."""

import logging

from django_tasks import task

from anju.core.scheduling import periodic

log = logging.getLogger(__name__)


@periodic(cron="* * * * *")
@task()
def sweep_late_tickets() -> dict:
    """SVC-5: every minute, flag and escalate tickets past a time limit (each stage once)."""
    from .escalation import sweep

    counts = sweep()
    if counts["escalated"]:
        log.info("service: %(escalated)s ticket(s) escalated", counts)
    return counts


@periodic(cron="0 8 * * *")
@task()
def send_daily_lists() -> dict:
    """SVC-5 每日盘点: at 08:00, each responsible person's open tickets — one notice and, for
    who has a phone, one SMS per person and day (a rerun tells nobody twice)."""
    from .daily import send_daily_lists as send

    counts = send()
    log.info("service: daily lists for %(people)s person(s), %(messages)s SMS", counts)
    return counts
