"""``manage.py restore path``: replace the database's contents and the stored files with a backup
made by ``manage.py backup``. Stop the web server and workers first."""

from django.core.management.base import BaseCommand, CommandError

from kesher.operations.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore the database and the stored files from a backup (replaces everything in them)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, path, interactive=True, **options):
        if interactive:
            answer = input(
                "This replaces every record and stored file with the backup. Type 'yes': "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            backup_restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored from {path}")
