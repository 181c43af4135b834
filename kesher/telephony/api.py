"""The telephony API (REQ IN-2):

* ``POST /api/v1/telephony/calls/`` — a phone system tells of a call's event (ringing, answered,
  ended). No user signs in: the request is checked against its connection's secret
  (adapters.py); ``?pbx=<connection id>`` or ``X-Kesher-Pbx`` names the connection.
* ``POST /api/v1/telephony/dial/`` — a signed-in user asks his phone system to call a number.
"""

from __future__ import annotations

import hashlib

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.api.throttling import WebhookRateThrottle
from kesher.telephony.adapters import Refused, check_request, parse_body, read_event
from kesher.telephony.selectors import connection_get
from kesher.telephony.services import call_event_record, dial

__all__ = ["CallWebhookView", "DialView"]

EXAMPLE = {
    "call_id": "1717-42-abc",
    "event": "ringing",
    "from": "052-555-1234",
    "to": "03-555-0000",
    "extension": "101",
    "direction": "in",
    "duration": None,
    "recording_url": "",
    "id_number": "",
}


class CallEventSerializer(serializers.Serializer):
    """Kesher's generic call event (a connection's field mapping renames these)."""

    call_id = serializers.CharField(
        help_text="The phone system's id of the call; the same on all its events."
    )
    event = serializers.ChoiceField(choices=["ringing", "answered", "ended"])
    to = serializers.CharField(required=False, help_text="The number or extension called.")
    extension = serializers.CharField(required=False, help_text="The extension that rang.")
    direction = serializers.ChoiceField(choices=["in", "out"], required=False, default="in")
    duration = serializers.IntegerField(required=False, allow_null=True, help_text="Seconds.")
    recording_url = serializers.URLField(required=False, allow_blank=True)
    id_number = serializers.CharField(
        required=False, allow_blank=True, help_text="An Israeli ID number typed in the IVR."
    )

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword: declared here, under its JSON name.
        fields["from"] = serializers.CharField(required=False, help_text="The caller's number.")
        return fields


class CallAnswerSerializer(serializers.Serializer):
    call = serializers.IntegerField(help_text="Kesher's id of the call.")
    status = serializers.CharField()
    interaction = serializers.IntegerField(allow_null=True)


class PbxRateThrottle(WebhookRateThrottle):
    """Events of one phone system, counted per connection (the "webhook" rate)."""

    def get_cache_key(self, request, view):
        pbx = request.query_params.get("pbx") or request.headers.get("X-Kesher-Pbx", "")
        ident = hashlib.sha256(f"pbx:{pbx}".encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CallWebhookView(APIView):
    """A call's event from a phone system: logged once per call id (ringing → answered →
    ended update one call interaction), the caller's card popped to the user whose extension
    rang. 200 with the call; 400 for a body that is no call event (nothing written); 403 for
    a request its connection's secret does not vouch for; 409 for a signed request received
    before (a replay)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PbxRateThrottle]

    @extend_schema(
        tags=["telephony"],
        parameters=[
            OpenApiParameter("pbx", int, OpenApiParameter.QUERY, description="The connection."),
            OpenApiParameter(
                "X-Kesher-Signature",
                str,
                OpenApiParameter.HEADER,
                description='HMAC: "sha256=" + hex HMAC-SHA256("<timestamp>." + body, secret).',
            ),
            OpenApiParameter(
                "X-Kesher-Timestamp", str, OpenApiParameter.HEADER, description="Unix seconds."
            ),
        ],
        request=CallEventSerializer,
        responses={200: CallAnswerSerializer},
        examples=[
            OpenApiExample("A call rings extension 101", value=EXAMPLE, request_only=True),
            OpenApiExample(
                "It ended",
                value={
                    **EXAMPLE,
                    "event": "ended",
                    "duration": 184,
                    "recording_url": "https://pbx.example.co.il/rec/1717-42-abc.mp3",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Logged",
                value={"call": 31, "status": "ringing", "interaction": 512},
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        connection = connection_get(
            request.query_params.get("pbx") or request.headers.get("X-Kesher-Pbx")
        )
        body = request.body
        try:
            if connection is None:
                raise Refused(_refused())
            digest = check_request(
                connection, headers=request.headers, query=request.query_params, body=body
            )
            content_type = request.content_type or ""
            form = request._request.POST if content_type.startswith("multipart/") else None
            fields = parse_body(body, content_type, request.query_params, form)
            event = read_event(connection, fields)
            call = call_event_record(connection=connection, event=event, digest=digest)
        except Refused as refused:
            return Response({"detail": str(refused)}, status=refused.status)
        return Response(
            {"call": call.pk, "status": call.status, "interaction": call.interaction_id}
        )


def _refused() -> str:
    from django.utils.translation import gettext

    return gettext("The request is not signed by a known phone system.")


class DialRequestSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The number to call, in any common form.")


class DialAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["sent", "suppressed", "failed"])
    detail = serializers.CharField(allow_blank=True)


class DialView(APIView):
    """Click-to-dial through the phone system: it rings the caller's own extension, then the
    number. ``suppressed`` in the practice environment (nobody is called); 400 when the user
    has no extension that dials through a phone system with an originate URL."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["telephony"],
        request=DialRequestSerializer,
        responses={200: DialAnswerSerializer},
        examples=[
            OpenApiExample("Call a customer", value={"number": "052-555-1234"}, request_only=True),
            OpenApiExample("Ringing", value={"status": "sent", "detail": ""}, response_only=True),
        ],
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        number = data.get("number")
        result = dial(actor=request.user, number=number if isinstance(number, str) else "")
        code = status.HTTP_502_BAD_GATEWAY if result.status == "failed" else status.HTTP_200_OK
        return Response({"status": result.status, "detail": result.detail}, status=code)
