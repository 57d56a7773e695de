"""Restore an archive made by `manage.py backup` into an empty database, then verify it."""

from django.core.management.base import BaseCommand, CommandError

from anju.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the configured EMPTY database and MEDIA_ROOT, then "
        "check every table's row count and checksum and every file's hash against the "
        "manifest. Stop the web, worker and scheduler processes first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Path of the anju-backup-*.tar.gz file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore over existing data: the SQLite file and MEDIA_ROOT are set aside as "
            "*.pre-restore-<time>; PostgreSQL tables are DROPPED.",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            result = restore_backup(archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for path in result.moved_aside:
            self.stdout.write(f"Previous data set aside: {path}")
        self.stdout.write(
            f"Restored the backup of {result.manifest['created_at']}: {result.tables} tables, "
            f"{result.rows} rows, {result.files} media file(s)."
        )
        if result.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The code has {result.pending_migrations} migration(s) newer than the "
                    "backup: run `manage.py migrate` before starting Anju."
                )
            )
        self.stdout.write(
            self.style.SUCCESS("Verified: every table and file matches the manifest.")
        )
