"""Field service through the API (REQ SV-12; issue 18 item 9; decision 0088): the signed-in
technician's day, and completing a visit — closing notes, parts from his van and the
customer's signature as a base64 PNG — in one call that writes all of it or nothing."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.service.api import ticket_for
from kesher.service.fieldday import day_visits
from kesher.service.visits import MAX_PARTS, NOTES_LIMIT, SIGNATURE_MAX_BYTES, visit_complete


class ClockBriefSerializer(serializers.Serializer):
    kind = serializers.CharField(source="clock.kind")
    state = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class DayVisitSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(source="ticket.pk")
    number = serializers.CharField(source="ticket.number")
    subject = serializers.CharField(source="ticket.subject")
    status = serializers.CharField(source="ticket.status", allow_null=True)
    visit_at = serializers.DateTimeField(source="at")
    overdue = serializers.BooleanField()
    done = serializers.BooleanField()
    customer = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField(help_text="E.164, for dialling.")
    navigation = serializers.DictField(source="links", child=serializers.URLField())
    sla = ClockBriefSerializer(source="clock", allow_null=True)


DAY_EXAMPLE = [
    {
        "ticket": 123,
        "number": "T-000123",
        "subject": "המדפסת במשרד הראשי לא מדפיסה",
        "status": "בטיפול",
        "visit_at": "2026-12-06T09:30:00+02:00",
        "overdue": False,
        "done": False,
        "customer": "דנה כהן · אלפא תעשיות",
        "address": "הרצל 12, פתח תקווה",
        "phone": "+972524100508",
        "navigation": {
            "waze": "https://waze.com/ul?q=%D7%94%D7%A8%D7%A6%D7%9C%2012&navigate=yes",
            "google": "https://www.google.com/maps/dir/?api=1&destination=%D7%94%D7%A8%D7%A6%D7%9C%2012",
        },
        "sla": {"kind": "resolution", "state": "running", "due_at": "2026-12-07T12:00:00+02:00"},
    }
]


class MyDayView(APIView):
    """The signed-in technician's visits: the overdue ones, then today's in visit order."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="service_my_day",
        summary="My day: the technician's visits",
        responses={200: DayVisitSerializer(many=True)},
        examples=[OpenApiExample("Two stops", value=DAY_EXAMPLE)],
    )
    def get(self, request):
        from rest_framework.exceptions import PermissionDenied

        from kesher.platform.access import can

        if not can(request.user, "tickets", "view"):
            raise PermissionDenied
        return Response(DayVisitSerializer(day_visits(request.user), many=True).data)


class PartSerializer(serializers.Serializer):
    product = serializers.IntegerField(help_text="A product the technician's van holds.")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=1000,
        help_text="One per unit, for products with serial numbers.",
    )


class VisitCompleteSerializer(serializers.Serializer):
    notes = serializers.CharField(max_length=NOTES_LIMIT, help_text="What was done.")
    parts = PartSerializer(many=True, required=False, max_length=MAX_PARTS)
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=SIGNATURE_MAX_BYTES * 2,
        help_text=(
            "The customer's signature: a PNG as base64, bare or as a data:image/png;base64 URL; "
            f"at most {SIGNATURE_MAX_BYTES // 1024} KB."
        ),
    )
    signed_by = serializers.CharField(required=False, allow_blank=True, max_length=120)


class VisitReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(source="ticket_id")
    status = serializers.CharField(source="ticket.status")
    completed_at = serializers.DateTimeField()
    notes = serializers.CharField()
    signed_by = serializers.CharField()
    signature = serializers.IntegerField(
        source="signature_id", allow_null=True, help_text="The attachment's id."
    )
    parts = serializers.SerializerMethodField()

    def get_parts(self, report) -> list[dict]:
        return [
            {"product": m.product_id, "quantity": f"{m.quantity.normalize():f}", "move": m.pk}
            for m in report.parts.order_by("pk")
        ]


# A 1×1 white PNG: the shortest a signature could be.
PNG_EXAMPLE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


class VisitCompleteView(APIView):
    """Complete the signed-in technician's visit to the ticket: the parts leave his van onto
    the ticket, the notes become its resolution, the signature is attached to it as a PNG
    file, and it moves to the resolving status. All or nothing: a signature that is not a PNG
    or too large, a part not in his van or more than it holds → 400; someone else's ticket →
    403."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_visit_complete",
        summary="Complete a field visit",
        request=VisitCompleteSerializer,
        responses={201: VisitReportSerializer},
        examples=[
            OpenApiExample(
                "Notes, a part and a signature",
                value={
                    "notes": "הוחלף כבל רשת, המדפסת מדפיסה.",
                    "parts": [{"product": 42, "quantity": "1"}],
                    "signature": PNG_EXAMPLE,
                    "signed_by": "דנה כהן",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Completed",
                value={
                    "id": 7,
                    "ticket": 123,
                    "status": "נפתרה",
                    "completed_at": "2026-12-06T11:02:00+02:00",
                    "notes": "הוחלף כבל רשת, המדפסת מדפיסה.",
                    "signed_by": "דנה כהן",
                    "signature": 88,
                    "parts": [{"product": 42, "quantity": "1", "move": 501}],
                },
                response_only=True,
            ),
            OpenApiExample(
                "Not in the van (400)",
                value={"product": ["המוצר הזה אינו בניידת שלך."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        ticket = ticket_for(request, pk, "change")
        body = VisitCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        report = visit_complete(
            ticket,
            actor=request.user,
            notes=values["notes"],
            signature=values.get("signature", ""),
            signed_by=values.get("signed_by", ""),
            parts=values.get("parts", []),
        )
        return Response(VisitReportSerializer(report).data, status=201)
