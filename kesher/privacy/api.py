"""The privacy officer's API beside the generated ``/api/v1/privacy-requests/``: the access log
(read only: there is no route that writes it) and a request's data and erasure (issue 25)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform import accesslog
from kesher.platform.access import can
from kesher.privacy import assessment, exporting, recipients, retention, services
from kesher.privacy.entities import (
    ASSESSMENTS,
    REQUESTS,
    RULES,
    retention_rules,
    security_assessments,
    subject_requests,
)
from kesher.privacy.models import (
    AccessAction,
    AccessEntry,
    RetentionRule,
    RetentionRun,
    SubjectRequest,
)
from kesher.privacy.selectors import access_log, note_person, subject_data
from kesher.privacy.views import PAGE, AccessLogFilter


class AccessEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessEntry
        fields = ["id", "at", "user", "action", "entity", "record_id", "records", "api"]


FILTERS = [
    OpenApiParameter("user", int, description="A user's id."),
    OpenApiParameter("action", str, enum=[value for value, _label in AccessAction.choices]),
    OpenApiParameter("entity", str, description="A kind of record: contacts, accounts…"),
    OpenApiParameter(
        "record",
        int,
        description="A record's id (with entity): its entries, and the exports that held it.",
    ),
    OpenApiParameter("since", str, description="From this date (YYYY-MM-DD)."),
    OpenApiParameter("until", str, description="Until this date (YYYY-MM-DD)."),
    OpenApiParameter("before", int, description="The next page: entries older than this id."),
]


def _request(request, pk, action: str) -> SubjectRequest:
    if not can(request.user, REQUESTS, action):
        raise PermissionDenied
    found = subject_requests.queryset().visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


class AccessLogView(APIView):
    """Who read, searched, exported or changed which record, newest first, 100 at a time
    (REQ OR-8). Only a role granted the data-subject requests reads it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["access-log"],
        operation_id="access_log_list",
        parameters=FILTERS,
        responses={
            200: inline_serializer(
                "AccessLogPage",
                {
                    "results": AccessEntrySerializer(many=True),
                    "next_before": serializers.IntegerField(allow_null=True),
                },
            )
        },
    )
    def get(self, request):
        if not can(request.user, REQUESTS, "view"):
            raise PermissionDenied
        form = AccessLogFilter(request.query_params or None)
        if form.is_bound and not form.is_valid():
            return Response(form.errors, status=400)
        qs = access_log(request.user, filters=form.filters() if form.is_bound else {})
        before = request.query_params.get("before", "")
        if before.isdigit():
            qs = qs.filter(id__lt=int(before))
        entries = list(qs[: PAGE + 1])
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        return Response(
            {
                "results": AccessEntrySerializer(entries, many=True).data,
                "next_before": entries[-1].pk if more else None,
            }
        )


class RequestDataView(APIView):
    """Everything Kesher holds about the request's person, as JSON (Privacy Protection Law
    §13): his record, every record of every kind linked to him, his files and his history."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["privacy-requests"],
        operation_id="privacy_requests_data",
        responses={200: dict},
    )
    def get(self, request, pk):
        subject = _request(request, pk, "view")
        if subject.contact is None and subject.lead is None:  # the person was deleted since
            raise NotFound
        data = subject_data(subject.contact, lead=subject.lead)
        note_person(AccessAction.EXPORT, data)
        return Response(exporting.as_json(data))


class RequestAnonymizeView(APIView):
    """Erase the person of a request to delete: his values replaced everywhere, what the law
    keeps kept and marked; answers the request as it now is."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["privacy-requests"],
        operation_id="privacy_requests_anonymize",
        request=None,
        responses={
            200: inline_serializer(
                "AnonymizeOutcome",
                {"status": serializers.CharField(), "outcome": serializers.JSONField()},
            )
        },
    )
    def post(self, request, pk):
        subject = _request(request, pk, "change")
        subject = services.request_anonymize(subject, actor=request.user)
        return Response({"status": subject.status, "outcome": subject.outcome})


class RecipientSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "email", "sms", "whatsapp", "webhook"])
    key = serializers.CharField(help_text="The user's or webhook's id, or the address.")
    label = serializers.CharField()
    how = serializers.ChoiceField(choices=list(recipients.HOW))
    last = serializers.DateTimeField()


class RequestRecipientsView(APIView):
    """Who received the request's person's data in the three years before it (Privacy
    Protection Law §14): users who exported it, addresses sent messages about him, webhooks
    that received his record (his contact's, or for someone who never became one his lead's).
    Read from the access log, the send log and the webhook log."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["privacy-requests"],
        operation_id="privacy_requests_recipients",
        responses={200: RecipientSerializer(many=True)},
    )
    def get(self, request, pk):
        subject = _request(request, pk, "view")
        person = recipients.person_of(subject)
        if person is None:
            raise NotFound
        found = recipients.recipients(person, since=recipients.since_for(subject))
        return Response(RecipientSerializer(found, many=True).data)


class RequestPassOnView(APIView):
    """Tell everyone who received the person's data what a correction changed, once: users by
    a notification, addresses by e-mail or text, webhooks by a ``privacy.corrected`` event.
    Answers the request's record of whom it told."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["privacy-requests"],
        operation_id="privacy_requests_pass_on",
        request=None,
        responses={
            200: inline_serializer(
                "PassOnOutcome",
                {
                    "corrected": serializers.ListField(child=serializers.CharField()),
                    "passed_on": serializers.ListField(child=serializers.DictField()),
                    "passed_on_at": serializers.DateTimeField(),
                },
            )
        },
    )
    def post(self, request, pk):
        subject = _request(request, pk, "change")
        try:
            subject = recipients.request_pass_on(subject, actor=request.user)
        except ValidationError as error:
            raise DRFValidationError({"detail": error.messages}) from error
        outcome = subject.outcome
        return Response({key: outcome[key] for key in ("corrected", "passed_on", "passed_on_at")})


def _rule(request, pk) -> RetentionRule:
    if not can(request.user, RULES, "view"):
        raise PermissionDenied
    found = retention_rules.queryset().visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


class RetentionDryRunView(APIView):
    """What a retention rule would do today, writing nothing: how many records it reaches, how
    many of them the law keeps, and the first few the caller may see, by name."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["retention-rules"],
        operation_id="retention_rules_dry_run",
        responses={
            200: inline_serializer(
                "RetentionDryRun",
                {
                    "total": serializers.IntegerField(),
                    "kept_by_law": serializers.IntegerField(),
                    "older_than": serializers.DateField(),
                    "records": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request, pk):
        rule = _rule(request, pk)
        try:
            report = retention.dry_run(rule, request.user)
        except ValidationError as error:
            raise DRFValidationError(error.message_dict) from error
        records = report["records"]
        if records:
            accesslog.note(AccessAction.LIST, report["entity"].key, [r.pk for r in records])
        return Response(
            {
                "total": report["total"],
                "kept_by_law": report["kept"],
                "older_than": report["cutoff"],
                "records": [{"id": r.pk, "name": str(r)} for r in records],
            }
        )


class RetentionRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetentionRun
        fields = [
            "id",
            "day",
            "started_at",
            "finished_at",
            "deleted",
            "anonymized",
            "kept",
            "blocked",
        ]


class RetentionRunsView(APIView):
    """The log of a retention rule's runs, newest first: what each day's run deleted and
    anonymized, and how many records the law kept."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["retention-rules"],
        operation_id="retention_rules_runs",
        responses={200: RetentionRunSerializer(many=True)},
    )
    def get(self, request, pk):
        rule = _rule(request, pk)
        runs = rule.runs.all()[:PAGE]
        return Response(RetentionRunSerializer(runs, many=True).data)


class RequirementSerializer(serializers.Serializer):
    regulation = serializers.CharField()
    text = serializers.CharField()
    met = serializers.BooleanField()
    known_by = serializers.ChoiceField(choices=["answer", "kesher"])
    field = serializers.CharField(allow_blank=True)


class AssessmentRequirementsView(APIView):
    """What a security self-assessment's level asks by the Data Security Regulations 2017, in
    their order, each met or not: by the assessor's answer (``field``) or by Kesher's state."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["security-assessments"],
        operation_id="security_assessments_requirements",
        responses={
            200: inline_serializer(
                "AssessmentRequirements",
                {
                    "level": serializers.CharField(),
                    "requirements": RequirementSerializer(many=True),
                },
            )
        },
    )
    def get(self, request, pk):
        if not can(request.user, ASSESSMENTS, "view"):
            raise PermissionDenied
        found = security_assessments.queryset().visible_to(request.user).filter(pk=pk).first()
        if found is None:
            raise NotFound
        items = assessment.requirements(found)
        return Response(
            {
                "level": found.level,
                "requirements": RequirementSerializer(items, many=True).data,
            }
        )
