"""Activities' own API: a user's notifications (issue 4 item 5), a record's 360° figures and
alerts (item 6), task reports (item 9), "not contacted" call-back runs (item 7) and the one-step
completion of a task (issue 14 item 7). Interactions, tasks, alert rules and manual alerts are
served by the platform's generic API (``/api/v1/interactions/``, ``/tasks/``,
``/alert-rules/``, ``/manual-alerts/``)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.activities import callbacks, overview, selectors, services
from kesher.activities.agenda import start_of_day
from kesher.activities.models import CallbackRun, Notification, Task
from kesher.activities.views import report_period
from kesher.platform.access import can
from kesher.platform.api.serializers import serializer_for
from kesher.platform.records.links import linkable_keys
from kesher.platform.registry import registry


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(source="is_read", read_only=True)
    # Put into words for the caller, in his language (decision 0042).
    text = serializers.CharField(source="display_text", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "verb", "text", "link_type", "link_id", "read", "read_at", "created_at"]
        read_only_fields = fields


EXAMPLE = OpenApiExample(
    "A notification",
    value={
        "id": 7,
        "verb": "done",
        "text": "משימה בוצעה: להתקשר בחזרה ללקוח",
        "link_type": "tasks",
        "link_id": 41,
        "read": False,
        "read_at": None,
        "created_at": "2026-09-14T10:02:00+03:00",
    },
    response_only=True,
)


@extend_schema(tags=["notifications"])
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's own notifications, newest first; ``?unread=1`` for unread only."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()
    filter_backends = []

    def get_queryset(self):
        qs = Notification.objects.filter(user=self.request.user).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(summary="List my notifications", examples=[EXAMPLE])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Mark one notification read", request=None, examples=[EXAMPLE])
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = services.notification_mark_read(self.get_object(), actor=request.user)
        return Response(self.get_serializer(note).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses={200: {"type": "object", "properties": {"marked": {"type": "integer"}}}},
        examples=[OpenApiExample("Marked", value={"marked": 3}, response_only=True)],
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.notification_mark_all_read(actor=request.user)})


# --- completing a task in one step (REQ TK-3) -----------------------------------------------------


class TaskCompleteView(APIView):
    """Mark an open task done: it gets the first status an administrator marked done and
    closed, and closing it does what any close does (its delegator is notified, a recurring
    task's next one is made, a parent set to close with its sub-tasks may close). The task's
    assignee may complete a task handed to him even when its record is outside his scope.
    A task already closed answers 400."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tasks"],
        operation_id="tasks_complete",
        summary="Complete a task",
        request=None,
        responses={200: serializer_for(registry.get("tasks"))},
        examples=[
            OpenApiExample(
                "Already closed (400)",
                value={"status": ["המשימה כבר סגורה."]},
                response_only=True,
                status_codes=["400"],
            )
        ],
    )
    def post(self, request, pk):
        if not can(request.user, "tasks", "change"):
            raise PermissionDenied
        task = Task.objects.visible_to(request.user).filter(pk=pk).first()
        if task is None:
            raise NotFound
        try:
            task = services.task_complete(task, actor=request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        serializer = serializer_for(registry.get("tasks"))(task, context={"request": request})
        return Response(serializer.data, headers={"ETag": f'"{task.version}"'})


# --- the 360° view's figures and alerts (issue 4 item 6) ----------------------------------------


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    url = serializers.CharField(
        allow_null=True, required=False, help_text="Where the value leads, when it does."
    )


class AlertSerializer(serializers.Serializer):
    source = serializers.CharField(
        help_text='"rule", "manual", or the module that raised it ("billing": debt overdue).'
    )
    id = serializers.IntegerField()
    level = serializers.CharField()
    message = serializers.CharField()
    expires_at = serializers.DateTimeField(required=False)
    url = serializers.CharField(required=False, help_text="Where a module's alert leads.")


class OverviewSerializer(serializers.Serializer):
    figures = FigureSerializer(many=True)
    alerts = AlertSerializer(many=True)


OVERVIEW_EXAMPLE = OpenApiExample(
    "An account's overview",
    value={
        "figures": [
            {"key": "open_tasks", "label": "משימות פתוחות", "value": 3},
            {"key": "overdue_tasks", "label": "משימות באיחור", "value": 1},
            {"key": "last_contact", "label": "קשר אחרון", "value": "10/09/2026 10:30"},
            {
                "key": "open_opportunities",
                "label": "הזדמנויות פתוחות",
                "value": "2 · ₪48,000.00",
                "url": "/r/opportunities/?account=12",
            },
            {"key": "open_tickets", "label": "פניות פתוחות", "value": None},
        ],
        "alerts": [
            {"source": "rule", "id": 2, "level": "warning", "message": "לקוח VIP"},
            {
                "source": "manual",
                "id": 5,
                "level": "info",
                "message": "לא להתקשר לפני 10:00",
                "expires_at": "2026-12-31T18:00:00+02:00",
            },
        ],
    },
    response_only=True,
)


@extend_schema(tags=["overview"])
class RecordOverviewView(APIView):
    """A record's key figures and alerts banner, as the 360° view shows them (a figure a
    module has not filled yet is ``null``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A record's 360° figures and alerts",
        responses=OverviewSerializer,
        examples=[OVERVIEW_EXAMPLE],
    )
    def get(self, request, key, pk):
        if key not in linkable_keys() or not can(request.user, key, "view"):
            raise NotFound
        record = registry.get(key).model.objects.visible_to(request.user).filter(pk=pk).first()
        if record is None:
            raise NotFound
        figures = [
            {"key": f["key"], "label": str(f["label"]), "value": f["value"], "url": f["url"]}
            for f in overview.figures_for(record, request.user)
        ]
        alerts = overview.alerts_for(record, request.user)
        return Response(OverviewSerializer({"figures": figures, "alerts": alerts}).data)


# --- task reports (REQ TK-7) ---------------------------------------------------------------------


class TaskReportRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    done = serializers.IntegerField()
    sla_met = serializers.IntegerField()
    sla_missed = serializers.IntegerField()
    sla_percent = serializers.IntegerField(allow_null=True)


class TaskReportQuerySerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=list(selectors.REPORT_GROUPS), default="user")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


@extend_schema(tags=["reports"])
class TaskReportView(APIView):
    """Open, overdue and done tasks created in a period, by assignee, task type or month,
    with SLA compliance; only tasks the caller may see are counted."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Task report",
        parameters=[TaskReportQuerySerializer],
        responses=TaskReportRowSerializer(many=True),
        examples=[
            OpenApiExample(
                "By user",
                value=[
                    {
                        "key": "3",
                        "label": "דנה כהן",
                        "total": 12,
                        "open": 4,
                        "overdue": 1,
                        "done": 8,
                        "sla_met": 7,
                        "sla_missed": 2,
                        "sla_percent": 78,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        if not can(request.user, "tasks", "view"):
            raise PermissionDenied
        query = TaskReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = report_period(
            {
                "from": request.query_params.get("date_from"),
                "to": request.query_params.get("date_to"),
            }
        )
        rows = selectors.task_report(
            request.user,
            query.validated_data["group"],
            start_of_day(start),
            start_of_day(end + datetime.timedelta(days=1)),
        )
        for row in rows:
            row["key"] = None if row["key"] is None else str(row["key"])
            row["label"] = str(row["label"])
        return Response(TaskReportRowSerializer(rows, many=True).data)


# --- "not contacted for X days" runs (REQ CU-9) --------------------------------------------------


class CallbackRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = CallbackRun
        fields = [
            "id",
            "days",
            "filters",
            "status",
            "total",
            "done",
            "created",
            "percent",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class CallbackRunRequestSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=3650)
    owner = serializers.IntegerField(required=False)
    status = serializers.IntegerField(required=False)
    city = serializers.CharField(required=False, allow_blank=True)


RUN_EXAMPLE = OpenApiExample(
    "A finished run",
    value={
        "id": 4,
        "days": 90,
        "filters": {"city": "חיפה"},
        "status": "done",
        "total": 37,
        "done": 37,
        "created": 35,
        "percent": 100,
        "error": "",
        "created_at": "2026-09-14T09:00:00+03:00",
        "finished_at": "2026-09-14T09:00:04+03:00",
    },
    response_only=True,
)


@extend_schema(tags=["not-contacted"])
class CallbackRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Create a call-back task for the owner of each account not contacted for ``days`` days
    (with the list's filters); a run is the caller's own and reports its progress. Running it
    again creates no duplicate tasks."""

    serializer_class = CallbackRunSerializer
    permission_classes = [IsAuthenticated]
    queryset = CallbackRun.objects.none()
    filter_backends = []

    def get_queryset(self):
        return CallbackRun.objects.filter(actor=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(summary="List my call-back runs", examples=[RUN_EXAMPLE])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="A call-back run's progress", examples=[RUN_EXAMPLE])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Start a call-back run",
        request=CallbackRunRequestSerializer,
        responses={201: CallbackRunSerializer},
        examples=[
            OpenApiExample(
                "Ninety days, Haifa", value={"days": 90, "city": "חיפה"}, request_only=True
            ),
            RUN_EXAMPLE,
        ],
    )
    def create(self, request, *args, **kwargs):
        if not can(request.user, "accounts", "view") or not can(request.user, "tasks", "add"):
            raise PermissionDenied
        try:
            days, filters = callbacks.clean_filters(request.data)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        run = callbacks.callback_start(actor=request.user, days=days, filters=filters)
        return Response(CallbackRunSerializer(run).data, status=201)
