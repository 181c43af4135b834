"""Service's own API beside the generated resources (``/api/v1/tickets/``, ``/service-teams/``,
``/sla-policies/``, ``/service-mailboxes/``, ``/canned-replies/``): recording a response, reading
a ticket's SLA clocks, replying by e-mail, canned replies filled for a ticket, merging and
splitting, the raw-MIME endpoint for providers that forward mail (REQ SV-9, IN-1;
decision 0072), the SMS / WhatsApp gateway's webhook (decision 0094) and replies by text
(decision 0124)."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.activities.models import Interaction
from kesher.integrations.gateways import CHANNELS, Refused, get_backend, sms_parts
from kesher.platform.access import can
from kesher.platform.api.throttling import WebhookRateThrottle
from kesher.service.mail import email_receive
from kesher.service.models import Article, ArticleVote, Ticket, TicketEmail, TicketText
from kesher.service.selectors import REPORT_GROUPS, backlog, sla_report, ticket_clocks
from kesher.service.services import (
    article_vote,
    article_votes,
    ticket_merge,
    ticket_record_response,
    ticket_reply,
    ticket_split,
)
from kesher.service.texting import reply_channels, text_receive, ticket_text_reply


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


def ticket_for(request, pk, action: str) -> Ticket:
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
        ticket = ticket_for(request, pk, "view")
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
        ticket = ticket_for(request, pk, "change")
        ticket = ticket_record_response(ticket, actor=request.user)
        return Response(ClockSerializer(ticket_clocks(ticket), many=True).data)


# --- replies, canned replies, merge and split -----------------------------------------------------


class ReplyRequestSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, trim_whitespace=False)
    idempotency_key = serializers.CharField(
        max_length=100, help_text="The same key again sends nothing and returns the first reply."
    )
    language = serializers.ChoiceField(
        choices=["he", "en"],
        required=False,
        help_text="The e-mail's language; by default the customer's (his portal language).",
    )


class TicketEmailSerializer(serializers.Serializer):
    message_id = serializers.CharField()
    direction = serializers.CharField()
    outcome = serializers.CharField()
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    subject = serializers.CharField()
    interaction = serializers.IntegerField(source="interaction_id", allow_null=True)
    delivery = serializers.CharField(
        source="outgoing.status", allow_null=True, default=None, help_text="queued, sent…"
    )


REPLY_EXAMPLE = {
    "message_id": "<178000000000.4242.T-000123@support.example.co.il>",
    "direction": "out",
    "outcome": "sent",
    "ticket": 123,
    "subject": "Re: המדפסת לא מדפיסה [T-000123]",
    "interaction": 9001,
    "delivery": "queued",
}


class TicketReplyView(APIView):
    """Answer the customer by e-mail: queued from the ticket's support mailbox, threaded,
    logged as an outbound e-mail interaction (which meets the response clocks), sent at most
    once per ``idempotency_key``; suppressed in the practice environment."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_reply",
        summary="Reply to the customer by e-mail",
        request=ReplyRequestSerializer,
        responses={201: TicketEmailSerializer},
        examples=[
            OpenApiExample(
                "A reply",
                value={"body": "שלום דנה, החלפנו את הדרייבר.", "idempotency_key": "f3a9"},
                request_only=True,
            ),
            OpenApiExample("Queued", value=REPLY_EXAMPLE, response_only=True),
            OpenApiExample(
                "No address (400)",
                value={"to": ["לפנייה אין איש קשר עם כתובת דוא״ל."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        ticket = ticket_for(request, pk, "change")
        body = ReplyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        sent = ticket_reply(
            ticket,
            actor=request.user,
            body=values["body"],
            idempotency_key=values["idempotency_key"],
            language=values.get("language"),
        )
        return Response(TicketEmailSerializer(sent).data, status=201)


# --- replies by SMS / WhatsApp (decision 0124) --------------------------------------------------


class ReplyChannelSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=list(CHANNELS))
    to = serializers.CharField(help_text="The number the customer last wrote from (E.164).")
    last_received_at = serializers.DateTimeField()
    window_closes_at = serializers.DateTimeField(
        allow_null=True,
        help_text="WhatsApp: 24 hours after the customer's last message; null for SMS.",
    )
    template_only = serializers.BooleanField(
        help_text="WhatsApp's window has closed: only a canned reply with a WhatsApp template "
        "name can be sent."
    )


class TextReplyRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=list(CHANNELS))
    body = serializers.CharField(
        max_length=20_000,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The text; empty with a canned reply: the canned reply's, filled for the "
        "ticket. Ignored outside WhatsApp's 24-hour window (the template's text is sent).",
    )
    canned_reply = serializers.IntegerField(required=False, allow_null=True)
    idempotency_key = serializers.CharField(
        max_length=100, help_text="The same key again sends nothing and returns the first reply."
    )


class TicketTextSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.CharField()
    direction = serializers.CharField()
    outcome = serializers.CharField()
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    to = serializers.CharField(source="sender")
    interaction = serializers.IntegerField(source="interaction_id", allow_null=True)
    body = serializers.CharField(source="outgoing.body_text", allow_null=True, default=None)
    template = serializers.SerializerMethodField()
    parts = serializers.SerializerMethodField(
        help_text="SMS: the parts (segments) the text takes; null for WhatsApp."
    )
    delivery = serializers.CharField(
        source="outgoing.status",
        allow_null=True,
        default=None,
        help_text="queued, sending, sent, failed (with the reason), suppressed (practice).",
    )
    delivery_error = serializers.CharField(
        source="outgoing.last_error", allow_null=True, default=None
    )

    def get_template(self, row) -> str:
        return str(((row.outgoing.headers or {}) if row.outgoing else {}).get("template", ""))

    def get_parts(self, row) -> int | None:
        if row.channel != TicketText.Channel.SMS or row.outgoing is None:
            return None
        return sms_parts(row.outgoing.body_text).parts


TEXT_REPLY_EXAMPLE = {
    "id": 77,
    "channel": "sms",
    "direction": "out",
    "outcome": "sent",
    "ticket": 123,
    "to": "+972525551234",
    "interaction": 9002,
    "body": "שלום נועה, הטכנאי יגיע מחר בבוקר.",
    "template": "",
    "parts": 1,
    "delivery": "queued",
    "delivery_error": "",
}


class TicketTextReplyView(APIView):
    """Answer the customer by SMS or WhatsApp on a ticket he texted: GET the channels the
    ticket may be answered on (WhatsApp's 24-hour window with them); POST a reply, queued to
    the number he wrote from, logged on the ticket as an outgoing text (which meets the
    response clocks), sent at most once per ``idempotency_key``; suppressed in the practice
    environment. Refused (400, nothing written): a channel he did not write on, an empty or
    too long text (an SMS at most 10 parts), or outside WhatsApp's window anything but a
    canned reply with a WhatsApp template name."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_text_reply_channels",
        summary="The channels a ticket can be answered on by text",
        responses={200: ReplyChannelSerializer(many=True)},
        examples=[
            OpenApiExample(
                "SMS, and WhatsApp past its window",
                value=[
                    {
                        "channel": "sms",
                        "to": "+972525551234",
                        "last_received_at": "2026-12-07T09:12:00+02:00",
                        "window_closes_at": None,
                        "template_only": False,
                    },
                    {
                        "channel": "whatsapp",
                        "to": "+972525551234",
                        "last_received_at": "2026-12-05T18:40:00+02:00",
                        "window_closes_at": "2026-12-06T18:40:00+02:00",
                        "template_only": True,
                    },
                ],
            )
        ],
    )
    def get(self, request, pk):
        ticket = ticket_for(request, pk, "view")
        channels = [
            {
                "channel": c.channel,
                "to": c.to,
                "last_received_at": c.last_received_at,
                "window_closes_at": c.window_closes_at,
                "template_only": c.template_only,
            }
            for c in reply_channels(ticket).values()
        ]
        return Response(ReplyChannelSerializer(channels, many=True).data)

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_text_reply",
        summary="Reply to the customer by SMS or WhatsApp",
        request=TextReplyRequestSerializer,
        responses={201: TicketTextSerializer},
        examples=[
            OpenApiExample(
                "An SMS reply",
                value={
                    "channel": "sms",
                    "body": "שלום נועה, הטכנאי יגיע מחר בבוקר.",
                    "idempotency_key": "a71c",
                },
                request_only=True,
            ),
            OpenApiExample(
                "A WhatsApp template, past the 24-hour window",
                value={"channel": "whatsapp", "canned_reply": 4, "idempotency_key": "b02d"},
                request_only=True,
            ),
            OpenApiExample("Queued", value=TEXT_REPLY_EXAMPLE, response_only=True),
            OpenApiExample(
                "WhatsApp's window closed (400)",
                value={
                    "body": [
                        "ההודעה האחרונה של הלקוח בוואטסאפ ישנה מ-24 שעות: וואטסאפ מתיר לעסק "
                        "לשלוח כעת רק הודעת תבנית מאושרת. בחרו תשובה מוכנה שיש לה שם תבנית "
                        "וואטסאפ."
                    ]
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        ticket = ticket_for(request, pk, "change")
        body = TextReplyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        sent = ticket_text_reply(
            ticket,
            actor=request.user,
            channel=values["channel"],
            body=values.get("body") or "",
            idempotency_key=values["idempotency_key"],
            canned_reply=values.get("canned_reply"),
        )
        return Response(TicketTextSerializer(sent).data, status=201)


class CannedTextSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="reply.pk")
    name = serializers.CharField(source="reply.name")
    text = serializers.CharField()


class TicketCannedRepliesView(APIView):
    """The active canned replies for the ticket's type, each filled with the ticket's merge
    fields in the reader's language (Accept-Language)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_canned_replies",
        summary="Canned replies filled for a ticket",
        responses={200: CannedTextSerializer(many=True)},
        examples=[
            OpenApiExample(
                "Filled",
                value=[{"id": 3, "name": "קיבלנו", "text": "שלום דנה, קיבלנו את T-000123."}],
            )
        ],
    )
    def get(self, request, pk):
        from kesher.service.views import canned_for

        ticket = ticket_for(request, pk, "view")
        return Response(CannedTextSerializer(canned_for(ticket, request.user), many=True).data)


class TicketMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(help_text="The surviving ticket's id.")


class TicketMergeView(APIView):
    """Merge this ticket (a duplicate) into another: its interactions, tasks, messages, e-mails
    and files move to the survivor, it is closed as merged; answers the survivor's id."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_merge",
        summary="Merge a duplicate ticket into another",
        request=TicketMergeSerializer,
        responses={200: TicketMergeSerializer},
        examples=[OpenApiExample("Into ticket 120", value={"into": 120})],
    )
    def post(self, request, pk):
        ticket = ticket_for(request, pk, "change")
        body = TicketMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        into = (
            Ticket.objects.visible_to(request.user).filter(pk=body.validated_data["into"]).first()
        )
        if into is None:
            raise ValidationError({"into": [_("No such ticket, or you may not see it.")]})
        survivor = ticket_merge(ticket, into=into, actor=request.user)
        return Response({"into": survivor.pk})


class SplitRequestSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    interactions = serializers.ListField(child=serializers.IntegerField(), max_length=500)


class TicketSplitView(APIView):
    """Open a new ticket for part of this one's conversation: the same customer and
    classification, the chosen interactions moved to it; answers the new ticket's id."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="tickets_split",
        summary="Split interactions off into a new ticket",
        request=SplitRequestSerializer,
        responses={201: TicketMergeSerializer},
        examples=[
            OpenApiExample(
                "Two e-mails about the scanner",
                value={"subject": "הסורק לא סורק", "interactions": [9001, 9004]},
                request_only=True,
            )
        ],
    )
    def post(self, request, pk):
        ticket = ticket_for(request, pk, "change")
        if not can(request.user, "tickets", "add"):
            raise PermissionDenied
        body = SplitRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = set(
            Interaction.objects.visible_to(request.user)
            .filter(pk__in=body.validated_data["interactions"])
            .values_list("pk", flat=True)
        )
        new = ticket_split(
            ticket,
            actor=request.user,
            subject=body.validated_data["subject"],
            interactions=[i for i in body.validated_data["interactions"] if i in visible],
        )
        return Response({"into": new.pk}, status=201)


# --- mail forwarded by a provider -----------------------------------------------------------------


class RawMimeParser(BaseParser):
    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(26 * 1024 * 1024)


class InboundEmailView(APIView):
    """One raw MIME message (``Content-Type: message/rfc822``) a provider forwards from a
    support address: it opens a ticket or continues the one it answers, exactly as the IMAP
    poll does; a message received before is not received again (``duplicate``). For the
    tokens of those who administer support mailboxes."""

    permission_classes = [IsAuthenticated]
    parser_classes = [RawMimeParser]

    @extend_schema(
        tags=["tickets"],
        operation_id="service_inbound_email",
        summary="Receive a forwarded e-mail",
        request={"message/rfc822": {"type": "string", "format": "binary"}},
        responses={200: TicketEmailSerializer},
        examples=[
            OpenApiExample(
                "Threaded into a ticket",
                value={**REPLY_EXAMPLE, "direction": "in", "outcome": "threaded"},
                response_only=True,
            )
        ],
    )
    def post(self, request):
        if not can(request.user, "service-mailboxes", "add"):
            raise PermissionDenied
        raw = request.data
        if not isinstance(raw, bytes) or not raw.strip():
            raise ValidationError({"message": [_("Send the raw message as message/rfc822.")]})
        received = email_receive(raw)
        row = (
            TicketEmail.objects.filter(ticket=received.ticket).order_by("-pk").first()
            if received.ticket
            else None
        )
        payload = TicketEmailSerializer(row).data if row else {"outcome": received.outcome}
        return Response({**payload, "duplicate": received.duplicate})


# --- SMS and WhatsApp in (decision 0094) ---------------------------------------------------------


class TextRateThrottle(WebhookRateThrottle):
    """Texts of one channel's webhook (the "webhook" rate)."""

    def get_cache_key(self, request, view):
        channel = (view.kwargs or {}).get("channel", "")
        ident = hashlib.sha256(f"texts:{channel}".encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


class InboundTextSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[*TicketText.Outcome.choices, ("refused", "Refused advertising")],
        help_text='"refused": the text was a refusal word ("הסר", STOP), recorded in the consent '
        "ledger; no ticket.",
    )
    ticket = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_blank=True, help_text="The ticket's number.")
    duplicate = serializers.BooleanField(help_text="Received before: nothing was written.")


class InboundTextView(APIView):
    """A text a customer sent, from the SMS or WhatsApp gateway's webhook: it continues his
    open ticket or opens one (``opened`` / ``threaded``); a text received before is not
    received again (``duplicate``); nothing is received in the practice environment
    (``suppressed``). No user signs in: the request must carry the gateway's signature or
    secret (403 otherwise); a request without a sender, a text or a message id is refused
    (400) with nothing written."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [TextRateThrottle]

    @extend_schema(
        tags=["tickets"],
        operation_id="service_inbound_text",
        summary="Receive an SMS or WhatsApp message",
        parameters=[
            OpenApiParameter("channel", str, OpenApiParameter.PATH, enum=list(CHANNELS)),
            OpenApiParameter(
                "X-Kesher-Signature",
                str,
                OpenApiParameter.HEADER,
                description='"sha256=" + hex HMAC-SHA256("<timestamp>." + body, secret).',
            ),
            OpenApiParameter(
                "X-Kesher-Timestamp", str, OpenApiParameter.HEADER, description="Unix seconds."
            ),
        ],
        request={"application/json": {"type": "object"}},
        responses={200: InboundTextSerializer},
        examples=[
            OpenApiExample(
                "A customer's text",
                value={"from": "+972525551234", "body": "המדפסת שוב תקועה", "id": "sm-8812"},
                request_only=True,
            ),
            OpenApiExample(
                "Added to his open ticket",
                value={
                    "outcome": "threaded",
                    "ticket": 42,
                    "number": "T-000042",
                    "duplicate": False,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, channel):
        if channel not in CHANNELS:
            raise NotFound
        try:
            text = get_backend().receive(
                channel,
                body=request.body,
                headers=request.headers,
                query=request.query_params,
                content_type=request.content_type or "",
            )
        except Refused as refused:
            return Response({"detail": str(refused)}, status=403)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        received = text_receive(text)
        ticket = received.ticket
        return Response(
            InboundTextSerializer(
                {
                    "outcome": received.outcome,
                    "ticket": ticket.pk if ticket else None,
                    "number": ticket.number if ticket else "",
                    "duplicate": received.duplicate,
                }
            ).data
        )


# --- the SLA report ----------------------------------------------------------------------------


class ReportRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="Team id, ticket type id or YYYY-MM.")
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["first_response", "resolution"])
    decided = serializers.IntegerField(help_text="Clocks met or past their target.")
    met = serializers.IntegerField(help_text="Met by their due moment.")
    breached = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class SlaReportView(APIView):
    """SLA compliance of the tickets the caller may see: first response and resolution met
    in time, by team, ticket type or the month the clock started (``?by=``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="service_sla_report",
        summary="SLA compliance by team, type or month",
        parameters=[OpenApiParameter("by", str, enum=list(REPORT_GROUPS), description="Group by.")],
        responses={200: ReportRowSerializer(many=True)},
        examples=[
            OpenApiExample(
                "By team",
                value=[
                    {
                        "key": "2",
                        "label": "תמיכה טכנית",
                        "kind": "first_response",
                        "decided": 40,
                        "met": 36,
                        "breached": 4,
                        "percent": 90.0,
                    }
                ],
            )
        ],
    )
    def get(self, request):
        if not can(request.user, "tickets", "view"):
            raise PermissionDenied
        by = request.query_params.get("by", "team")
        if by not in REPORT_GROUPS:
            raise ValidationError({"by": [_("Choose team, type or month.")]})
        return Response(ReportRowSerializer(sla_report(request.user, by), many=True).data)


# --- the backlog by queue and age ----------------------------------------------------------------


class BacklogRowSerializer(serializers.Serializer):
    team = serializers.IntegerField(allow_null=True, help_text="None: tickets in no team.")
    label = serializers.CharField()
    bands = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Open tickets by days since opened: day (<1), days_3 (1-3), week (3-7), "
        "month (7-30), older (>30).",
    )
    total = serializers.IntegerField()
    oldest = serializers.DateTimeField(allow_null=True)


class BacklogView(APIView):
    """The open tickets the caller may see (not resolved, not merged), by team and age band:
    the unassigned queue first, then teams by name."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["tickets"],
        operation_id="service_backlog",
        summary="Open tickets by queue and age",
        responses={200: BacklogRowSerializer(many=True)},
        examples=[
            OpenApiExample(
                "Support",
                value=[
                    {
                        "team": 2,
                        "label": "תמיכה טכנית",
                        "bands": {"day": 12, "days_3": 5, "week": 3, "month": 1, "older": 0},
                        "total": 21,
                        "oldest": "2026-11-20T09:14:00+02:00",
                    }
                ],
            )
        ],
    )
    def get(self, request):
        if not can(request.user, "tickets", "view"):
            raise PermissionDenied
        return Response(BacklogRowSerializer(backlog(request.user), many=True).data)


# --- "did this help?" on knowledge-base articles -------------------------------------------------


class ArticleVotesSerializer(serializers.Serializer):
    helpful = serializers.IntegerField(help_text="Readers who said it helped.")
    not_helpful = serializers.IntegerField(help_text="Readers who said it did not.")
    mine = serializers.BooleanField(allow_null=True, help_text="The caller's answer, if any.")


class ArticleVoteSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class ArticleVotesView(APIView):
    """An article's "did this help?" answers: GET the counts and the caller's own answer, POST
    the caller's yes or no (one per reader; answering again changes it)."""

    permission_classes = [IsAuthenticated]

    def _article(self, request, pk):
        if not can(request.user, "kb-articles", "view"):
            raise PermissionDenied
        article = Article.objects.visible_to(request.user).filter(pk=pk).first()
        if article is None:
            raise NotFound
        return article

    def _answer(self, request, article):
        mine = (
            ArticleVote.objects.filter(article=article, user=request.user)
            .values_list("helpful", flat=True)
            .first()
        )
        return Response(ArticleVotesSerializer({**article_votes(article), "mine": mine}).data)

    @extend_schema(
        tags=["kb-articles"],
        operation_id="kb_article_votes",
        summary="An article's did-this-help counts",
        responses={200: ArticleVotesSerializer},
        examples=[OpenApiExample("Counts", value={"helpful": 12, "not_helpful": 3, "mine": None})],
    )
    def get(self, request, pk):
        return self._answer(request, self._article(request, pk))

    @extend_schema(
        tags=["kb-articles"],
        operation_id="kb_article_vote",
        summary="Did this article help? (yes or no)",
        request=ArticleVoteSerializer,
        responses={200: ArticleVotesSerializer},
        examples=[OpenApiExample("Yes", value={"helpful": True}, request_only=True)],
    )
    def post(self, request, pk):
        article = self._article(request, pk)
        helpful = request.data.get("helpful") if isinstance(request.data, dict) else None
        try:
            article_vote(article, helpful=helpful, user=request.user)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return self._answer(request, article)
