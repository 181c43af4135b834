"""For the accountant: a period's issued documents and its receipts with their payments, as CSV
or XLSX (issue 17 item 5; REQ RE-1; decision 0084).

Two tables: **documents** — every issued (or awaiting, or cancelled) tax document of the period
by its date, one row each with its type, number, customer, allocation number, amounts in its
currency and in shekels; **payments** — every payment on the period's receipts and
invoice-receipts, with the cheque's details, the date a post-dated cheque counts from and the
day a cheque was returned. Only documents the reader may see (``visible_to``), headers in the
reader's language, every cell neutralized as the platform's list export does (a cell never
runs as a formula), written with the platform's formats: CSV with a byte-order mark (Excel
reads the Hebrew), XLSX right to left in Hebrew. Drafts are not the accountant's: left out.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.billing.models import ChequeReturn, Payment, TaxDocument
from kesher.platform.lists.export import neutralize

__all__ = [
    "EXPORTS",
    "export_bytes",
    "export_rows",
    "held_records",
    "period_documents",
    "period_payments",
    "register_export",
]

CHUNK = 2000


def period_documents(user, start: datetime.date, end: datetime.date):
    """The issued documents ``user`` may see dated from ``start`` to ``end`` (both included)."""
    return (
        TaxDocument.objects.visible_to(user)
        .exclude(status=TaxDocument.Status.DRAFT)
        .filter(doc_date__gte=start, doc_date__lte=end)
        .select_related("account", "based_on", "company")
        .order_by("doc_date", "issued_at", "pk")
    )


def period_payments(user, start: datetime.date, end: datetime.date):
    """The payments on the issued receipts and invoice-receipts of the period."""
    documents = period_documents(user, start, end).values("pk")
    return (
        Payment.objects.filter(document__in=documents)
        .select_related("document__account", "document__based_on")
        .order_by("document__doc_date", "document__issued_at", "document_id", "position")
    )


def _money(value) -> str:
    return f"{value:.2f}"


def _day(value) -> str:
    return value.isoformat() if value else ""


DOCUMENT_COLUMNS = (
    gettext_lazy("document type"),
    gettext_lazy("number"),
    gettext_lazy("date"),
    gettext_lazy("status"),
    gettext_lazy("customer"),
    gettext_lazy("customer's company number"),
    gettext_lazy("based on"),
    gettext_lazy("allocation number"),
    gettext_lazy("currency"),
    gettext_lazy("exchange rate"),
    gettext_lazy("before VAT"),
    gettext_lazy("VAT"),
    gettext_lazy("total"),
    gettext_lazy("tax withheld at source"),
    gettext_lazy("before VAT (₪)"),
    gettext_lazy("VAT (₪)"),
    gettext_lazy("total (₪)"),
    gettext_lazy("due date"),
)

PAYMENT_COLUMNS = (
    gettext_lazy("document type"),
    gettext_lazy("number"),
    gettext_lazy("date"),
    gettext_lazy("customer"),
    gettext_lazy("pays invoice"),
    gettext_lazy("line"),
    gettext_lazy("paid by"),
    gettext_lazy("amount"),
    gettext_lazy("currency"),
    gettext_lazy("counts from"),
    gettext_lazy("bank"),
    gettext_lazy("branch"),
    gettext_lazy("account number"),
    gettext_lazy("cheque number"),
    gettext_lazy("reference"),
    gettext_lazy("returned on"),
)


def _document_row(doc: TaxDocument) -> list:
    return [
        doc.get_kind_display(),
        doc.number,
        _day(doc.doc_date),
        doc.get_status_display(),
        doc.account.name,
        doc.account.company_number,
        doc.based_on.number if doc.based_on_id else "",
        doc.allocation_number,
        doc.currency,
        f"{doc.exchange_rate:.6f}".rstrip("0").rstrip("."),
        _money(doc.net),
        _money(doc.vat),
        _money(doc.total),
        _money(doc.withholding),
        _money(doc.net_ils),
        _money(doc.vat_ils),
        _money(doc.total_ils),
        _day(doc.due_date),
    ]


def _payment_rows(payments) -> Iterator[list]:
    returned = dict(
        ChequeReturn.objects.filter(payment__in=[p.pk for p in payments]).values_list(
            "payment_id", "returned_on"
        )
    )
    for p in payments:
        doc = p.document
        yield [
            doc.get_kind_display(),
            doc.number,
            _day(doc.doc_date),
            doc.account.name,
            doc.based_on.number if doc.based_on_id else "",
            p.position,
            p.get_method_display(),
            _money(p.amount),
            doc.currency,
            _day(p.paid_on),
            p.bank,
            p.branch,
            p.bank_account,
            p.cheque_number,
            p.reference,
            _day(returned.get(p.pk)),
        ]


def _chunks(queryset) -> Iterator[list]:
    batch = []
    for row in queryset.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


EXPORTS = {"documents": gettext_lazy("Documents"), "payments": gettext_lazy("Payments")}
# Other apps' tables for the accountant (purchasing's supplier documents, decision 0087).
_registered: dict = {}
# What each of them holds, for the access log.
_held: dict = {}


def register_export(key: str, label, rows, held=None) -> None:
    """Offer another table: ``rows(user, start, end)`` yields its header, then its rows, only
    of records ``user`` may see; the cells are neutralized here. ``held(user, start, end)``
    names the records the file holds, ``{entity key: ids}``, for the access log."""
    EXPORTS[key] = label
    _registered[key] = rows
    if held is not None:
        _held[key] = held


def held_records(what: str, user, start, end, company=None) -> dict[str, Iterable[int]]:
    """The records a file of ``what`` holds, ``{entity key: ids}``, for the access log to name
    as any list's export does (issue 25): the period's documents, those whose payments a
    payments file lists, or (the uniform file) ``company``'s."""
    if what in _registered:
        return _held[what](user, start, end) if what in _held else {}
    documents = period_documents(user, start, end).order_by()
    if company is not None:
        from kesher.billing.uniformfile import of_company

        documents = documents.filter(of_company(company))
    elif what == "payments":
        documents = documents.filter(payments__isnull=False).distinct()
    return {"tax-documents": documents.values_list("pk", flat=True)}


def export_rows(what: str, user, start, end) -> Iterator[list[str]]:
    """The header (in the active language), then the rows of ``what``, each cell neutralized."""
    if what in _registered:
        for row in _registered[what](user, start, end):
            yield [neutralize(cell) for cell in row]
    elif what == "documents":
        yield [neutralize(str(label)) for label in DOCUMENT_COLUMNS]
        for batch in _chunks(period_documents(user, start, end)):
            for doc in batch:
                yield [neutralize(cell) for cell in _document_row(doc)]
    else:
        yield [neutralize(str(label)) for label in PAYMENT_COLUMNS]
        for batch in _chunks(period_payments(user, start, end)):
            for row in _payment_rows(batch):
                yield [neutralize(cell) for cell in row]


def export_bytes(what: str, fmt: str, user, start, end, *, right_to_left: bool) -> bytes:
    """The whole file: CSV (UTF-8 with a byte-order mark) or XLSX."""
    rows = export_rows(what, user, start, end)
    if fmt == "csv":
        text = io.StringIO()
        text.write("\ufeff")
        csv.writer(text).writerows(rows)
        return text.getvalue().encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(EXPORTS[what])[:31])
    sheet.sheet_view.rightToLeft = right_to_left
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        return handle.read()


def filename(what: str, fmt: str, start, end) -> str:
    return f"{what}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"


def parse_period(start_text, end_text) -> tuple[datetime.date, datetime.date]:
    """The period asked, or a translated error by field: both dates, in order, at most ten
    years apart (a sanity bound: the law keeps seven)."""
    from django.core.exceptions import ValidationError
    from django.utils.dateparse import parse_date

    errors = {}
    days = {}
    for name, text in (("start", start_text), ("end", end_text)):
        try:
            days[name] = parse_date(str(text or "").strip())
        except ValueError:
            days[name] = None
        if days[name] is None:
            errors[name] = [_("Enter a date (YYYY-MM-DD).")]
    if not errors and days["end"] < days["start"]:
        errors["end"] = [_("The period ends before it starts.")]
    if not errors and (days["end"] - days["start"]).days > 3660:
        errors["end"] = [_("At most ten years at once.")]
    if errors:
        raise ValidationError(errors)
    return days["start"], days["end"]


def company_of(value):
    """The company asked for by id, else the first active one (404 for an unknown id)."""
    from django.http import Http404

    from kesher.org.models import Company

    companies = Company.objects.filter(active=True).order_by("name", "pk")
    if value:
        company = companies.filter(pk=value).first() if str(value).isdigit() else None
    else:
        company = companies.first()
    if company is None:
        raise Http404
    return company
