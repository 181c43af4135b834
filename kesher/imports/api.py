"""The imports API (REQ IM-1, IM-2): the wizard's steps for scripts and other systems.

* ``GET /api/v1/imports/`` lists your imports (an administrator's: everyone's);
  ``POST`` uploads a file (multipart: ``entity``, ``file``, optionally ``archive``: a zip of
  attachments the rows name) and answers the new job with the
  fields its columns may map to and the suggested mapping;
* ``GET /api/v1/imports/<id>/`` is the job and its progress (poll it while it runs);
* ``PUT /api/v1/imports/<id>/mapping/`` sets the mapping and the mode;
* ``POST …/check/`` queues the dry run, ``POST …/start/`` the import, ``POST …/cancel/`` stops
  it, ``POST …/undo/`` undoes a finished import;
* ``GET …/issues/`` lists the bad rows and why (``?download=xlsx`` as an Excel sheet).

Jobs are seen by whoever started them and by administrators (404 for others); each step
needs the add permission on the job's entity (403).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.imports import services
from kesher.imports.mapping import targets_for
from kesher.imports.models import ImportJob
from kesher.platform.access import can
from kesher.platform.api.parsers import JSONParser
from kesher.platform.api.permissions import ActiveUser
from kesher.platform.registry import registry

__all__ = [
    "CancelView",
    "CheckView",
    "IssuesView",
    "JobListView",
    "JobView",
    "MappingView",
    "StartView",
    "UndoView",
]

PAGE_SIZE = 100


def _job(request, pk) -> ImportJob:
    job = services.import_job_for(request.user, pk)
    if job is None:
        raise Http404
    return job


def _may_import(request, job: ImportJob) -> None:
    if not can(request.user, job.entity, "add"):
        raise PermissionDenied


def job_json(job: ImportJob, *, fields: bool = False) -> dict:
    result = {
        "id": job.pk,
        "url": reverse("api_import", args=[job.pk]),
        "entity": job.entity,
        "filename": job.filename,
        "archive": job.archive_name,
        "format": job.file_format,
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "headers": job.headers,
        "notes": job.notes,
        "mode": job.mode,
        "mapping": job.mapping,
        "status": job.status,
        "checked": job.checked,
        "total": job.total,
        "done": job.done,
        "percent": job.percent,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "invalid": job.invalid,
        "duplicates": job.duplicates,
        "to_write": job.to_write,
        "report": job.report or {},
        "error": job.error,
        "actor": job.actor_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "undone_at": job.undone_at,
        "undo": {
            "total": job.undo_total,
            "done": job.undo_done,
            "deleted": job.undo_counts.get("deleted", 0),
            "restored": job.undo_counts.get("restored", 0),
            "kept": job.undo_counts.get("kept", 0),
            "skipped": job.undo_counts.get("skipped", 0),
        },
    }
    if fields:
        entity = registry.get(job.entity)
        result["fields"] = [
            {
                "key": target.key,
                "label": str(target.label),
                "kind": target.kind,
                "required": target.required,
                "choice_list": target.choice_list,
                "links_to": target.entity_key,
                "many": target.many,
            }
            for target in targets_for(entity, job.actor).values()
        ]
    return result


JOB_EXAMPLE = {
    "id": 12,
    "url": "/api/v1/imports/12/",
    "entity": "contacts",
    "filename": "אנשי קשר.csv",
    "archive": "",
    "format": "csv",
    "encoding": "Windows-1255",
    "delimiter": ",",
    "headers": ["מזהה", "שם פרטי", "שם משפחה", "טלפון נייד", "סטטוס", "חברה"],
    "notes": [],
    "mode": "upsert",
    "mapping": {
        "columns": {
            "0": {"field": "external_id", "values": {}},
            "1": {"field": "first_name", "values": {}},
            "2": {"field": "last_name", "values": {}},
            "3": {"field": "mobile", "values": {}},
            "5": {"field": "accounts", "values": {}, "missing": "create"},
        },
        "match": "external_id",
        "source": "old-crm",
        "skip_invalid": False,
        "date_order": "dmy",
        "duplicates": "skip",
    },
    "status": "running",
    "checked": True,
    "total": 4200,
    "done": 2000,
    "percent": 47,
    "created": 1950,
    "updated": 48,
    "unchanged": 2,
    "invalid": 0,
    "duplicates": 3,
    "to_write": 1998,
    "report": {
        "missing": {
            "5": {
                "column": "חברה",
                "field": "accounts",
                "entity": "accounts",
                "count": 2,
                "values": ["אלפא בע״מ", "בטא תעשיות"],
                "choice": "create",
                "may_create": True,
            }
        }
    },
    "error": "",
    "actor": 7,
    "created_at": "2026-01-04T10:00:00+02:00",
    "started_at": "2026-01-04T10:02:00+02:00",
    "finished_at": None,
    "undone_at": None,
    "undo": {"total": 0, "done": 0, "deleted": 0, "restored": 0, "kept": 0, "skipped": 0},
}


class UploadSerializer(serializers.Serializer):
    entity = serializers.CharField(help_text="The entity to import into, e.g. contacts.")
    file = serializers.FileField(help_text="A CSV (any common Hebrew encoding) or XLSX file.")
    archive = serializers.FileField(
        required=False,
        help_text="Optional: a zip of attachments. Map a column to attachment (the file's name "
        "or path inside the zip) and, optionally, one to attachment_title; each row's file is "
        "attached to the row's record. Password-protected zips are refused.",
    )


class MappingSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, required=False)
    mapping = serializers.JSONField(
        help_text=(
            'Columns by their number from 0: {"columns": {"0": {"field": "first_name"}, '
            '"4": {"field": "status", "values": {"VIP": "vip"}}}, "match": "email", '
            '"source": "old-crm", "skip_invalid": false, "date_order": "dmy"}. Field keys are '
            "those the job lists under fields (custom fields as custom.<key>, the old system's "
            'id as external_id). "values" maps a cell as written to a pick-list value or to '
            'true/false. "match" is the field existing records are found by (update, upsert). '
            "Interactions and tasks name the record they are about with one column mapped to "
            "about.<entity>.<key>: about.accounts.external_id, about.accounts.id, "
            "about.accounts.company_number, about.accounts.name, about.contacts.email, "
            "about.contacts.mobile…; with a zip uploaded, attachment (the file's name in the "
            "zip) and attachment_title. A link field (a foreign key or many-to-many field to "
            "another entity, listed under fields with links_to, e.g. a contact's accounts) names "
            "records by their external id or their entity's lookup keys (an account by company "
            'number or name); a many-to-many cell may name several separated by ";", and links '
            'are only added, never removed. A link column\'s "missing" says what to do with '
            'values naming no record you may see: "report" (the row is bad; the default), '
            '"create" (one record per value, named by it, owned by you) or "leave" (unlinked); '
            'the dry run lists them under report.missing. "duplicates": "skip" (the '
            "default) skips rows repeating a phone or e-mail of an earlier row or, for new "
            'records, of an existing one; "import" writes them.'
        )
    )


class JobListView(APIView):
    permission_classes = [ActiveUser]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="imports_list",
        summary="Your imports, newest first",
        parameters=[OpenApiParameter("page", int, description="Page of 100, from 1.")],
        responses={200: dict},
        examples=[
            OpenApiExample(
                "A page", value={"next": None, "results": [JOB_EXAMPLE]}, response_only=True
            )
        ],
    )
    def get(self, request):
        page = request.query_params.get("page", "1")
        page = max(1, int(page)) if page.isdigit() and len(page) < 7 else 1
        start = (page - 1) * PAGE_SIZE
        jobs = list(services.import_jobs_for(request.user)[start : start + PAGE_SIZE + 1])
        next_url = None
        if len(jobs) > PAGE_SIZE:
            next_url = request.build_absolute_uri(reverse("api_imports") + f"?page={page + 1}")
        return Response({"next": next_url, "results": [job_json(j) for j in jobs[:PAGE_SIZE]]})

    @extend_schema(
        summary="Upload a file to import",
        description="The file is read at once: its encoding and delimiter are detected and each "
        "column gets a suggested field. An unreadable file answers 400 naming the problem, and "
        "nothing is kept.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: dict},
        examples=[
            OpenApiExample(
                "Uploaded",
                value={**JOB_EXAMPLE, "status": "uploaded", "done": 0, "percent": 0},
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request):
        entity = str(request.data.get("entity", ""))
        try:
            registry.get(entity)
        except KeyError:
            raise serializers.ValidationError({"entity": [_("Unknown entity.")]}) from None
        if not can(request.user, entity, "add"):
            raise PermissionDenied
        body = UploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        uploaded = body.validated_data["file"]
        if uploaded.size > services.max_bytes():
            raise serializers.ValidationError({"file": [_too_large()]})
        archive = body.validated_data.get("archive")
        if archive is not None and archive.size > settings.KESHER_IMPORT_ZIP_MAX_BYTES:
            raise serializers.ValidationError({"archive": [_zip_too_large()]})
        job = services.import_upload(
            actor=request.user,
            entity=entity,
            filename=uploaded.name,
            content=uploaded.read(),
            archive_name=archive.name if archive is not None else "",
            archive_content=archive.read() if archive is not None else None,
        )
        return Response(job_json(job, fields=True), status=status.HTTP_201_CREATED)


def _zip_too_large() -> str:
    return _("The zip is larger than %(size)s.") % {
        "size": filesizeformat(settings.KESHER_IMPORT_ZIP_MAX_BYTES)
    }


def _too_large() -> str:
    return _("The file is too large (at most %(mb)s MB).") % {
        "mb": services.max_bytes() // (1024 * 1024)
    }


class JobView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="An import and its progress",
        description="Poll while status is checking, queued or running.",
        responses={200: dict},
        examples=[OpenApiExample("Running", value=JOB_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk):
        return Response(job_json(_job(request, pk), fields=True))


class MappingView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Set an import's column mapping and mode",
        description="A mapping naming a field the entity lacks, two columns on one field, or a "
        "create without a required field answers 400 naming each problem, and is not kept. "
        "The dry run must be run again afterwards.",
        request=MappingSerializer,
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Upsert by the old system's id",
                value={"mode": "upsert", "mapping": JOB_EXAMPLE["mapping"]},
                request_only=True,
            ),
            OpenApiExample(
                "Contacts with their accounts; create the accounts not found",
                value={
                    "mode": "create",
                    "mapping": {
                        "columns": {
                            "0": {"field": "first_name"},
                            "1": {"field": "last_name"},
                            "2": {"field": "email"},
                            "3": {"field": "accounts", "missing": "create"},
                        },
                        "skip_invalid": False,
                        "duplicates": "skip",
                    },
                },
                request_only=True,
            ),
            OpenApiExample(
                "History about accounts imported before, with files from the zip",
                value={
                    "mode": "upsert",
                    "mapping": {
                        "columns": {
                            "0": {"field": "external_id"},
                            "1": {"field": "about.accounts.external_id"},
                            "2": {"field": "kind", "values": {"טלפון": "call"}},
                            "3": {"field": "subject"},
                            "4": {"field": "occurred_at"},
                            "5": {"field": "owner"},
                            "6": {"field": "attachment"},
                        },
                        "match": "external_id",
                        "source": "old-crm",
                        "skip_invalid": False,
                        "date_order": "dmy",
                    },
                },
                request_only=True,
            ),
        ],
    )
    def put(self, request, pk):
        job = _job(request, pk)
        _may_import(request, job)
        body = MappingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = services.import_set_mapping(
            job,
            actor=request.user,
            mapping=body.validated_data["mapping"],
            mode=body.validated_data.get("mode"),
        )
        return Response(job_json(job))


class _Step(APIView):
    permission_classes = [ActiveUser]
    service = None

    def post(self, request, pk):
        job = _job(request, pk)
        _may_import(request, job)
        job = type(self).service(job, actor=request.user)
        return Response(job_json(job), status=status.HTTP_202_ACCEPTED)


class CheckView(_Step):
    service = staticmethod(services.import_check)

    @extend_schema(
        summary="Queue the dry run",
        description="Every row is validated as the import would write it; nothing is kept. "
        "Follow the job until its status is checked; the bad rows are under issues.",
        request=None,
        responses={202: dict},
        examples=[
            OpenApiExample(
                "Checking", value={**JOB_EXAMPLE, "status": "checking"}, response_only=True
            )
        ],
    )
    def post(self, request, pk):
        return super().post(request, pk)


class StartView(_Step):
    service = staticmethod(services.import_start)

    @extend_schema(
        summary="Queue the import",
        description="Needs a finished dry run of the current mapping; bad rows stop it unless "
        "the mapping sets skip_invalid. Batches are written whole or not at all.",
        request=None,
        responses={202: dict},
        examples=[
            OpenApiExample("Queued", value={**JOB_EXAMPLE, "status": "queued"}, response_only=True)
        ],
    )
    def post(self, request, pk):
        return super().post(request, pk)


class CancelView(_Step):
    service = staticmethod(services.import_cancel)

    @extend_schema(
        summary="Stop an import",
        description="At once if it waits; after the batch in flight if it runs.",
        request=None,
        responses={202: dict},
    )
    def post(self, request, pk):
        return super().post(request, pk)


class UndoView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Undo a finished import",
        description="Starts the undo in the worker, within the configured number of days: it "
        "deletes the records the import created and restores the fields it updated, a batch at "
        "a time; the job's `status` is `undoing` until it is `undone`, and its `undo` tells the "
        "progress and what was deleted, restored, kept (other records use it) or skipped "
        "(deleted meanwhile).",
        request=None,
        responses={202: dict, 400: dict},
        examples=[
            OpenApiExample(
                "Undoing",
                value={
                    **JOB_EXAMPLE,
                    "status": "undoing",
                    "undo": {
                        "total": 1998,
                        "done": 400,
                        "deleted": 380,
                        "restored": 18,
                        "kept": 2,
                        "skipped": 0,
                    },
                },
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        job = _job(request, pk)
        _may_import(request, job)
        job = services.import_undo(job, actor=request.user)
        return Response(job_json(job), status=202)


class IssuesView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="The bad rows of an import and why",
        parameters=[
            OpenApiParameter("page", int, description="Page of 100, from 1."),
            OpenApiParameter(
                "download", str, enum=["xlsx"], description="xlsx: as an Excel sheet."
            ),
        ],
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Two problems of row 7",
                value={
                    "count": 2,
                    "next": None,
                    "results": [
                        {
                            "row": 7,
                            "column": "טלפון נייד",
                            "value": "12",
                            "message": "Enter a valid phone number.",
                        },
                        {
                            "row": 7,
                            "column": "סטטוס",
                            "value": "זהב",
                            "message": "“זהב” is not one of the values of this list.",
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, pk):
        job = _job(request, pk)
        if request.query_params.get("download") == "xlsx":
            response = HttpResponse(
                services.issues_xlsx(job),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="import-{job.pk}.xlsx"'
            return response
        page = request.query_params.get("page", "1")
        page = max(1, int(page)) if page.isdigit() and len(page) < 7 else 1
        start = (page - 1) * PAGE_SIZE
        issues = list(
            job.issues.order_by("row", "pk").values("row", "column", "value", "message")[
                start : start + PAGE_SIZE + 1
            ]
        )
        next_url = None
        if len(issues) > PAGE_SIZE:
            next_url = request.build_absolute_uri(
                reverse("api_import_issues", args=[job.pk]) + f"?page={page + 1}"
            )
        return Response(
            {"count": job.issues.count(), "next": next_url, "results": issues[:PAGE_SIZE]}
        )
