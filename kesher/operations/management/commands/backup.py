"""``manage.py backup [path] [--keep N]``: a consistent backup of the database and the stored
files while Kesher runs (SQLite online backup API, or pg_dump -Fc on PostgreSQL)."""

from django.core.management.base import BaseCommand, CommandError

from kesher.operations.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the stored files (default: a dated file under var/backups/)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="A file, or a folder for a dated file.")
        parser.add_argument(
            "--keep", type=int, default=None, help="Keep only the newest N dated backups there."
        )

    def handle(self, *args, path=None, keep=None, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1")
        try:
            written = backup_create(path, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(written))
