"""Make one verified archive of the database and the uploaded files (SEC-5)."""

from django.core.management.base import BaseCommand, CommandError

from anju.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database and MEDIA_ROOT into one archive with a manifest of per-table "
        "row counts and checksums (docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="Directory for the archive (default: ANJU_BACKUP_DIR or var/backups)."
        )
        parser.add_argument(
            "--keep", type=int, help="Afterwards delete all but the newest N archives there."
        )

    def handle(self, *args, output=None, keep=None, **options):
        try:
            result = create_backup(output, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        tables = manifest["tables"]
        self.stdout.write(
            f"{len(tables)} tables, {sum(t['rows'] for t in tables.values())} rows, "
            f"{len(manifest['media']['files'])} media file(s), "
            f"{manifest['elapsed_seconds']}s."
        )
        for path in result.pruned:
            self.stdout.write(f"Deleted old backup {path}")
        self.stdout.write(self.style.SUCCESS(f"Backup written: {result.path}"))
