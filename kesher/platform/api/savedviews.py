"""``/api/v1/saved-views/``: the caller's own and shared list views."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.generics import get_object_or_404  # a non-numeric id: 404, not 500
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from kesher.platform.lists.savedviews import (
    saved_view_create,
    saved_view_delete,
    saved_view_queryset,
    saved_view_update,
)
from kesher.platform.models import SavedView


class SavedViewSerializer(serializers.ModelSerializer):
    owner: serializers.StringRelatedField = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = SavedView
        fields = [
            "id",
            "entity",
            "name",
            "shared",
            "filter",
            "columns",
            "sort",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner", "created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"entity": {"validators": []}}


EXAMPLE = OpenApiExample(
    "VIP customers in Haifa",
    value={
        "entity": "accounts",
        "name": "VIP בחיפה",
        "filter": {
            "all": [
                {"field": "status", "op": "eq", "value": "vip"},
                {"field": "city", "op": "eq", "value": "חיפה"},
            ]
        },
        "columns": ["name", "phone", "city", "custom.region"],
        "sort": "-last_contact_at",
    },
)


class SavedViewViewSet(viewsets.ModelViewSet):
    """Named list views; use one as a filter with ``?view=<id>`` on any entity list."""

    serializer_class = SavedViewSerializer
    permission_classes = [IsAuthenticated]
    queryset = SavedView.objects.none()

    def get_queryset(self):
        qs = saved_view_queryset(self.request.user)
        entity = self.request.query_params.get("entity")
        return qs.filter(entity=entity) if entity else qs

    @extend_schema(examples=[EXAMPLE])
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        view = saved_view_create(actor=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(view).data, status=status.HTTP_201_CREATED)

    @extend_schema(examples=[EXAMPLE])
    def update(self, request, *args, **kwargs):
        view = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        serializer = self.get_serializer(view, data=request.data, partial=kwargs.get("partial"))
        serializer.is_valid(raise_exception=True)
        view = saved_view_update(view, actor=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(view).data)

    def destroy(self, request, *args, **kwargs):
        view = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        saved_view_delete(view, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
