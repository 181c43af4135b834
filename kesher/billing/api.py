"""Tax documents' own API beside the generated resource (``/api/v1/tax-documents/``): a
document with its lines, payments and balance; issuing, printing, credit notes, receipts and
allocation decisions; documents made from an order; a customer's balance (issue 17; decision
0076)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
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
from kesher.platform.api.throttling import AnonRateThrottle
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


class CreditLineSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, help_text="The invoice's line.")
    quantity = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        help_text="How much of what is left of the line's quantity to credit.",
    )


class CreditRequestSerializer(serializers.Serializer):
    positions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="The invoice's lines to credit (all that is left of each); empty, and no "
        "``lines``: every line not credited.",
    )
    lines = CreditLineSerializer(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="Part of a line's quantity to credit (goods partly returned): its amounts "
        "in proportion.",
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
    returned_on = serializers.SerializerMethodField(
        help_text="The day a cheque was returned by the bank (it then counts for nothing)."
    )

    def get_returned_on(self, payment) -> str | None:
        returned = getattr(payment, "returned", None)  # a reverse one-to-one: None if absent
        return returned.returned_on.isoformat() if returned is not None else None


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
    held = serializers.DecimalField(
        help_text="Post-dated cheques received, counted from their date.", **MONEY
    )


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
    document = TaxDocument._base_manager.prefetch_related("lines", "payments__returned").get(
        pk=document.pk
    )
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
        examples=[
            OpenApiExample(
                "Two of line 1's five laptops returned",
                {"lines": [{"position": 1, "quantity": "2"}]},
                request_only=True,
            ),
            OpenApiExample(
                "Lines 1 and 3, all that is left", {"positions": [1, 3]}, request_only=True
            ),
            REFUSED,
        ],
    )
    def post(self, request, pk):
        invoice = _document(request, pk, "add")
        body = CreditRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parts = body.validated_data["lines"]
        note = services.credit_note_for(
            invoice,
            actor=request.user,
            positions=body.validated_data["positions"],
            quantities=None if parts is None else {p["position"]: p["quantity"] for p in parts},
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


def _action_view(name: str, call, summary: str, doc: str, needed: str = "change"):
    class ActionView(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(
            tags=["tax-documents"],
            operation_id=f"tax_documents_{name.replace('-', '_')}",
            summary=summary,
            description=doc,
            request=None,
            responses={201 if needed == "add" else 200: TaxDocumentWithLinesSerializer},
            examples=[OpenApiExample("Done", DOCUMENT_EXAMPLE, response_only=True), REFUSED],
        )
        def post(self, request, pk):
            document = _document(request, pk, needed)
            # An action that makes a document ("add") answers 201 with it.
            return _reply(
                call(document, actor=request.user), status=201 if needed == "add" else 200
            )

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
    "tax-invoice": (
        services.tax_invoice_from,
        "Make a tax invoice of a transaction invoice",
        "A draft tax invoice of an issued transaction invoice (חשבונית עסקה): its customer, "
        "order, terms and lines, based on it; VAT by the tax invoice's own date when issued. "
        "Once per transaction invoice (a second is refused while the first is not cancelled). "
        "The answer (201) is the new draft.",
        "add",
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
ACTION_VIEWS = {name: _action_view(name, *action) for name, action in ACTIONS.items()}


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


# --- payment links (issue 17 item 3; decision 0084) ---------------------------------------------


class PaymentLinkSerializer(serializers.Serializer):
    reference = serializers.UUIDField()
    invoice = serializers.IntegerField(source="invoice_id")
    amount = serializers.DecimalField(**MONEY)
    status = serializers.CharField()
    url = serializers.CharField(help_text="The provider's payment page.")
    receipt = serializers.IntegerField(source="receipt_id", allow_null=True)
    message = serializers.IntegerField(
        source="message_id", allow_null=True, help_text="The e-mail in the outbox."
    )


class PaymentLinkView(APIView):
    """A payment link for an issued invoice's open balance, e-mailed to the customer through
    the outbox; asked again for the same balance, the same link (nothing sent twice)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="tax_documents_payment_link",
        summary="Send a payment link for an invoice's open balance",
        request=None,
        responses={201: PaymentLinkSerializer},
        examples=[
            OpenApiExample(
                "Sent",
                {
                    "reference": "0b7e6f9e-6a43-4d1b-9f57-2f1f0c1f6a10",
                    "invoice": 41,
                    "amount": "18320.00",
                    "status": "sent",
                    "url": "https://pay.example.co.il/p/8812",
                    "receipt": None,
                    "message": 77,
                },
                response_only=True,
            ),
            REFUSED,
        ],
    )
    def post(self, request, pk):
        from kesher.billing import paylinks

        invoice = _document(request, pk, "add")
        link = paylinks.payment_link_send(invoice, actor=request.user)
        return Response(PaymentLinkSerializer(link).data, status=201)


class PaymentConfirmationView(APIView):
    """Where the clearing provider posts its confirmations (signed; see decision 0084). A
    forged, replayed or unreadable confirmation is refused (400) and nothing is written; a
    repeated event is recorded once; an approved payment becomes a receipt."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="clearing_confirm",
        summary="A clearing provider's payment confirmation",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "Approved",
                {
                    "event_id": "evt-1",
                    "reference": "0b7e6f9e-6a43-4d1b-9f57-2f1f0c1f6a10",
                    "status": "approved",
                    "amount": "18320.00",
                    "card_reference": "4580-xx-1234 auth 0012345",
                    "timestamp": 1796560000,
                },
                request_only=True,
            ),
            OpenApiExample("Recorded", {"status": "paid"}, response_only=True),
        ],
    )
    def post(self, request, pk):
        from kesher.billing import paylinks
        from kesher.billing.models import ClearingAccount

        body = request.body
        clearing = ClearingAccount.objects.filter(pk=pk, active=True).first()
        if clearing is None:
            raise NotFound
        try:
            link = paylinks.payment_confirm(clearing, body, request.headers)
        except paylinks.InvalidConfirmation:
            raise DjangoValidationError({"__all__": [_("The confirmation was refused.")]}) from None
        return Response({"status": link.status})


class ChequeReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    returned_on = serializers.DateField(required=False, allow_null=True, default=None)


class ChequeReturnView(APIView):
    """Mark a cheque of an issued receipt as returned by the bank: the receipt is not
    changed (it is locked); its amount is owed again on the invoice, and both histories say
    who marked it and why (decision 0084)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="tax_documents_cheque_return",
        summary="Mark a cheque as returned by the bank",
        request=ChequeReturnSerializer,
        responses={200: TaxDocumentWithLinesSerializer},
        examples=[
            OpenApiExample("אין כיסוי", {"reason": "אין כיסוי מספיק"}, request_only=True),
            REFUSED,
        ],
    )
    def post(self, request, pk, position):
        from kesher.billing import cheques

        document = _document(request, pk, "change")
        payment = document.payments.filter(position=position).first()
        if payment is None:
            raise NotFound
        body = ChequeReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cheques.cheque_return(payment, actor=request.user, **body.validated_data)
        return _reply(document)


class ExportQuerySerializer(serializers.Serializer):
    what = serializers.ChoiceField(choices=["documents", "payments"], default="documents")
    output = serializers.ChoiceField(
        choices=["csv", "xlsx", "zip"],
        default="csv",
        help_text="zip: the uniform file (מבנה אחיד 1.31) of the period, INI.TXT and BKMVDATA.TXT.",
    )
    start = serializers.DateField()
    end = serializers.DateField()
    company = serializers.IntegerField(
        required=False, help_text="For the uniform file: the company (default: the first)."
    )

    def __init__(self, *args, **kwargs):
        from kesher.billing.exports import EXPORTS

        super().__init__(*args, **kwargs)
        self.fields["what"].choices = list(EXPORTS)  # with other apps' tables (decision 0087)


class ExportView(APIView):
    """For the accountant: a period's issued documents, or the payments on its receipts, as
    CSV or XLSX — only documents the caller may see; headers in the caller's language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="billing_export",
        summary="A period's documents or payments for the accountant",
        parameters=[ExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV."),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="The XLSX."),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The uniform file, zipped."
            ),
            400: OpenApiResponse(description="A date missing or out of order."),
        },
    )
    def get(self, request):
        from kesher.billing import exports, views

        if not can(request.user, "tax-documents", "view"):
            raise PermissionDenied
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = exports.parse_period(
            query.validated_data["start"], query.validated_data["end"]
        )
        company = None
        if query.validated_data["output"] == "zip":
            company = exports.company_of(query.validated_data.get("company"))
        return views._export_response(
            request,
            query.validated_data["what"],
            query.validated_data["output"],
            start,
            end,
            company=company,
        )


class HandOverSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order_id")
    reference = serializers.UUIDField()
    delivery = serializers.IntegerField(
        source="delivery_id", allow_null=True, help_text="The outgoing webhook delivery."
    )
    number = serializers.CharField(help_text="The outside document's number, once posted back.")
    url = serializers.CharField()
    handed_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField(allow_null=True)


class HandOverView(APIView):
    """Hand a confirmed order over to the enabled invoicing software instead of invoicing it
    in Kesher: one signed JSON POST through the outgoing webhooks, at most once per order."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="orders_hand_over",
        summary="Hand an order over to outside invoicing software",
        request=None,
        responses={201: HandOverSerializer},
        examples=[REFUSED],
    )
    def post(self, request, pk):
        from kesher.billing import handover

        if not can(request.user, "tax-documents", "add") or not can(request.user, "orders", "view"):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.visible_to(request.user), pk=pk)
        done = handover.order_hand_over(order, actor=request.user)
        return Response(HandOverSerializer(done).data, status=201)


class ExternalDocumentView(APIView):
    """Where the invoicing software posts the number and address of the document it made for
    an order handed over: ``{"reference", "number", "url"}``, signed with the adapter's secret
    (``X-Kesher-Signature: sha256=<HMAC-SHA256 of the body>``). Forged or unreadable: 400,
    nothing written; the same document again: 200, nothing changed."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        tags=["tax-documents"],
        operation_id="invoicing_document",
        summary="The outside software's document for an order handed over",
        request=OpenApiTypes.OBJECT,
        responses={200: HandOverSerializer},
        examples=[
            OpenApiExample(
                "Recorded",
                {
                    "reference": "0b7e6f9e-6a43-4d1b-9f57-2f1f0c1f6a10",
                    "number": "INV-2026-0042",
                    "url": "https://books.example.co.il/d/42",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, pk):
        from kesher.billing import handover
        from kesher.billing.models import InvoicingAdapter

        body = request.body
        adapter = InvoicingAdapter.objects.filter(pk=pk, enabled=True).first()
        if adapter is None:
            raise NotFound
        try:
            done = handover.external_document_record(adapter, body, request.headers)
        except handover.InvalidConfirmation:
            raise DjangoValidationError({"__all__": [_("The document was refused.")]}) from None
        return Response(HandOverSerializer(done).data)
