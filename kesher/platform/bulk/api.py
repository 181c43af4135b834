"""``POST /api/v1/bulk/<entity>/`` and ``GET /api/v1/bulk-jobs/<id>/``: bulk actions over the API
(REQ IM-4). Thin: parse, call ``kesher.platform.bulk.actions``, render its summary."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.bulk.actions import (
    MAX_IDS,
    MISSING,
    bulk_job_for,
    bulk_prepare,
    bulk_start,
    job_summary,
)
from kesher.platform.models import BulkJob
from kesher.platform.registry import registry

__all__ = ["BulkActionView", "BulkJobView"]


class BulkRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=BulkJob.Action.choices)
    field = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            'For "update": a field ("status") or a custom field ("custom.region"). For '
            '"add_link"/"remove_link": a many-to-many field the entity\'s form edits ("tags", '
            '"companies", "participant_contacts").'
        ),
    )
    value = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text=(
            'For "update" and "assign_owner": the new value as a single edit takes it (a record '
            "id for links and pick-lists, a user id for the owner, a pick-list key for custom "
            'pick-lists); null or "" clears the field. For "add_link"/"remove_link": the id of '
            "the one record to link or unlink, which must be one you may see; each record's "
            "other links stay as they are."
        ),
    )
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=MAX_IDS,
        help_text="The records to change. Ids you may not see are reported and never touched.",
    )
    filter = serializers.JSONField(
        required=False,
        help_text="Instead of (or with) ids: every record you may see that matches this "
        "filter-language expression; {} matches all of them.",
    )


class RejectedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    record = serializers.CharField()
    # A declared field: DRF's metaclass takes it off the class, so ``.errors`` stays DRF's.
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    status: serializers.Field = serializers.CharField()
    total = serializers.IntegerField(help_text="Records the action reached.")
    updated = serializers.IntegerField(help_text="Records changed (or deleted).")
    unchanged = serializers.IntegerField(help_text="Records that already had the value.")
    rejected_count = serializers.IntegerField()
    rejected = RejectedSerializer(many=True, help_text="The first 1,000 skipped, with why.")


class BulkJobSerializer(BulkResultSerializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    entity = serializers.CharField()
    action = serializers.CharField()
    status = serializers.ChoiceField(choices=BulkJob.Status.choices)
    done = serializers.IntegerField(help_text="Records processed so far.")
    percent = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


REJECTED_EXAMPLE = {
    "id": 17,
    "record": "אקמה בע״מ",
    "errors": {"custom_fields.zone": ["Haifa Bay does not belong to south."]},
    "message": "Haifa Bay does not belong to south.",
}
EXAMPLES = [
    OpenApiExample(
        "Set a custom field on chosen records",
        value={"action": "update", "field": "custom.region", "value": "north", "ids": [12, 17, 31]},
        request_only=True,
    ),
    OpenApiExample(
        "Set the status of every matching record",
        value={
            "action": "update",
            "field": "status",
            "value": 4,
            "filter": {"all": [{"field": "city", "op": "eq", "value": "חיפה"}]},
        },
        request_only=True,
    ),
    OpenApiExample(
        "Assign an owner",
        value={"action": "assign_owner", "value": 7, "ids": [12, 17]},
        request_only=True,
    ),
    OpenApiExample(
        "Add a tag",
        value={"action": "add_link", "field": "tags", "value": 3, "ids": [12, 17]},
        request_only=True,
    ),
    OpenApiExample(
        "Remove a company from every matching record",
        value={
            "action": "remove_link",
            "field": "companies",
            "value": 2,
            "filter": {"all": [{"field": "city", "op": "eq", "value": "חיפה"}]},
        },
        request_only=True,
    ),
    OpenApiExample("Delete", value={"action": "delete", "ids": [12, 17]}, request_only=True),
    OpenApiExample(
        "Done at once",
        value={
            "status": "done",
            "total": 3,
            "updated": 2,
            "unchanged": 0,
            "rejected_count": 1,
            "rejected": [REJECTED_EXAMPLE],
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Queued for the worker",
        value={
            "id": 41,
            "url": "/api/v1/bulk-jobs/41/",
            "entity": "accounts",
            "action": "update",
            "status": "queued",
            "total": 48210,
            "done": 0,
            "percent": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected_count": 0,
            "rejected": [],
            "error": "",
            "created_at": "2026-03-01T09:30:00+02:00",
            "started_at": None,
            "finished_at": None,
        },
        response_only=True,
        status_codes=["202"],
    ),
    OpenApiExample(
        "A bad value",
        value={
            "custom_fields.region": [
                "Select a valid choice. west is not one of the available choices."
            ]
        },
        response_only=True,
        status_codes=["400"],
    ),
    OpenApiExample(
        "A record to link that does not exist or that you may not see",
        value={"participant_contacts": ["No such record, or you may not link it."]},
        response_only=True,
        status_codes=["400"],
    ),
]


def _job_data(request, job: BulkJob) -> dict:
    return {**job_summary(job), "url": reverse("api_bulk_job", args=[job.pk])}


class BulkActionView(APIView):
    """Update a field, assign an owner, add or remove a link on a many-to-many field (a tag, a
    company, a participant), or delete, on many records."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="bulk_action",
        summary="Run a bulk action on records of an entity",
        description=(
            "Each record is validated as a single edit would be, audited, versioned and "
            "announced to automation. Records that fail are skipped and listed with the reason. "
            "Small sets (up to 500 records) run at once and answer 200 with the summary; larger "
            "ones answer 202 with a job to follow at its `url`. A request no record can take "
            "answers 400 by field, and nothing is written. `add_link` and `remove_link` change "
            "one link of a many-to-many field and leave the records' other links, those to "
            "records you may not see included, as they are; `unchanged` counts the records that "
            "already had the link (or, on removal, did not have it)."
        ),
        parameters=[
            OpenApiParameter(
                "key",
                str,
                OpenApiParameter.PATH,
                description="The entity, as in its API resource name.",
                enum=registry.keys(),
            )
        ],
        request=BulkRequestSerializer,
        responses={
            200: BulkResultSerializer,
            202: BulkJobSerializer,
            400: OpenApiResponse(description="Errors by field, in the request's language."),
            403: OpenApiResponse(description="Your role may not change (or delete) these."),
            404: OpenApiResponse(description="No such entity."),
        },
        examples=EXAMPLES,
    )
    def post(self, request, key):
        try:
            entity = registry.get(key)
        except KeyError:
            raise Http404 from None
        serializer = BulkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = bulk_prepare(
            entity,
            actor=request.user,
            action=data["action"],
            field=data.get("field", ""),
            value=data.get("value", MISSING),
            ids=data.get("ids"),
            filter=data.get("filter"),
        )
        outcome, job = bulk_start(plan)
        if job is not None:
            body = _job_data(request, job)
            return Response(
                body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]}
            )
        assert outcome is not None  # run at once, not queued
        return Response(outcome.summary())


class BulkJobView(APIView):
    """A bulk job's progress and result, for the user who started it or an administrator."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="bulk_job",
        summary="Progress and result of a bulk job",
        responses={
            200: BulkJobSerializer,
            404: OpenApiResponse(description="No such job, or not yours."),
        },
    )
    def get(self, request, pk):
        job = bulk_job_for(request.user, pk)
        if job is None:
            raise Http404
        return Response(_job_data(request, job))
