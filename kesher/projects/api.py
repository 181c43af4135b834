"""Time entries' own API beside the generated resource (``/api/v1/time-entries/``): invoicing
the approved hours (REQ PR-4; decision 0106)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.access import can
from kesher.platform.ui.pages import entity_for
from kesher.platform.visibility import hidden_fields
from kesher.projects import invoicing, selectors, services
from kesher.projects.profitability import profitability

__all__ = ["InvoiceHoursView", "ProfitabilityView", "TimerStopView", "TimerView", "UtilisationView"]

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


class ProfitSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project_id")
    name = serializers.CharField()
    account = serializers.CharField(help_text="The customer's name.")
    hours = serializers.SerializerMethodField(help_text="Approved (and billed) hours.")
    billable_hours = serializers.SerializerMethodField()
    unpriced_hours = serializers.SerializerMethodField(
        help_text="Billable hours no rate card prices (not in the value)."
    )
    value = serializers.DecimalField(
        **MONEY, help_text="The billable hours at the rate cards, before VAT (₪)."
    )
    invoiced = serializers.DecimalField(
        **MONEY,
        help_text="The invoice lines of the billed hours, before VAT, less what credit notes "
        "credited of them (₪).",
    )
    credited = serializers.DecimalField(
        **MONEY, help_text="What credit notes credited of those lines, before VAT (₪)."
    )
    cost = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text="The hours at the employees' cost rates (₪); null when hidden from you.",
    )
    uncosted_hours = serializers.SerializerMethodField(
        help_text="Hours with no cost rate (not in the cost)."
    )
    margin = serializers.DecimalField(**MONEY, allow_null=True)
    margin_percent = serializers.IntegerField(allow_null=True)

    def _hours(self, minutes) -> str:
        return f"{Decimal(minutes) / 60:.2f}"

    def get_hours(self, row) -> str:
        return self._hours(row.minutes)

    def get_billable_hours(self, row) -> str:
        return self._hours(row.billable_minutes)

    def get_unpriced_hours(self, row) -> str:
        return self._hours(row.unpriced_minutes)

    def get_uncosted_hours(self, row) -> str:
        return self._hours(row.uncosted_minutes if row.cost is not None else 0)


class ProfitabilityView(APIView):
    """Each project's approved hours: their value and what was invoiced against their cost."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["projects"],
        operation_id="projects_profitability",
        summary="Project profitability",
        description=(
            "Each project with approved hours the caller sees between the dates (this year so "
            "far by default): the approved and billable hours, their value at the rate cards, "
            "what was invoiced of them (before VAT, net of credit notes), their cost at each "
            "employee's cost rate on the day and the margin. Cost and margin are null for a "
            "caller who does not read the cost rates or from whose role a field rule hides their "
            "hourly cost. Needs "
            "projects' and time entries' view; 403 when the hours are hidden from the role."
        ),
        parameters=[
            OpenApiParameter("date_from", str, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("date_to", str, description="Last day (YYYY-MM-DD)."),
            OpenApiParameter("project", int, description="Only this project."),
        ],
        responses={200: ProfitSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A project's year",
                value=[
                    {
                        "project": 7,
                        "name": "P-1024 הטמעת מערכת ניהול מלאי",
                        "account": "מאפיית הגליל בע״מ",
                        "hours": "120.50",
                        "billable_hours": "112.00",
                        "unpriced_hours": "0.00",
                        "value": "39200.00",
                        "invoiced": "26600.00",
                        "credited": "1400.00",
                        "cost": "17472.50",
                        "uncosted_hours": "0.00",
                        "margin": "21727.50",
                        "margin_percent": 55,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        from kesher.projects.views import period

        entity_for("projects", request.user, "view")
        entity_for("time-entries", request.user, "view")
        if "minutes" in hidden_fields("time-entries", request.user):
            raise PermissionDenied
        try:
            first, last = period(request.query_params)
            project = request.query_params.get("project") or None
            if project is not None and not project.isdigit():
                raise ValidationError({"project": ["Enter a whole number."]})
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        rows = profitability(
            request.user, date_from=first, date_to=last, project=project and int(project)
        )
        return Response(ProfitSerializer(rows, many=True).data)


class UtilisationSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField()
    department = serializers.CharField()
    hours = serializers.SerializerMethodField(help_text="Every hour reported, whatever its state.")
    approved_hours = serializers.SerializerMethodField()
    billable_hours = serializers.SerializerMethodField()
    capacity_hours = serializers.DecimalField(
        source="capacity",
        max_digits=9,
        decimal_places=2,
        help_text=(
            "The working days' hours: the business calendar × the payroll rule's day, less "
            "the person's absences."
        ),
    )
    absent_hours = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        help_text="The working hours the person's absences (vacation, sickness, reserve duty…) "
        "took off his capacity.",
    )
    percent = serializers.IntegerField(allow_null=True, help_text="Hours ÷ capacity, %.")
    billable_percent = serializers.IntegerField(allow_null=True)

    def get_hours(self, row) -> str:
        return f"{Decimal(row.minutes) / 60:.2f}"

    def get_approved_hours(self, row) -> str:
        return f"{Decimal(row.approved_minutes) / 60:.2f}"

    def get_billable_hours(self, row) -> str:
        return f"{Decimal(row.billable_minutes) / 60:.2f}"


class UtilisationView(APIView):
    """Each person's reported hours against the period's capacity."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["time-entries"],
        operation_id="time_entries_utilisation",
        summary="Utilisation against capacity",
        description=(
            "Each person whose hours the caller sees between the dates (this month so far by "
            "default): the hours reported, approved and billable, against the period's "
            "capacity — each working day of the business calendar (holidays off, eves short) "
            "at the payroll rule's daily hours, less the person's absences (whole or half days) "
            "— and the share of it. Needs time entries' "
            "view; 403 when the hours are hidden from the role."
        ),
        parameters=[
            OpenApiParameter("date_from", str, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("date_to", str, description="Last day (YYYY-MM-DD)."),
        ],
        responses={200: UtilisationSerializer(many=True)},
        examples=[
            OpenApiExample(
                "November",
                value=[
                    {
                        "user": 4,
                        "name": "דנה לוי",
                        "department": "שירותים מקצועיים",
                        "hours": "151.50",
                        "approved_hours": "140.00",
                        "billable_hours": "122.25",
                        "capacity_hours": "163.40",
                        "absent_hours": "8.60",
                        "percent": 92,
                        "billable_percent": 74,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        from kesher.projects.views import period

        entity_for("time-entries", request.user, "view")
        if "minutes" in hidden_fields("time-entries", request.user):
            raise PermissionDenied
        try:
            first, last = period(request.query_params, default="month")
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        rows = selectors.utilisation(request.user, first, last)
        return Response(UtilisationSerializer(rows, many=True).data)


class TimerSerializer(serializers.Serializer):
    project = serializers.IntegerField(source="project_id")
    project_name = serializers.CharField(source="project.__str__", read_only=True)
    task = serializers.IntegerField(source="task_id", allow_null=True)
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    description = serializers.CharField(allow_blank=True)
    billable = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    elapsed_minutes = serializers.SerializerMethodField()

    def get_elapsed_minutes(self, timer) -> int:
        return timer.elapsed_minutes()


class TimerStartSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    task = serializers.IntegerField(required=False, allow_null=True, default=None)
    ticket = serializers.IntegerField(required=False, allow_null=True, default=None)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500
    )
    billable = serializers.BooleanField(required=False, default=True)


class StoppedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    project = serializers.IntegerField(source="project_id")
    task = serializers.IntegerField(source="task_id", allow_null=True)
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    minutes = serializers.IntegerField()
    billable = serializers.BooleanField()
    description = serializers.CharField()
    state = serializers.CharField()


class TimerStopRequestSerializer(serializers.Serializer):
    description = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="What was done (instead of the description given at the start).",
    )


TIMER = {
    "project": 7,
    "project_name": "P-1024 הטמעת מערכת ניהול מלאי",
    "task": 311,
    "ticket": None,
    "description": "הדרכת מחסנאים",
    "billable": True,
    "started_at": "2026-12-07T08:30:00+02:00",
    "elapsed_minutes": 95,
}


def _may_report(user) -> None:
    if not can(user, "time-entries", "add"):
        raise PermissionDenied


def _as_drf(exc: ValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return serializers.ValidationError(detail)


class TimerView(APIView):
    """The caller's running timer: read it, start it, throw it away (decision 0116)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["time-entries"],
        operation_id="time_entries_timer_read",
        summary="The running timer",
        description="The caller's running timer; 404 when none runs. Needs time entries' add.",
        responses={200: TimerSerializer, 404: OpenApiResponse(description="No timer runs.")},
        examples=[OpenApiExample("Running since 8:30", value=TIMER, response_only=True)],
    )
    def get(self, request):
        _may_report(request.user)
        timer = services.running_timer(request.user)
        if timer is None:
            from rest_framework.exceptions import NotFound

            raise NotFound
        return Response(TimerSerializer(timer).data)

    @extend_schema(
        tags=["time-entries"],
        operation_id="time_entries_timer_start",
        summary="Start the timer",
        description=(
            "Start the caller's timer on a project he may report on (a task or ticket of it). "
            "One timer per person: one already running is stopped first and its time becomes "
            "a draft entry. Needs time entries' add."
        ),
        request=TimerStartSerializer,
        responses={201: TimerSerializer},
        examples=[
            OpenApiExample(
                "On a task",
                value={"project": 7, "task": 311, "description": "הדרכת מחסנאים"},
                request_only=True,
            ),
            OpenApiExample("Started", value={**TIMER, "elapsed_minutes": 0}, response_only=True),
        ],
    )
    def post(self, request):
        _may_report(request.user)
        body = TimerStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            timer, _made = services.timer_start(actor=request.user, **body.validated_data)
        except ValidationError as exc:
            raise _as_drf(exc) from None
        return Response(TimerSerializer(timer).data, status=201)

    @extend_schema(
        tags=["time-entries"],
        operation_id="time_entries_timer_discard",
        summary="Discard the timer",
        description="Throw the caller's running timer away, reporting nothing.",
        responses={204: None},
    )
    def delete(self, request):
        _may_report(request.user)
        services.timer_discard(actor=request.user)
        return Response(status=204)


class TimerStopView(APIView):
    """Stop the caller's timer: its minutes become a draft time entry."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["time-entries"],
        operation_id="time_entries_timer_stop",
        summary="Stop the timer",
        description=(
            "Stop the caller's timer: a draft time entry of the minutes it ran (at most a day) "
            "on the day it started (201). 200 with null when it ran under a minute; 400 when "
            "no timer runs, so two stops make one entry."
        ),
        request=TimerStopRequestSerializer,
        responses={201: StoppedSerializer, 200: None},
        examples=[
            OpenApiExample(
                "The entry made",
                value={
                    "id": 5120,
                    "date": "2026-12-07",
                    "project": 7,
                    "task": 311,
                    "ticket": None,
                    "minutes": 95,
                    "billable": True,
                    "description": "הדרכת מחסנאים",
                    "state": "draft",
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request):
        _may_report(request.user)
        body = TimerStopRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            entry = services.timer_stop(actor=request.user, **body.validated_data)
        except ValidationError as exc:
            raise _as_drf(exc) from None
        if entry is None:
            return Response(None, status=200)
        return Response(StoppedSerializer(entry).data, status=201)
