"""Calendar sync's API (decision 0110):

* ``/api/v1/calsync/connection/`` — the signed-in user's own CalDAV connection: GET (404 when
  none), PUT (connect or change; an empty password keeps the stored one), DELETE (disconnect).
  The password is write-only.
* ``POST /api/v1/calsync/connection/test/`` — reach the calendar without syncing.
* ``POST /api/v1/calsync/connection/sync/`` — sync at the worker's next tick.
* ``/api/v1/calsync/contacts/`` (``test/``, ``sync/``) — the same for his CardDAV address book
  (decision 0123).
* ``/api/v1/calsync/policy/`` — the administrator's sync policy: GET for anyone signed in (what
  reaches his device), PUT for administrators.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.calsync import services
from kesher.calsync.models import CalendarConnection, ContactConnection, SyncPolicy

__all__ = [
    "ConnectionSyncView",
    "ConnectionTestView",
    "ConnectionView",
    "ContactConnectionSyncView",
    "ContactConnectionTestView",
    "ContactConnectionView",
    "PolicyView",
]


class ConnectionSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Write-only; empty keeps it."
    )
    problem_label = serializers.CharField(source="get_problem_display", read_only=True)

    class Meta:
        model = CalendarConnection
        fields = [
            "url",
            "username",
            "password",
            "active",
            "calendar_url",
            "last_sync_at",
            "last_sent",
            "last_received",
            "problem",
            "problem_label",
            "problem_at",
            "retry_at",
        ]
        read_only_fields = [
            "calendar_url",
            "last_sync_at",
            "last_sent",
            "last_received",
            "problem",
            "problem_at",
            "retry_at",
        ]


class ContactConnectionSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Write-only; empty keeps it (a new connection: the calendar's, when the user "
        "name is the same).",
    )
    problem_label = serializers.CharField(source="get_problem_display", read_only=True)

    class Meta:
        model = ContactConnection
        fields = [
            "url",
            "username",
            "password",
            "active",
            "addressbook_url",
            "last_sync_at",
            "last_sent",
            "last_received",
            "problem",
            "problem_label",
            "problem_at",
            "retry_at",
        ]
        read_only_fields = [
            "addressbook_url",
            "last_sync_at",
            "last_sent",
            "last_received",
            "problem",
            "problem_at",
            "retry_at",
        ]


class TestAnswerSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField(help_text="The calendar's address, or why it was not reached.")


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncPolicy
        fields = [
            "enabled",
            "from_device",
            "send_details",
            "send_customer",
            "record_kinds",
            "contacts_scope",
            "contacts_view",
            "contacts_from_device",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


CONNECTION_EXAMPLE = {
    "url": "https://caldav.example.com/dav/calendars/dana/work/",
    "username": "dana@example.com",
    "active": True,
    "calendar_url": "https://caldav.example.com/dav/calendars/dana/work/",
    "last_sync_at": "2026-12-07T08:00:00+02:00",
    "last_sent": 3,
    "last_received": 1,
    "problem": "",
    "problem_label": "None",
    "problem_at": None,
    "retry_at": None,
}
POLICY_EXAMPLE = {
    "enabled": True,
    "from_device": True,
    "send_details": False,
    "send_customer": False,
    "record_kinds": ["accounts", "opportunities"],
    "contacts_scope": "accounts_owned",
    "contacts_view": None,
    "contacts_from_device": True,
    "updated_at": "2026-12-07T08:00:00+02:00",
}
CARDS_EXAMPLE = {
    "url": "https://carddav.example.com/dav/",
    "username": "dana@example.com",
    "active": True,
    "addressbook_url": "https://carddav.example.com/dav/addressbooks/dana/contacts/",
    "last_sync_at": "2026-12-07T08:00:00+02:00",
    "last_sent": 12,
    "last_received": 2,
    "problem": "",
    "problem_label": "None",
    "problem_at": None,
    "retry_at": None,
}


def _bad(error: ValidationError) -> Response:
    return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


class ConnectionView(APIView):
    """The signed-in user's own calendar connection."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        responses={
            200: ConnectionSerializer,
            404: OpenApiResponse(description="No calendar is connected."),
        },
        examples=[OpenApiExample("Connected", value=CONNECTION_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        connection = CalendarConnection.objects.filter(user=request.user).first()
        if connection is None:
            return Response(
                {"detail": _("No calendar is connected.")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(ConnectionSerializer(connection).data)

    @extend_schema(
        tags=["calendar sync"],
        request=ConnectionSerializer,
        responses={200: ConnectionSerializer},
        examples=[
            OpenApiExample(
                "Connect",
                value={
                    "url": "https://caldav.example.com/dav/",
                    "username": "dana@example.com",
                    "password": "app-password",
                    "active": True,
                },
                request_only=True,
            ),
            OpenApiExample("Connected", value=CONNECTION_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request):
        data = _data(request)
        active = data.get("active", True)
        if not isinstance(active, bool):
            return Response(
                {"active": [_("Answer yes or no.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            connection = services.connection_save(
                actor=request.user,
                data={
                    **{k: data.get(k) for k in ("url", "username", "password")},
                    "active": active,
                },
            )
        except ValidationError as error:
            return _bad(error)
        return Response(ConnectionSerializer(connection).data)

    @extend_schema(tags=["calendar sync"], responses={204: None})
    def delete(self, request):
        services.connection_delete(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionTestView(APIView):
    """Reach the calendar with the given settings (or the stored ones) without syncing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        request=ConnectionSerializer,
        responses={200: TestAnswerSerializer},
        examples=[
            OpenApiExample("The stored settings", value={}, request_only=True),
            OpenApiExample(
                "Reached",
                value={"ok": True, "detail": "https://caldav.example.com/dav/calendars/dana/work/"},
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = {k: v for k, v in _data(request).items() if isinstance(v, str)}
        ok, detail = services.connection_test(actor=request.user, data=data)
        return Response({"ok": ok, "detail": detail})


class ConnectionSyncView(APIView):
    """Sync at the worker's next tick (within a minute)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        request=None,
        responses={200: ConnectionSerializer},
        examples=[OpenApiExample("Due", value=CONNECTION_EXAMPLE, response_only=True)],
    )
    def post(self, request):
        try:
            connection = services.connection_sync_now(actor=request.user)
        except ValidationError as error:
            return _bad(error)
        return Response(ConnectionSerializer(connection).data)


class ContactConnectionView(APIView):
    """The signed-in user's own address book connection (CardDAV, decision 0123)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        responses={
            200: ContactConnectionSerializer,
            404: OpenApiResponse(description="No address book is connected."),
        },
        examples=[OpenApiExample("Connected", value=CARDS_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        connection = ContactConnection.objects.filter(user=request.user).first()
        if connection is None:
            return Response(
                {"detail": _("No address book is connected.")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(ContactConnectionSerializer(connection).data)

    @extend_schema(
        tags=["calendar sync"],
        request=ContactConnectionSerializer,
        responses={200: ContactConnectionSerializer},
        examples=[
            OpenApiExample(
                "Connect",
                value={
                    "url": "https://carddav.example.com/dav/",
                    "username": "dana@example.com",
                    "password": "app-password",
                    "active": True,
                },
                request_only=True,
            ),
            OpenApiExample(
                "With the calendar's password",
                value={"url": "https://carddav.example.com/dav/", "username": "dana@example.com"},
                request_only=True,
            ),
            OpenApiExample("Connected", value=CARDS_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request):
        data = _data(request)
        active = data.get("active", True)
        if not isinstance(active, bool):
            return Response(
                {"active": [_("Answer yes or no.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            connection = services.connection_save(
                actor=request.user,
                data={
                    **{k: data.get(k) for k in ("url", "username", "password")},
                    "active": active,
                },
                kind="contacts",
            )
        except ValidationError as error:
            return _bad(error)
        return Response(ContactConnectionSerializer(connection).data)

    @extend_schema(tags=["calendar sync"], responses={204: None})
    def delete(self, request):
        services.connection_delete(actor=request.user, kind="contacts")
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactConnectionTestView(APIView):
    """Reach the address book with the given settings (or the stored ones) without syncing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        request=ContactConnectionSerializer,
        responses={200: TestAnswerSerializer},
        examples=[
            OpenApiExample("The stored settings", value={}, request_only=True),
            OpenApiExample(
                "Reached",
                value={
                    "ok": True,
                    "detail": "https://carddav.example.com/dav/addressbooks/dana/contacts/",
                },
                response_only=True,
            ),
            OpenApiExample(
                "Not reached",
                value={"ok": False, "detail": "The address is not an address book"},
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = {k: v for k, v in _data(request).items() if isinstance(v, str)}
        ok, detail = services.connection_test(actor=request.user, data=data, kind="contacts")
        return Response({"ok": ok, "detail": detail})


class ContactConnectionSyncView(APIView):
    """Sync the address book at the worker's next tick (within a minute)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        request=None,
        responses={200: ContactConnectionSerializer},
        examples=[OpenApiExample("Due", value=CARDS_EXAMPLE, response_only=True)],
    )
    def post(self, request):
        try:
            connection = services.connection_sync_now(actor=request.user, kind="contacts")
        except ValidationError as error:
            return _bad(error)
        return Response(ContactConnectionSerializer(connection).data)


class PolicyView(APIView):
    """The administrator's calendar sync policy (REQ OR-5)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["calendar sync"],
        responses={200: PolicySerializer},
        examples=[OpenApiExample("Policy", value=POLICY_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        return Response(PolicySerializer(SyncPolicy.current()).data)

    @extend_schema(
        tags=["calendar sync"],
        request=PolicySerializer,
        responses={200: PolicySerializer},
        examples=[OpenApiExample("Policy", value=POLICY_EXAMPLE)],
    )
    def put(self, request):
        try:
            policy = services.policy_update(actor=request.user, data=_data(request))
        except PermissionDenied:
            return Response(
                {"detail": _("Only an administrator may change this.")},
                status=status.HTTP_403_FORBIDDEN,
            )
        except ValidationError as error:
            return _bad(error)
        return Response(PolicySerializer(policy).data)
