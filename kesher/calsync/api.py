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
from django.utils.translation import gettext_noop
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
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


# The views of one kind of connection ("calendar" or "contacts", ``services.KINDS``): each kind
# below names its model, serializer and answers; the schema's examples are declared per kind.


class _DavView(APIView):
    permission_classes = [IsAuthenticated]
    kind: str
    serializer: type[serializers.ModelSerializer]


class _DavConnectionView(_DavView):
    """The signed-in user's own connection of the view's kind: GET, PUT, DELETE."""

    model: type[CalendarConnection | ContactConnection]
    missing: str  # the 404's message

    def get(self, request):
        connection = self.model.objects.filter(user=request.user).first()
        if connection is None:
            return Response({"detail": _(self.missing)}, status=status.HTTP_404_NOT_FOUND)
        return Response(self.serializer(connection).data)

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
                kind=self.kind,
            )
        except ValidationError as error:
            return _bad(error)
        return Response(self.serializer(connection).data)

    def delete(self, request):
        services.connection_delete(actor=request.user, kind=self.kind)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _DavTestView(_DavView):
    """Reach the collection with the given settings (or the stored ones) without syncing."""

    def post(self, request):
        data = {k: v for k, v in _data(request).items() if isinstance(v, str)}
        ok, detail = services.connection_test(actor=request.user, data=data, kind=self.kind)
        return Response({"ok": ok, "detail": detail})


class _DavSyncView(_DavView):
    """Sync at the worker's next tick (within a minute)."""

    def post(self, request):
        try:
            connection = services.connection_sync_now(actor=request.user, kind=self.kind)
        except ValidationError as error:
            return _bad(error)
        return Response(self.serializer(connection).data)


def _connection_schema(serializer, example: dict, missing: str, connect: list) -> dict:
    return {
        "get": extend_schema(
            tags=["calendar sync"],
            responses={200: serializer, 404: OpenApiResponse(description=missing)},
            examples=[OpenApiExample("Connected", value=example, response_only=True)],
        ),
        "put": extend_schema(
            tags=["calendar sync"],
            request=serializer,
            responses={200: serializer},
            examples=[
                *connect,
                OpenApiExample("Connected", value=example, response_only=True),
            ],
        ),
        "delete": extend_schema(tags=["calendar sync"], responses={204: None}),
    }


def _test_schema(serializer, answers: list) -> dict:
    return {
        "post": extend_schema(
            tags=["calendar sync"],
            request=serializer,
            responses={200: TestAnswerSerializer},
            examples=[OpenApiExample("The stored settings", value={}, request_only=True), *answers],
        )
    }


def _sync_schema(serializer, example: dict) -> dict:
    return {
        "post": extend_schema(
            tags=["calendar sync"],
            request=None,
            responses={200: serializer},
            examples=[OpenApiExample("Due", value=example, response_only=True)],
        )
    }


def _connect_example(url: str) -> OpenApiExample:
    return OpenApiExample(
        "Connect",
        value={
            "url": url,
            "username": "dana@example.com",
            "password": "app-password",
            "active": True,
        },
        request_only=True,
    )


@extend_schema_view(
    **_connection_schema(
        ConnectionSerializer,
        CONNECTION_EXAMPLE,
        "No calendar is connected.",
        [_connect_example("https://caldav.example.com/dav/")],
    )
)
class ConnectionView(_DavConnectionView):
    """The signed-in user's own calendar connection."""

    kind, model, serializer = "calendar", CalendarConnection, ConnectionSerializer
    missing = gettext_noop("No calendar is connected.")


@extend_schema_view(
    **_test_schema(
        ConnectionSerializer,
        [
            OpenApiExample(
                "Reached",
                value={"ok": True, "detail": "https://caldav.example.com/dav/calendars/dana/work/"},
                response_only=True,
            )
        ],
    )
)
class ConnectionTestView(_DavTestView):
    """Reach the calendar with the given settings (or the stored ones) without syncing."""

    kind, serializer = "calendar", ConnectionSerializer


@extend_schema_view(**_sync_schema(ConnectionSerializer, CONNECTION_EXAMPLE))
class ConnectionSyncView(_DavSyncView):
    """Sync at the worker's next tick (within a minute)."""

    kind, serializer = "calendar", ConnectionSerializer


@extend_schema_view(
    **_connection_schema(
        ContactConnectionSerializer,
        CARDS_EXAMPLE,
        "No address book is connected.",
        [
            _connect_example("https://carddav.example.com/dav/"),
            OpenApiExample(
                "With the calendar's password",
                value={"url": "https://carddav.example.com/dav/", "username": "dana@example.com"},
                request_only=True,
            ),
        ],
    )
)
class ContactConnectionView(_DavConnectionView):
    """The signed-in user's own address book connection (CardDAV, decision 0123)."""

    kind, model, serializer = "contacts", ContactConnection, ContactConnectionSerializer
    missing = gettext_noop("No address book is connected.")


@extend_schema_view(
    **_test_schema(
        ContactConnectionSerializer,
        [
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
)
class ContactConnectionTestView(_DavTestView):
    """Reach the address book with the given settings (or the stored ones) without syncing."""

    kind, serializer = "contacts", ContactConnectionSerializer


@extend_schema_view(**_sync_schema(ContactConnectionSerializer, CARDS_EXAMPLE))
class ContactConnectionSyncView(_DavSyncView):
    """Sync the address book at the worker's next tick (within a minute)."""

    kind, serializer = "contacts", ContactConnectionSerializer


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
