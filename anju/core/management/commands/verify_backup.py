"""Check a backup archive's internal hashes (and, for SQLite, its tables) without restoring."""

from django.core.management.base import BaseCommand, CommandError

from anju.core.backup import BackupError, verify_archive


class Command(BaseCommand):
    help = "Check that a backup archive is complete and undamaged, without restoring it."

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Path of the anju-backup-*.tar.gz file.")

    def handle(self, *args, archive, **options):
        try:
            result = verify_archive(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            f"Backup of {manifest['created_at']} ({manifest['database']['vendor']}), checked: "
            + "; ".join(result.checked)
        )
        self.stdout.write(self.style.SUCCESS(f"{archive} is intact."))
