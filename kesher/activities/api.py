"""The notifications API: a user's own notifications, mark read (issue 4 item 5). Interactions
and tasks are served by the platform's generic API (``/api/v1/interactions/``, ``/tasks/``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(source="is_read", read_only=True)

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
