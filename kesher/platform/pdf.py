"""PDF documents from Django templates, rendered by WeasyPrint (DESIGN.md "documents";
decision 0077).

A document template extends ``platform/pdf/base.html``, which carries the one print
stylesheet (``platform/pdf/print.css``): right to left for Hebrew and left to right for
English, Noto fonts from the system (the install step puts them there), the company's header
repeated on every page, "page X of Y", a draft watermark and an optional copy mark
("original" / "copy", which tax documents pass). The finished HTML holds everything it needs:
the stylesheet inline and the logo as a ``data:`` URI, so rendering fetches nothing. The
fetcher given to WeasyPrint refuses every other URL, so a hostile value in a record (an
``<img src="http://…">`` slipped into a description) cannot make the server reach anything.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from weasyprint import HTML
from weasyprint.urls import URLFetcher

__all__ = [
    "COPY_MARKS",
    "LANGUAGES",
    "LOGO_MAX_BYTES",
    "LocalOnlyFetcher",
    "company_header",
    "html_to_pdf",
    "logo_data_uri",
    "pdf_response",
    "register_template_source",
    "render_html",
    "render_pdf",
]

LANGUAGES = ("he", "en")
# The mark a tax document prints on its first issue and on every later print (ISRAEL.md).
COPY_MARKS = {"original": gettext_lazy("Original"), "copy": gettext_lazy("Copy")}
LOGO_TYPES = {"image/png", "image/jpeg"}
LOGO_MAX_BYTES = 1_000_000


class LocalOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher, allowed only ``data:`` URIs and files under Kesher's own static
    folders; any other URL is refused (and remembered in ``refused``, for tests), so nothing
    in a document can make the server open a connection or read another file."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.refused: list[str] = []
        self.roots = [
            Path(settings.BASE_DIR, "kesher", "static").resolve(),
            Path(settings.STATIC_ROOT).resolve(),
        ]

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            from urllib.request import url2pathname

            path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
            if any(path.is_relative_to(root) for root in self.roots):
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError("Kesher's documents fetch nothing outside Kesher's own files.")


@dataclass
class PdfPage:
    """What ``platform/pdf/base.html`` needs besides the document's own context."""

    language: str
    title: str
    draft: bool = False
    copy_mark: str = ""
    company: dict[str, str] = field(default_factory=dict)
    # The administrator's template (decision 0085): show_details, details, terms, footer.
    template: dict[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        return "rtl" if self.language == "he" else "ltr"

    @property
    def page_label(self) -> tuple[str, str]:
        """The words around the page numbers: "עמוד X מתוך Y" / "Page X of Y"."""
        before, _middle, after = _("Page %(page)s of %(pages)s").partition("%(page)s")
        return before, after.replace("%(pages)s", "").strip()


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (the page label goes into ``content:``)."""
    escaped = "".join(c if c.isalnum() or c in " -.,:" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def logo_data_uri(record) -> str:
    """The logo attached to ``record`` (a company, or a document template) as a ``data:``
    URI: its newest image file whose name starts with "logo" (PNG or JPEG, at most 1 MB);
    empty when there is none."""
    from django.contrib.contenttypes.models import ContentType

    from kesher.platform.models import Attachment

    attachment = (
        Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            name__istartswith="logo",
            mime_type__in=LOGO_TYPES,
            size__lte=LOGO_MAX_BYTES,
        )
        .order_by("-uploaded_at", "-pk")
        .first()
    )
    if attachment is None:
        return ""
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        return ""
    return f"data:{attachment.mime_type};base64,{base64.b64encode(data).decode()}"


_logo = logo_data_uri


# The document templates administrators edit (decision 0085) live in a domain app; it
# registers here the function that finds a document's template and merges its texts:
# ``source(company=, document_type=, language=, record=)`` → a dict of ``show_details``,
# ``details``, ``terms``, ``footer`` and ``logo`` (empty: no template applies).
_template_source: list[Callable[..., dict[str, Any]]] = []


def register_template_source(source: Callable[..., dict[str, Any]]) -> None:
    """Set the function that gives a document its administrator's template texts."""
    _template_source[:] = [source]


def company_header(company) -> dict[str, str]:
    """Our company's name, company number, address, phone, e-mail and logo for the header;
    with no company given, the organization's only active company (if it has one)."""
    from kesher.org.models import Company

    if company is None:
        active = list(Company.objects.filter(active=True)[:2])
        company = active[0] if len(active) == 1 else None
    if company is None:
        return {}
    return {
        "name": company.name,
        "number": company.company_number or "",
        "address": company.address,
        "phone": str(company.phone or ""),
        "email": company.email,
        "logo": _logo(company),
    }


def render_html(
    template_name: str,
    context: dict[str, Any],
    *,
    language: str,
    title: str,
    draft: bool = False,
    copy_mark: str = "",
    company=None,
    document_type: str = "",
    record=None,
    template: dict[str, Any] | None = None,
) -> str:
    """The finished HTML of a document: ``template_name`` (which extends
    ``platform/pdf/base.html``) rendered in ``language`` with the page's furniture and the
    administrator's template for ``document_type`` and ``company`` (its merge fields filled
    from ``record``); ``template`` given, that one instead (the editor's preview)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown document language {language!r}")
    if copy_mark and copy_mark not in COPY_MARKS:
        raise ValueError(f"unknown copy mark {copy_mark!r}")
    with translation.override(language):
        if template is None and _template_source:
            template = _template_source[0](
                company=company, document_type=document_type, language=language, record=record
            )
        template = template or {}
        header = company_header(company)
        if template.get("logo"):
            header["logo"] = template["logo"]
        page = PdfPage(
            language=language,
            title=title,
            draft=draft,
            copy_mark=str(COPY_MARKS[copy_mark]) if copy_mark else "",
            company=header,
            template=template,
        )
        before, after = page.page_label
        return render_to_string(
            template_name,
            {
                **context,
                "pdf": page,
                "page_before": _css_string(before),
                "page_after": _css_string(f" {after} " if after else " / "),
            },
        )


def html_to_pdf(html: str, *, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """WeasyPrint's PDF of finished HTML, with the fetcher that fetches nothing remote."""
    base = Path(settings.BASE_DIR, "kesher", "static").resolve().as_uri() + "/"
    fetcher = fetcher or LocalOnlyFetcher()
    return HTML(string=html, base_url=base, url_fetcher=fetcher).write_pdf()


def render_pdf(template_name: str, context: dict[str, Any], **page: Any) -> bytes:
    """The PDF of ``template_name`` rendered with ``context``; ``page`` as ``render_html``
    takes it (language, title, draft, copy_mark, company)."""
    return html_to_pdf(render_html(template_name, context, **page))


def pdf_response(data: bytes, filename: str, *, inline: bool = False):
    """An HTTP answer carrying a PDF: downloaded (or shown, ``inline``), never cached."""
    from django.http import HttpResponse
    from django.utils.cache import add_never_cache_headers
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
