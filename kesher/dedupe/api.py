"""The duplicates API (REQ IM-3): merge, the review queue, dismissing a pair, scans.

* ``POST /api/v1/merge/<entity>/`` merges ``loser`` into ``winner``;
* ``GET /api/v1/duplicates/<entity>/`` lists open pairs the caller may see both records of;
* ``POST /api/v1/duplicates/pairs/<id>/dismiss/`` marks a pair "not duplicates";
* ``POST /api/v1/duplicates/<entity>/scan/`` starts a scan, ``GET /api/v1/duplicate-scans/<id>/``
  follows it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.dedupe.merge import merge_records, pair_dismiss
from kesher.dedupe.models import DuplicatePair, DuplicateScan
from kesher.dedupe.scan import scan_start
from kesher.dedupe.selectors import (
    PAGE_SIZE,
    may_merge,
    pair_get,
    pair_list,
    records_by_id,
    scan_get,
    spec_or_404,
)
from kesher.platform.api.permissions import ActiveUser
from kesher.platform.api.serializers import serializer_for

__all__ = ["DismissView", "MergeView", "PairListView", "ScanStartView", "ScanView"]


class MergeRequestSerializer(serializers.Serializer):
    winner = serializers.IntegerField(help_text="The record that stays (keeps its id).")
    loser = serializers.IntegerField(help_text="The record merged into the winner and deleted.")
    fields = serializers.JSONField(
        required=False,
        help_text=(
            'Whose value each field keeps: {"phone": "loser", "custom_fields.region": '
            "\"winner\"}. Fields not named keep the winner's value, or the loser's where the "
            "winner's is empty. Many-to-many links (tags, accounts) are united."
        ),
    )
    winner_version = serializers.IntegerField(
        required=False, help_text="The winner's version you read; stale → 409."
    )
    loser_version = serializers.IntegerField(
        required=False, help_text="The loser's version you read; stale → 409."
    )


class MergeResultSerializer(serializers.Serializer):
    winner = serializers.IntegerField()
    loser = serializers.IntegerField()
    fields_taken = serializers.ListField(child=serializers.CharField())
    moved = serializers.DictField(child=serializers.IntegerField())
    dropped = serializers.ListField(child=serializers.CharField())
    record = serializers.DictField(help_text="The merged record, as its resource shows it.")


MERGE_EXAMPLE = {
    "winner": 17,
    "loser": 42,
    "fields": {"phone": "loser", "custom_fields.region": "loser"},
    "winner_version": 3,
    "loser_version": 1,
}


class MergeView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Merge two records of an entity",
        request=MergeRequestSerializer,
        responses={200: MergeResultSerializer},
        examples=[
            OpenApiExample("Merge #42 into #17", value=MERGE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Merged",
                value={
                    "winner": 17,
                    "loser": 42,
                    "fields_taken": ["phone"],
                    "moved": {"attachments": 1, "audit entries": 4, "account links": 1},
                    "dropped": [],
                    "record": {"id": 17, "display": "דנה כהן"},
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, key):
        spec = spec_or_404(key, request.user, "change")
        if not may_merge(request.user, key):
            raise PermissionDenied
        body = MergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        records = records_by_id(spec, request.user, [data["winner"], data["loser"]])
        if data["winner"] == data["loser"] and data["winner"] in records:
            records[data["loser"]] = records[data["winner"]]
        if data["winner"] not in records or data["loser"] not in records:
            raise Http404
        result = merge_records(
            records[data["winner"]],
            records[data["loser"]],
            actor=request.user,
            fields=data.get("fields"),
            winner_version=data.get("winner_version"),
            loser_version=data.get("loser_version"),
        )
        record = serializer_for(spec.entity)(result.winner, context={"request": request}).data
        return Response({**result.as_json(), "record": record})


def pair_json(pair: DuplicatePair, records: dict, key: str) -> dict:
    def side(pk):
        obj = records.get(pk)
        return {
            "id": pk,
            "display": str(obj) if obj is not None else None,
            "url": reverse("entity_detail", args=[key, pk]),
        }

    return {
        "id": pair.pk,
        "entity": pair.entity,
        "a": side(pair.record_a),
        "b": side(pair.record_b),
        "score": pair.score,
        "reasons": pair.reasons,
        "status": pair.status,
        "found_at": pair.created_at,
    }


class PairListView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Open pairs of possible duplicates (review queue)",
        parameters=[OpenApiParameter("page", int, description="Page of 50, from 1.")],
        responses={200: dict},
        examples=[
            OpenApiExample(
                "A page",
                value={
                    "next": None,
                    "results": [
                        {
                            "id": 5,
                            "entity": "contacts",
                            "a": {"id": 17, "display": "דנה כהן", "url": "/r/contacts/17/"},
                            "b": {"id": 42, "display": "דנה כהן", "url": "/r/contacts/42/"},
                            "score": 95,
                            "reasons": ["email", "name"],
                            "status": "open",
                            "found_at": "2026-01-04T10:00:00+02:00",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, key):
        spec = spec_or_404(key, request.user)
        page = request.query_params.get("page", "1")
        page = max(1, int(page)) if page.isdigit() and len(page) < 7 else 1
        start = (page - 1) * PAGE_SIZE
        pairs = list(pair_list(spec, request.user)[start : start + PAGE_SIZE + 1])
        more = len(pairs) > PAGE_SIZE
        pairs = pairs[:PAGE_SIZE]
        records = records_by_id(
            spec, request.user, [p.record_a for p in pairs] + [p.record_b for p in pairs]
        )
        next_url = None
        if more:
            next_url = request.build_absolute_uri(
                reverse("api_duplicates", args=[key]) + f"?page={page + 1}"
            )
        return Response({"next": next_url, "results": [pair_json(p, records, key) for p in pairs]})


class DismissView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(summary="Mark a pair as not duplicates", request=None, responses={200: dict})
    def post(self, request, pk):
        pair, spec = pair_get(request.user, pk)
        spec_or_404(spec.key, request.user, "change")
        pair = pair_dismiss(pair, actor=request.user)
        records = records_by_id(spec, request.user, [pair.record_a, pair.record_b])
        return Response(pair_json(pair, records, spec.key))


def scan_json(scan: DuplicateScan) -> dict:
    return {
        "id": scan.pk,
        "entity": scan.entity,
        "status": scan.status,
        "total": scan.total,
        "done": scan.done,
        "percent": scan.percent,
        "found": scan.found,
        "error": scan.error,
        "url": reverse("api_duplicate_scan", args=[scan.pk]),
        "created_at": scan.created_at,
        "finished_at": scan.finished_at,
    }


SCAN_EXAMPLE = {
    "id": 3,
    "entity": "contacts",
    "status": "running",
    "total": 1000000,
    "done": 450000,
    "percent": 45,
    "found": 0,
    "error": "",
    "url": "/api/v1/duplicate-scans/3/",
    "created_at": "2026-01-04T10:00:00+02:00",
    "finished_at": None,
}


class ScanStartView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Scan every record of an entity for duplicates",
        description="Small lists are scanned at once (200); larger ones in the worker (202): "
        "follow the scan's url until its status is done.",
        request=None,
        responses={200: dict, 202: dict},
        examples=[OpenApiExample("Running", value=SCAN_EXAMPLE, response_only=True)],
    )
    def post(self, request, key):
        spec = spec_or_404(key, request.user)
        scan = scan_start(actor=request.user, entity_key=spec.key)
        code = status.HTTP_200_OK if scan.finished else status.HTTP_202_ACCEPTED
        return Response(scan_json(scan), status=code)


class ScanView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="A duplicate scan's progress",
        responses={200: dict},
        examples=[OpenApiExample("Running", value=SCAN_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk):
        return Response(scan_json(scan_get(request.user, pk)))
