"""The integrations API: the message log (``/api/v1/messages/``, read-only), webhooks
(``/api/v1/webhooks/``, DESIGN.md's resource) and their deliveries
(``/api/v1/webhook-deliveries/``). Email templates are served by the platform's generic API
(``/api/v1/email-templates/``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from kesher.integrations import selectors, services
from kesher.integrations.models import OutgoingMessage, WebhookDelivery, WebhookSubscription
from kesher.platform.access import can
from kesher.platform.api.permissions import METHOD_ACTIONS


class GrantPermission(BasePermission):
    """The role must grant the action on the view's ``grant_key`` ("messages", "webhooks");
    administrators hold every grant."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        wanted = getattr(view, "required_action", {}).get(view.action)
        return can(user, view.grant_key, wanted or METHOD_ACTIONS.get(request.method, "change"))


def _drf_error(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


# --- messages ----------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutgoingMessage
        fields = [
            "id",
            "channel",
            "to",
            "subject",
            "body_text",
            "body_html",
            "language",
            "template",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "link_type",
            "link_id",
            "source",
            "idempotency_key",
            "created_at",
        ]
        read_only_fields = fields


MESSAGE_EXAMPLE = OpenApiExample(
    "A sent email",
    value={
        "id": 31,
        "channel": "email",
        "to": "dana@example.co.il",
        "subject": "שלום דנה כהן",
        "body_text": "שלום דנה כהן,\n\nאיש הקשר שלך: יוסי לוי.",
        "body_html": '<!DOCTYPE html><html lang="he" dir="rtl">…</html>',
        "language": "he",
        "template": 4,
        "status": "sent",
        "attempts": 1,
        "last_error": "",
        "next_attempt_at": "2026-09-14T10:02:00+03:00",
        "sent_at": "2026-09-14T10:02:03+03:00",
        "link_type": "accounts",
        "link_id": 12,
        "source": "automation rule 5, run 12",
        "idempotency_key": "rule:5:run:12:email",
        "created_at": "2026-09-14T10:02:00+03:00",
    },
    response_only=True,
)


@extend_schema(tags=["messages"])
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every email, SMS and WhatsApp message Kesher sent or queued, newest first."""

    serializer_class = MessageSerializer
    permission_classes = [GrantPermission]
    grant_key = "messages"
    required_action = {"retry": "change"}
    queryset = OutgoingMessage.objects.none()
    filter_backends = []

    def get_queryset(self):
        filters = selectors.message_filters(self.request.query_params)
        filters.pop("message", None)
        return (
            OutgoingMessage.objects.visible_to(self.request.user).filter(**filters).order_by("-id")
        )

    @extend_schema(
        summary="List messages",
        parameters=[
            OpenApiParameter("channel", str, enum=OutgoingMessage.Channel.values),
            OpenApiParameter("status", str, enum=OutgoingMessage.Status.values),
            OpenApiParameter("link_type", str, description="The record's kind, e.g. accounts."),
            OpenApiParameter("link_id", int, description="The record's id."),
        ],
        examples=[MESSAGE_EXAMPLE],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Get one message", examples=[MESSAGE_EXAMPLE])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="Queue a failed message again", request=None, examples=[MESSAGE_EXAMPLE])
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        try:
            message = services.message_retry(self.get_object(), actor=request.user)
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return Response(self.get_serializer(message).data)


# --- webhooks ----------------------------------------------------------------------------------


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as it is read: the secret is never part of it."""

    entities = serializers.ListField(child=serializers.CharField(), required=False)
    events = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "entities", "events", "active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Shown in this answer only: keep it to check X-Kesher-Signature.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


WEBHOOK_REQUEST = OpenApiExample(
    "A new webhook",
    value={
        "name": "מערכת הנהלת חשבונות",
        "url": "https://erp.example.co.il/kesher-events",
        "entities": ["accounts", "contacts"],
        "events": ["created", "updated"],
        "active": True,
    },
    request_only=True,
)
WEBHOOK_CREATED = OpenApiExample(
    "Created (the secret is shown this once)",
    value={
        "id": 3,
        "name": "מערכת הנהלת חשבונות",
        "url": "https://erp.example.co.il/kesher-events",
        "entities": ["accounts", "contacts"],
        "events": ["created", "updated"],
        "active": True,
        "created_at": "2026-09-14T10:00:00+03:00",
        "secret": "q3JH0cV3i7m4…",
    },
    response_only=True,
    status_codes=["201"],
)
WEBHOOK_ERROR = OpenApiExample(
    "Validation error (400)",
    value={"events": ["יש לבחור לפחות אחד מהאירועים: created, updated, deleted."]},
    response_only=True,
    status_codes=["400"],
)


@extend_schema(tags=["webhooks"])
class WebhookViewSet(viewsets.ModelViewSet):
    """Outside systems that receive Kesher's record events, signed with HMAC-SHA256
    (``X-Kesher-Signature: sha256=<hex>`` of the raw body)."""

    serializer_class = WebhookSerializer
    permission_classes = [GrantPermission]
    grant_key = "webhooks"
    queryset = WebhookSubscription.objects.none()
    filter_backends = []

    def get_queryset(self):
        return WebhookSubscription.objects.visible_to(self.request.user).order_by("name", "id")

    def _data(self, partial: bool) -> dict:
        serializer = self.get_serializer(data=self.request.data, partial=partial)
        # The secret is Kesher's to make; anything else unknown is a client's typo.
        unknown = sorted(set(self.request.data) - set(serializer.fields))
        if unknown:
            raise ValidationError({name: [_("Unknown field.")] for name in unknown})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary="Create a webhook (its secret is in this answer only)",
        request=WebhookSerializer,
        responses={201: WebhookCreatedSerializer},
        examples=[WEBHOOK_REQUEST, WEBHOOK_CREATED, WEBHOOK_ERROR],
    )
    def create(self, request, *args, **kwargs):
        try:
            subscription, secret = services.webhook_subscription_create(
                actor=request.user, data=self._data(partial=False)
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        subscription.secret = secret
        return Response(WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        try:
            subscription = services.webhook_subscription_update(
                subscription,
                actor=request.user,
                data=self._data(partial=kwargs.get("partial", False)),
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return Response(self.get_serializer(subscription).data)

    def perform_destroy(self, instance):
        services.webhook_subscription_delete(instance, actor=self.request.user)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "subscription",
            "url",
            "event",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "source",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


DELIVERY_EXAMPLE = OpenApiExample(
    "A dead-letter delivery",
    value={
        "id": 88,
        "delivery_id": "6f1c2d8e-3b7a-4a8e-9c51-0d1e2f3a4b5c",
        "subscription": 3,
        "url": "https://erp.example.co.il/kesher-events",
        "event": "accounts.updated",
        "payload": {"event": "accounts.updated", "entity": "accounts", "id": 12, "record": {}},
        "status": "dead",
        "attempts": 8,
        "next_attempt_at": None,
        "last_status_code": None,
        "last_error": "timed out after 10.0 s",
        "source": "webhook 3",
        "created_at": "2026-09-14T10:00:00+03:00",
        "delivered_at": None,
    },
    response_only=True,
)


@extend_schema(tags=["webhooks"])
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Webhook deliveries, newest first; ``?status=dead`` is the dead-letter list."""

    serializer_class = DeliverySerializer
    permission_classes = [GrantPermission]
    grant_key = "webhooks"
    required_action = {"retry": "change"}
    queryset = WebhookDelivery.objects.none()
    filter_backends = []

    def get_queryset(self):
        qs = WebhookDelivery.objects.visible_to(self.request.user).order_by("-id")
        wanted = self.request.query_params.get("status")
        if wanted in WebhookDelivery.Status.values:
            qs = qs.filter(status=wanted)
        return qs

    @extend_schema(
        summary="List webhook deliveries",
        parameters=[OpenApiParameter("status", str, enum=WebhookDelivery.Status.values)],
        examples=[DELIVERY_EXAMPLE],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Send a dead-letter delivery again", request=None)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        try:
            delivery = services.webhook_delivery_retry(self.get_object(), actor=request.user)
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        return Response(self.get_serializer(delivery).data)
