"""API permissions: a signed-in active user; the user's role granting the action on the
viewset's entity."""

from django.conf import settings
from rest_framework.permissions import BasePermission, IsAuthenticated

from kesher.platform.access import can

__all__ = [
    "METHOD_ACTIONS",
    "ActiveUser",
    "EntityPermission",
    "SchemaReader",
]

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class EntityPermission(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        entity = getattr(view, "entity", None)
        if entity is None:
            return True
        action = getattr(view, "required_action", {}).get(view.action) or METHOD_ACTIONS.get(
            request.method, "change"
        )
        return can(user, entity.key, action)


class ActiveUser(IsAuthenticated):
    """Signed in, and still active: for endpoints that check their own finer rights."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_active


class SchemaReader(ActiveUser):
    """The API's schema and docs page: signed-in users, or anyone when the operator publishes
    them (``KESHER_PUBLISH_API_SCHEMA``; issue 24 item 8) — the schema names every entity and
    field."""

    def has_permission(self, request, view):
        return settings.KESHER_PUBLISH_API_SCHEMA or super().has_permission(request, view)
