"""Quotes' and orders' PDFs (issue 16 item 5; decision 0077): the platform's PDF service,
what the documents say in Hebrew and English, the download page and API, and who may read
them."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from pypdf import PdfReader

from kesher.org.models import Company
from kesher.platform.models import Attachment
from kesher.platform.pdf import LocalOnlyFetcher, html_to_pdf, render_html
from kesher.quotes.documents import document_html, document_language, document_pdf
from kesher.quotes.services import order_create, order_set_lines, quote_send
from kesher.quotes.tests.factories import line, make_quote

pytestmark = pytest.mark.django_db

# A 1×1 PNG, the smallest logo there is.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def text_of(data: bytes) -> str:
    """The PDF's text without the invisible left-to-right isolates around numbers."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\u2066", "").replace("\u2069", "")


def save_looks(name: str, data: bytes) -> None:
    """``KESHER_PDF_LOOKS=/folder`` keeps the PDFs to turn into PNGs and look at."""
    folder = os.environ.get("KESHER_PDF_LOOKS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, name).write_bytes(data)


@pytest.fixture
def company(users):
    return Company.objects.create(
        name="קשר מערכות בע״מ", company_number="514000009", address="הרצל 1, חיפה"
    )


@pytest.fixture
def quote(users, account, catalogue, company):
    rep = users["sales_rep"]
    return make_quote(
        rep,
        account,
        line(catalogue["laptop"], "3", "5"),
        line(catalogue["laptop"], "1", optional=True),
        company=company,
        terms="שוטף + 30",
    )


def test_a_hebrew_draft_quote(quote, account):
    data = document_pdf(quote, language="he")
    save_looks("quote-he.pdf", data)
    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert account.name in text
    assert "קשר מערכות בע״מ" in text  # our company's header
    assert "514000009" in text
    # Extracted text comes in the order of the glyphs on the page, not of reading.
    assert "302.67" in text  # 3 × 90 less 5%, with 18% VAT
    assert "46.17" in text
    assert "₪" in text
    assert "טיוטה" in text  # a draft says so
    assert "מתוך" in text  # "page 1 of 1"
    html = document_html(quote, language="he")
    assert 'dir="rtl"' in html


def test_an_english_sent_quote(quote):
    sent = quote_send(quote, actor=quote.owner)
    data = document_pdf(sent, language="en")
    save_looks("quote-en.pdf", data)
    text = text_of(data)
    assert "Quote" in text
    assert sent.number in text
    assert "DRAFT" not in text
    assert "Page 1 of 1" in text
    assert "Subtotal before VAT" in text
    assert "/q/" in text  # the customer's signed link to accept it


def test_an_order_over_several_pages_repeats_its_header(users, account, catalogue, company):
    rep = users["sales_rep"]
    order = order_create(actor=rep, data={"account": account, "company": company, "name": "x"})
    order = order_set_lines(
        order, actor=rep, lines=[line(catalogue["laptop"], str(n + 1)) for n in range(40)]
    )
    data = document_pdf(order, language="he")
    save_looks("order-he.pdf", data)
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) >= 2
    second = pages[1].extract_text()
    assert "תיאור" in second  # the lines' heading again on the next page
    assert "קשר מערכות" in second  # and the company's header
    assert "30" in second  # a quantity of 30 is 30, not 3E+1
    assert "3E+1" not in text_of(data)
    assert "הזמנה" in text_of(data)


def test_the_document_language(quote, account):
    assert document_language(quote) == "he"
    assert document_language(quote, "en") == "en"
    assert document_language(quote, "fr") == "he"
    # The customer's own language, in a custom field an administrator made.
    account.custom = {"language": "en"}
    quote.account = account
    assert document_language(quote) == "en"


def test_copy_marks_logo_and_a_hostile_value_fetch_nothing(quote, company, monkeypatch):
    """A tax document passes its copy mark; the logo comes inline; nothing in a record makes
    WeasyPrint reach the network or read a file (decision 0077)."""
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(company),
        object_id=company.pk,
        name="logo.png",
        size=len(PNG),
        mime_type="image/png",
    )
    attachment.file.save("logo.png", ContentFile(PNG), save=False)
    attachment.save()
    html = render_html(
        "quotes/pdf/document.html",
        {"doc": quote, "lines": [], "is_quote": True},
        language="he",
        title="x",
        copy_mark="original",
        company=company,
    )
    assert "מקור" in html
    assert "data:image/png;base64," in html
    with pytest.raises(ValueError, match="copy mark"):
        render_html("quotes/pdf/document.html", {}, language="he", title="x", copy_mark="x")

    connects = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connects.append(address))
    hostile = (
        '<img src="http://127.0.0.1:9/tracker.png">'
        '<link rel="stylesheet" href="https://example.com/a.css">'
        '<img src="file:///etc/passwd"><p style="background: url(ftp://example.com/x)">x</p>'
    )
    fetcher = LocalOnlyFetcher()
    assert html_to_pdf(hostile, fetcher=fetcher).startswith(b"%PDF")
    assert connects == []
    assert len(fetcher.refused) == 4
    # In a record the same value is text, escaped, never markup.
    assert "&lt;img" in render_html(
        "quotes/pdf/document.html",
        {"doc": quote, "lines": [], "is_quote": True, "accept_url": hostile},
        language="en",
        title="x",
    )


def test_download_pages(quote, users, client_for):
    rep, other = users["sales_rep"], users["sales_rep2"]
    answer = client_for(rep).get(f"/quotes/{quote.pk}/pdf/?language=en")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert f"quote-{quote.pk}-draft-en.pdf" in answer["Content-Disposition"]
    assert answer.content.startswith(b"%PDF")
    assert client_for(other).get(f"/quotes/{quote.pk}/pdf/").status_code == 404
    page = client_for(rep).get(f"/r/quotes/{quote.pk}/")
    assert f"/quotes/{quote.pk}/pdf/?language=he" in page.content.decode()


def test_the_api_gives_the_pdf_to_those_who_see_the_record(quote, users, api_for, api_schema):
    rep, other = users["sales_rep"], users["sales_rep2"]
    answer = api_for(rep).get(
        f"/api/v1/quotes/{quote.pk}/pdf/?language=he", HTTP_ACCEPT="application/pdf"
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert "302.67" in text_of(answer.content)
    assert api_for(other).get(f"/api/v1/quotes/{quote.pk}/pdf/").status_code == 404
    assert api_for(None).get(f"/api/v1/quotes/{quote.pk}/pdf/").status_code in (401, 403)
    schema = api_schema()
    operation = schema["paths"]["/api/v1/quotes/{id}/pdf/"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert "/api/v1/orders/{id}/pdf/" in schema["paths"]
    assert schema["paths"]["/api/v1/quotes/{id}/email/"]["post"]["operationId"] == "quotes_email"


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler's pdftoppm is not installed")
def test_the_pages_read_right_to_left_in_hebrew_and_left_to_right_in_english(quote, tmp_path):
    """The first page as an image (pdftoppm, as a person sees it): the title stands at the
    right in Hebrew and at the left in English."""
    from PIL import Image

    for language, side in (("he", "right"), ("en", "left")):
        source = tmp_path / f"{language}.pdf"
        source.write_bytes(document_pdf(quote, language=language))
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "50",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                source,
                tmp_path / language,
            ],
            check=True,
        )
        image = Image.open(tmp_path / f"{language}.png").convert("L")
        width, height = image.size
        # The title's band, under the company's header and above the customer's details.
        band = image.crop((0, int(height * 0.11), width, int(height * 0.145)))
        ink = band.point(lambda value: 255 if value < 128 else 0).getbbox()
        assert ink is not None, f"{language}: no title"
        left, _top, right, _bottom = ink
        if side == "right":
            assert left > width / 2, f"{language}: the title is not at the right"
        else:
            assert right < width / 2, f"{language}: the title is not at the left"
