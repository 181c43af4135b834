"""Purchasing's own API beside the generated resources (``/api/v1/purchase-orders/``,
``/supplier-invoices/``, ``/supplier-payments/``): a document with its lines and replacing a
draft's lines; ordering and receiving a purchase order; the supplier's invoice made from it;
recording a supplier invoice; a supplier's payables (issue 17; decision 0087)."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.catalogue.models import Product
from kesher.customers.models import Account
from kesher.platform.access import can
from kesher.purchasing import services
from kesher.purchasing.models import PurchaseOrder, SupplierInvoice, SupplierPayment
from kesher.purchasing.selectors import payables_of
from kesher.purchasing.services import LineInput
from kesher.stock.models import Warehouse

__all__: list[str] = []

MONEY = {"max_digits": 14, "decimal_places": 2}
KEYS = {PurchaseOrder: "purchase-orders", SupplierInvoice: "supplier-invoices"}
REFUSED = OpenApiExample(
    "Refused (400)",
    value={"lines": ["שורה 1: יש להזין כמות גדולה מאפס."]},
    response_only=True,
    status_codes=["400"],
)


class PurchaseLineSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, allow_null=True, default=None
    )
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Before VAT. Empty on a product's line: the product's cost price.",
        **MONEY,
    )
    vat_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="Empty: the rate of the product's VAT category (or the standard one) that day.",
    )
    net = serializers.DecimalField(read_only=True, **MONEY)
    vat = serializers.DecimalField(read_only=True, **MONEY)
    total = serializers.DecimalField(read_only=True, **MONEY)


class PurchaseOrderLineSerializer(PurchaseLineSerializer):
    received = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    outstanding = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)


class PurchaseLinesRequestSerializer(serializers.Serializer):
    lines = PurchaseLineSerializer(many=True, max_length=500)


class PurchaseDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    number = serializers.CharField(required=False)
    supplier_number = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)
    credited_invoice = serializers.IntegerField(
        source="credited_invoice_id", required=False, allow_null=True
    )
    supplier = serializers.IntegerField(source="supplier_id")
    currency = serializers.CharField()
    net = serializers.DecimalField(**MONEY)
    vat = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    lines = PurchaseLineSerializer(many=True)


class PurchaseOrderFullSerializer(PurchaseDocumentSerializer):
    lines = PurchaseOrderLineSerializer(many=True)


class PurchaseReceivedSerializer(PurchaseOrderFullSerializer):
    goods_receipt = serializers.IntegerField(
        source="goods_receipt.pk",
        help_text="The goods receipt this receiving made (``/api/v1/goods-receipts/{id}/``; "
        "its lines at ``/api/v1/goods-receipt-lines/?receipt={id}``).",
    )
    goods_receipt_number = serializers.CharField(source="goods_receipt.number")


class SupplierInvoiceLineFullSerializer(PurchaseLineSerializer):
    source_line = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="On a credit note: the credited invoice's line."
    )
    serials = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="On a credit note for goods sent back: the serial numbers that go back.",
    )


class SupplierInvoiceFullSerializer(PurchaseDocumentSerializer):
    lines = SupplierInvoiceLineFullSerializer(many=True)


class PurchaseReceiveSerializer(serializers.Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True, default=None
    )
    serials = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=80), max_length=10000),
        required=False,
        default=dict,
        help_text="Serial numbers by line position, for serial-tracked products.",
    )
    quantities = serializers.DictField(
        child=serializers.CharField(max_length=40, allow_blank=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "The quantity received now by line position; lines left out receive nothing. "
            "Empty: everything still outstanding. More than a line's outstanding quantity "
            "is refused."
        ),
    )


class SupplierCreditLineSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, help_text="The invoice's line.")
    quantity = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        help_text="How much of what is left of the line's quantity is credited.",
    )
    serials = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        default=list,
        max_length=10000,
        help_text="Goods of a serial-tracked product sent back: the serial numbers that go, "
        "one for each unit credited, each in ``return_warehouse``.",
    )


class SupplierCreditNoteSerializer(serializers.Serializer):
    supplier_number = serializers.CharField(
        max_length=60, help_text="The number on the supplier's credit note."
    )
    positions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="The invoice's lines credited (all that is left of each); empty, and no "
        "``lines``: every line not credited yet.",
    )
    lines = SupplierCreditLineSerializer(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="Part of a line's quantity credited (goods partly returned): its amounts in "
        "proportion.",
    )
    return_warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Goods sent back: the warehouse they leave when the note is recorded (a "
        "return-to-supplier stock move per line of goods).",
    )
    doc_date = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SupplierInvoiceFromOrderSerializer(serializers.Serializer):
    supplier_number = serializers.CharField(max_length=60)
    doc_date = serializers.DateField(required=False, allow_null=True, default=None)


class SupplierPayablesSerializer(serializers.Serializer):
    open_balance = serializers.DecimalField(**MONEY)
    overdue = serializers.DecimalField(**MONEY)
    open_count = serializers.IntegerField()
    overdue_count = serializers.IntegerField()
    credited = serializers.DecimalField(
        help_text="What the supplier's recorded credit notes took off his invoices, in shekels.",
        **MONEY,
    )
    open_credit = serializers.DecimalField(
        help_text="What we paid him that no invoice takes yet, in shekels.", **MONEY
    )
    owed = serializers.DecimalField(
        help_text="The open balance less the open credit (below zero: he owes us).", **MONEY
    )


EXAMPLE = {
    "id": 12,
    "status": "draft",
    "number": "",
    "supplier": 41,
    "currency": "ILS",
    "net": "1000.00",
    "vat": "180.00",
    "total": "1180.00",
    "lines": [
        {
            "position": 1,
            "product": 7,
            "name": "עכבר אלחוטי",
            "quantity": "10.000",
            "unit_price": "100.00",
            "vat_rate": "18.00",
            "net": "1000.00",
            "vat": "180.00",
            "total": "1180.00",
        }
    ],
}


def _record(request, model, pk, action: str):
    if not can(request.user, KEYS[model], action):
        raise PermissionDenied
    record = model.objects.visible_to(request.user).filter(pk=pk).first()
    if record is None:
        raise NotFound
    return record


def _reply(record, status: int = 200) -> Response:
    record = type(record)._base_manager.prefetch_related("lines").get(pk=record.pk)
    if isinstance(record, PurchaseOrder):
        return Response(PurchaseOrderFullSerializer(record).data, status=status)
    return Response(SupplierInvoiceFullSerializer(record).data, status=status)


def _lines_view(model, tag: str):
    shown = PurchaseOrderFullSerializer if model is PurchaseOrder else SupplierInvoiceFullSerializer

    class LinesView(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(
            tags=[tag],
            operation_id=f"{tag.replace('-', '_')}_lines",
            summary="The document with its lines",
            responses={200: shown},
            examples=[OpenApiExample("A draft", EXAMPLE)],
        )
        def get(self, request, pk):
            return _reply(_record(request, model, pk, "view"))

        @extend_schema(
            tags=[tag],
            operation_id=f"{tag.replace('-', '_')}_lines_replace",
            summary="Replace a draft's lines",
            request=PurchaseLinesRequestSerializer,
            responses={200: shown},
            examples=[OpenApiExample("A draft", EXAMPLE, response_only=True), REFUSED],
        )
        def put(self, request, pk):
            record = _record(request, model, pk, "change")
            body = PurchaseLinesRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            lines = [LineInput(**row) for row in body.validated_data["lines"]]
            return _reply(services.lines_set(record, actor=request.user, lines=lines))

    name = "PurchaseOrder" if model is PurchaseOrder else "SupplierInvoice"
    LinesView.__name__ = LinesView.__qualname__ = f"{name}LinesView"
    LinesView.__doc__ = "A purchase document's lines: read them, or replace a draft's."
    return LinesView


OrderLinesView = _lines_view(PurchaseOrder, "purchase-orders")
InvoiceLinesView = _lines_view(SupplierInvoice, "supplier-invoices")


class OrderView(APIView):
    """Order a draft: the next gap-free number of its company, and the lock."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["purchase-orders"],
        operation_id="purchase_orders_order",
        summary="Order a draft purchase order",
        request=None,
        responses={200: PurchaseOrderFullSerializer},
        examples=[REFUSED],
    )
    def post(self, request, pk):
        order = _record(request, PurchaseOrder, pk, "change")
        return _reply(services.purchase_order_order(order, actor=request.user))


class ReceiveView(APIView):
    """Receive an ordered purchase order, whole or in part: its goods enter the warehouse
    (stock moves); each line shows what was received and what is still outstanding."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["purchase-orders"],
        operation_id="purchase_orders_receive",
        summary="Receive an ordered purchase order into a warehouse, whole or in part",
        request=PurchaseReceiveSerializer,
        responses={200: PurchaseReceivedSerializer},
        examples=[
            OpenApiExample(
                "Two of ten mice now", {"warehouse": 1, "quantities": {"1": "2"}}, request_only=True
            ),
            OpenApiExample(
                "Two routers with their serial numbers",
                {"warehouse": 1, "quantities": {"2": "2"}, "serials": {"2": ["RT-881", "RT-882"]}},
                request_only=True,
            ),
            OpenApiExample(
                "Refused (400)",
                value={"lines": ["שורה 1: ‏12 הם יותר מ-8 שעוד לא התקבלו."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        order = _record(request, PurchaseOrder, pk, "change")
        body = PurchaseReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warehouse = body.validated_data["warehouse"]
        if (
            warehouse is not None
            and not Warehouse.objects.visible_to(request.user).filter(pk=warehouse.pk).exists()
        ):
            raise serializers.ValidationError({"warehouse": [_("Choose a warehouse you may see.")]})
        serials = {int(k): v for k, v in body.validated_data["serials"].items() if str(k).isdigit()}
        received = services.purchase_order_receive(
            order,
            actor=request.user,
            warehouse=warehouse,
            quantities=body.validated_data["quantities"],
            serials=serials,
        )
        shown = PurchaseOrder._base_manager.prefetch_related("lines").get(pk=received.pk)
        shown.goods_receipt = received.goods_receipt
        return Response(PurchaseReceivedSerializer(shown).data)


class InvoiceFromOrderView(APIView):
    """The supplier's invoice for an ordered purchase order: its lines copied, the order named."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["purchase-orders"],
        operation_id="purchase_orders_supplier_invoice",
        summary="Record the supplier's invoice of a purchase order",
        request=SupplierInvoiceFromOrderSerializer,
        responses={201: SupplierInvoiceFullSerializer},
        examples=[REFUSED],
    )
    def post(self, request, pk):
        if not can(request.user, "supplier-invoices", "add"):
            raise PermissionDenied
        order = _record(request, PurchaseOrder, pk, "view")
        body = SupplierInvoiceFromOrderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invoice = services.supplier_invoice_from_order(
            order,
            actor=request.user,
            supplier_number=body.validated_data["supplier_number"],
            doc_date=body.validated_data["doc_date"],
        )
        return _reply(invoice, status=201)


class RecordView(APIView):
    """Record a draft supplier invoice: shekel amounts, due date, open balance, the lock."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["supplier-invoices"],
        operation_id="supplier_invoices_record",
        summary="Record a draft supplier invoice in the books",
        request=None,
        responses={200: SupplierInvoiceFullSerializer},
        examples=[REFUSED],
    )
    def post(self, request, pk):
        invoice = _record(request, SupplierInvoice, pk, "change")
        return _reply(services.supplier_invoice_record(invoice, actor=request.user))


class CreditNoteView(APIView):
    """A draft credit note of the supplier against his recorded invoice: every line not
    credited yet, or the lines named; recorded (``…/record/``), it reduces what we owe."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["supplier-invoices"],
        operation_id="supplier_invoices_credit_note",
        summary="Record the supplier's credit note against his invoice (a draft)",
        request=SupplierCreditNoteSerializer,
        responses={201: SupplierInvoiceFullSerializer},
        examples=[
            OpenApiExample(
                "Two lines credited",
                {"supplier_number": "CN-118", "positions": [1, 3]},
                request_only=True,
            ),
            OpenApiExample(
                "Two serial-tracked units sent back",
                {
                    "supplier_number": "CN-119",
                    "return_warehouse": 3,
                    "lines": [{"position": 1, "quantity": "2", "serials": ["SN-1001", "SN-1002"]}],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Refused (400)",
                value={"lines": ["כל שורות החשבונית זוכו כבר."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        if not can(request.user, "supplier-invoices", "add"):
            raise PermissionDenied
        invoice = _record(request, SupplierInvoice, pk, "view")
        body = SupplierCreditNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        warehouse = data["return_warehouse"]
        if (
            warehouse is not None
            and not Warehouse.objects.visible_to(request.user).filter(pk=warehouse.pk).exists()
        ):
            raise serializers.ValidationError(
                {"return_warehouse": [_("Choose a warehouse you may see.")]}
            )
        parts = data.pop("lines")
        if parts is not None:
            data["quantities"] = {part["position"]: part["quantity"] for part in parts}
            data["serials"] = {
                part["position"]: part["serials"] for part in parts if part["serials"]
            }
        note = services.supplier_credit_note_for(invoice, actor=request.user, **data)
        return _reply(note, status=201)


class SupplierAllocationSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice_id")
    supplier_number = serializers.CharField(source="invoice.supplier_number", read_only=True)
    amount = serializers.CharField(max_length=40)


class AllocationsRequestSerializer(serializers.Serializer):
    allocations = SupplierAllocationSerializer(many=True, max_length=500)


class PaymentAllocationsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    supplier = serializers.IntegerField(source="supplier_id")
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True)
    currency = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    allocated = serializers.DecimalField(**MONEY)
    open_credit = serializers.DecimalField(**MONEY)
    allocations = SupplierAllocationSerializer(many=True)


ALLOCATED = {
    "id": 31,
    "supplier": 41,
    "invoice": None,
    "currency": "ILS",
    "amount": "5000.00",
    "allocated": "4500.00",
    "open_credit": "500.00",
    "allocations": [
        {"invoice": 7, "supplier_number": "INV-40117", "amount": "3000.00"},
        {"invoice": 9, "supplier_number": "INV-40152", "amount": "1500.00"},
    ],
}


class AllocationsView(APIView):
    """What a supplier payment pays, invoice by invoice, and its open credit; replacing its
    allocations spreads it over several of the supplier's invoices."""

    permission_classes = [IsAuthenticated]

    def _payment(self, request, pk, action):
        if not can(request.user, "supplier-payments", action):
            raise PermissionDenied
        payment = SupplierPayment.objects.visible_to(request.user).filter(pk=pk).first()
        if payment is None:
            raise NotFound
        return payment

    def _reply(self, payment):
        payment = SupplierPayment._base_manager.prefetch_related("allocations__invoice").get(
            pk=payment.pk
        )
        return Response(PaymentAllocationsSerializer(payment).data)

    @extend_schema(
        tags=["supplier-payments"],
        operation_id="supplier_payments_allocations",
        summary="A payment's allocations over invoices and its open credit",
        responses={200: PaymentAllocationsSerializer},
        examples=[OpenApiExample("Over two invoices", ALLOCATED)],
    )
    def get(self, request, pk):
        return self._reply(self._payment(request, pk, "view"))

    @extend_schema(
        tags=["supplier-payments"],
        operation_id="supplier_payments_allocations_replace",
        summary="Allocate a payment over the supplier's invoices",
        request=AllocationsRequestSerializer,
        responses={200: PaymentAllocationsSerializer},
        examples=[
            OpenApiExample(
                "Two invoices",
                {
                    "allocations": [
                        {"invoice": 7, "amount": "3000"},
                        {"invoice": 9, "amount": "1500"},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Refused (400)",
                value={"allocations": ["החשבוניות לוקחות 6,000.00, יותר מהתשלום (5,000.00)."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def put(self, request, pk):
        payment = self._payment(request, pk, "change")
        body = AllocationsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = {row["invoice_id"]: row["amount"] for row in body.validated_data["allocations"]}
        # Only invoices the reader sees are named (one query for them all).
        seen = SupplierInvoice.objects.visible_to(request.user).filter(pk__in=list(wanted))
        if seen.count() != len(wanted):
            raise serializers.ValidationError(
                {"allocations": [_("Name an invoice of this supplier.")]}
            )
        return self._reply(
            services.supplier_payment_allocate(payment, actor=request.user, allocations=wanted)
        )


class PayablesView(APIView):
    """What we owe a supplier, in shekels: the open balance of his recorded invoices and the
    part past its due date (null: he never invoiced us)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["supplier-invoices"],
        operation_id="accounts_payables",
        summary="A supplier's payables",
        responses={200: SupplierPayablesSerializer},
        examples=[
            OpenApiExample(
                "A supplier",
                {
                    "open_balance": "4720.00",
                    "overdue": "1180.00",
                    "open_count": 2,
                    "overdue_count": 1,
                    "credited": "590.00",
                    "open_credit": "500.00",
                    "owed": "4220.00",
                },
            )
        ],
    )
    def get(self, request, pk):
        if not can(request.user, "supplier-invoices", "view") or not can(
            request.user, "accounts", "view"
        ):
            raise PermissionDenied
        account = get_object_or_404(Account.objects.visible_to(request.user), pk=pk)
        payables = payables_of(account, request.user)
        return Response(SupplierPayablesSerializer(payables).data if payables else None)
