"""Single files of the browser libraries installed from the npm registry (decision 0071), served
as static files: only the files pages load, not the package's whole ``dist`` directory — ECharts'
holds 51 MB of variants and source maps, and compressing them all made ``collectstatic`` (the
README's first command) take minutes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

__all__ = ["VendorFileFinder"]


class VendorFileFinder(BaseFinder):
    """Finds the files ``settings.KESHER_VENDOR_FILES`` names (static path → file on disk)
    that are installed; a missing one is simply not served (the page does without it)."""

    def __init__(self, *args, **kwargs):
        self.files = {
            static_path: Path(file)
            for static_path, file in settings.KESHER_VENDOR_FILES.items()
            if Path(file).is_file()
        }

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        file = self.files.get(path)
        if file is None:
            return []
        return [str(file)] if find_all else str(file)

    def list(self, ignore_patterns):
        for static_path, file in self.files.items():
            storage = FileSystemStorage(location=file.parent)
            storage.prefix = str(Path(static_path).parent)  # type: ignore[attr-defined]  # read by collectstatic
            yield file.name, storage
