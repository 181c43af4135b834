"""``manage.py export_all [path]``: the full export of all data (REQ IM-5) — a zip of JSON
lines per entity, the links between records and the attached files — for moving out."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kesher.operations.archive import export_all
from kesher.operations.fullexport import export_dir


class Command(BaseCommand):
    help = "Export all data to a zip file (default: a dated file under var/exports/)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="The zip file to write, or a folder.")

    def handle(self, *args, path=None, **options):
        target = Path(path) if path else export_dir()
        if target.is_dir() or path is None:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            target = target / f"kesher-export-{stamp}.zip"
        if target.suffix.lower() != ".zip":
            raise CommandError("the export is a zip file: give a path ending in .zip")
        summary = export_all(target)
        for name, count in summary.counts.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(str(summary.path))
