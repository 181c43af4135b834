"""The zip of attachments uploaded with an import's sheet (REQ IM-1, CU-6; decision 0037).

The zip is checked whole when it is uploaded — a real zip, not password-protected, within the
total uncompressed size (``KESHER_IMPORT_ZIP_MAX_BYTES``) — and each row's file name when the
row is checked: no absolute path, no ``..``, present in the zip, within the attachment size
limit, and not compressed so tightly that it looks like a zip bomb. A file is never extracted
to disk: its bytes are read (never more than its declared size) and stored through the
platform's attachment service, which keeps its own checks and gives the file a random name.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

__all__ = ["check_archive", "member", "open_archive", "read_member"]

# A member that expands more than this many times its compressed size, beyond a megabyte, is
# refused as a probable zip bomb (ordinary documents compress 2–10×).
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 100_000


def max_total() -> int:
    return settings.KESHER_IMPORT_ZIP_MAX_BYTES


def _name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: zips made on Hebrew Windows store names in
    the DOS code page (cp862) without the UTF-8 flag, which Python reads as cp437."""
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437", errors="replace")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp862", errors="replace")
    return name.replace("\\", "/")


def check_archive(content: bytes) -> None:
    """Refuse, with a translated reason, a zip that cannot be used at all."""
    if len(content) > max_total():
        raise ValidationError(_("The zip is larger than %(size)s.") % {"size": _size(max_total())})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(_("The attachments file is not a zip file.")) from None
    if any(info.flag_bits & 0x1 for info in infos):
        raise ValidationError(
            _("The zip is password-protected; upload it again without a password.")
        )
    if len(infos) > MAX_MEMBERS:
        raise ValidationError(_("The zip holds too many files."))
    total = sum(info.file_size for info in infos)
    if total > max_total():
        raise ValidationError(
            _("The zip's files come to %(total)s unpacked; at most %(size)s are accepted.")
            % {"total": _size(total), "size": _size(max_total())}
        )


def _size(value: int) -> str:
    return str(filesizeformat(value))


class Archive:
    """An uploaded zip, opened once per run, with its members by name."""

    def __init__(self, content: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(content))
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        by_base: dict[str, list] = {}
        for info in self.zip.infolist():
            if info.is_dir():
                continue
            name = _name(info)
            self.by_name[name] = info
            by_base.setdefault(PurePosixPath(name).name, []).append(info)
        # A bare file name finds a file in a folder of the zip when only one file has it.
        self.by_base = {base: infos[0] for base, infos in by_base.items() if len(infos) == 1}


def open_archive(plan) -> Archive:
    if plan.archive is None:
        with plan.job.archive.open("rb") as handle:
            plan.archive = Archive(handle.read())
    return plan.archive


_DRIVE = re.compile(r"^[A-Za-z]:")


def member(plan, text: str) -> zipfile.ZipInfo:
    """The zip member a row's cell names; ValidationError saying why it cannot be used."""
    name = text.strip().replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        raise ValidationError(_("Use the file's path inside the zip, not a path on a computer."))
    if ".." in name.split("/"):
        raise ValidationError(_("A file name may not climb out of the zip (“..”)."))
    archive = open_archive(plan)
    info = archive.by_name.get(name) or archive.by_name.get(name.removeprefix("./"))
    if info is None and "/" not in name:
        info = archive.by_base.get(name)
    if info is None:
        raise ValidationError(_("There is no such file in the zip."))
    limit = settings.KESHER_MAX_ATTACHMENT_BYTES
    if info.file_size == 0:
        raise ValidationError(_("The file is empty."))
    if info.file_size > limit:
        raise ValidationError(_("The file is larger than %(size)s.") % {"size": _size(limit)})
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ValidationError(_("The file expands suspiciously (a zip bomb?); it was not used."))
    return info


def read_member(plan, info: zipfile.ZipInfo, title: str = "") -> ContentFile:
    """The member's bytes as an upload named by ``title`` (keeping the file's extension) or by
    the file's own name; never more than its declared size is read."""
    try:
        with open_archive(plan).zip.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, ValueError):
        data = b""
    if len(data) != info.file_size:
        raise ValidationError(_("The file in the zip is damaged."))
    name = PurePosixPath(_name(info)).name
    if title:
        suffix = PurePosixPath(name).suffix
        name = title if title.lower().endswith(suffix.lower()) else f"{title}{suffix}"
    return ContentFile(data, name=name)
