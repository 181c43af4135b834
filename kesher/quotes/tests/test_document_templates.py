"""Admin-editable document templates (issue 16 item 5; decision 0085): saving them (merge
fields checked, template code refused, the logo's bytes checked), the template a document
prints with, what the PDFs show in Hebrew and English (with the copy mark and "page X of Y"
kept), the editor's preview, and the tax documents printing with them too."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from kesher.org.models import Company
from kesher.platform.pdf import html_to_pdf, render_html
from kesher.quotes.doctemplates import (
    document_template_create,
    document_template_logo,
    document_template_update,
    template_for,
)
from kesher.quotes.documents import document_html, document_pdf
from kesher.quotes.models import DocumentTemplate
from kesher.quotes.tests.factories import line, make_quote
from kesher.quotes.tests.test_pdf import PNG, save_looks, text_of

pytestmark = pytest.mark.django_db

HOSTILE = '<img src="http://evil.example/x.png"> {{ number }} <script>alert(1)</script>'


@pytest.fixture
def company(users):
    return Company.objects.create(
        name="קשר מערכות בע״מ", company_number="514000009", address="הרצל 1, חיפה"
    )


@pytest.fixture
def quote(users, account, catalogue, company):
    return make_quote(
        users["sales_rep"],
        account,
        *[line(catalogue["laptop"], "1") for _ in range(45)],
        company=company,
        terms="שוטף + 30",
    )


def _template(admin, **values):
    data = {
        "name": "הצעות מחיר",
        "document_type": "quote",
        "details_he": "בנק הפועלים, סניף 600, חשבון 123456",
        "details_en": "Bank Hapoalim, branch 600, account 123456",
        "terms_he": "המחירים בהצעה {{ number }} אינם כוללים התקנה.",
        "terms_en": "Prices in quote {{ number }} exclude installation.",
        "footer_he": "תודה שבחרתם בנו · www.example.co.il",
        "footer_en": "Thank you for choosing us · www.example.co.il",
        **values,
    }
    return document_template_create(actor=admin, data=data)


# --- saving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}",
        "{{ number|upper }}",
        "{{ account.__class__ }}",
        "{{ cost }}",
        "{{ no_such_field }}",
        "{# comment #}",
    ],
)
def test_template_code_and_unknown_names_are_refused_and_nothing_is_written(users, text):
    with pytest.raises(ValidationError) as error:
        _template(users["admin"], terms_he=text)
    assert "terms_he" in error.value.message_dict
    assert not DocumentTemplate.objects.exists()


def test_a_template_for_all_documents_may_name_only_the_document(users):
    template = _template(
        users["admin"], document_type="", terms_he="מסמך {{ name }}", terms_en="", footer_he=""
    )
    with pytest.raises(ValidationError):
        document_template_update(
            template, actor=users["admin"], data={"terms_he": "{{ valid_until }}"}
        )
    with pytest.raises(ValidationError):
        _template(users["admin"], document_type="invoice")


def test_the_footer_is_one_line(users):
    template = _template(users["admin"], footer_he="שורה\nשנייה\r\n  ושלישית")
    assert template.footer_he == "שורה שנייה ושלישית"


def test_the_logo_must_be_a_png_or_a_jpeg_by_its_bytes(users):
    template = _template(users["admin"])
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(ValidationError):
        document_template_logo(template, actor=users["admin"], uploaded=fake)
    real = SimpleUploadedFile("my picture.gif", PNG, content_type="image/gif")
    attachment = document_template_logo(template, actor=users["admin"], uploaded=real)
    assert attachment.name == "logo.png"
    assert attachment.mime_type == "image/png"


def test_the_most_specific_active_template_applies(users, company):
    admin = users["admin"]
    general = _template(admin, name="כללי", document_type="")
    for_quotes = _template(admin, name="הצעות")
    mine = _template(admin, name="הצעות של החברה", company=company)
    other = Company.objects.create(name="אחרת", company_number="515000008")
    assert template_for(company, "quote") == mine
    assert template_for(other, "quote") == for_quotes
    assert template_for(company, "order") == general
    assert template_for(company, "tax_document") == general
    DocumentTemplate.objects.update(active=False)
    assert template_for(company, "quote") is None


# --- printing ---------------------------------------------------------------------------------


def test_a_hebrew_and_an_english_quote_print_with_the_template(users, quote):
    _template(users["admin"])
    hebrew = document_pdf(quote, language="he")
    english = document_pdf(quote, language="en")
    save_looks("template-quote-he.pdf", hebrew)
    save_looks("template-quote-en.pdf", english)
    he, en = text_of(hebrew), text_of(english)
    assert "בנק הפועלים" in he
    assert "Bank Hapoalim, branch 600" in en
    assert "תודה שבחרתם בנו" in he
    assert "Thank you for choosing us" in en
    # The merge field took the quote's value; the document's own terms stay.
    assert "התקנה" in he
    assert "שוטף" in he
    assert "exclude installation" in en
    # Every page has the footer and "page X of Y".
    pages = len(PdfReader(io.BytesIO(hebrew)).pages)
    assert pages >= 2
    assert he.count("תודה שבחרתם בנו") == pages
    assert f"{pages}  מתוך{pages} עמוד" in he
    assert f"Page {pages} of {pages}" in en


def test_english_falls_back_to_hebrew_text_by_text(users, quote):
    _template(users["admin"], details_en="", footer_en="Thanks")
    en = text_of(document_pdf(quote, language="en"))
    assert "בנק הפועלים" in en
    assert "Thanks" in en


def test_the_company_details_can_be_left_out(users, quote):
    _template(users["admin"], show_company_details=False)
    html = document_html(quote, language="he")
    assert "514000009" not in html.split("<main>")[0]
    assert "קשר מערכות" in html.split("<main>")[0]


def test_hostile_values_stay_text_and_fetch_nothing(users, quote):
    quote.number = '<img src="http://evil.example/y.png">'
    _template(users["admin"], footer_he="{{ number }}", details_he="<b>לא מודגש</b>")
    html = document_html(quote, language="he")
    assert '<img src="http://evil' not in html
    assert "&lt;b&gt;לא מודגש&lt;/b&gt;" in html
    assert html_to_pdf(html).startswith(b"%PDF")


def test_the_template_logo_replaces_the_companys(users, quote):
    template = _template(users["admin"])
    upload = SimpleUploadedFile("x.png", PNG)
    document_template_logo(template, actor=users["admin"], uploaded=upload)
    html = document_html(quote, language="he")
    assert 'class="logo" src="data:image/png;base64,' in html


def test_a_tax_document_keeps_its_copy_mark_and_takes_the_general_template(users, company):
    _template(users["admin"], document_type="", terms_he="תנאים כלליים {{ name }}")
    html = render_html(
        "platform/pdf/base.html",
        {},
        language="he",
        title="חשבונית מס 7",
        copy_mark="original",
        company=company,
        document_type="tax_document",
    )
    assert "copy-mark" in html
    assert "מקור" in html
    assert "בנק הפועלים" in html
    assert "תודה שבחרתם בנו" in html
    assert "counter(pages)" in html


# --- the editor and its preview ---------------------------------------------------------------


def test_the_editor_saves_a_template_and_its_logo(client_for, users):
    client = client_for(users["admin"])
    assert client.get("/document-templates/new/").status_code == 200
    response = client.post(
        "/document-templates/new/",
        {
            "name": "חשבוניות",
            "document_type": "tax_document",
            "show_company_details": "on",
            "footer_he": "תודה",
            "active": "on",
            "logo": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = DocumentTemplate.objects.get()
    assert template.footer_he == "תודה"
    page = client.get(f"/document-templates/{template.pk}/editor/").content.decode()
    assert 'id="current-logo"' in page


def test_a_repeated_create_post_makes_one_template(client_for, users):
    """A double click, or a browser resending the POST on a connection the server closed
    (seen in the browser flow under load: two templates from one click), makes one template:
    the form's one-time token answers the repeat with the template the first made."""
    import re

    client = client_for(users["admin"])
    page = client.get("/document-templates/new/").content.decode()
    token = re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)
    fields = {"name": "הצעות", "document_type": "quote", "active": "on", "submission": token}
    first = client.post("/document-templates/new/", fields)
    again = client.post("/document-templates/new/", fields)
    template = DocumentTemplate.objects.get()
    assert first["Location"] == again["Location"] == f"/document-templates/{template.pk}/editor/"
    other = client.get("/document-templates/new/").content.decode()
    assert token not in other  # each form its own token


def test_the_preview_renders_the_unsaved_template(client_for, users, quote):
    client = client_for(users["admin"])
    fields = {"document_type": "quote", "footer_he": "כותרת תחתונה {{ number }}", "language": "he"}
    pdf = client.post("/document-templates/preview/", {**fields, "as": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = text_of(pdf.content)
    assert "כותרת תחתונה" in text
    assert "Q-00042" in text
    assert "לקוח לדוגמה" in text or "Sample customer" not in text
    on_quote = client.post(
        "/document-templates/preview/", {**fields, "as": "pdf", "preview_quote": quote.pk}
    )
    assert "כותרת תחתונה" in text_of(on_quote.content)
    assert not DocumentTemplate.objects.exists()
    page = client.post("/document-templates/preview/", fields, HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    if shutil.which("pdftoppm"):
        assert b'class="img-fluid border shadow-sm mb-3 preview-page" src="data:image/png' in (
            page.content
        )
    refused = client.post("/document-templates/preview/", {**fields, "footer_he": "{% now %}"})
    assert refused.status_code == 400
    assert "תגיות תבנית אינן מותרות" in refused.content.decode()  # translated


def test_a_quote_the_user_may_not_see_is_not_previewed(client_for, users, quote):
    """The second rep sees none of the first rep's quotes; and without the template grant
    there is no preview at all."""
    assert (
        client_for(users["admin"])
        .post("/document-templates/preview/", {"preview_quote": 999999})
        .status_code
        == 404
    )
    rep = client_for(users["sales_rep"])
    assert rep.post("/document-templates/preview/", {"preview_quote": quote.pk}).status_code == 403


def test_an_issued_tax_invoice_prints_with_the_tax_documents_template(
    users, account, catalogue, company
):
    """The tax documents' hook (kesher/billing/documents.py passes ``tax_document`` and the
    document): their template's merge fields take the invoice's values, and the original
    mark, the allocation rules and "page X of Y" stay as they were."""
    from decimal import Decimal

    from kesher.billing.documents import document_download
    from kesher.billing.models import DocumentKind
    from kesher.billing.services import document_from_order, document_issue
    from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines

    _template(users["admin"], name="quotes only", footer_he="רק להצעות")
    _template(
        users["admin"],
        name="חשבוניות",
        document_type="tax_document",
        terms_he="לתשלום עד {{ due_date }}",
        terms_en="",
        footer_he="חשבונית {{ number }}",
    )
    rep = users["sales_rep"]
    order = order_create(actor=rep, data={"account": account, "company": company})
    lines = [LineInput(product=catalogue["laptop"].pk, quantity=Decimal(2))]
    order = order_confirm(order_set_lines(order, actor=rep, lines=lines), actor=rep)
    draft = document_from_order(order, actor=rep, kind=DocumentKind.TAX_INVOICE)
    invoice = document_issue(draft, actor=rep)
    data = document_download(invoice, language="he")
    save_looks("template-invoice-he.pdf", data)
    text = text_of(data)
    assert "מקור" in text
    assert invoice.number in text.split("חשבונית")[-1] or invoice.number in text
    assert "רק להצעות" not in text
    assert "לתשלום עד" in text or "עד לתשלום" in text
    assert "1  מתוך1 עמוד" in text


def test_the_logo_is_uploaded_through_the_api_too(users, api_for, api_schema):
    template = _template(users["admin"])
    api = api_for(users["admin"])
    url = f"/api/v1/document-templates/{template.pk}/logo/"
    refused = api.post(url, {"file": SimpleUploadedFile("x.png", b"GIF89a...")}, format="multipart")
    assert refused.status_code == 400
    assert api.post(url, {}, format="multipart").status_code == 400
    answer = api.post(url, {"file": SimpleUploadedFile("x.png", PNG)}, format="multipart")
    assert answer.status_code == 201, answer.content
    assert answer.json()["name"] == "logo.png"
    assert api_for(users["sales_rep"]).post(url, {}, format="multipart").status_code == 403
    schema = api_schema()
    assert "/api/v1/document-templates/{id}/logo/" in schema["paths"]
