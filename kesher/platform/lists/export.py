"""Export of any list or saved view to CSV or XLSX (REQ IM-5, CX-1): the columns, filter and
sort the user sees, only the records they may see, streamed with flat memory, and no cell that
a spreadsheet would run as a formula (DESIGN.md "Reliability and security rules")."""

from __future__ import annotations

import csv
import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from kesher.platform import accesslog
from kesher.platform.lists.tables import Table, with_columns

__all__ = ["neutralize", "rows_for_export"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CHUNK = 2000


def neutralize(value) -> str:
    """Text a spreadsheet shows as written: a leading quote keeps ``=cmd|…`` from running."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def rows_for_export(table: Table):
    """The header, then each record's displayed values, read in chunks of ``CHUNK`` rows."""
    # Column labels too: a custom field's label is typed by an administrator.
    yield [neutralize(c.label) for c in table.columns]
    qs = with_columns(table.queryset(), table.fields, table.request.user)
    for obj, cells in _chunked(table, qs):
        yield [neutralize(cell) for cell in cells]
        del obj


def _chunked(table: Table, qs):
    batch = []
    for obj in qs.iterator(chunk_size=CHUNK):
        batch.append(obj)
        if len(batch) == CHUNK:
            yield from table._cells(batch)
            batch = []
    if batch:
        yield from table._cells(batch)


class _Echo:
    def write(self, value):
        return value


def _filename(table: Table, extension: str) -> str:
    name = table.view.name if table.view else table.entity.key
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{slugify(name, allow_unicode=True) or table.entity.key}-{stamp}.{extension}"


@login_required
def export(request, key, fmt):
    from kesher.platform.ui.pages import entity_for

    entity = entity_for(key, request.user, "view")
    table = Table(entity, request)
    if table.errors:
        raise Http404
    # Which records the file holds, read once (ids only) before it is written: the access log
    # then says exactly who received a person's data (Privacy Protection Law §14).
    accesslog.note_export(key, table.queryset().order_by().values_list("pk", flat=True))
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # a byte-order mark: Excel then reads the Hebrew as UTF-8
            for row in rows_for_export(table):
                yield writer.writerow(row)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(table, 'csv')}"
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(entity.label_plural)[:31])
    sheet.sheet_view.rightToLeft = request.LANGUAGE_CODE == "he"
    for row in rows_for_export(table):
        sheet.append(row)
    # Written to a temporary file, not memory: the workbook of a million rows stays on disk.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=_filename(table, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _quote(table: Table, extension: str) -> str:
    from urllib.parse import quote

    return quote(_filename(table, extension))
