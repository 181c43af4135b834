"""Quotes and orders as PDF documents (issue 16 item 5; decision 0077): the document's
language, its finished HTML and its PDF through the platform's PDF service."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kesher.catalogue.models import PriceRule
from kesher.platform.pdf import LANGUAGES, html_to_pdf, render_html
from kesher.quotes.models import Order, Quote
from kesher.quotes.templatetags.quotes import doc_money

__all__ = ["document_html", "document_language", "document_pdf", "pdf_filename"]

TEMPLATE = "quotes/pdf/document.html"


def document_language(document, choice: str | None = None) -> str:
    """The language ``document`` is printed in: ``choice`` when it is one Kesher prints
    (the user's pick); else the contact's, then the customer's, "language" custom field
    when an administrator made one and it holds "he" or "en"; else Hebrew."""
    if choice in LANGUAGES:
        return str(choice)
    for party in (document.contact, document.account):
        value = (getattr(party, "custom", None) or {}).get("language") if party else None
        if value in LANGUAGES:
            return value
    return "he"


def _title(document) -> str:
    if isinstance(document, Quote):
        return _("Quote")
    return pgettext("document", "Order")


def acceptance_link(quote: Quote) -> str:
    """The customer's signed link to accept this version (decision 0068), absolute."""
    from kesher.quotes.views import acceptance_token

    path = reverse("customer_quote", args=[acceptance_token(quote)])
    return settings.KESHER_BASE_URL.rstrip("/") + path


def document_html(
    document: Quote | Order,
    *,
    language: str,
    copy_mark: str = "",
    template: dict | None = None,
    lines: list | None = None,
) -> str:
    """The finished HTML of the document's PDF in ``language`` (what WeasyPrint renders),
    with the administrator's document template (decision 0085) or, given, ``template``'s
    texts; ``lines`` given, those instead of the stored ones (the editor's sample)."""
    lines = list(document.lines.all()) if lines is None else lines
    periods = dict(PriceRule.Period.choices)
    with translation.override(language):
        title = _title(document)
        context = {
            "doc": document,
            "is_quote": isinstance(document, Quote),
            "lines": [
                {
                    "line": line,
                    "period": str(periods.get(line.period, "")) if line.period else "",
                }
                for line in lines
            ],
            "any_discount": any(line.discount_percent for line in lines),
            "less_discount": doc_money(-document.discount, document.currency),
            "accept_url": (
                acceptance_link(document)
                if isinstance(document, Quote) and document.status == Quote.Status.SENT
                else ""
            ),
        }
    return render_html(
        TEMPLATE,
        context,
        language=language,
        title=f"{title} {document.number}".strip(),
        draft=document.is_draft,
        copy_mark=copy_mark,
        company=document.company,
        document_type="quote" if isinstance(document, Quote) else "order",
        record=document,
        template=template,
    )


def document_pdf(document: Quote | Order, *, language: str | None = None) -> bytes:
    """The document's PDF in ``language`` (None: ``document_language``)."""
    return html_to_pdf(document_html(document, language=document_language(document, language)))


def pdf_filename(document: Quote | Order, language: str) -> str:
    """``Q-00012.pdf``, ``Q-00012-v2.pdf``; a draft: ``quote-31-draft.pdf``."""
    kind = "quote" if isinstance(document, Quote) else "order"
    stem = document.number or f"{kind}-{document.pk}-draft"
    if isinstance(document, Quote) and document.revision > 1:
        stem += f"-v{document.revision}"
    return f"{stem}{'-en' if language == 'en' else ''}.pdf"
