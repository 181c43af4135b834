"""Document templates in a real browser (issue 16 item 5; decision 0085): an administrator
writes a template for quotes — more details, general terms with a merge field, a footer —
sees the quote's pages as pictures while typing, in Hebrew (right to left) and in English,
refuses template code, saves it with a logo, and the quote's PDF prints with it."""

from __future__ import annotations

import base64
import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from kesher.quotes.models import DocumentTemplate
from kesher.quotes.tests.test_pdf import PNG

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler's pdftoppm is not installed"),
]


def _page_image(page) -> Image.Image:
    """The preview's first page, as the browser received it."""
    source = page.locator("#preview-pages img").first.get_attribute("src")
    return Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("L")


def _ink_side(image: Image.Image) -> str:
    """Which half the title's band (under the header) has its ink in."""
    width, height = image.size
    band = image.crop((0, int(height * 0.11), width, int(height * 0.145)))
    box = band.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert box is not None, "no title"
    return "right" if box[0] > width / 2 else "left" if box[2] < width / 2 else "both"


def test_admin_writes_a_document_template_and_sees_the_pages_while_typing(
    users, open_page, log_in, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    admin = users["admin"]
    # Templates another test left in the live server's database are not this one's.
    others = list(DocumentTemplate.objects.values_list("pk", flat=True))
    page = open_page()
    log_in(page, admin.username)
    page.goto("/document-templates/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#id_name").fill("הצעות מחיר")
    page.locator("#id_document_type").select_option("quote")
    page.locator("#id_details_he").fill("בנק הפועלים, סניף 600, חשבון 123456")
    page.locator("#id_terms_he").fill("הצעה {{ number }} בתוקף 30 יום.")
    page.locator("#id_footer_he").fill("תודה שבחרתם בנו")
    page.locator("#id_footer_en").fill("Thank you for choosing us")
    expect(page.locator("#preview-pages img")).to_have_count(1, timeout=60_000)
    hebrew = _page_image(page)
    assert _ink_side(hebrew) == "right"
    keep = Path(os.environ.get("KESHER_PDF_LOOKS") or tmp_path)
    keep.mkdir(parents=True, exist_ok=True)
    hebrew.save(keep / "template-preview-he.png")
    screenshot(page, "document-template-editor-he")

    page.locator("#preview-language").select_option("en")
    expect(page.locator("#preview-pages")).to_have_attribute("lang", "en", timeout=60_000)
    english = _page_image(page)
    assert _ink_side(english) == "left"
    english.save(keep / "template-preview-en.png")

    # Template code is refused in the preview, naming nothing it would run.
    page.locator("#id_footer_he").fill("{% load static %}")
    expect(page.locator("#preview-errors")).to_be_visible(timeout=60_000)
    page.locator("#id_footer_he").fill("תודה שבחרתם בנו")
    expect(page.locator("#preview-pages img")).to_have_count(1, timeout=60_000)

    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    page.locator("#id_logo").set_input_files(str(logo))
    page.locator("#save-document-template").click()
    expect(page.locator("#current-logo")).to_be_visible()
    template = DocumentTemplate.objects.exclude(pk__in=others).get()
    assert template.footer_he == "תודה שבחרתם בנו"
    assert template.terms_he == "הצעה {{ number }} בתוקף 30 יום."
