"""Marketing's own API beside the generated resources (``/api/v1/campaigns/``,
``/campaign-sends/``, ``/consents/`` …): what a campaign brought, and a send's actions."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.marketing import services
from kesher.marketing.models import Campaign, Send
from kesher.marketing.selectors import campaign_results
from kesher.marketing.sending import tally
from kesher.platform.access import can


class ResultsSerializer(serializers.Serializer):
    touch = serializers.ChoiceField(choices=["first", "last"])
    leads = serializers.IntegerField()
    converted = serializers.IntegerField()
    conversion_rate = serializers.DecimalField(
        max_digits=6, decimal_places=1, allow_null=True, help_text="Percent of the leads."
    )
    deals = serializers.IntegerField()
    won_deals = serializers.IntegerField()
    won_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    cost = serializers.DecimalField(max_digits=16, decimal_places=2)
    budget = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    cost_per_lead = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    cost_per_won_deal = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    roi = serializers.DecimalField(
        max_digits=12, decimal_places=1, allow_null=True, help_text="Percent; null: no cost yet."
    )


RESULTS_EXAMPLE = [
    {
        "touch": "first",
        "leads": 40,
        "converted": 8,
        "conversion_rate": "20.0",
        "deals": 8,
        "won_deals": 3,
        "won_amount": "36000.00",
        "cost": "6000.00",
        "budget": "8000.00",
        "cost_per_lead": "150.00",
        "cost_per_won_deal": "2000.00",
        "roi": "500.0",
    }
]


def _record(request, model, key: str, pk, action: str):
    if not can(request.user, key, action):
        raise PermissionDenied
    record = model.objects.visible_to(request.user).filter(pk=pk).first()
    if record is None:
        raise NotFound
    return record


class CampaignResultsView(APIView):
    """What a campaign brought, by first and by last touch: leads, converted, won deals and
    their amount, cost, cost per lead and ROI (REQ MK-1, MK-3)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_results",
        summary="What a campaign brought",
        responses={200: ResultsSerializer(many=True)},
        examples=[OpenApiExample("A newsletter that paid off", value=RESULTS_EXAMPLE)],
    )
    def get(self, request, pk):
        campaign = _record(request, Campaign, "campaigns", pk, "view")
        results = campaign_results(campaign, request.user)
        return Response(ResultsSerializer([r.as_dict() for r in results], many=True).data)


ACTION_REQUEST = inline_serializer(
    "SendActionRequest",
    {"to": serializers.CharField(required=False, help_text="For a test send: where to.")},
)
ACTION_RESPONSE = inline_serializer(
    "SendActionResponse",
    {
        "status": serializers.CharField(),
        "audience": serializers.IntegerField(allow_null=True),
        "recipients": serializers.DictField(child=serializers.IntegerField()),
    },
)


class SendActionView(APIView):
    """A mass send's actions: ``test`` (one copy to ``to``), ``send`` (evaluate the segment
    and queue now), ``schedule`` (at its "send at"), ``cancel``, ``resend-unknown`` (the
    operator's choice to send again to those whose outcome is unknown) — REQ MK-2."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["campaign-sends"],
        operation_id="campaign_sends_action",
        summary="Test, send, schedule or stop a mass send",
        request=ACTION_REQUEST,
        responses={200: ACTION_RESPONSE},
        examples=[
            OpenApiExample("Send now", value={}, request_only=True),
            OpenApiExample(
                "Queued",
                value={
                    "status": "sending",
                    "audience": 1200,
                    "recipients": {"pending": 1150, "skipped": 50, "sent": 0},
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, pk, action):
        send = _record(request, Send, "campaign-sends", pk, "change")
        if action == "test":
            services.send_test(send, actor=request.user, to=request.data.get("to", ""))
        elif action == "send":
            services.send_queue(send, actor=request.user)
        elif action == "schedule":
            services.send_schedule(send, actor=request.user)
        elif action == "cancel":
            services.send_cancel(send, actor=request.user)
        elif action == "resend-unknown":
            services.send_resend_unknown(send, actor=request.user)
        else:
            raise NotFound
        send.refresh_from_db()
        counts = {k: v for k, v in tally(send).items() if v}
        return Response({"status": send.status, "audience": send.audience, "recipients": counts})
