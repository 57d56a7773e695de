"""Kernel background tasks."""

from django.core.management import call_command
from django_tasks import task

from .scheduling import periodic


@periodic(cron="40 3 * * *")
@task()
def prune_finished_task_results():
    """Keep the task table small: drop results of tasks finished more than 14 days ago."""
    call_command("prune_db_task_results", "--min-age-days", "14", verbosity=0)


@periodic(cron="50 3 * * *")
@task()
def purge_old_job_uploads() -> int:
    """Uploaded import files are kept 30 days after the job ends, then deleted, and the
    personal data the job kept (error values, names, numbers) is masked (issue 7 item 9)."""
    from .jobs import purge_old_uploads

    return purge_old_uploads()
