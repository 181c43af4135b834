"""A report's result as a file — CSV, XLSX or PDF (issue 21 "Delivery"; decision 0099): the
figures the reader sees on the page, for the records he may see, in his language. The same
files are what a scheduled report e-mails. No cell starts a formula (``neutralize``)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.text import slugify

from kesher.platform.lists.export import neutralize
from kesher.platform.pdf import render_pdf
from kesher.reports.engine import Result

__all__ = ["FORMATS", "MIME_TYPES", "filename", "render", "table"]

MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(MIME_TYPES)


def _raw(value):
    """A figure as a spreadsheet keeps it: a number stays a number, a date a date."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _in_hours(definition, figures) -> list:
    return [_raw(m.in_hours(v)) for m, v in zip(definition.measures, figures, strict=False)]


def table(result: Result) -> tuple[list[str], list[list]]:
    """The header (groupings, then figures) and one line per row: the groupings' names and the
    figures' raw values — a length of time in hours, 7.5 — (a KPI: the period, then the period
    before)."""
    d = result.definition
    header = [neutralize(g.label()) for g in d.groups] + [neutralize(m.label()) for m in d.measures]
    lines = [
        [neutralize(c.label) for c in row.groups]
        + [_raw(m.in_hours(v)) for m, v in zip(d.measures, row.figures, strict=True)]
        for row in result.rows
    ]
    if result.previous is not None:
        from django.utils.translation import gettext as _

        header = ["", *header]
        lines = [
            [_("This period"), *_in_hours(d, result.totals)],
            [_("Previous period"), *_in_hours(d, result.previous)],
        ]
    return header, lines


def filename(name: str, extension: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d")
    return f"{slugify(name, allow_unicode=True)[:80] or 'report'}-{stamp}.{extension}"


def _csv(result: Result) -> bytes:
    header, lines = table(result)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for line in lines:
        writer.writerow(["" if v is None else v for v in line])
    # A byte-order mark: Excel then reads the Hebrew as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(result: Result, title: str) -> bytes:
    from openpyxl import Workbook

    header, lines = table(result)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (neutralize(title).replace("/", "-").replace(":", " ")[:31]) or "report"
    sheet.sheet_view.rightToLeft = translation.get_language_bidi()
    sheet.append(header)
    first = len(header) - len(result.definition.measures)
    money = [m.is_money for m in result.definition.measures]
    for line in lines:
        sheet.append(line)
        for i, is_money in enumerate(money):
            if is_money:
                sheet.cell(row=sheet.max_row, column=first + i + 1).number_format = "#,##0.00"
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def _pdf(result: Result, title: str, context: dict) -> bytes:
    language = "he" if translation.get_language_bidi() else "en"
    return render_pdf(
        "reports/pdf/report.html",
        {**context, "generated": timezone.localtime()},
        language=language,
        title=title,
        template={},  # a report is no business document: no administrator's terms
    )


def render(result: Result, fmt: str, title: str, context: dict | None = None) -> bytes:
    """The file of ``result`` in ``fmt`` (csv, xlsx, pdf), in the active language; ``context``
    is what the result's page shows (``views.result_context``), for the PDF."""
    if fmt == "csv":
        return _csv(result)
    if fmt == "xlsx":
        return _xlsx(result, title)
    if fmt == "pdf":
        return _pdf(result, title, context or {})
    raise ValueError(f"unknown report format {fmt!r}")
