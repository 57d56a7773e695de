"""Customer background tasks (thin wrappers around services)."""

from django_tasks import task

from anju.core.scheduling import periodic

from .services import archive_stale_leads


@periodic(cron="20 2 * * *")
@task()
def archive_stale_leads_nightly() -> int:
    """CUS-8: leads idle longer than their company's stale-lead period are archived at night."""
    return archive_stale_leads()


# --- PIPL (SEC-2, issue 7 items 13–14) ---------------------------------------------------------


@task()
def customer_data_package_task(job_id: int) -> None:
    """Build one customer's data package (the job shows its progress)."""
    from .privacy_services import data_package_build

    data_package_build(job_id)


@periodic(cron="50 2 * * *")
@task()
def apply_retention_nightly() -> int:
    """Leads and visitors past their company's retention period are anonymised (the system)."""
    from .privacy_services import apply_retention

    return apply_retention()


@periodic(cron="55 3 * * *")
@task()
def purge_data_packages_nightly() -> int:
    """Data packages are deleted a week after they were made."""
    from .privacy_services import purge_data_packages

    return purge_data_packages()
