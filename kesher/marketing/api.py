"""Marketing's own API beside the generated resources (``/api/v1/campaigns/``,
``/campaign-sends/``, ``/consents/`` …): what a campaign brought, and a send's actions."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.marketing import bounces, calls, leadads, services
from kesher.marketing.models import AdLead, Campaign, CampaignCall, Send
from kesher.marketing.selectors import campaign_results
from kesher.marketing.sending import tally
from kesher.platform.access import can
from kesher.platform.api.throttling import WebhookRateThrottle


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


# --- ad platforms' lead webhooks (REQ MK-5, IN-4; decision 0114) ----------------------------------


class LeadAdsRateThrottle(WebhookRateThrottle):
    """One provider's lead webhook (the "lead_ads" rate), on the shared throttle cache."""

    scope = "lead_ads"

    def get_cache_key(self, request, view):
        ident = hashlib.sha256(f"lead-ads:{view.provider}".encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AdLeadsReceivedSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Leads kept now.")
    duplicates = serializers.IntegerField(help_text="Lead ids received before: nothing written.")
    leads = serializers.ListField(
        child=inline_serializer(
            "AdLeadReceived",
            {
                "id": serializers.CharField(help_text="The provider's lead id."),
                "status": serializers.ChoiceField(choices=AdLead.Status.choices),
                "lead": serializers.IntegerField(allow_null=True),
            },
        )
    )


def _received(received: leadads.Received) -> Response:
    rows = [
        {"id": row.external_id, "status": row.status, "lead": row.lead_id} for row in received.rows
    ]
    return Response(
        AdLeadsReceivedSerializer(
            {"received": len(rows), "duplicates": received.duplicates, "leads": rows}
        ).data
    )


def _json_body(request):
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError({"body": [_("Send a JSON object.")]}) from None


META_NOTIFICATION = {
    "object": "page",
    "entry": [
        {
            "id": "109876543210",
            "time": 1765108800,
            "changes": [
                {
                    "field": "leadgen",
                    "value": {
                        "leadgen_id": "4440001112223",
                        "page_id": "109876543210",
                        "form_id": "1234567890",
                        "ad_id": "238000111",
                        "created_time": 1765108800,
                    },
                }
            ],
        }
    ],
}


class MetaLeadsView(APIView):
    """Meta (Facebook, Instagram) Lead Ads: the ``leadgen`` webhook. GET answers Meta's
    subscription check (``hub.challenge`` when ``hub.verify_token`` is this Kesher's, 403
    otherwise); POST receives a notification signed with the app's secret
    (``X-Hub-Signature-256``, 403 otherwise), keeps each lead once per lead id and leaves it for
    the worker, which fetches its fields from the Graph API once and makes or joins its lead.
    Nothing is received in the practice environment (``suppressed``)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LeadAdsRateThrottle]
    provider = "meta"

    @extend_schema(
        tags=["lead-ad-sources"],
        operation_id="lead_ads_meta_verify",
        summary="Meta's subscription check",
        parameters=[
            OpenApiParameter("hub.mode", str, enum=["subscribe"]),
            OpenApiParameter("hub.verify_token", str, description="KESHER_META_VERIFY_TOKEN."),
            OpenApiParameter("hub.challenge", str, description="Answered back as plain text."),
        ],
        responses={(200, "text/plain"): str},
        examples=[OpenApiExample("The challenge back", value="1158201444", response_only=True)],
    )
    def get(self, request):
        try:
            challenge = leadads.meta_challenge(request.query_params)
        except leadads.Refused as refused:
            return Response({"detail": str(refused)}, status=403)
        return HttpResponse(challenge, content_type="text/plain")

    @extend_schema(
        tags=["lead-ad-sources"],
        operation_id="lead_ads_meta_receive",
        summary="Receive Meta lead notifications",
        parameters=[
            OpenApiParameter(
                "X-Hub-Signature-256",
                str,
                OpenApiParameter.HEADER,
                description='"sha256=" + hex HMAC-SHA256(raw body, the app secret).',
            )
        ],
        request={"application/json": {"type": "object"}},
        responses={200: AdLeadsReceivedSerializer},
        examples=[
            OpenApiExample("A new lead", value=META_NOTIFICATION, request_only=True),
            OpenApiExample(
                "Kept for the worker",
                value={
                    "received": 1,
                    "duplicates": 0,
                    "leads": [{"id": "4440001112223", "status": "pending", "lead": None}],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        body = request.body
        try:
            leadads.meta_check_signature(body, request.headers.get("X-Hub-Signature-256", ""))
        except leadads.Refused as refused:
            return Response({"detail": str(refused)}, status=403)
        try:
            received = leadads.meta_receive(_json_body(request))
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return _received(received)


GOOGLE_LEAD = {
    "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789",
    "api_version": "1.0",
    "form_id": 40000000002,
    "campaign_id": 20000000000,
    "google_key": "the key typed into Google Ads",
    "is_test": False,
    "gcl_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "adgroup_id": 20000000000,
    "creative_id": 30000000000,
    "user_column_data": [
        {"column_name": "Full Name", "string_value": "דנה לוי", "column_id": "FULL_NAME"},
        {"column_name": "User Phone", "string_value": "+972525551234", "column_id": "PHONE_NUMBER"},
        {"column_name": "User Email", "string_value": "dana@example.co.il", "column_id": "EMAIL"},
    ],
}


class GoogleLeadsView(APIView):
    """Google Ads lead form extensions: the webhook posts one lead with the key the
    administrator typed into Google Ads (``google_key``, 403 when it is not the key of the ad
    lead form of its ``form_id`` — or, when that form has none, ``KESHER_GOOGLE_ADS_LEAD_KEY``).
    Its ``campaign_id`` picks the Kesher campaign from the form's table of the provider's
    campaigns (``lead-ad-campaigns``), else the form's campaign. The lead is kept once per
    ``lead_id`` (a repeat answers 200 with ``duplicates: 1``) and made or joined at once;
    nothing is received in the practice environment (``suppressed``)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LeadAdsRateThrottle]
    provider = "google"

    @extend_schema(
        tags=["lead-ad-sources"],
        operation_id="lead_ads_google_receive",
        summary="Receive a Google Ads lead",
        request={"application/json": {"type": "object"}},
        responses={200: AdLeadsReceivedSerializer},
        examples=[
            OpenApiExample("A lead", value=GOOGLE_LEAD, request_only=True),
            OpenApiExample(
                "A new lead",
                value={
                    "received": 1,
                    "duplicates": 0,
                    "leads": [{"id": GOOGLE_LEAD["lead_id"], "status": "created", "lead": 812}],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        payload = _json_body(request)
        try:
            received = leadads.google_receive(payload)
        except leadads.Refused as refused:
            return Response({"detail": str(refused)}, status=403)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return _received(received)


class AdLeadFetchAgainView(APIView):
    """An operator's choice: fetch once more the fields of a Meta lead whose fetch failed or
    whose outcome is unknown (the worker's next tick)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["ad-leads"],
        operation_id="ad_leads_fetch_again",
        summary="Fetch a Meta lead's fields again",
        request=None,
        responses={200: inline_serializer("AdLeadFetchAgain", {"status": serializers.CharField()})},
        examples=[OpenApiExample("Waiting", value={"status": "pending"}, response_only=True)],
    )
    def post(self, request, pk):
        if not can(request.user, "lead-ad-sources", "change"):
            raise PermissionDenied
        row = AdLead.objects.visible_to(request.user).filter(pk=pk).first()
        if row is None:
            raise NotFound
        try:
            row = leadads.ad_lead_fetch_again(row, actor=request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response({"status": row.status})


BOUNCE_REPORT = {
    "address": "dana@example.co.il",
    "kind": "hard",
    "reference": "0102018c7f3e2a1b-5c1d-4f7e-9d2a-000000",
    "reason": "550 5.1.1 The email account that you tried to reach does not exist",
    "recipient": 81234,
}


class BounceRecordedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["recorded", "suppressed"],
        help_text="suppressed in the practice environment: kept, stops nothing.",
    )
    duplicate = serializers.BooleanField(help_text="This message id was reported before.")


class BouncesView(APIView):
    """The mail provider's bounce reports (REQ MK-2; decision 0120): one bounce per request,
    ``{"address", "kind": "hard" | "soft" | "complaint", "reference", "reason", "recipient"}``
    (``recipient``: the number Kesher put in the message's ``X-Kesher-Recipient`` header,
    optional), signed in ``X-Kesher-Signature`` with ``KESHER_BOUNCE_WEBHOOK_SECRET`` (403
    when it is not, or no secret is set). Recorded once per ``reference``; a hard bounce or a
    complaint stops later e-mail sends to the address, soft ones after the
    ``bounce_soft_limit`` pick-list's number."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LeadAdsRateThrottle]
    provider = "bounces"

    @extend_schema(
        tags=["email-bounces"],
        operation_id="email_bounces_receive",
        summary="Receive an e-mail bounce report",
        parameters=[
            OpenApiParameter(
                "X-Kesher-Signature",
                str,
                OpenApiParameter.HEADER,
                description='"sha256=" + hex HMAC-SHA256(raw body, KESHER_BOUNCE_WEBHOOK_SECRET).',
            )
        ],
        request={"application/json": {"type": "object"}},
        responses={200: BounceRecordedSerializer},
        examples=[
            OpenApiExample("A hard bounce", value=BOUNCE_REPORT, request_only=True),
            OpenApiExample(
                "Recorded",
                value={"id": 17, "status": "recorded", "duplicate": False},
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        try:
            bounces.check_signature(request.body, request.headers.get("X-Kesher-Signature", ""))
        except bounces.Refused as refused:
            return Response({"detail": str(refused)}, status=403)
        try:
            done = bounces.bounce_record(_json_body(request))
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        row = done.bounce
        return Response(
            BounceRecordedSerializer(
                {"id": row.pk, "status": row.status, "duplicate": done.duplicate}
            ).data
        )


# --- phone campaigns and the do-not-call list (REQ MK-1; §30A; decision 0121) ------------------


class CallListRequest(serializers.Serializer):
    agents = serializers.ListField(
        child=serializers.IntegerField(),
        max_length=calls.MAX_AGENTS,
        help_text="The users the calls are split among (their role must read campaign calls).",
    )
    split = serializers.ChoiceField(
        choices=list(calls.SPLITS),
        default="even",
        help_text="even: consecutive blocks of the same size; round_robin: one each in turn.",
    )


class CallListResponse(serializers.Serializer):
    added = serializers.IntegerField()
    refused = serializers.IntegerField(help_text="Skipped: their latest word was a refusal.")
    do_not_call = serializers.IntegerField(help_text="Skipped: a number on the do-not-call list.")
    already_listed = serializers.IntegerField()
    per_agent = serializers.DictField(child=serializers.IntegerField())


class CallListBuildView(APIView):
    """Build (or extend) a phone campaign's call list from its segment, evaluated now, split
    among agents; people who refused calls or whose number is on the do-not-call list are
    skipped (REQ MK-1; decision 0121)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_call_list",
        summary="Build a phone campaign's call list",
        request=CallListRequest,
        responses={200: CallListResponse},
        examples=[
            OpenApiExample(
                "Two agents, round-robin",
                value={"agents": [4, 7], "split": "round_robin"},
                request_only=True,
            ),
            OpenApiExample(
                "Built",
                value={
                    "added": 240,
                    "refused": 12,
                    "do_not_call": 31,
                    "already_listed": 0,
                    "per_agent": {"4": 120, "7": 120},
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, pk):
        if not can(request.user, "campaign-calls", "change"):
            raise PermissionDenied
        campaign = _record(request, Campaign, "campaigns", pk, "change")
        given = CallListRequest(data=request.data)
        given.is_valid(raise_exception=True)
        counts = calls.call_list_build(
            campaign,
            actor=request.user,
            agents=given.validated_data["agents"],
            split=given.validated_data["split"],
        )
        counts["per_agent"] = {str(k): v for k, v in counts["per_agent"].items()}
        return Response(CallListResponse(counts).data)


class OutcomeCountSerializer(serializers.Serializer):
    outcome = serializers.IntegerField()
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class AgentProgressSerializer(serializers.Serializer):
    agent = serializers.IntegerField()
    name = serializers.CharField()
    given = serializers.IntegerField()
    called = serializers.IntegerField()
    pending = serializers.IntegerField()


class CallProgressSerializer(serializers.Serializer):
    listed = serializers.IntegerField()
    called = serializers.IntegerField(help_text="Called at least once.")
    pending = serializers.IntegerField(help_text="Not called yet.")
    to_call_again = serializers.IntegerField(help_text="No answer, or a callback.")
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    do_not_call = serializers.IntegerField()
    by_outcome = OutcomeCountSerializer(many=True)
    agents = AgentProgressSerializer(many=True)


class CallProgressView(APIView):
    """A phone campaign's progress: called, pending, skipped, by outcome and by agent."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["campaigns"],
        operation_id="campaigns_call_progress",
        summary="A phone campaign's progress",
        responses={200: CallProgressSerializer},
        examples=[
            OpenApiExample(
                "Half way",
                value={
                    "listed": 283,
                    "called": 130,
                    "pending": 110,
                    "to_call_again": 25,
                    "done": 105,
                    "refused": 12,
                    "do_not_call": 31,
                    "by_outcome": [
                        {"outcome": 41, "value": "reached", "label": "נוצר קשר", "count": 60},
                        {"outcome": 42, "value": "no_answer", "label": "אין מענה", "count": 20},
                        {"outcome": 45, "value": "interested", "label": "מעוניין", "count": 18},
                    ],
                    "agents": [
                        {"agent": 4, "name": "דנה לוי", "given": 120, "called": 70, "pending": 50}
                    ],
                },
            )
        ],
    )
    def get(self, request, pk):
        if not can(request.user, "campaign-calls", "view"):
            raise PermissionDenied
        campaign = _record(request, Campaign, "campaigns", pk, "view")
        if not calls.is_phone_campaign(campaign):
            raise NotFound
        figures = calls.call_progress(campaign)
        figures["agents"] = calls.progress_by_agent(campaign)
        return Response(CallProgressSerializer(figures).data)


class CallOpenResponse(serializers.Serializer):
    call = serializers.IntegerField()
    number = serializers.CharField(help_text="E.164.")
    tel = serializers.CharField(help_text="The click-to-dial link.")
    dialled = serializers.CharField(
        help_text="The phone system's answer when the user's extension dials through it "
        "(sent / suppressed / failed); empty otherwise."
    )


def _call(request, pk, action: str) -> CampaignCall:
    if not can(request.user, "campaign-calls", action):
        raise PermissionDenied
    call = CampaignCall.objects.visible_to(request.user).filter(pk=pk).first()
    if call is None:
        raise NotFound
    return call


class CallOpenView(APIView):
    """An agent is about to call: refused (400) when the number was put on the do-not-call
    list or the person refused calls since the list was built — the call is marked so; else
    the phone system dials, or the ``tel:`` link is returned."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["campaign-calls"],
        operation_id="campaign_calls_open",
        summary="Open a call (checks the do-not-call list again)",
        request=None,
        responses={200: CallOpenResponse},
        examples=[
            OpenApiExample(
                "Dial it",
                value={
                    "call": 812,
                    "number": "+972525551234",
                    "tel": "tel:+972525551234",
                    "dialled": "",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        call = _call(request, pk, "change")
        result = calls.call_open(call, actor=request.user)
        return Response(
            {"call": call.pk, "number": call.phone, "tel": result.tel, "dialled": result.dialled}
        )


class CallLogRequest(serializers.Serializer):
    outcome = serializers.CharField(
        max_length=64, help_text="The call_outcome pick-list value's id or value."
    )
    callback_at = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="For a callback: when."
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    convert_to = serializers.ChoiceField(
        choices=["lead", "deal"],
        required=False,
        allow_blank=True,
        help_text="For an outcome that converts (interested): make a lead or a deal.",
    )


class CallLogResponse(serializers.Serializer):
    call = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CampaignCall.Status.choices)
    outcome = serializers.CharField()
    attempts = serializers.IntegerField()
    callback_at = serializers.DateTimeField(allow_null=True)
    interaction = serializers.IntegerField(allow_null=True)
    new_lead = serializers.IntegerField(allow_null=True)
    new_deal = serializers.IntegerField(allow_null=True)


class CallLogView(APIView):
    """Log a call's outcome: an interaction on the person, the call's outcome and status, a
    callback's time, an interested person's lead or deal (REQ MK-1)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["campaign-calls"],
        operation_id="campaign_calls_log",
        summary="Log a call's outcome",
        request=CallLogRequest,
        responses={200: CallLogResponse},
        examples=[
            OpenApiExample(
                "Call back tomorrow",
                value={
                    "outcome": "callback",
                    "callback_at": "2026-12-08T10:30:00+02:00",
                    "notes": "ביקש שנחזור מחר בבוקר",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Interested: a deal",
                value={"outcome": "interested", "convert_to": "deal"},
                request_only=True,
            ),
        ],
    )
    def post(self, request, pk):
        call = _call(request, pk, "change")
        given = CallLogRequest(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        call = calls.call_log(
            call,
            actor=request.user,
            outcome=data["outcome"],
            callback_at=data.get("callback_at") or None,
            notes=data.get("notes", ""),
            convert_to=data.get("convert_to", ""),
        )
        return Response(
            CallLogResponse(
                {
                    "call": call.pk,
                    "status": call.status,
                    "outcome": call.outcome.value,
                    "attempts": call.attempts,
                    "callback_at": call.callback_at,
                    "interaction": call.interaction_id,
                    "new_lead": call.new_lead_id,
                    "new_deal": call.new_deal_id,
                }
            ).data
        )


class DoNotCallImportRequest(serializers.Serializer):
    source = serializers.CharField(max_length=200, help_text="Where the numbers came from.")
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=calls.MAX_IMPORT_ROWS,
        help_text="The numbers; or send a CSV ``file`` (multipart) instead.",
    )
    file = serializers.FileField(required=False, help_text="A CSV file, at most 5 MB.")


class DoNotCallImportResponse(serializers.Serializer):
    added = serializers.IntegerField()
    already_listed = serializers.IntegerField()
    total = serializers.IntegerField()


class DoNotCallImportView(APIView):
    """Add numbers to the do-not-call list — a JSON list or a CSV file — with their source;
    one bad number refuses them all (nothing is written) — §30A; decision 0121."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["do-not-call"],
        operation_id="do_not_call_import",
        summary="Import numbers to the do-not-call list",
        request=DoNotCallImportRequest,
        responses={200: DoNotCallImportResponse},
        examples=[
            OpenApiExample(
                "From the registry",
                value={
                    "source": "מאגר אל תתקשרו אליי — דצמבר 2026",
                    "numbers": ["052-555-1234", "+972 3 555 6789"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Added",
                value={"added": 2, "already_listed": 0, "total": 2},
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        if not can(request.user, "do-not-call", "add"):
            raise PermissionDenied
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None and upload.size > calls.MAX_IMPORT_BYTES:
            raise ValidationError(
                {"file": [_("The file is too large: at most %(mb)s MB.") % {"mb": 5}]}
            )
        given = DoNotCallImportRequest(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if upload is not None:
            numbers = calls.read_numbers(upload.read(calls.MAX_IMPORT_BYTES + 1))
        elif data.get("numbers"):
            numbers = calls.read_numbers("\n".join(n.replace(",", " ") for n in data["numbers"]))
        else:
            raise ValidationError({"numbers": [_("Send the numbers or a CSV file.")]})
        result = calls.do_not_call_import(
            actor=request.user, numbers=numbers, source=data["source"]
        )
        return Response(result)
