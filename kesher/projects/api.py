"""Time entries' own API beside the generated resource (``/api/v1/time-entries/``): invoicing
the approved hours (REQ PR-4; decision 0106)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.access import can
from kesher.projects import invoicing

__all__ = ["InvoiceHoursView"]

MONEY = {"max_digits": 14, "decimal_places": 2}


class InvoiceHoursRequestSerializer(serializers.Serializer):
    product = serializers.IntegerField(help_text="The product the hours are invoiced as.")
    account = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Only this customer's hours."
    )
    project = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only this project's hours, with its sub-projects'.",
    )
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    doc_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The invoices' date (today)."
    )


class InvoicedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField(source="account_id")
    name = serializers.CharField()
    status = serializers.CharField()
    doc_date = serializers.DateField()
    net = serializers.DecimalField(**MONEY)
    vat = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    lines = serializers.SerializerMethodField(help_text="One line per time entry, now billed.")

    def get_lines(self, document) -> int:
        return document.lines.count()


class InvoiceHoursView(APIView):
    """Draft tax invoices of the approved billable hours not invoiced yet, one per customer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["time-entries"],
        operation_id="time_entries_invoice",
        summary="Invoice the approved hours",
        description=(
            "The approved, billable, unbilled hours the caller may see — of a customer, a "
            "project (with its sub-projects) and a range of dates — become draft tax invoices, "
            "one per customer, a line per entry (date · person · hours · description) priced "
            "by the rate cards. The entries become billed and locked; an hour is billed once, "
            "even with two invoicers at once. Refused (400, nothing written) when no hours are "
            "left or some have no rate card. Needs time entries' view and tax documents' add."
        ),
        request=InvoiceHoursRequestSerializer,
        responses={201: InvoicedSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A customer's hours of November",
                value={
                    "product": 12,
                    "account": 41,
                    "date_from": "2026-11-01",
                    "date_to": "2026-11-30",
                },
                request_only=True,
            ),
            OpenApiExample(
                "The draft made",
                value=[
                    {
                        "id": 318,
                        "account": 41,
                        "name": "Hours 01/11/2026–27/11/2026",
                        "status": "draft",
                        "doc_date": "2026-12-07",
                        "net": "10500.00",
                        "vat": "1890.00",
                        "total": "12390.00",
                        "lines": 42,
                    }
                ],
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Nothing left (400)",
                value={
                    "__all__": ["No approved billable hours are left to invoice in this choice."]
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        if not can(request.user, "time-entries", "view") or not can(
            request.user, "tax-documents", "add"
        ):
            raise PermissionDenied
        body = InvoiceHoursRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        choice = invoicing.resolve_choice(request.user, **body.validated_data)
        documents = invoicing.invoice_hours(actor=request.user, **choice)
        return Response(InvoicedSerializer(documents, many=True).data, status=201)
