"""The document-template editor (issue 16 item 5; decision 0085): the template's fields beside
a preview of the printed document — a chosen quote, or a sample one — refreshed as the
administrator types. The preview is the PDF itself, its pages shown as images (poppler's
``pdftoppm``, installed with the fonts), or opened whole."""

from __future__ import annotations

import base64
import datetime
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.customers.models import Account
from kesher.org.models import Company
from kesher.platform.access import can
from kesher.platform.pdf import LANGUAGES, html_to_pdf, logo_data_uri, pdf_response
from kesher.platform.ui.forms import form_for
from kesher.platform.ui.pages import entity_for, save_form
from kesher.quotes import doctemplates, documents
from kesher.quotes.models import DocumentTemplate, Quote, QuoteLine

__all__: list[str] = []

QUOTE_CHOICES = 30
PREVIEW_DPI = "60"
PREVIEW_PAGES = 3


def _quotes(user) -> list[Quote]:
    """The newest quotes the user may see, for the preview's document list."""
    if not can(user, "quotes", "view"):
        return []
    return list(
        Quote.objects.visible_to(user).select_related("account").order_by("-id")[:QUOTE_CHOICES]
    )


@login_required
def template_editor(request, pk=None):
    """Create or edit a document template beside its live preview."""
    template = None
    if pk is not None:
        entity = entity_for("document-templates", request.user, "change")
        template = get_object_or_404(DocumentTemplate.objects.all(), pk=pk)
    else:
        entity = entity_for("document-templates", request.user, "add")
    form = form_for(entity, request.user)(request.POST or None, instance=template)
    for name in ("details_en", "terms_en", "footer_en"):
        form.fields[name].widget.attrs["dir"] = "ltr"
    logo_error = ""
    if request.method == "POST" and form.is_valid():
        saved = save_form(request, entity, form, template)
        if saved is not None:
            uploaded = request.FILES.get("logo")
            if uploaded is not None:
                try:
                    doctemplates.document_template_logo(
                        saved, actor=request.user, uploaded=uploaded
                    )
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                    return redirect(reverse("document_template_editor", args=[saved.pk]))
            messages.success(request, _("The document template was saved."))
            return redirect(reverse("document_template_editor", args=[saved.pk]))
    document_type = form["document_type"].value() or (template.document_type if template else "")
    context = {
        "form": form,
        "template": template,
        "logo": logo_data_uri(template) if template else "",
        "logo_error": logo_error,
        "quotes": _quotes(request.user),
        "merge_fields": doctemplates.merge_fields(document_type),
    }
    return render(request, "quotes/template_editor.html", context)


def _draft(request) -> DocumentTemplate:
    """An unsaved template from the editor's fields (with the saved one's id, for its logo)."""
    post = request.POST
    draft = DocumentTemplate(
        document_type=post.get("document_type", ""),
        show_company_details=post.get("show_company_details") in ("on", "true", "1"),
        **{name: post.get(name, "") for name in doctemplates.TEXT_FIELDS},
    )
    saved = post.get("template", "")
    if saved.isdigit() and DocumentTemplate.objects.filter(pk=int(saved)).exists():
        draft.pk = int(saved)
    company = post.get("company", "")
    if company.isdigit():
        draft.company = Company.objects.filter(pk=int(company)).first()
    return draft


def sample_quote(user, company) -> tuple[Quote, list[QuoteLine]]:
    """An unsaved quote with three lines, to preview a template when no quote is chosen."""
    today = timezone.localdate()
    account = Account(name=_("Sample customer Ltd."), company_number="514000009")
    quote = Quote(
        name=_("Sample quote"),
        account=account,
        company=company,
        owner=user,
        currency="ILS",
        doc_date=today,
        valid_until=today + datetime.timedelta(days=30),
        # Neither a draft (no watermark) nor sent (no acceptance link for an unsaved quote).
        status=Quote.Status.ACCEPTED,
        number="Q-00042",
        terms=_("Delivery within 14 days."),
    )
    rows = ((_("Laptop"), "LP-100", 3, "4200.00"), (_("Installation"), "SRV-1", 1, "350.00"))
    lines = []
    for position, (name, sku, quantity, price) in enumerate(rows, start=1):
        net = Decimal(price) * quantity
        lines.append(
            QuoteLine(
                position=position,
                name=name,
                sku=sku,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                gross=net,
                net=net,
                vat_rate=Decimal(18),
                vat=(net * Decimal("0.18")).quantize(Decimal("0.01")),
            )
        )
    quote.gross = quote.net = sum((line.net for line in lines), Decimal(0))
    quote.vat = sum((line.vat for line in lines), Decimal(0))
    quote.total = quote.net + quote.vat
    return quote, lines


def page_images(pdf: bytes, *, pages: int = PREVIEW_PAGES) -> list[str]:
    """The PDF's first ``pages`` pages as PNG ``data:`` URIs (pdftoppm); none without it."""
    program = shutil.which("pdftoppm")
    if not program:
        return []
    with tempfile.TemporaryDirectory(prefix="kesher-preview-") as folder:
        source = Path(folder, "document.pdf")
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603  (a fixed program and arguments, our own file)
            [program, "-r", PREVIEW_DPI, "-l", str(pages), "-png", str(source), f"{folder}/p"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        images = sorted(Path(folder).glob("p-*.png"))
        return [
            f"data:image/png;base64,{base64.b64encode(i.read_bytes()).decode()}" for i in images
        ]


@login_required
@require_POST
def template_preview(request):
    """The document as the editor's unsaved template prints it, in the language chosen, on
    the quote chosen (one the user may see) or a sample: page images for the editor (htmx),
    or the PDF itself (``as=pdf``). Template syntax or unknown merge fields: the messages."""
    entity_for("document-templates", request.user, "view")
    draft = _draft(request)
    language = request.POST.get("language", "he")
    language = language if language in LANGUAGES else "he"
    chosen = request.POST.get("preview_quote", "")
    lines = None
    if chosen.isdigit():
        entity = entity_for("quotes", request.user, "view")
        document = get_object_or_404(
            entity.queryset().visible_to(request.user).select_related("account", "company"),
            pk=int(chosen),
        )
    else:
        with translation.override(language):
            document, lines = sample_quote(request.user, draft.company or None)
    errors: list[str] = []
    try:
        doctemplates.check_texts(draft)
    except ValidationError as error:
        errors = list(error.messages)
    if errors:
        status = 200 if request.htmx else 400
        context = {"errors": errors}
        return render(request, "quotes/template_editor.html#preview", context, status=status)
    texts = doctemplates.template_texts(draft, language=language, record=document)
    html = documents.document_html(document, language=language, template=texts, lines=lines)
    pdf = html_to_pdf(html)
    if request.POST.get("as") == "pdf":
        return pdf_response(pdf, f"preview-{language}.pdf", inline=True)
    context = {"images": page_images(pdf), "language": language}
    return render(request, "quotes/template_editor.html#preview", context)
