"""The reports API beside the generated ``/api/v1/reports/`` and ``/api/v1/dashboards/``
resources (which define, share and version reports): running a definition, and reading a saved
report's figures — always for the caller, within what he may see (REQ CX-8; decision 0071)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.access import can
from kesher.reports import builder, engine, exports
from kesher.reports.models import Report

DEFINITION_EXAMPLE = {
    "entity": "opportunities",
    "filter": {"field": "stage.outcome", "op": "eq", "value": "won"},
    "group_by": [{"field": "closed_at", "bucket": "quarter"}, {"field": "owner"}],
    "measures": [{"agg": "sum", "field": "amount"}, {"agg": "count"}],
    "sort": {"by": "g0", "desc": False},
    "limit": 100,
    "display": "chart",
    "chart": "stacked_bar",
}
RESULT_EXAMPLE = {
    "entity": "opportunities",
    "columns": [
        {"key": "g0", "label": "נסגר (רבעון)", "kind": "group"},
        {"key": "g1", "label": "בעלים", "kind": "group"},
        {"key": "m0", "label": "סה״כ: סכום", "kind": "figure", "agg": "sum"},
        {"key": "m1", "label": "ספירה", "kind": "figure", "agg": "count"},
    ],
    "rows": [
        {
            "groups": [
                {"value": "2026-07-01", "label": "רבעון 3 2026"},
                {"value": 7, "label": "דנה לוי"},
            ],
            "figures": [184000.0, 6],
            "drill": "/r/opportunities/?filter=%7B%22all%22%3A+...%7D",
        }
    ],
    "totals": [],
    "previous": None,
    "target": None,
    "truncated": False,
    "drill": "/r/opportunities/?filter=...",
}


class RunSerializer(serializers.Serializer):
    definition = serializers.JSONField(
        help_text="entity, filter, group_by (≤3, dates with bucket day|week|month|quarter|year), "
        "measures (agg count|sum|avg|min|max|distinct, field), sort, limit, display "
        "(table|pivot|chart), chart (bar|stacked_bar|line|area|pie|donut|funnel|kpi|gauge), "
        "period (KPI: field and today|this_week|this_month|this_quarter|this_year), "
        "target (a gauge's: a number greater than zero — in hours for a length of time such as "
        "time entries' minutes — or from the sales targets holding "
        'today: {"sales_target": "amount"|"count", "level": "person"|"department"|"company"}, '
        "with period this_month|this_quarter|this_year)."
    )
    filter = serializers.JSONField(
        required=False, help_text="A runtime filter in the filter language, on top of the report's."
    )


class ResultSerializer(serializers.Serializer):
    entity = serializers.CharField()
    columns = serializers.ListField(child=serializers.DictField())
    rows = serializers.ListField(
        child=serializers.DictField(), help_text="groups, figures and the drill-down list URL."
    )
    totals = serializers.ListField()
    previous = serializers.ListField(allow_null=True, help_text="KPI: the previous period's.")
    target = serializers.FloatField(
        allow_null=True,
        help_text="A gauge's target (from the sales targets: the reader's holding today), else "
        "null; in the figure's stored unit, as the totals (a length of time: its column's "
        '"duration").',
    )
    truncated = serializers.BooleanField()
    drill = serializers.CharField()


class ReportRunView(APIView):
    """Run a report definition for the caller without saving it (the builder's preview)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reports"],
        operation_id="reports_run",
        summary="Run a report definition",
        request=RunSerializer,
        responses={200: ResultSerializer},
        examples=[
            OpenApiExample(
                "Won revenue by quarter and owner",
                value={"definition": DEFINITION_EXAMPLE},
                request_only=True,
            ),
            OpenApiExample("Its result", value=RESULT_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request):
        if not can(request.user, "reports", "view"):
            raise PermissionDenied
        body = RunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        definition = engine.parse(body.validated_data["definition"], request.user)
        result = engine.run(definition, request.user, body.validated_data.get("filter") or None)
        return Response(result.as_json())


class ReportResultView(APIView):
    """A saved report's figures for the caller, with the filter bar's runtime filters."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["reports"],
        operation_id="reports_result",
        summary="A saved report's figures",
        parameters=[
            OpenApiParameter(
                "period", str, description="this_month, last_month, this_quarter, this_year…"
            ),
            OpenApiParameter("owner", str, description='"me" or a user id'),
            OpenApiParameter("filter", str, description="A filter-language expression (JSON)."),
        ],
        responses={200: ResultSerializer},
        examples=[OpenApiExample("Won revenue by quarter and owner", value=RESULT_EXAMPLE)],
    )
    def get(self, request, pk):
        if not can(request.user, "reports", "view"):
            raise PermissionDenied
        report = Report.objects.visible_to(request.user).filter(pk=pk).first()
        if report is None:
            raise NotFound
        definition = engine.parse(report.definition, request.user)
        runtime = builder.runtime_filter(
            request.query_params, report.definition, definition.entity, request.user
        )
        return Response(engine.run(definition, request.user, runtime).as_json())


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type in ``Accept``; a refusal still answers JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


def _renderer(media: str, fmt: str) -> type[BaseRenderer]:
    return type(f"{fmt.title()}Renderer", (_FileRenderer,), {"media_type": media, "format": fmt})


class ReportExportView(APIView):
    """A saved report's figures as a file — CSV, XLSX or PDF — for the caller, in his language,
    over the records he may see (issue 21 "Delivery"; decision 0099)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [
        JSONRenderer,
        _renderer("text/csv", "csv"),
        _renderer(exports.MIME_TYPES["xlsx"], "xlsx"),
        _renderer("application/pdf", "pdf"),
    ]

    @extend_schema(
        tags=["reports"],
        operation_id="reports_export",
        summary="A saved report as CSV, XLSX or PDF",
        description="`fmt` is `csv`, `xlsx` or `pdf`. The figures are the caller's: the records "
        "he may see, his fields, his language (`Accept-Language`: he or en). The filter bar's "
        "`period`, `owner` and `filter` apply as on the report's figures.",
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(exports.FORMATS)),
            OpenApiParameter("period", str, description="this_month, last_month, this_year…"),
            OpenApiParameter("owner", str, description='"me" or a user id'),
            OpenApiParameter("filter", str, description="A filter-language expression (JSON)."),
        ],
        responses={
            (200, media): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, as an attachment named after the report.",
                examples=[
                    OpenApiExample(
                        f"{fmt.upper()} file",
                        value=example,
                        media_type=media,
                        response_only=True,
                    )
                ],
            )
            for fmt, media, example in (
                ("csv", "text/csv", "\ufeffבעלים,ספירה\nדנה לוי,6\n"),
                ("xlsx", exports.MIME_TYPES["xlsx"], "PK…"),
                ("pdf", "application/pdf", "%PDF-1.7 …"),
            )
        }
        | {
            400: OpenApiResponse(
                description="The report names a field the caller may not see, or a bad filter.",
                examples=[OpenApiExample("Refused", value={"group_by": ["שדה לא מוכר: cost."]})],
            ),
            404: OpenApiResponse(
                description="No such report or format, or not one the caller may read.",
                examples=[OpenApiExample("Not found", value={"detail": "לא נמצא."})],
            ),
        },
    )
    def get(self, request, pk, fmt):
        if not can(request.user, "reports", "view"):
            raise PermissionDenied
        if fmt not in exports.FORMATS:
            raise NotFound
        report = Report.objects.visible_to(request.user).filter(pk=pk).first()
        if report is None:
            raise NotFound
        from kesher.reports.views import result_context

        definition = engine.parse(report.definition, request.user)
        runtime = builder.runtime_filter(
            request.query_params, report.definition, definition.entity, request.user
        )
        result = engine.run(definition, request.user, runtime)
        context = result_context(result, report.name, "chart")
        context.update(
            reader=request.user.get_full_name() or request.user.get_username(),
            description=report.description,
        )
        engine.note_result(result, "export")
        response = HttpResponse(
            exports.render(result, fmt, report.name, context), content_type=exports.MIME_TYPES[fmt]
        )
        response["Content-Disposition"] = (
            content_disposition_header(True, exports.filename(report.name, fmt)) or ""
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
