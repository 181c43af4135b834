"""Tax documents' own pages: issuing, printing, credit notes, allocation decisions, a payment
against an invoice, and documents made from an order (issue 17; decision 0076)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kesher.billing import documents, services
from kesher.billing.models import DocumentKind, Payment, PaymentTerms
from kesher.billing.selectors import can_set_terms, invoice_balance
from kesher.billing.services import PaymentInput
from kesher.platform.pdf import pdf_response
from kesher.platform.ui.pages import entity_for, record_for

__all__: list[str] = []


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [text for texts in error.message_dict.values() for text in texts]
    return list(error.messages)


def _to(document):
    return redirect(reverse("entity_detail", args=["tax-documents", document.pk]))


@require_POST
@login_required
def document_action(request, pk, action):
    """The document's buttons: issue, credit note, and after a refused allocation number,
    issue without it or cancel by a credit note."""
    needed = {"credit-note": "add"}.get(action, "change")
    entity = entity_for("tax-documents", request.user, needed)
    document = record_for(entity, request.user, pk)
    try:
        if action == "issue":
            document = services.document_issue(document, actor=request.user)
            message = _("%(document)s was issued.") % {"document": document}
        elif action == "credit-note":
            document = services.credit_note_for(document, actor=request.user)
            message = _("A draft credit note was made.")
        elif action == "issue-without-allocation":
            document = services.allocation_waive(document, actor=request.user)
            message = _("Issued without an allocation number.")
        elif action == "cancel":
            document = services.allocation_cancel(document, actor=request.user)
            message = _("Cancelled by %(document)s.") % {"document": document}
        else:
            raise Http404
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return _to(document)
    messages.success(request, message)
    return _to(document)


@require_GET
@login_required
def document_pdf(request, pk):
    """The document's PDF, in the language asked (``?language=he|en``) or the customer's:
    each download is a print — the first of an issued document the original, then copies."""
    entity = entity_for("tax-documents", request.user, "view")
    document = record_for(entity, request.user, pk)
    language = documents.document_language(document, request.GET.get("language"))
    data = documents.document_download(document, language=language)
    return pdf_response(data, documents.pdf_filename(document, language))


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@login_required
def document_pay(request, pk):
    """A payment against an invoice (REQ CU-7): one means of payment and the tax withheld;
    the receipt is issued at once."""
    entity = entity_for("tax-documents", request.user, "add")
    invoice = record_for(entity, request.user, pk)
    if invoice.kind not in (DocumentKind.TAX_INVOICE, DocumentKind.TAX_INVOICE_RECEIPT):
        raise Http404
    errors: list[str] = []
    post = request.POST
    if request.method == "POST":
        amount = _amount(post.get("amount", ""))
        withholding = _amount(post.get("withholding") or "0")
        if amount is None or withholding is None:
            errors.append(_("Enter the amounts as numbers."))
        else:
            payment = PaymentInput(
                method=post.get("method", ""),
                amount=amount,
                paid_on=parse_date(post.get("paid_on", "") or "") or None,
                bank=post.get("bank", "")[:10],
                branch=post.get("branch", "")[:10],
                bank_account=post.get("bank_account", "")[:20],
                cheque_number=post.get("cheque_number", "")[:20],
                reference=post.get("reference", "")[:60],
            )
            try:
                receipt = services.receipt_for(
                    invoice, actor=request.user, payments=[payment], withholding=withholding
                )
            except ValidationError as error:
                errors = _messages(error)
            else:
                messages.success(request, _("%(document)s was issued.") % {"document": receipt})
                return _to(invoice)
    context = {
        "invoice": invoice,
        "balance": invoice_balance(invoice),
        "methods": Payment.Method.choices,
        "errors": errors,
        "values": post,
    }
    return render(request, "billing/pay.html", context)


@require_POST
@login_required
def from_order(request, pk):
    """A draft delivery note, proforma or invoice of a confirmed order."""
    entity_for("tax-documents", request.user, "add")
    order = record_for(entity_for("orders", request.user, "view"), request.user, pk)
    kind = request.POST.get("kind", "")
    try:
        document = services.document_from_order(order, actor=request.user, kind=kind)
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(reverse("entity_detail", args=["orders", order.pk]))
    messages.success(request, _("A draft %(document)s was made.") % {"document": document})
    return _to(document)


@require_POST
@login_required
def account_terms(request, pk):
    """The customer's usual payment terms, from his page's billing tile (REQ CU-7)."""
    account = record_for(entity_for("accounts", request.user, "change"), request.user, pk)
    if not can_set_terms(request.user, account):
        raise PermissionDenied
    chosen = request.POST.get("payment_terms", "")
    terms = None
    if chosen:
        terms = PaymentTerms.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        if terms is None:
            raise Http404
    try:
        services.customer_terms_set(account, actor=request.user, terms=terms)
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
    else:
        messages.success(request, _("The customer's payment terms were saved."))
    return redirect(reverse("entity_detail", args=["accounts", account.pk]))
