"""Every write of tax documents and payments (issue 17; docs ISRAEL.md; decision 0076).

A document is made from an order (its counted lines copied as priced, decision 0065) or from
the invoice it corrects or pays. While a draft it may change; ``document_issue`` takes the VAT
rate of each line on the document's date, the shekel amounts at the rate of that date, and the
next gap-free number of its company and kind inside one transaction, and from then on the
document is locked: an edit guard refuses every generic write (pages, API, bulk updates,
imports, automation) and the services refuse theirs. An invoice that needs an allocation
number waits for it (``kesher.billing.allocation``); a refusal is resolved by the user —
issued without the number (marked) or cancelled by a credit note — so the number is never
reused or left as a gap.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.billing.models import (
    INVOICES,
    WITH_LINES,
    WITH_PAYMENTS,
    AllocationRequest,
    AllocationThreshold,
    CustomerTerms,
    DocumentKind,
    ExternalInvoice,
    InvoiceLine,
    Payment,
    PaymentTerms,
    TaxDocument,
)
from kesher.catalogue.crediting import credited_lines
from kesher.catalogue.models import HOME_CURRENCY, ExchangeRate, Product, VatRate
from kesher.numbering.services import allocate_number
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import register_fact
from kesher.platform.records.inserts import (
    insert_rows,
    insert_statement,
    run_together,
    update_statement,
)
from kesher.platform.records.services import (
    audit_statement,
    record_create,
    record_update,
    write_audit,
)
from kesher.quotes.models import Order
from kesher.quotes.services import LINE_PRICES

__all__ = [
    "PaymentInput",
    "PrintMark",
    "allocation_cancel",
    "allocation_threshold",
    "allocation_waive",
    "credit_note_for",
    "customer_terms_set",
    "document_create",
    "document_from_order",
    "document_issue",
    "document_locked_among",
    "document_locked_reason",
    "document_printed",
    "document_set_payments",
    "document_update",
    "invoice_of_lines",
    "needs_allocation",
    "receipt_for",
    "register_issue_hook",
    "tax_invoice_from",
    "uncredited_lines",
]

ZERO = Decimal("0")
CENT = Decimal("0.01")
COPIED = (
    "product_id",
    "name",
    "sku",
    "quantity",
    "period",
    "periods",
    "addons",
    *LINE_PRICES,
    "unit_cost",
    "discount_limit",
)
# The account's history names the change of his usual terms (the values: the terms' records).
CUSTOMER_TERMS = register_fact("payment_terms", gettext_lazy("payment terms"))
SUMS = ("gross", "discount", "net", "vat", "total", "net_ils", "vat_ils", "total_ils")


# Other apps act on a document as it is issued, inside the issuing transaction: stock moves out
# on a delivery note (kesher.stock, decision 0083). A hook's ValidationError refuses the issue.
_issue_hooks: list = []


def register_issue_hook(hook) -> None:
    """Call ``hook(document, actor=...)`` for every document issued, before the commit."""
    if hook not in _issue_hooks:
        _issue_hooks.append(hook)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _refuse(message: str, field: str = "__all__"):
    raise ValidationError({field: [message]})


# --- the lock ----------------------------------------------------------------------------------


def document_locked_reason(instance) -> str | None:
    """Why a tax document may not be changed or deleted: it was issued (ISRAEL.md, §23א)."""
    if isinstance(instance, TaxDocument) and instance.status != TaxDocument.Status.DRAFT:
        return _("An issued document is locked: correct it by a credit note.")
    return None


def document_locked_among(entity_key: str, ids: list[int]) -> dict[int, str]:
    if entity_key != "tax-documents" or not ids:
        return {}
    issued = TaxDocument._base_manager.filter(pk__in=ids).exclude(status=TaxDocument.Status.DRAFT)
    reason = _("An issued document is locked: correct it by a credit note.")
    return dict.fromkeys(issued.values_list("pk", flat=True), reason)


def _lock(document: TaxDocument) -> TaxDocument:
    # Lock the document: issuing, printing and paying read its state and then write it.
    return TaxDocument._base_manager.select_for_update().get(pk=document.pk)


def _require_draft(document: TaxDocument) -> None:
    reason = document_locked_reason(document)
    if reason:
        _refuse(reason)


def _row_values(instance) -> dict:
    return {f.name: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _changed(instance, as_read: dict) -> tuple[str, ...]:
    """The fields of ``instance`` whose values differ from ``as_read`` (``_row_values``)."""
    now = _row_values(instance)
    return tuple(name for name, value in now.items() if as_read[name] != value)


def _values(instance) -> dict:
    """An unsaved ``instance``'s fields for ``insert_statement`` (its id from the database)."""
    return {
        f.name: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if not f.primary_key
    }


def _audit(document, actor, changes: dict) -> None:
    write_audit(document, actor=actor, action=AuditEntry.Action.UPDATE, changes=changes)


# --- making documents --------------------------------------------------------------------------


def _copy_lines(document: TaxDocument, lines, *, crediting: bool = False) -> None:
    rows = [
        InvoiceLine(
            document=document,
            position=position,
            source_line=line.position if crediting else None,
            **{name: getattr(line, name) for name in COPIED},
            **(
                {"net_ils": line.net_ils, "vat_ils": line.vat_ils, "total_ils": line.total_ils}
                if crediting
                else {}
            ),
        )
        for position, line in enumerate(lines, start=1)
    ]
    InvoiceLine.objects.bulk_create(rows)
    _store_totals(document, rows)


def _store_totals(document: TaxDocument, rows) -> None:
    for name in SUMS:
        setattr(document, name, sum((getattr(row, name) for row in rows), ZERO))
    document.cost = _round(sum(((row.unit_cost or ZERO) * row.quantity for row in rows), ZERO))


def _handed_over(order) -> bool:
    return ExternalInvoice.objects.filter(order=order).exists()


@transaction.atomic
def document_create(*, actor, data: dict, m2m: dict | None = None) -> TaxDocument:
    """A draft document (the generic form and API): made from ``order`` it copies the order's
    counted lines, customer, company and currency; a credit note copies the lines of the
    invoice it corrects not credited yet (decision 0065: never priced again)."""
    data = dict(data)
    order = data.get("order")
    if order is not None and not isinstance(order, Order):
        order = Order.objects.filter(pk=order).first()
    based_on = data.get("based_on")
    if based_on is not None and not isinstance(based_on, TaxDocument):
        based_on = TaxDocument.objects.filter(pk=based_on).first()
    source = order or based_on
    if source is not None:
        for name in ("account", "contact", "company", "currency"):
            if not data.get(name):
                data[name] = getattr(source, name)
    kind = data.get("kind")
    if kind in INVOICES and not data.get("payment_terms") and data.get("account"):
        # The customer's usual terms, unless the invoice names others (REQ CU-7).
        data["payment_terms"] = (
            CustomerTerms.objects.filter(account=data["account"]).values_list("terms", flat=True)
        ).first()
    if order is not None and order.status != Order.Status.CONFIRMED:
        _refuse(_("Only a confirmed order becomes a delivery note or an invoice."), "order")
    if order is not None and kind in INVOICES and _handed_over(order):
        # Handed over to outside invoicing software: invoiced there (decision 0084).
        _refuse(_("This order was handed over to the invoicing software."), "order")
    if based_on is not None and based_on.status == TaxDocument.Status.DRAFT:
        _refuse(_("Name an issued invoice."), "based_on")
    if kind in (DocumentKind.CREDIT_NOTE, DocumentKind.RECEIPT) and order is not None:
        _refuse(_("A credit note or a receipt is made from an invoice."), "order")
    converting = kind in INVOICES and based_on is not None
    if converting and based_on.kind != DocumentKind.INVOICE:
        _refuse(_("A tax invoice is made from a transaction invoice."), "based_on")
    document = record_create("tax-documents", actor=actor, data=data, m2m=m2m)
    if kind == DocumentKind.CREDIT_NOTE and based_on is not None:
        _copy_lines(document, uncredited_lines(based_on), crediting=True)
        document.exchange_rate = based_on.exchange_rate
    elif converting:
        # A transaction invoice made a tax invoice: its lines as issued; VAT again by the tax
        # invoice's own date when it is issued (decision 0086).
        _copy_lines(document, based_on.lines.order_by("position"))
        document.exchange_rate = based_on.exchange_rate
    elif order is not None and kind in WITH_LINES:
        _copy_lines(document, order.lines.filter(optional=False).order_by("position"))
        document.exchange_rate = order.exchange_rate
    else:
        return document
    document.save(update_fields=[*SUMS, "cost", "exchange_rate"])
    return document


@transaction.atomic
def customer_terms_set(account, *, actor, terms: PaymentTerms | None) -> CustomerTerms | None:
    """Set (or with None clear) a customer's usual payment terms; the account's history
    records the change. Only active terms are chosen."""
    if terms is not None and not terms.active:
        _refuse(_("These payment terms are no longer in use."), "payment_terms")
    current = CustomerTerms.objects.select_for_update().filter(account=account).first()
    before = current.terms if current is not None else None
    if before == terms:
        return current
    if terms is None:
        CustomerTerms.objects.filter(account=account).delete()
        row = None
    else:
        row, _created = CustomerTerms.objects.update_or_create(
            account=account, defaults={"terms": terms}
        )
    write_audit(
        account,
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        changes={CUSTOMER_TERMS: [before, terms]},
    )
    return row


@transaction.atomic
def document_update(
    document: TaxDocument, *, actor, data: dict, m2m=None, expected_version=None
) -> TaxDocument:
    """Change a draft's header; an issued document is locked (the edit guard says why)."""
    return record_update(
        document, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


@transaction.atomic
def document_from_order(order: Order, *, actor, kind: str, **data) -> TaxDocument:
    """A draft delivery note, proforma, tax invoice or invoice-receipt of a confirmed order."""
    if kind not in WITH_LINES or kind == DocumentKind.CREDIT_NOTE:
        _refuse(_("An order becomes a delivery note, a proforma or an invoice."), "kind")
    return document_create(
        actor=actor, data={"kind": kind, "order": order, "owner": order.owner, **data}
    )


@transaction.atomic
def tax_invoice_from(
    invoice: TaxDocument, *, actor, kind: str = DocumentKind.TAX_INVOICE
) -> TaxDocument:
    """A draft tax invoice (or tax invoice-receipt, when the customer has paid) of an issued
    transaction invoice (חשבונית עסקה, decision 0086): its customer, order, terms and lines,
    and ``based_on`` naming it, so the chain is kept. Once: while a tax invoice made from it
    is not cancelled, another is refused."""
    if invoice.kind != DocumentKind.INVOICE or invoice.status != TaxDocument.Status.ISSUED:
        _refuse(_("Only an issued transaction invoice is made a tax invoice."))
    if kind not in INVOICES:
        _refuse(_("A transaction invoice becomes a tax invoice or a tax invoice-receipt."), "kind")
    # Lock the transaction invoice: two users converting it at once make one tax invoice.
    _lock(invoice)
    made = (
        TaxDocument._base_manager.filter(based_on=invoice, kind__in=INVOICES)
        .exclude(status=TaxDocument.Status.CANCELLED)
        .first()
    )
    if made is not None:
        _refuse(
            _("This transaction invoice was made a tax invoice already: %(document)s.")
            % {"document": made}
        )
    return document_create(
        actor=actor,
        data={
            "kind": kind,
            "based_on": invoice,
            "order": invoice.order,
            "owner": invoice.owner,
            "name": invoice.name,
            "payment_terms": invoice.payment_terms,
        },
    )


@transaction.atomic
def invoice_of_lines(*, actor, data: dict, lines: list[dict]) -> tuple[TaxDocument, list[int]]:
    """A draft tax invoice of lines priced elsewhere — approved hours at their rate cards
    (``kesher.projects.invoicing``, decision 0106). Each line gives its ``product``, ``name``,
    ``quantity``, ``unit_price`` and ``net`` (the amount, already rounded); VAT is taken by its
    product's category on the document's date (and again when it is issued), the totals are
    the lines' sums. Returns the draft and its lines' ids in the order given, for the caller
    to link to."""
    if not lines:
        _refuse(_("Add at least one line before issuing."), "lines")
    document = document_create(actor=actor, data={"kind": DocumentKind.TAX_INVOICE, **data})
    rates = _vat_rates({line["product"] for line in lines}, document.doc_date)
    exchange = _rate_on(document)
    meta = InvoiceLine._meta
    # The values every line shares, prepared once by their fields.
    shared = {
        name: meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in (
            ("sku", ""),
            ("period", ""),
            ("addons", []),
            ("optional", False),
            ("source", ""),
            ("rule_discount_percent", ZERO),
            ("discount_percent", ZERO),
            ("discount", ZERO),
            ("over_limit", False),
        )
    }
    names = ["document", "position", "product", "name", "quantity", "unit_price", "gross", "net"]
    names += ["vat_rate", "vat", "total", "net_ils", "vat_ils", "total_ils", *shared]
    rows = []
    totals = dict.fromkeys(SUMS, ZERO)
    for position, line in enumerate(lines, start=1):
        rate = rates.get(line["product"])
        if rate is None:
            _refuse(_("Line %(n)s: no VAT rate on the document's date.") % {"n": position})
        net = line["net"]
        vat = _round(net * rate / 100)
        net_ils = _round(net * exchange)
        vat_ils = _round(net_ils * rate / 100)
        amounts = {
            "gross": net,
            "net": net,
            "vat": vat,
            "total": net + vat,
            "net_ils": net_ils,
            "vat_ils": vat_ils,
            "total_ils": net_ils + vat_ils,
        }
        for name, amount in amounts.items():
            totals[name] += amount
        # Decimals, integers and text as the database takes them (no field to ask per value):
        # a month's hours are thousands of lines (bench/projects.py).
        rows.append(
            (
                *(document.pk, position, line["product"], line["name"][:300], line["quantity"]),
                *(line["unit_price"], net, net, rate, vat, net + vat, net_ils, vat_ils),
                *(net_ils + vat_ils, *shared.values()),
            )
        )
    ids = insert_rows(InvoiceLine, [meta.get_field(name).column for name in names], rows)
    for name, total in totals.items():
        setattr(document, name, total)
    document.cost = ZERO
    document.exchange_rate = exchange
    document.save(update_fields=[*SUMS, "cost", "exchange_rate"])
    return document, ids


# What a credit note takes of a line: its quantity and every amount, so what is left of the
# line is the line less what its credit notes took, to the agora.
CREDITED = ("quantity", *SUMS)


def uncredited_lines(invoice: TaxDocument) -> list[InvoiceLine]:
    """The invoice's lines with what its credit notes (draft or issued) do not credit yet:
    each line's quantity and amounts less those its credit notes took of it (unsaved); a line
    credited in full is left out. A line is credited whole or in part, as often as quantity is
    left, so the credits add up to the invoice to the agora."""
    taken = {
        row.pop("source_line"): row
        for row in InvoiceLine.objects.filter(
            document__based_on=invoice, document__kind=DocumentKind.CREDIT_NOTE
        )
        .values("source_line")
        .order_by("source_line")
        .annotate(**{name: Sum(name) for name in CREDITED})
    }
    lines = []
    for line in invoice.lines.order_by("position"):
        took = taken.get(line.position)
        if took is not None:
            for name in CREDITED:
                setattr(line, name, getattr(line, name) - (took[name] or ZERO))
        if line.quantity or any(getattr(line, name) for name in SUMS):
            lines.append(line)
    return lines


@transaction.atomic
def credit_note_for(
    invoice: TaxDocument,
    *,
    actor,
    positions: list[int] | None = None,
    quantities: dict[int, Decimal] | None = None,
    notes: str = "",
) -> TaxDocument:
    """A draft credit note of an issued invoice: all that is not credited yet of its lines, or
    of those at ``positions``; ``quantities`` ({position: quantity}) credits part of a line's
    quantity, its amounts in proportion. A line's credits never add up to more than the line,
    and crediting everything brings the balance back exactly."""
    if invoice.kind not in INVOICES or invoice.status == TaxDocument.Status.DRAFT:
        _refuse(_("Only an issued tax invoice is credited."))
    # Lock the invoice: two credit notes made at once must not credit the same quantity twice.
    _lock(invoice)
    open_lines = uncredited_lines(invoice)
    if not open_lines:
        _refuse(_("Every line of this invoice is credited already."))
    chosen = credited_lines(open_lines, positions=positions, quantities=quantities, sums=SUMS)
    note = document_create(
        actor=actor,
        data={
            "kind": DocumentKind.CREDIT_NOTE,
            "based_on": invoice,
            "owner": invoice.owner,
            "notes": notes,
        },
    )
    note.lines.all().delete()
    _copy_lines(note, chosen, crediting=True)
    note.save(update_fields=[*SUMS, "cost"])
    return note


@dataclass(frozen=True)
class PaymentInput:
    """One means of payment as a form or the API sends it."""

    method: str
    amount: Decimal
    paid_on: object = None  # a date; empty: the receipt's date
    bank: str = ""
    branch: str = ""
    bank_account: str = ""
    cheque_number: str = ""
    reference: str = ""


def _check_payment(index: int, payment: PaymentInput) -> list[str]:
    errors = []
    where = {"n": index}
    if payment.method not in Payment.Method.values:
        errors.append(_("Payment %(n)s: choose how it was paid.") % where)
    if payment.amount is None or payment.amount <= 0:
        errors.append(_("Payment %(n)s: enter an amount above zero.") % where)
    elif payment.amount != _round(payment.amount):
        errors.append(_("Payment %(n)s: an amount is in agorot.") % where)
    if payment.method == Payment.Method.CHEQUE:
        missing = [
            name
            for name in ("bank", "branch", "bank_account", "cheque_number")
            if not getattr(payment, name).strip()
        ]
        if missing or not payment.paid_on:
            errors.append(
                _("Payment %(n)s: a cheque needs its bank, branch, account, number and date.")
                % where
            )
    by_reference = payment.method in (Payment.Method.TRANSFER, Payment.Method.CREDIT_CARD)
    if by_reference and not payment.reference.strip():
        errors.append(_("Payment %(n)s: enter the transfer's or card's reference.") % where)
    return errors


def _set_payments(document: TaxDocument, payments: list[PaymentInput]) -> Decimal:
    errors = [text for i, p in enumerate(payments, 1) for text in _check_payment(i, p)]
    if not payments:
        errors.append(_("Enter at least one payment."))
    if errors:
        raise ValidationError({"payments": errors})
    Payment.objects.filter(document=document).delete()
    Payment.objects.bulk_create(
        [
            Payment(
                document=document,
                position=position,
                method=p.method,
                amount=p.amount,
                paid_on=p.paid_on or document.doc_date,
                bank=p.bank.strip(),
                branch=p.branch.strip(),
                bank_account=p.bank_account.strip(),
                cheque_number=p.cheque_number.strip(),
                reference=p.reference.strip(),
            )
            for position, p in enumerate(payments, start=1)
        ]
    )
    return sum((p.amount for p in payments), ZERO)


def _check_not_above_balance(invoice: TaxDocument, settles: Decimal) -> None:
    from kesher.billing.selectors import invoice_unpaid

    # Cheques held until their date are the customer's payment already (decision 0084).
    open_balance = invoice_unpaid(invoice)
    if settles > open_balance:
        _refuse(
            _("The payment is more than the open balance (%(balance)s).")
            % {"balance": f"{open_balance:,.2f}"},
            "payments",
        )


@transaction.atomic
def receipt_for(
    invoice: TaxDocument,
    *,
    actor,
    payments: list[PaymentInput],
    withholding: Decimal = ZERO,
    doc_date=None,
    issue: bool = True,
) -> TaxDocument:
    """A receipt against an issued invoice (REQ CU-7): its payments and the tax withheld at
    source settle part or all of the invoice's open balance, never more. Issued at once
    unless ``issue`` is False."""
    if invoice.kind not in INVOICES or invoice.status == TaxDocument.Status.DRAFT:
        _refuse(_("A receipt pays an issued tax invoice."))
    if withholding is None or withholding < 0:
        _refuse(_("Tax withheld cannot be negative."), "withholding")
    # Lock the invoice: two receipts recorded at once must not both take the same balance.
    _lock(invoice)
    receipt = document_create(
        actor=actor,
        data={
            "kind": DocumentKind.RECEIPT,
            "based_on": invoice,
            "owner": invoice.owner,
            "withholding": withholding,
            "doc_date": doc_date or timezone.localdate(),
        },
    )
    received = _set_payments(receipt, payments)
    _check_not_above_balance(invoice, received + withholding)
    receipt.total = receipt.net = receipt.gross = received
    receipt.save(update_fields=["total", "net", "gross"])
    return document_issue(receipt, actor=actor) if issue else receipt


@transaction.atomic
def document_set_payments(
    document: TaxDocument, *, actor, payments: list[PaymentInput], withholding: Decimal = ZERO
) -> TaxDocument:
    """The payments of a draft invoice-receipt (paid as it is issued) or receipt."""
    locked = _lock(document)
    _require_draft(locked)
    if locked.kind not in WITH_PAYMENTS:
        _refuse(_("Only a receipt or an invoice-receipt records payments."), "payments")
    if withholding is None or withholding < 0:
        _refuse(_("Tax withheld cannot be negative."), "withholding")
    received = _set_payments(locked, payments)
    locked.withholding = withholding
    locked.updated_at = timezone.now()
    fields = ["withholding", "version", "updated_at"]
    if locked.kind == DocumentKind.RECEIPT:
        locked.total = locked.net = locked.gross = received
        fields += ["total", "net", "gross"]
    locked.version += 1
    locked.save(update_fields=fields)
    _audit(locked, actor, {"withholding": [None, str(withholding)]})
    return locked


# --- issuing -----------------------------------------------------------------------------------


def allocation_threshold(day) -> Decimal | None:
    """The threshold before VAT in force on ``day`` (None: none in force); of two rows from
    the same date, the later entered."""
    return (
        AllocationThreshold.objects.filter(valid_from__lte=day)
        .order_by("-valid_from", "-id")
        .values_list("amount", flat=True)
        .first()
    )


def needs_allocation(document: TaxDocument) -> bool:
    """An invoice charging VAT, to a business that deducts it (an organization with a company
    number), above the threshold of its date before VAT, in shekels (ISRAEL.md)."""
    if document.kind not in INVOICES or document.vat_ils <= 0:
        return False
    account = document.account
    if account.kind != account.Kind.ORGANIZATION or not account.company_number:
        return False
    threshold = allocation_threshold(document.doc_date)
    return threshold is not None and document.net_ils > threshold


def _rate_on(document: TaxDocument) -> Decimal:
    if document.currency == HOME_CURRENCY:
        return Decimal("1")
    rate = (
        ExchangeRate.objects.filter(currency=document.currency, valid_from__lte=document.doc_date)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        _refuse(
            _("No exchange rate of %(currency)s on the document's date.")
            % {"currency": document.currency}
        )
    return rate


def _vat_rates(products: set[int], day) -> dict[int, Decimal]:
    """Each product's VAT rate on ``day``: the rate of its category in force then."""
    categories = dict(Product.objects.filter(pk__in=products).values_list("pk", "vat_category_id"))
    by_category: dict[int, Decimal] = {}
    for category, rate in (
        VatRate.objects.filter(category__in=set(categories.values()), valid_from__lte=day)
        .order_by("category", "-valid_from")
        .values_list("category", "rate")
    ):
        by_category.setdefault(category, rate)
    return {
        product: by_category[category]
        for product, category in categories.items()
        if category in by_category
    }


def _apply_vat_by_date(document: TaxDocument) -> list[InvoiceLine]:
    """Each line's VAT at the rate of its product's category on the document's date (VAT is
    due by that date, ISRAEL.md), its shekel amounts at the date's rate, rounded per line as
    decision 0065 does; the totals are the sums of the lines. Returns the lines."""
    lines = list(document.lines.all())
    if not lines:
        return lines
    rates = _vat_rates({line.product_id for line in lines}, document.doc_date)
    exchange = _rate_on(document)
    rows = []
    for line in lines:
        rate = rates.get(line.product_id)
        if rate is None:
            _refuse(_("Line %(n)s: no VAT rate on the document's date.") % {"n": line.position})
        line.vat_rate = rate
        line.vat = _round(line.net * rate / 100)
        line.total = line.net + line.vat
        line.net_ils = _round(line.net * exchange)
        line.vat_ils = _round(line.net_ils * rate / 100)
        line.total_ils = line.net_ils + line.vat_ils
        rows.append(
            [line.vat_rate, line.vat, line.total, line.net_ils, line.vat_ils, line.total_ils]
        )
    # One statement for every line (bulk_update's CASE per field cost more than the rest of
    # issuing together; bench/issuing.py). Kesher's own names; the values go in the params.
    fields = ["vat_rate", "vat", "total", "net_ils", "vat_ils", "total_ils"]
    table = InvoiceLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {', '.join(f'{name} = %s' for name in fields)} "  # noqa: S608
            "WHERE id = %s",
            [
                [field.get_db_prep_save(value, connection) for field, value in zip(
                    (InvoiceLine._meta.get_field(name) for name in fields), row, strict=True
                )] + [line.pk]
                for row, line in zip(rows, lines, strict=True)
            ],
        )  # fmt: skip
    document.exchange_rate = exchange
    _store_totals(document, lines)
    return lines


def _check_issuable(document: TaxDocument, lines: list | None = None) -> None:
    has_lines = bool(lines) if lines is not None else document.lines.exists()
    if document.kind in WITH_LINES and not has_lines:
        _refuse(_("Add at least one line before issuing."), "lines")
    if document.kind in WITH_PAYMENTS and not document.payments.exists():
        _refuse(_("Enter at least one payment."), "payments")
    if document.kind == DocumentKind.CREDIT_NOTE:
        invoice = document.based_on
        if invoice is None or invoice.status == TaxDocument.Status.DRAFT:
            _refuse(_("A credit note names an issued invoice."), "based_on")
    if document.kind == DocumentKind.RECEIPT and document.based_on_id:
        _check_not_above_balance(document.based_on, document.total + document.withholding)
    if document.kind == DocumentKind.TAX_INVOICE_RECEIPT:
        paid = sum(document.payments.values_list("amount", flat=True), ZERO)
        if paid + document.withholding != document.total:
            _refuse(
                _("An invoice-receipt is paid in full: the payments come to %(paid)s of %(total)s.")
                % {
                    "paid": f"{paid + document.withholding:,.2f}",
                    "total": f"{document.total:,.2f}",
                },
                "payments",
            )


@transaction.atomic
def document_issue(document: TaxDocument, *, actor) -> TaxDocument:
    """Issue a draft: VAT by its date, the shekel amounts, the next gap-free number of its
    company and kind, the due date by its terms — and the lock. An invoice that needs an
    allocation number waits for it ("awaiting allocation"): it is neither delivered nor
    printed as the original until the Tax Authority answers (ISRAEL.md)."""
    # The document's row locked; its customer read beside it (the allocation rule asks).
    locked = (
        TaxDocument._base_manager.select_for_update(of=("self",))
        .select_related("account", "payment_terms")
        .get(pk=document.pk)
    )
    _require_draft(locked)
    as_read = _row_values(locked)
    lines = None
    if locked.kind in WITH_LINES and locked.kind != DocumentKind.CREDIT_NOTE:
        lines = _apply_vat_by_date(locked)
    elif locked.kind == DocumentKind.RECEIPT:
        locked.exchange_rate = _rate_on(locked)
        locked.net_ils = locked.total_ils = _round(locked.total * locked.exchange_rate)
    _check_issuable(locked, lines)
    allocated = allocate_number(company=locked.company_id, doc_type=locked.kind)
    locked.number = allocated.display
    locked.number_value = allocated.number
    locked.issued_at = locked.updated_at = timezone.now()
    if locked.payment_terms_id and locked.kind in INVOICES:
        locked.due_date = locked.payment_terms.due_date(locked.doc_date)
    elif locked.kind in INVOICES:
        locked.due_date = locked.doc_date
    request = None
    if needs_allocation(locked):
        locked.status = TaxDocument.Status.AWAITING_ALLOCATION
        locked.allocation = TaxDocument.Allocation.PENDING
        request = AllocationRequest(document=locked, next_attempt_at=locked.issued_at)
        request.created_at = locked.issued_at
    else:
        locked.status = TaxDocument.Status.ISSUED
    locked.version += 1
    # The row's changed columns, the request and the audit entry: one round trip on PostgreSQL.
    run_together(
        update_statement(locked, _changed(locked, as_read)),
        insert_statement(AllocationRequest, [_values(request)]) if request else None,
        audit_statement(
            locked,
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": [TaxDocument.Status.DRAFT, locked.status],
                "number": [None, locked.number],
            },
        ),
    )
    for hook in _issue_hooks:
        hook(locked, actor=actor)
    return locked


# --- allocation decisions ----------------------------------------------------------------------


def _require_refused(document: TaxDocument) -> None:
    if (
        document.allocation != TaxDocument.Allocation.REFUSED
        or document.status != TaxDocument.Status.AWAITING_ALLOCATION
    ):
        _refuse(_("This invoice's allocation number was not refused."))


@transaction.atomic
def allocation_waive(document: TaxDocument, *, actor) -> TaxDocument:
    """After a refusal, issue the invoice without an allocation number: it is marked so on
    the document, and the customer cannot deduct its VAT (ISRAEL.md)."""
    locked = _lock(document)
    _require_refused(locked)
    locked.status = TaxDocument.Status.ISSUED
    locked.allocation = TaxDocument.Allocation.WAIVED
    locked.updated_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "allocation", "version", "updated_at"])
    _audit(locked, actor, {"allocation": [TaxDocument.Allocation.REFUSED, locked.allocation]})
    return locked


@transaction.atomic
def allocation_cancel(document: TaxDocument, *, actor) -> TaxDocument:
    """After a refusal, cancel the invoice by a credit note of all its lines, issued at once;
    the invoice keeps its number (no gap) and is marked cancelled. Returns the credit note."""
    locked = _lock(document)
    _require_refused(locked)
    note = credit_note_for(
        locked,
        actor=actor,
        notes=_("Cancels %(number)s: allocation refused.") % {"number": locked.number},
    )
    note = document_issue(note, actor=actor)
    locked.status = TaxDocument.Status.CANCELLED
    locked.updated_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "version", "updated_at"])
    _audit(locked, actor, {"status": [TaxDocument.Status.AWAITING_ALLOCATION, locked.status]})
    return note


# --- printing ----------------------------------------------------------------------------------


class PrintMark(enum.StrEnum):
    """What a printed copy says: "טיוטה" on a draft (and while the allocation number is
    awaited), "מקור" on the first print of an issued document only, "העתק" on every later one
    (the computerized bookkeeping rules, ISRAEL.md)."""

    DRAFT = "draft"
    ORIGINAL = "original"
    COPY = "copy"

    @property
    def label(self) -> str:
        return {"draft": "טיוטה", "original": "מקור", "copy": "העתק"}[self.value]


@transaction.atomic
def document_printed(document: TaxDocument) -> PrintMark:
    """Count one print of ``document`` and say what it is marked. The PDF renderer calls this
    once per printed copy; the counter moves under the row's lock, so two printers at once
    never both get the original."""
    locked = _lock(document)
    if locked.status in (TaxDocument.Status.DRAFT, TaxDocument.Status.AWAITING_ALLOCATION):
        return PrintMark.DRAFT
    TaxDocument._base_manager.filter(pk=locked.pk).update(print_count=F("print_count") + 1)
    document.print_count = locked.print_count + 1
    return PrintMark.ORIGINAL if locked.print_count == 0 else PrintMark.COPY


# --- clearing accounts (payment links, decision 0084) ------------------------------------------


def _check_clearing(data: dict) -> dict:
    from kesher.billing.clearing import provider_keys

    data = dict(data)
    if "provider" in data and data["provider"] not in provider_keys():
        _refuse(
            _("Choose a provider Kesher knows: %(keys)s.") % {"keys": ", ".join(provider_keys())},
            "provider",
        )
    return data


@transaction.atomic
def clearing_account_create(*, actor, data: dict, m2m: dict | None = None):
    """A clearing account (an administrator's data): a provider Kesher knows and a secret."""
    data = _check_clearing(data)
    if not (data.get("secret") or "").strip():
        _refuse(_("This field is required."), "secret")
    return record_create("clearing-accounts", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def clearing_account_update(account, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a clearing account; a secret left empty keeps the stored one."""
    data = _check_clearing(data)
    if "secret" in data and not (data["secret"] or "").strip():
        data.pop("secret")
    return record_update(
        account, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


@transaction.atomic
def invoicing_adapter_create(*, actor, data: dict, m2m: dict | None = None):
    """Outside invoicing software (an administrator's data): a known adapter and a secret."""
    data = _check_adapter(data)
    if not (data.get("secret") or "").strip():
        _refuse(_("This field is required."), "secret")
    return record_create("invoicing-software", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def invoicing_adapter_update(adapter, *, actor, data: dict, m2m=None, expected_version=None):
    """Change the invoicing software's settings; a secret left empty keeps the stored one."""
    data = _check_adapter(data)
    if "secret" in data and not (data["secret"] or "").strip():
        data.pop("secret")
    return record_update(
        adapter, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


def _check_adapter(data: dict) -> dict:
    from kesher.billing.handover import adapter_kinds

    data = dict(data)
    if "kind" in data and data["kind"] not in adapter_kinds():
        _refuse(
            _("Choose an adapter Kesher knows: %(keys)s.") % {"keys": ", ".join(adapter_kinds())},
            "kind",
        )
    return data
