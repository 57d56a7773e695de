"""Kernel background tasks."""

from django.core.management import call_command
from django_tasks import task

from .scheduling import periodic


@periodic(cron="40 3 * * *")
@task()
def prune_finished_task_results():
    """Keep the task tables small: drop results of tasks finished more than 14 days ago, and
    the scheduler's record of firings as old (it only has to outlive the look-back of an
    hour). On Redis, RQ expires its own results (and keeps failed ones a year)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    from .models import PeriodicFiring

    if isinstance(task_backends["default"], DatabaseBackend):  # the command refuses other backends
        call_command("prune_db_task_results", "--min-age-days", "14", verbosity=0)
    PeriodicFiring.objects.filter(created_at__lt=timezone.now() - timedelta(days=14)).delete()


@periodic(cron="50 3 * * *")
@task()
def purge_old_job_uploads() -> int:
    """Uploaded import files are kept 30 days after the job ends, then deleted, and the
    personal data the job kept (error values, names, numbers) is masked (issue 7 item 9)."""
    from .jobs import purge_old_uploads

    return purge_old_uploads()


# --- Periodic backup (SEC-5) ----------------------------------------------------------------
# Off unless ANJU_BACKUP_DIR is set; then at ANJU_BACKUP_CRON (default 02:30 Asia/Shanghai),
# keeping the newest ANJU_BACKUP_KEEP archives (default 14). docs/operations.md.


@task()
def backup_database_and_media() -> str | None:
    """One backup archive into ANJU_BACKUP_DIR, then prune to the newest ANJU_BACKUP_KEEP."""
    from .backup import scheduled_backup

    return scheduled_backup()


def _register_backup_schedule():
    from apscheduler.triggers.cron import CronTrigger
    from django.core.exceptions import ImproperlyConfigured

    from .backup import backup_cron_setting, backup_dir_setting

    if not backup_dir_setting():
        return
    cron = backup_cron_setting()
    try:
        CronTrigger.from_crontab(cron)
    except ValueError as exc:
        raise ImproperlyConfigured(f"ANJU_BACKUP_CRON={cron!r} is not a cron line: {exc}") from exc
    periodic(cron=cron)(backup_database_and_media)


_register_backup_schedule()


# --- Exports as jobs (issue 8 item 3) --------------------------------------------------------


@task()
def export_task(job_id: int) -> None:
    """Write an export job's file (``core.export_jobs``); the job shows its progress."""
    from .export_jobs import export_job_run

    export_job_run(job_id)


@periodic(cron="55 3 * * *")
@task()
def purge_export_files_nightly() -> int:
    """Export files hold personal data: deleted a week after they were made."""
    from .export_jobs import purge_export_files

    return purge_export_files()
