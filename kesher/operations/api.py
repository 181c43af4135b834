"""The full export's API (REQ IM-5), administrators only:

* ``POST /api/v1/data-exports/`` starts an export (200 when made at once, 202 when queued);
* ``GET /api/v1/data-exports/`` lists them, ``GET /api/v1/data-exports/<id>/`` follows one;
* ``GET /api/v1/data-exports/<id>/download/`` sends the finished zip.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.operations.fullexport import (
    data_export_file,
    data_export_get,
    data_export_list,
    data_export_start,
)
from kesher.operations.models import DataExport
from kesher.platform.api.permissions import ActiveUser

__all__ = ["DataExportDownloadView", "DataExportListView", "DataExportView"]

LISTED = 50


def export_json(export: DataExport) -> dict:
    done = export.status == DataExport.Status.DONE
    return {
        "id": export.pk,
        "status": export.status,
        "total": export.total,
        "done": export.done,
        "percent": export.percent,
        "size": export.size,
        "counts": export.counts,
        "error": export.error,
        "url": reverse("api_data_export", args=[export.pk]),
        "download_url": reverse("api_data_export_download", args=[export.pk]) if done else None,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
    }


EXPORT_EXAMPLE = {
    "id": 4,
    "status": "done",
    "total": 1203417,
    "done": 1203417,
    "percent": 100,
    "size": 187340112,
    "counts": {"entities/contacts.jsonl": 1000000, "entities/accounts.jsonl": 200000},
    "error": "",
    "url": "/api/v1/data-exports/4/",
    "download_url": "/api/v1/data-exports/4/download/",
    "created_at": "2026-01-04T10:00:00+02:00",
    "finished_at": "2026-01-04T10:01:10+02:00",
}


class DataExportListView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        operation_id="data_exports_list",
        summary="Full exports of all data",
        responses={
            200: inline_serializer(
                "DataExportListItem", fields={"id": serializers.IntegerField()}, many=True
            )
        },
        examples=[OpenApiExample("Exports", value=[EXPORT_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        return Response([export_json(e) for e in data_export_list(request.user)[:LISTED]])

    @extend_schema(
        operation_id="data_exports_create",
        summary="Export all data (a zip of JSON lines per entity)",
        description="Administrators only. The worker makes the zip (202): follow the export's "
        "url until its status is done, then fetch its download_url.",
        request=None,
        responses={202: dict},
        examples=[
            OpenApiExample(
                "Queued",
                value={**EXPORT_EXAMPLE, "status": "queued", "done": 0, "percent": 0},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request):
        export = data_export_start(actor=request.user)
        return Response(export_json(export), status=status.HTTP_202_ACCEPTED)


class DataExportView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        operation_id="data_exports_retrieve",
        summary="A full export's progress",
        responses={200: dict},
        examples=[OpenApiExample("Ready", value=EXPORT_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk):
        return Response(export_json(data_export_get(request.user, pk)))


class DataExportDownloadView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        operation_id="data_exports_download",
        summary="Download a finished full export",
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The zip file."
            )
        },
    )
    def get(self, request, pk):
        path = data_export_file(request.user, pk)
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip"
        )
