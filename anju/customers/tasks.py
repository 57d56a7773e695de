"""Customer background tasks (thin wrappers around services)."""

from django_tasks import task

from anju.core.scheduling import periodic

from .services import archive_stale_leads


@periodic(cron="20 2 * * *")
@task()
def archive_stale_leads_nightly() -> int:
    """CUS-8: leads idle longer than their company's stale-lead period are archived at night."""
    return archive_stale_leads()
