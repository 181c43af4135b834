"""Automation's own API: the run log (read-only), a rule's dry run, its incoming-webhook secret,
and the incoming webhook itself. Rules are served by the platform's generic API
(``/api/v1/automation-rules/``, from the registry)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.automation import engine, services
from kesher.automation.models import Rule, RuleActionResult, RuleRun
from kesher.platform.access import can
from kesher.platform.api.throttling import WebhookRateThrottle
from kesher.platform.registry import registry

RULES = "automation-rules"


def _require(user, action: str) -> None:
    if not can(user, RULES, action):
        raise PermissionDenied(_("You may not do this."))


def _rule(request, pk) -> Rule:
    return get_object_or_404(Rule.objects.visible_to(request.user), pk=pk)


class ActionResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleActionResult
        fields = ["index", "action_type", "outcome", "detail", "error", "attempts", "updated_at"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    results = ActionResultSerializer(many=True, read_only=True)

    class Meta:
        model = RuleRun
        fields = [
            "id",
            "rule",
            "rule_name",
            "entity",
            "record_id",
            "trigger",
            "trigger_info",
            "status",
            "depth",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "next_attempt_at",
            "results",
        ]
        read_only_fields = fields


RUN_EXAMPLE = OpenApiExample(
    "A run",
    value={
        "id": 31,
        "rule": 4,
        "rule_name": "לקוח הפך ל-VIP: שיחה מהבעלים",
        "entity": "accounts",
        "record_id": 12,
        "trigger": "status_entered",
        "trigger_info": {"event": "updated", "changes": {"status": ["פעיל", "VIP"]}},
        "status": "done",
        "depth": 0,
        "error": "",
        "created_at": "2026-09-14T10:02:00+03:00",
        "started_at": "2026-09-14T10:02:01+03:00",
        "finished_at": "2026-09-14T10:02:01+03:00",
        "next_attempt_at": "2026-09-14T10:02:00+03:00",
        "results": [
            {
                "index": 0,
                "action_type": "create_task",
                "outcome": "done",
                "detail": {"task": 88, "title": "להתקשר אל אלון", "assignee": "דנה"},
                "error": "",
                "attempts": 1,
                "updated_at": "2026-09-14T10:02:01+03:00",
            }
        ],
    },
    response_only=True,
)


@extend_schema(
    tags=["automation"],
    parameters=[
        OpenApiParameter("rule", int, description="Runs of one rule."),
        OpenApiParameter("entity", str, description="Runs about records of one entity."),
        OpenApiParameter("record_id", int, description="Runs about one record (with entity)."),
        OpenApiParameter("status", str, description="pending, running, done, failed, stopped."),
    ],
    examples=[RUN_EXAMPLE],
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The run log: every time a rule matched a record, and each action's outcome and error.
    Readable by whoever may see automation rules."""

    serializer_class = RunSerializer
    permission_classes = [IsAuthenticated]
    queryset = RuleRun.objects.none()

    def get_queryset(self):
        _require(self.request.user, "view")
        runs = (
            RuleRun.objects.filter(rule__in=Rule.objects.visible_to(self.request.user))
            .select_related("rule")
            .prefetch_related(Prefetch("results", RuleActionResult.objects.order_by("index")))
            .order_by("-created_at", "-id")
        )
        params = self.request.query_params
        for name in ("rule", "record_id"):
            value = params.get(name)
            if value is not None:
                if not value.isdigit():
                    raise DjangoValidationError({name: [_("Enter a whole number.")]})
                runs = runs.filter(**{name: int(value)})
        if params.get("entity"):
            runs = runs.filter(entity=params["entity"])
        if params.get("status"):
            if params["status"] not in RuleRun.Status.values:
                raise DjangoValidationError({"status": [_("Choose one of the offered values.")]})
            runs = runs.filter(status=params["status"])
        return runs


class DryRunRequestSerializer(serializers.Serializer):
    record_id = serializers.IntegerField(min_value=1, help_text="The record to test the rule on.")


class DryRunStepSerializer(serializers.Serializer):
    type = serializers.CharField()
    would = serializers.CharField()
    error = serializers.CharField()


class DryRunSerializer(serializers.Serializer):
    matches = serializers.BooleanField(help_text="Whether the rule's condition holds.")
    record = serializers.CharField()
    actions = DryRunStepSerializer(many=True)


class DryRunView(APIView):
    """Test a rule on one record: whether it matches and what each action would do. Writes
    nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["automation"],
        request=DryRunRequestSerializer,
        responses=DryRunSerializer,
        examples=[
            OpenApiExample("Test on account 12", value={"record_id": 12}, request_only=True),
            OpenApiExample(
                "The answer",
                value={
                    "matches": True,
                    "record": "אלון תעשיות",
                    "actions": [
                        {
                            "type": "create_task",
                            "would": "Create the task “להתקשר אל אלון” for דנה.",
                            "error": "",
                        }
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, pk):
        _require(request.user, "view")
        rule = _rule(request, pk)
        body = DryRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = dry_run_record(request.user, rule, body.validated_data["record_id"])
        return Response(DryRunSerializer(services.rule_dry_run(rule, record)).data)


def dry_run_record(user, rule: Rule, record_id: int):
    """The record to test on, which the admin must be able to see."""
    entity = registry.get(rule.entity)
    record = entity.model.objects.visible_to(user).filter(pk=record_id).first()
    if record is None:
        raise DjangoValidationError({"record_id": [_("No such record, or you may not see it.")]})
    return record


class WebhookAddressSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The rule's new secret address (shown only now).")


class IncomingCallSerializer(serializers.Serializer):
    record_id = serializers.IntegerField(
        min_value=1, help_text="The record the rule runs for; other keys are kept in the log."
    )


class IncomingAnswerSerializer(serializers.Serializer):
    runs = serializers.ListField(child=serializers.IntegerField(), help_text="The runs made.")


class WebhookTokenView(APIView):
    """Make a new secret address for the rule's incoming webhook (the old one stops working).
    The address is shown only in this answer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["automation"],
        request=None,
        responses={200: WebhookAddressSerializer},
        examples=[
            OpenApiExample(
                "The new address",
                value={"url": "https://crm.example.co.il/api/v1/automation-hooks/Xy…/"},
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        _require(request.user, "change")
        rule = _rule(request, pk)
        if rule.trigger_kind != "webhook":
            raise DjangoValidationError(
                {"trigger_kind": [_("This rule is not started by an incoming webhook.")]}
            )
        token = services.rule_webhook_regenerate(rule, actor=request.user)
        return Response({"url": request.build_absolute_uri(f"/api/v1/automation-hooks/{token}/")})


class IncomingWebhookView(APIView):
    """An outside system starts a rule: POST JSON naming the record (``record_id``) to the
    rule's secret address. 202 when the rule matched and will run, 200 when its condition did
    not hold, 404 for an unknown address."""

    permission_classes = [AllowAny]
    authentication_classes = []
    # Counted per address (each rule's secret), not per caller: one website posts them all.
    throttle_classes = [WebhookRateThrottle]

    @extend_schema(
        tags=["automation"],
        request=IncomingCallSerializer,
        responses={202: IncomingAnswerSerializer, 200: IncomingAnswerSerializer},
        examples=[
            OpenApiExample(
                "Start the rule for account 12",
                value={"record_id": 12, "source": "website"},
                request_only=True,
            ),
            OpenApiExample("Accepted", value={"runs": [31]}, response_only=True),
        ],
    )
    def post(self, request, token):
        rule = Rule.objects.filter(
            webhook_token_hash=services.hash_token(token), trigger_kind="webhook", enabled=True
        ).first()
        if rule is None:
            raise NotFound()
        data = request.data if isinstance(request.data, dict) else {}
        record_id = data.get("record_id")
        if isinstance(record_id, bool) or not str(record_id).isdigit():
            raise DjangoValidationError({"record_id": [_("Enter a whole number.")]})
        model = registry.get(rule.entity).model
        if not model._base_manager.filter(pk=int(record_id)).exists():
            raise DjangoValidationError({"record_id": [_("No such record.")]})
        payload = {k: str(v)[:200] for k, v in list(data.items())[:20] if k != "record_id"}
        runs = engine.fire(
            "webhook", rule.entity, int(record_id), info={"payload": payload}, rule=rule
        )
        return Response({"runs": [r.pk for r in runs if r.pk]}, status=202 if runs else 200)
