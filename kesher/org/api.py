"""What the roles resource adds to the generated API: each role's grants, read and changed on
``/api/v1/roles/`` (REQ OR-3; issue "Platform v2" item 10). Only administrators reach it: the
roles entity is granted to no other role."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kesher.org.models import Scope
from kesher.org.services import role_grants, role_set_grants
from kesher.platform.access import ACTIONS

__all__ = ["RoleGrantsMixin"]

GRANT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        **{action: {"type": "boolean"} for action in ACTIONS},
        "scope": {"type": "string", "enum": list(Scope.values)},
    },
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": GRANT_SCHEMA,
        "example": {
            "accounts": {
                "view": True,
                "add": True,
                "change": True,
                "delete": False,
                "scope": "department",
            },
            "contacts": {"view": True, "scope": "all"},
        },
    }
)
class GrantsField(serializers.JSONField):
    """The role's rights by kind of record; checked by ``role_set_grants``."""


class RoleGrantsMixin(serializers.Serializer):
    grants = GrantsField(
        required=False,
        source="api_grants",
        help_text=(
            "What the role may do with each kind of record (entity key): view, add, change, "
            'delete, and over which records ("scope": own, department, region, company, all). An '
            "administrator role may do everything. On create and update, the kinds of record "
            "sent change — only the rights sent, or all of them with null (no rights) — and "
            "the others stay. Errors come back under "
            '"grants.<entity>" or "grants.<entity>.<right>".'
        ),
    )

    @classmethod
    def for_reading(cls, queryset, user):
        return super().for_reading(queryset, user).prefetch_related("permissions")

    def to_representation(self, instance):
        instance.api_grants = role_grants(instance)
        return super().to_representation(instance)

    def create(self, validated_data):
        grants = validated_data.pop("api_grants", None)
        with transaction.atomic():
            role = super().create(validated_data)
            if grants is not None:
                role = role_set_grants(role, actor=self.context["request"].user, grants=grants)
        return role

    def update(self, instance, validated_data):
        grants = validated_data.pop("api_grants", None)
        with transaction.atomic():
            role = super().update(instance, validated_data)
            if grants is not None:
                role = role_set_grants(role, actor=self.context["request"].user, grants=grants)
        return role
