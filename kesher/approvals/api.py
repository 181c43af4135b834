"""The approval requests API (REQ AU-3): list, get, start (create), decide and cancel.
Approval processes are served by the platform's generic API (``/api/v1/approval-processes/``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from kesher.approvals import selectors, services
from kesher.approvals.models import ApprovalDecision, ApprovalRequest
from kesher.platform.records.links import linkable_keys, resolve_link

__all__ = ["ApprovalRequestViewSet"]


class ApprovalStepSerializer(serializers.ModelSerializer):
    approver_name = serializers.StringRelatedField(source="approver", read_only=True)
    role = serializers.SlugRelatedField(slug_field="key", read_only=True)
    decided_by_name = serializers.StringRelatedField(source="decided_by", read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = [
            "position",
            "approver_kind",
            "approver",
            "approver_name",
            "role",
            "active",
            "decision",
            "decided_by",
            "decided_by_name",
            "comment",
            "decided_at",
        ]
        read_only_fields = fields


class ApprovalRequestSerializer(serializers.ModelSerializer):
    process_name = serializers.CharField(source="process.name", read_only=True)
    requester_name = serializers.StringRelatedField(source="requester", read_only=True)
    decisions = ApprovalStepSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "version",
            "process",
            "process_name",
            "link_type",
            "link_id",
            "record_repr",
            "requester",
            "requester_name",
            "source",
            "status",
            "created_at",
            "finished_at",
            "decisions",
        ]
        read_only_fields = fields


class ApprovalStartSerializer(serializers.Serializer):
    process = serializers.IntegerField(help_text="The approval process's id.")
    link_type = serializers.ChoiceField(choices=(), help_text="The record's entity, e.g. accounts.")
    link_id = serializers.IntegerField(help_text="The record's id.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link_type"].choices = linkable_keys()


class ApprovalDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=services.COMMENT_MAX, trim_whitespace=False
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read (or send If-Match); stale answers 409."
    )


class ApprovalCancelSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=services.COMMENT_MAX, trim_whitespace=False
    )
    version = serializers.IntegerField(required=False)


REQUEST_EXAMPLE = OpenApiExample(
    "A request waiting at its second step",
    value={
        "id": 12,
        "version": 2,
        "process": 3,
        "process_name": "אישור הנחה מעל 10%",
        "link_type": "accounts",
        "link_id": 41,
        "record_repr": "אלפא מערכות בע״מ",
        "requester": 5,
        "requester_name": "דנה כהן",
        "source": "",
        "status": "pending",
        "created_at": "2026-09-14T09:00:00+03:00",
        "finished_at": None,
        "decisions": [
            {
                "position": 1,
                "approver_kind": "manager",
                "approver": 2,
                "approver_name": "יוסי לוי",
                "role": None,
                "active": False,
                "decision": "approve",
                "decided_by": 2,
                "decided_by_name": "יוסי לוי",
                "comment": "מאושר, לקוח ותיק",
                "decided_at": "2026-09-14T10:12:00+03:00",
            },
            {
                "position": 2,
                "approver_kind": "role",
                "approver": None,
                "approver_name": None,
                "role": "admin",
                "active": True,
                "decision": "",
                "decided_by": None,
                "decided_by_name": None,
                "comment": "",
                "decided_at": None,
            },
        ],
    },
    response_only=True,
)
NOT_APPROVER_EXAMPLE = OpenApiExample(
    "Not an approver (403)",
    value={"detail": "You are not an approver of the step waiting for a decision."},
    response_only=True,
    status_codes=["403"],
)


def _if_match(request):
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    return header or None


@extend_schema(tags=["approvals"])
class ApprovalRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Approval requests about records the caller may see, and his own. ``?waiting=me`` lists
    those waiting for the caller's decision; ``?status=``, ``?link_type=&link_id=`` narrow."""

    serializer_class = ApprovalRequestSerializer
    permission_classes = [IsAuthenticated]
    queryset = ApprovalRequest.objects.none()
    filter_backends = []

    def get_queryset(self):
        params = self.request.query_params
        if self.action == "list" and params.get("waiting") == "me":
            return selectors.waiting_for(self.request.user)
        qs = selectors.request_list(self.request.user).order_by("-created_at", "-id")
        if self.action != "list":
            return qs
        if params.get("status") in ApprovalRequest.Status.values:
            qs = qs.filter(status=params["status"])
        if params.get("link_type"):
            qs = qs.filter(link_type=params["link_type"])
        if params.get("link_id", "").isdigit():
            qs = qs.filter(link_id=int(params["link_id"]))
        return qs

    @extend_schema(
        summary="List approval requests",
        parameters=[
            OpenApiParameter("waiting", str, enum=["me"], description="Waiting for my decision."),
            OpenApiParameter("status", str, enum=ApprovalRequest.Status.values),
            OpenApiParameter("link_type", str, description="The record's entity, e.g. accounts."),
            OpenApiParameter("link_id", int, description="The record's id."),
        ],
        examples=[REQUEST_EXAMPLE],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get one approval request (ETag = version)", examples=[REQUEST_EXAMPLE])
    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def _answer(self, approval, status=200):
        approval = selectors.request_list(self.request.user).get(pk=approval.pk)
        data = ApprovalRequestSerializer(approval).data
        return Response(data, status=status, headers={"ETag": f'"{approval.version}"'})

    @extend_schema(
        summary="Ask for approval of a record (start a request)",
        request=ApprovalStartSerializer,
        responses={201: ApprovalRequestSerializer},
        examples=[
            OpenApiExample(
                "Start",
                value={"process": 3, "link_type": "accounts", "link_id": 41},
                request_only=True,
            ),
            REQUEST_EXAMPLE,
            OpenApiExample(
                "Already waiting (400)",
                value={"non_field_errors": ["רשומה זו כבר ממתינה לאישור."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        body = ApprovalStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        record = resolve_link(values["link_type"], values["link_id"], request.user)
        try:
            approval = services.approval_start(
                process_id=values["process"], record=record, actor=request.user
            )
        except services.ApprovalForbidden as exc:
            raise PermissionDenied(str(exc)) from None
        return self._answer(approval, status=201)

    @extend_schema(
        summary="Approve or reject my step",
        request=ApprovalDecideSerializer,
        responses={200: ApprovalRequestSerializer},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        examples=[
            OpenApiExample(
                "Approve",
                value={"decision": "approve", "comment": "מאושר", "version": 2},
                request_only=True,
            ),
            REQUEST_EXAMPLE,
            NOT_APPROVER_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        approval = self.get_object()
        body = ApprovalDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        try:
            approval = services.approval_decide(
                approval,
                actor=request.user,
                decision=values["decision"],
                comment=values.get("comment", ""),
                expected_version=values.get("version", _if_match(request)),
            )
        except services.ApprovalForbidden as exc:
            raise PermissionDenied(str(exc)) from None
        return self._answer(approval)

    @extend_schema(
        summary="Cancel a pending request (its requester or an administrator)",
        request=ApprovalCancelSerializer,
        responses={200: ApprovalRequestSerializer},
        examples=[
            OpenApiExample("Cancel", value={"comment": "נשלח בטעות"}, request_only=True),
            REQUEST_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        approval = self.get_object()
        body = ApprovalCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            approval = services.approval_cancel(
                approval,
                actor=request.user,
                comment=body.validated_data.get("comment", ""),
                expected_version=body.validated_data.get("version", _if_match(request)),
            )
        except services.ApprovalForbidden as exc:
            raise PermissionDenied(str(exc)) from None
        return self._answer(approval)
