"""Service's own API beside the generated resources (``/api/v1/tickets/``, ``/service-teams/``,
``/sla-policies/``): recording a response and reading a ticket's SLA clocks (REQ SV-9)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.access import can
from kesher.service.models import Ticket
from kesher.service.selectors import ticket_clocks
from kesher.service.services import ticket_record_response


class ClockSerializer(serializers.Serializer):
    kind = serializers.CharField(source="clock.kind")
    state = serializers.ChoiceField(choices=["met", "breached", "paused", "warning", "running"])
    target_hours = serializers.FloatField()
    left_hours = serializers.FloatField(allow_null=True, help_text="Negative: past the target.")
    started_at = serializers.DateTimeField(source="clock.started_at")
    due_at = serializers.DateTimeField(allow_null=True, help_text="Null while paused.")
    warn_at = serializers.DateTimeField(source="clock.warn_at")
    met_at = serializers.DateTimeField(source="clock.met_at", allow_null=True)


CLOCKS_EXAMPLE = [
    {
        "kind": "first_response",
        "state": "met",
        "target_hours": 2.0,
        "left_hours": None,
        "started_at": "2026-09-10T09:00:00+03:00",
        "due_at": "2026-09-10T11:00:00+03:00",
        "warn_at": "2026-09-10T10:30:00+03:00",
        "met_at": "2026-09-10T10:12:00+03:00",
    },
    {
        "kind": "resolution",
        "state": "running",
        "target_hours": 16.0,
        "left_hours": 3.5,
        "started_at": "2026-09-10T09:00:00+03:00",
        "due_at": "2026-09-14T16:30:00+03:00",
        "warn_at": "2026-09-14T12:30:00+03:00",
        "met_at": None,
    },
]


def _ticket(request, pk, action: str) -> Ticket:
    if not can(request.user, "tickets", action):
        raise PermissionDenied
    ticket = Ticket.objects.visible_to(request.user).filter(pk=pk).first()
    if ticket is None:
        raise NotFound
    return ticket


class TicketClocksView(APIView):
    """A ticket's SLA clocks: first response, next responses and resolution, each with its
    state, target and business time left (REQ SV-9)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_clocks",
        summary="A ticket's SLA clocks",
        responses={200: ClockSerializer(many=True)},
        examples=[OpenApiExample("Responded, resolution running", value=CLOCKS_EXAMPLE)],
    )
    def get(self, request, pk):
        ticket = _ticket(request, pk, "view")
        return Response(ClockSerializer(ticket_clocks(ticket), many=True).data)


class TicketRespondView(APIView):
    """Record that the customer was answered: the first-response clock and a next-response
    clock still running are met. An outgoing call, e-mail or message logged on the ticket does
    the same."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_respond",
        summary="Record a response to the customer",
        request=None,
        responses={200: ClockSerializer(many=True)},
        examples=[OpenApiExample("The clocks after the response", value=CLOCKS_EXAMPLE)],
    )
    def post(self, request, pk):
        ticket = _ticket(request, pk, "change")
        ticket = ticket_record_response(ticket, actor=request.user)
        return Response(ClockSerializer(ticket_clocks(ticket), many=True).data)
