"""Tax documents' own pages: issuing, printing, credit notes, allocation decisions, a payment
against an invoice, and documents made from an order (issue 17; decision 0076)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kesher.billing import cheques, documents, exports, handover, paylinks, services
from kesher.billing.models import DocumentKind, Payment, PaymentTerms
from kesher.billing.selectors import can_set_terms, invoice_balance
from kesher.billing.services import PaymentInput
from kesher.org.models import Company
from kesher.platform import accesslog
from kesher.platform.pdf import pdf_response
from kesher.platform.ui.pages import entity_for, record_for

__all__: list[str] = []


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [text for texts in error.message_dict.values() for text in texts]
    return list(error.messages)


def _to(document):
    return redirect(reverse("entity_detail", args=["tax-documents", document.pk]))


def _credited_lines(post) -> tuple[list[int] | None, dict | None]:
    """The lines ticked on the credit-note form and the quantity typed beside each (all that
    is left of a line, unless less); none when the form named no lines (credit everything)."""
    if not post.get("lines_chosen"):
        return None, None
    positions = [int(v) for v in post.getlist("position") if v.isdigit()]
    quantities = {}
    for position in positions:
        typed = post.get(f"quantity_{position}", "").strip()
        if typed:
            try:
                quantities[position] = Decimal(typed)
            except InvalidOperation:
                quantities[position] = None  # refused by the service, with the line named
    return positions, quantities


@require_POST
@login_required
def document_action(request, pk, action):
    """The document's buttons: issue, credit note, and after a refused allocation number,
    issue without it or cancel by a credit note."""
    needed = {"credit-note": "add", "payment-link": "add", "tax-invoice": "add"}.get(
        action, "change"
    )
    entity = entity_for("tax-documents", request.user, needed)
    document = record_for(entity, request.user, pk)
    try:
        if action == "issue":
            document = services.document_issue(document, actor=request.user)
            message = _("%(document)s was issued.") % {"document": document}
        elif action == "credit-note":
            positions, quantities = _credited_lines(request.POST)
            document = services.credit_note_for(
                document, actor=request.user, positions=positions, quantities=quantities
            )
            message = _("A draft credit note was made.")
        elif action == "tax-invoice":
            document = services.tax_invoice_from(document, actor=request.user)
            message = _("A draft tax invoice was made of the transaction invoice.")
        elif action == "issue-without-allocation":
            document = services.allocation_waive(document, actor=request.user)
            message = _("Issued without an allocation number.")
        elif action == "payment-link":
            request_ = paylinks.payment_link_send(document, actor=request.user)
            message = _("A payment link for %(amount)s was sent to the customer.") % {
                "amount": f"{request_.amount:,.2f}"
            }
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


@require_POST
@login_required
def cheque_returned(request, pk, position):
    """Mark a cheque of an issued receipt as returned by the bank (decision 0084): the
    receipt stays as issued; its amount is owed again on the invoice."""
    entity = entity_for("tax-documents", request.user, "change")
    document = record_for(entity, request.user, pk)
    payment = document.payments.filter(position=position).first()
    if payment is None:
        raise Http404
    try:
        cheques.cheque_return(
            payment,
            actor=request.user,
            reason=request.POST.get("reason", "")[:500],
            returned_on=parse_date(request.POST.get("returned_on", "") or "") or None,
        )
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
    else:
        messages.success(request, _("The cheque was marked returned; its amount is owed again."))
    return _to(document)


@require_GET
@login_required
def accountant(request):
    """For the accountant (decision 0084): a period's documents or payments as CSV or XLSX —
    only documents the reader may see, headers in his language."""
    entity_for("tax-documents", request.user, "view")
    params = request.GET
    errors: list[str] = []
    if "start" in params or "end" in params:
        what = params.get("what", "documents")
        fmt = params.get("output", "csv")
        if what not in exports.EXPORTS or fmt not in ("csv", "xlsx", "zip"):
            raise Http404
        try:
            start, end = exports.parse_period(params.get("start"), params.get("end"))
        except ValidationError as error:
            errors = _messages(error)
        else:
            return _export_response(request, what, fmt, start, end)
    today = timezone.localdate()
    context = {
        "errors": errors,
        "start": params.get("start") or today.replace(day=1).isoformat(),
        "end": params.get("end") or today.isoformat(),
        "exports": list(exports.EXPORTS.items()),
        "companies": list(Company.objects.filter(active=True).order_by("name")),
    }
    return render(request, "billing/accountant.html", context, status=400 if errors else 200)


def _export_response(request, what, fmt, start, end, company=None) -> HttpResponse:
    if fmt == "zip":
        company = company or exports.company_of(request.GET.get("company"))
    # Named by its records' ids, as a list's export is (the access log, issue 25).
    held = exports.held_records(what, request.user, start, end, company if fmt == "zip" else None)
    for key, ids in held.items():
        accesslog.note_export(key, ids)
    if fmt == "zip":
        from kesher.billing.uniformfile import build

        files = build(company, request.user, start, end)
        response = HttpResponse(files.zipped(), content_type="application/zip")
        name = f"openfrmt-{start:%Y%m%d}-{end:%Y%m%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    right_to_left = (request.LANGUAGE_CODE or "he")[:2] == "he"
    data = exports.export_bytes(what, fmt, request.user, start, end, right_to_left=right_to_left)
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    response = HttpResponse(data, content_type=content_type)
    name = exports.filename(what, fmt, start, end)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def hand_over(request, pk):
    """Hand a confirmed order over to the enabled invoicing software (decision 0084)."""
    entity_for("tax-documents", request.user, "add")
    order = record_for(entity_for("orders", request.user, "view"), request.user, pk)
    try:
        handover.order_hand_over(order, actor=request.user)
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
    else:
        messages.success(request, _("The order was handed over to the invoicing software."))
    return redirect(reverse("entity_detail", args=["orders", order.pk]))
