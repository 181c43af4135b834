"""Reading an uploaded file into a header and rows of strings (REQ IM-1).

CSV: the encoding is detected (UTF-8 with or without a BOM, Windows-1255, ISO-8859-8, then
whatever ``charset-normalizer`` finds) and the delimiter sniffed among ``,`` ``;`` tab and ``|``.
XLSX/XLS: read by ``python-calamine`` (cached cell values; formulas are never evaluated).
The file's kind is decided by its bytes, not its name. Every problem is a translated
ValidationError under ``file``.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = ["Table", "max_bytes", "read_table"]

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
DELIMITERS = ",;\t|"
MAX_COLUMNS = 500
# Hebrew letters in both Windows-1255 and ISO-8859-8 (alef … tav); Windows-1255's niqqud,
# points and the shekel sign.
HEBREW_LETTERS = range(0xE0, 0xFB)
HEBREW_MARKS = {*range(0xC0, 0xD9), 0xA4}


def max_bytes() -> int:
    return settings.KESHER_IMPORT_MAX_BYTES


@dataclass
class Table:
    """A file's header row and data rows, every cell a string; rows padded to the header."""

    headers: list[str]
    rows: list[list[str]]
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)


def _error(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def detect_encoding(data: bytes) -> str:
    """The encoding of CSV bytes. UTF-8 is tried strictly first; Hebrew single-byte text is
    told apart from other code pages by its letters, which generic detectors often read as
    Cyrillic or Greek."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A file cut mid-character at its very end is still UTF-8.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    high = [b for b in data if b >= 0x80]
    letters = sum(1 for b in high if b in HEBREW_LETTERS)
    marks = sum(1 for b in high if b in HEBREW_MARKS)
    if letters and (letters + marks) / len(high) > 0.6:
        for encoding in ("cp1255", "iso-8859-8"):
            try:
                data.decode(encoding)
                return encoding
            except UnicodeDecodeError:
                continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise _error(_("The file's text encoding could not be recognised. Save it as UTF-8 CSV."))
    return best.encoding


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "cp1255": "Windows-1255",
    "iso-8859-8": "ISO-8859-8",
}


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    return b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff"))


def _sniff(text: str) -> str:
    sample = "\n".join(text[:50_000].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The most frequent candidate on the first line; a one-column file has none.
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    if _looks_binary(data):
        raise _error(_("This is not a text (CSV) file. Upload a CSV or an Excel file."))
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise _error(_("The file's text encoding could not be recognised.")) from None
    text = text.lstrip("\ufeff")
    delimiter = _sniff(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _error(
            _("The CSV file is malformed: %(error)s") % {"error": str(exc)[:200]}
        ) from None
    table = _table(rows, "csv")
    table.encoding = ENCODING_NAMES.get(encoding, encoding)
    table.delimiter = delimiter
    return table


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _read_workbook(data: bytes, kind: str) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if not names:
            raise ValueError("no sheets")
        sheet = workbook.get_sheet_by_index(0)
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows()]
    except Exception:  # calamine raises several error types for damaged files
        raise _error(_("The Excel file is damaged or not an Excel file.")) from None
    return _table(rows, kind)


def _table(rows: list[list], kind: str) -> Table:
    rows = [row for row in rows if any((c or "").strip() for c in row)]
    if not rows:
        raise _error(_("The file is empty."))
    headers = [h.strip() for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise _error(_("The first row must hold the column names."))
    if len(headers) > MAX_COLUMNS:
        raise _error(_("The file has too many columns (at most %(n)s).") % {"n": MAX_COLUMNS})
    width = len(headers)
    notes = []
    data = []
    ragged = 0
    for row in rows[1:]:
        cells = [c if isinstance(c, str) else _cell(c) for c in row]
        if len(cells) != width:
            extra = cells[width:]
            if any(c.strip() for c in extra) or len(cells) < width:
                ragged += 1
            cells = (cells + [""] * width)[:width]
        data.append(cells)
    if ragged:
        notes.append(
            _("%(n)s rows have a different number of cells than the header; they were padded.")
            % {"n": ragged}
        )
    # Empty and repeated column names get a name of their own, so each column can be mapped.
    seen: dict[str, int] = {}
    for i, name in enumerate(headers):
        if not name:
            headers[i] = name = _("Column %(n)s") % {"n": i + 1}
        count = seen.get(name, 0)
        seen[name] = count + 1
        if count:
            headers[i] = f"{name} ({count + 1})"
    return Table(headers=headers, rows=data, file_format=kind, notes=notes)


def read_table(data: bytes, filename: str = "") -> Table:
    """The file as a Table; raises ValidationError({"file": [...]}) on anything unreadable."""
    if len(data) > max_bytes():
        raise _error(
            _("The file is too large (at most %(mb)s MB).") % {"mb": max_bytes() // (1024 * 1024)}
        )
    if not data:
        raise _error(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return _read_workbook(data, "xlsx")
    if data.startswith(OLE_MAGIC):
        return _read_workbook(data, "xls")
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise _error(_("The Excel file is damaged or not an Excel file."))
    return _read_csv(data)
