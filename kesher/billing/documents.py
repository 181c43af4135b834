"""Tax documents as PDF documents (issue 17 item 1; decisions 0076 and 0077): the mandatory
fields of a tax invoice (ISRAEL.md) on the platform's print template, with the quotes' line
table and totals, and the original printed once.

Downloading is printing: ``document_download`` counts the print through
``services.document_printed`` and renders in one transaction, so the first download of an
issued document is the original ("מקור"), every later one a copy ("העתק"), and a render that
fails counts nothing. A draft, or an invoice awaiting its allocation number, prints with the
draft watermark and no mark, and never uses up the original.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from kesher.billing.models import WITH_PAYMENTS, DocumentKind, TaxDocument
from kesher.billing.services import PrintMark, document_printed
from kesher.platform.pdf import html_to_pdf, render_html
from kesher.quotes.documents import document_language
from kesher.quotes.templatetags.quotes import doc_money

__all__ = ["document_download", "document_html", "document_language", "pdf_filename"]

TEMPLATE = "billing/pdf/document.html"
HOME_CURRENCY = "ILS"
COPY_MARKS = {PrintMark.ORIGINAL: "original", PrintMark.COPY: "copy"}


def _is_draft(document: TaxDocument) -> bool:
    return document.status in (TaxDocument.Status.DRAFT, TaxDocument.Status.AWAITING_ALLOCATION)


def document_html(document: TaxDocument, *, language: str, mark: PrintMark) -> str:
    """The finished HTML of the document's PDF in ``language``, marked ``mark``."""
    lines = list(document.lines.all()) if document.kind != DocumentKind.RECEIPT else []
    payments = list(document.payments.all()) if document.kind in WITH_PAYMENTS else []
    based_on = document.based_on
    with translation.override(language):
        title = document.get_kind_display()
        context = {
            "doc": document,
            "kind_title": title,
            "lines": [{"line": line, "period": ""} for line in lines],
            "any_discount": any(line.discount_percent for line in lines),
            "vat_rates": True,
            "less_discount": doc_money(-document.discount, document.currency),
            "foreign": document.currency != HOME_CURRENCY,
            "payments": payments,
            "paid": sum((payment.amount for payment in payments), start=document.withholding),
            "based_on": based_on,
            "based_on_title": based_on.get_kind_display() if based_on else "",
            "is_credit_note": document.kind == DocumentKind.CREDIT_NOTE,
            "is_receipt": document.kind == DocumentKind.RECEIPT,
            "is_transaction_invoice": document.kind == DocumentKind.INVOICE,
        }
    draft = _is_draft(document) or mark is PrintMark.DRAFT
    return render_html(
        TEMPLATE,
        context,
        language=language,
        title=f"{title} {document.number}".strip(),
        draft=draft,
        copy_mark="" if draft else COPY_MARKS[mark],
        company=document.company,
        # The administrator's template for tax documents (decision 0085).
        document_type="tax_document",
        record=document,
    )


def document_download(document: TaxDocument, *, language: str | None = None) -> bytes:
    """Print ``document`` once: count the print and render its PDF in ``language`` (None:
    the contact's or customer's language, else Hebrew) in one transaction."""
    language = document_language(document, language)
    with transaction.atomic():
        mark = document_printed(document)
        document = TaxDocument._base_manager.select_related(
            "account", "contact", "company", "owner", "based_on", "order", "payment_terms"
        ).get(pk=document.pk)
        return html_to_pdf(document_html(document, language=language, mark=mark))


def pdf_filename(document: TaxDocument, language: str) -> str:
    """``INV-00012.pdf``; a draft: ``tax_invoice-31-draft.pdf``."""
    stem = document.number or f"{document.kind}-{document.pk}-draft"
    return f"{stem}{'-en' if language == 'en' else ''}.pdf"
