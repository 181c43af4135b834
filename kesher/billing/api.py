"""Tax documents' own API beside the generated resource (``/api/v1/tax-documents/``): a
document with its lines, payments and balance; issuing, printing, credit notes, receipts and
allocation decisions; documents made from an order; a customer's balance (issue 17; decision
0076)."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.billing import documents, services
from kesher.billing.models import DocumentKind, Payment, PaymentTerms, TaxDocument
from kesher.billing.selectors import (
    account_billing,
    can_set_terms,
    customer_terms,
    invoice_balance,
)
from kesher.billing.services import PaymentInput
from kesher.customers.models import Account
from kesher.platform.access import can
from kesher.platform.api.pdf import PdfRenderer, pdf_schema
from kesher.platform.pdf import pdf_response
from kesher.quotes.models import Order

__all__: list[str] = []

MONEY = {"max_digits": 14, "decimal_places": 2}


class TaxPaymentSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    amount = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)
    bank = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    branch = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    bank_account = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    cheque_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class ReceiptRequestSerializer(serializers.Serializer):
    payments = TaxPaymentSerializer(many=True, max_length=50)
    withholding = serializers.DecimalField(min_value=Decimal("0"), default=Decimal("0"), **MONEY)
    doc_date = serializers.DateField(required=False, allow_null=True, default=None)


class PaymentsRequestSerializer(serializers.Serializer):
    payments = TaxPaymentSerializer(many=True, max_length=50)
    withholding = serializers.DecimalField(min_value=Decimal("0"), default=Decimal("0"), **MONEY)


class CreditRequestSerializer(serializers.Serializer):
    positions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="The invoice's lines to credit (each whole); empty: every line not credited.",
    )


class FromOrderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            (k, label)
            for k, label in DocumentKind.choices
            if k not in (DocumentKind.CREDIT_NOTE, DocumentKind.RECEIPT)
        ]
    )


class TaxLineSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    net_ils = serializers.DecimalField(**MONEY)
    vat_ils = serializers.DecimalField(**MONEY)
    total_ils = serializers.DecimalField(**MONEY)


class TaxPaymentReadSerializer(TaxPaymentSerializer):
    paid_on = serializers.DateField()


class TaxDocumentWithLinesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.CharField(help_text="Empty while a draft.")
    status = serializers.CharField()
    version = serializers.IntegerField()
    currency = serializers.CharField()
    exchange_rate = serializers.DecimalField(max_digits=14, decimal_places=6)
    net = serializers.DecimalField(**MONEY)
    vat = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    withholding = serializers.DecimalField(**MONEY)
    net_ils = serializers.DecimalField(**MONEY)
    vat_ils = serializers.DecimalField(**MONEY)
    total_ils = serializers.DecimalField(**MONEY)
    due_date = serializers.DateField(allow_null=True)
    allocation = serializers.CharField()
    allocation_number = serializers.CharField()
    allocation_reason = serializers.CharField()
    print_count = serializers.IntegerField()
    based_on = serializers.IntegerField(source="based_on_id", allow_null=True)
    order = serializers.IntegerField(source="order_id", allow_null=True)
    balance = serializers.SerializerMethodField()
    lines = TaxLineSerializer(many=True)
    payments = TaxPaymentReadSerializer(many=True)

    def get_balance(self, document) -> str | None:
        """Open balance of an issued invoice, in its currency; null for other documents."""
        if not document.is_invoice or document.is_draft:
            return None
        return f"{invoice_balance(document):.2f}"


class BillingSummarySerializer(serializers.Serializer):
    invoiced = serializers.DecimalField(**MONEY)
    open_balance = serializers.DecimalField(**MONEY)
    overdue = serializers.DecimalField(**MONEY)
    overdue_count = serializers.IntegerField()
    oldest_overdue_due = serializers.DateField(
        allow_null=True, help_text="The due date of the oldest overdue invoice."
    )
    average_days_to_pay = serializers.FloatField(allow_null=True)
    average_terms_days = serializers.FloatField(allow_null=True)
    pays_late_by = serializers.FloatField(allow_null=True)


DOCUMENT_EXAMPLE = {
    "id": 41,
    "kind": "tax_invoice",
    "number": "00017",
    "status": "awaiting",
    "version": 3,
    "currency": "ILS",
    "exchange_rate": "1.000000",
    "net": "24000.00",
    "vat": "4320.00",
    "total": "28320.00",
    "withholding": "0.00",
    "net_ils": "24000.00",
    "vat_ils": "4320.00",
    "total_ils": "28320.00",
    "due_date": "2027-01-30",
    "allocation": "pending",
    "allocation_number": "",
    "allocation_reason": "",
    "print_count": 0,
    "based_on": None,
    "order": 8,
    "balance": "28320.00",
    "lines": [
        {
            "position": 1,
            "product": 7,
            "name": "מחשב נייד 14 אינץ׳",
            "quantity": "6.000",
            "unit_price": "4000.00",
            "discount": "0.00",
            "net": "24000.00",
            "vat_rate": "18.00",
            "vat": "4320.00",
            "total": "28320.00",
            "net_ils": "24000.00",
            "vat_ils": "4320.00",
            "total_ils": "28320.00",
        }
    ],
    "payments": [],
}
REFUSED = OpenApiExample(
    "Refused (400)",
    value={"__all__": ["מסמך שהופק נעול: תיקון נעשה בחשבונית זיכוי."]},
    response_only=True,
    status_codes=["400"],
)


def _document(request, pk, action: str) -> TaxDocument:
    if not can(request.user, "tax-documents", action):
        raise PermissionDenied
    document = TaxDocument.objects.visible_to(request.user).filter(pk=pk).first()
    if document is None:
        raise NotFound
    return document


def _reply(document: TaxDocument, status: int = 200) -> Response:
    document = TaxDocument._base_manager.prefetch_related("lines", "payments").get(pk=document.pk)
    return Response(TaxDocumentWithLinesSerializer(document).data, status=status)


def _payments(rows) -> list[PaymentInput]:
    return [PaymentInput(**row) for row in rows]


class DocumentLinesView(APIView):
    """A tax document with its lines, payments and open balance."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="tax_documents_lines",
        summary="A tax document with its lines and payments",
        responses={200: TaxDocumentWithLinesSerializer},
        examples=[OpenApiExample("An invoice awaiting its allocation number", DOCUMENT_EXAMPLE)],
    )
    def get(self, request, pk):
        return _reply(_document(request, pk, "view"))


class DocumentPaymentsView(APIView):
    """The payments of a draft invoice-receipt (paid in full as it is issued)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="tax_documents_payments_replace",
        summary="Replace a draft invoice-receipt's payments",
        request=PaymentsRequestSerializer,
        responses={200: TaxDocumentWithLinesSerializer},
        examples=[REFUSED],
    )
    def put(self, request, pk):
        document = _document(request, pk, "change")
        body = PaymentsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.document_set_payments(
            document,
            actor=request.user,
            payments=_payments(body.validated_data["payments"]),
            withholding=body.validated_data["withholding"],
        )
        return _reply(document)


class ReceiptView(APIView):
    """A receipt against an issued invoice, issued at once: cash, cheques, transfers, credit
    cards and the tax withheld at source, up to the open balance (REQ CU-7)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="tax_documents_receipt",
        summary="Record a payment against an invoice",
        request=ReceiptRequestSerializer,
        responses={201: TaxDocumentWithLinesSerializer},
        examples=[
            OpenApiExample(
                "A cheque for part of the invoice",
                value={
                    "payments": [
                        {
                            "method": "cheque",
                            "amount": "10000.00",
                            "paid_on": "2026-12-31",
                            "bank": "12",
                            "branch": "600",
                            "bank_account": "123456",
                            "cheque_number": "1001",
                        }
                    ],
                    "withholding": "0",
                },
                request_only=True,
            ),
            REFUSED,
        ],
    )
    def post(self, request, pk):
        invoice = _document(request, pk, "add")
        body = ReceiptRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        receipt = services.receipt_for(
            invoice,
            actor=request.user,
            payments=_payments(body.validated_data["payments"]),
            withholding=body.validated_data["withholding"],
            doc_date=body.validated_data["doc_date"],
        )
        return _reply(receipt, status=201)


class CreditNoteView(APIView):
    """A draft credit note of an issued invoice: every line not credited yet, or those named."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="tax_documents_credit_note",
        summary="Make a credit note of an invoice",
        request=CreditRequestSerializer,
        responses={201: TaxDocumentWithLinesSerializer},
        examples=[REFUSED],
    )
    def post(self, request, pk):
        invoice = _document(request, pk, "add")
        body = CreditRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.credit_note_for(
            invoice, actor=request.user, positions=body.validated_data["positions"]
        )
        return _reply(note, status=201)


class DocumentPdfView(APIView):
    """The document's PDF; each download is a print (ISRAEL.md): the first of an issued
    document is the original ("מקור"), every later one a copy ("העתק"); a draft, or an invoice
    awaiting its allocation number, carries the draft watermark and uses up nothing."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @pdf_schema(
        tag="tax-documents",
        operation_id="tax_documents_pdf",
        summary="Print a document as a PDF",
        description=(
            "The document printed (WeasyPrint) with the mandatory fields of a tax invoice: our "
            "company and dealer number, the customer and his company number, type, number and "
            "date, the lines with their VAT rate, the totals, the allocation number, the invoice "
            "a credit note credits, shekel amounts and rate of a foreign currency, and a "
            "receipt's payments with cheque details and tax withheld. Counted as a print: the "
            "first download of an issued document is marked 'מקור', each later one 'העתק'; a "
            "draft or an invoice awaiting its allocation number is marked 'טיוטה' and counts "
            "nothing. Only documents the caller may see (404 otherwise)."
        ),
        example="The original of a tax invoice",
    )
    def get(self, request, pk):
        document = _document(request, pk, "view")
        language = documents.document_language(document, request.query_params.get("language"))
        return pdf_response(
            documents.document_download(document, language=language),
            documents.pdf_filename(document, language),
        )


def _action_view(name: str, call, summary: str, doc: str):
    class ActionView(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(
            tags=["tax-documents"],
            operation_id=f"tax_documents_{name.replace('-', '_')}",
            summary=summary,
            description=doc,
            request=None,
            responses={200: TaxDocumentWithLinesSerializer},
            examples=[OpenApiExample("Done", DOCUMENT_EXAMPLE, response_only=True), REFUSED],
        )
        def post(self, request, pk):
            document = _document(request, pk, "change")
            return _reply(call(document, actor=request.user))

    ActionView.__name__ = ActionView.__qualname__ = f"Document{name.title().replace('-', '')}View"
    ActionView.__doc__ = doc
    return ActionView


ACTIONS = {
    "issue": (
        services.document_issue,
        "Issue a draft document",
        "VAT by the document's date, the next gap-free number of its company and kind, and the "
        "lock; an invoice above the allocation threshold waits for its allocation number.",
    ),
    "issue-without-allocation": (
        services.allocation_waive,
        "Issue an invoice whose allocation number was refused, without it",
        "Marked on the document; the customer cannot deduct its VAT.",
    ),
    "cancel": (
        services.allocation_cancel,
        "Cancel an invoice whose allocation number was refused",
        "Issues a credit note of all its lines; the answer is the credit note.",
    ),
}
ACTION_VIEWS = {
    name: _action_view(name, call, summary, doc) for name, (call, summary, doc) in ACTIONS.items()
}


class FromOrderView(APIView):
    """A draft delivery note, proforma, tax invoice or invoice-receipt of a confirmed order,
    its counted lines copied as priced (decision 0065)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="orders_tax_document",
        summary="Make a tax document from an order",
        request=FromOrderSerializer,
        responses={201: TaxDocumentWithLinesSerializer},
        examples=[REFUSED],
    )
    def post(self, request, pk):
        if not can(request.user, "tax-documents", "add") or not can(request.user, "orders", "view"):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.visible_to(request.user), pk=pk)
        body = FromOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = services.document_from_order(
            order, actor=request.user, kind=body.validated_data["kind"]
        )
        return _reply(document, status=201)


class AccountBillingView(APIView):
    """A customer's invoiced total, open balance, overdue debt and days to pay against his
    terms, in shekels (REQ CU-7, CU-8)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="accounts_billing",
        summary="A customer's balance and payment behaviour",
        responses={200: BillingSummarySerializer},
    )
    def get(self, request, pk):
        if not can(request.user, "tax-documents", "view") or not can(
            request.user, "accounts", "view"
        ):
            raise PermissionDenied
        account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
        summary = account_billing(account)
        data = {**summary.__dict__, "pays_late_by": summary.pays_late_by}
        return Response(BillingSummarySerializer(data).data)


class CustomerTermsSerializer(serializers.Serializer):
    payment_terms = serializers.PrimaryKeyRelatedField(
        queryset=PaymentTerms.objects.all(),
        allow_null=True,
        help_text="The customer's usual payment terms (an id of /payment-terms/); null: none.",
    )
    name = serializers.CharField(read_only=True, allow_null=True)


def _terms_reply(account) -> Response:
    terms = customer_terms(account)
    return Response(
        {"payment_terms": terms.pk if terms else None, "name": terms.name if terms else None}
    )


class AccountTermsView(APIView):
    """A customer's usual payment terms: an invoice made for him takes them unless it names
    others (REQ CU-7). Read by whoever sees the account; set by whoever may change it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="accounts_payment_terms",
        summary="A customer's usual payment terms",
        responses={200: CustomerTermsSerializer},
    )
    def get(self, request, pk):
        if not can(request.user, "accounts", "view"):
            raise PermissionDenied
        return _terms_reply(get_object_or_404(Account.objects.visible_to(request.user), pk=pk))

    @extend_schema(
        tags=["tax-documents"],
        operation_id="accounts_payment_terms_set",
        summary="Set a customer's usual payment terms",
        request=CustomerTermsSerializer,
        responses={200: CustomerTermsSerializer},
        examples=[
            OpenApiExample("שוטף + 30", {"payment_terms": 2}, request_only=True),
            OpenApiExample("Set", {"payment_terms": 2, "name": "שוטף + 30"}, response_only=True),
            REFUSED,
        ],
    )
    def put(self, request, pk):
        if not can(request.user, "accounts", "change"):
            raise PermissionDenied
        account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
        if not can_set_terms(request.user, account):
            raise PermissionDenied
        body = CustomerTermsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.customer_terms_set(
            account, actor=request.user, terms=body.validated_data["payment_terms"]
        )
        return _terms_reply(account)
