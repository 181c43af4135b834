"""Sales' own API beside the generated resources (``/api/v1/leads/``, ``/opportunities/`` …):
converting a lead (REQ SA-1), moving a deal to another stage (SA-2 … SA-5), the forecast by
owner, team or region (SA-7) and the targets' attainment (SA-7, SA-14)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.customers.models import Account, Contact
from kesher.platform.access import can
from kesher.platform.api.serializers import serializer_for
from kesher.platform.records.services import ConflictError
from kesher.platform.registry import registry
from kesher.sales.models import Lead, Opportunity, Stage
from kesher.sales.selectors import (
    FORECAST_GROUPS,
    attainment,
    current_targets,
    forecast,
    parse_period,
)
from kesher.sales.services import lead_convert, opportunity_move_stage


def _visible(model, user, pk):
    return model.objects.visible_to(user).filter(pk=pk).first() if pk else None


class ConvertOpportunitySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    stage = serializers.IntegerField(required=False)
    expected_close_date = serializers.DateField(required=False)


class ConvertRequestSerializer(serializers.Serializer):
    account = serializers.IntegerField(
        required=False, allow_null=True, help_text="An existing account to use."
    )
    create_account = serializers.BooleanField(default=True)
    contact = serializers.IntegerField(
        required=False, allow_null=True, help_text="An existing contact to use."
    )
    create_contact = serializers.BooleanField(default=True)
    opportunity = ConvertOpportunitySerializer(
        required=False, allow_null=True, help_text="The deal to create; null: none."
    )


class ConvertResultSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    account = serializers.IntegerField(allow_null=True)
    contact = serializers.IntegerField(allow_null=True)
    opportunity = serializers.IntegerField(allow_null=True)
    matched = serializers.ListField(child=serializers.CharField())


class LeadConvertView(APIView):
    """Convert a lead into an account, a contact and a deal, each optional; an existing
    account or contact with the lead's e-mail or phone is used instead of a new one. A lead
    converted before answers 400."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["leads"],
        operation_id="leads_convert",
        summary="Convert a lead",
        request=ConvertRequestSerializer,
        responses={200: ConvertResultSerializer},
        examples=[
            OpenApiExample(
                "Account, contact and a deal",
                value={"opportunity": {"name": "מערכת CRM", "amount": "48000.00"}},
                request_only=True,
            ),
            OpenApiExample(
                "Converted before (400)",
                value={"lead": ["הליד כבר הומר."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        user = request.user
        if not can(user, "leads", "change"):
            raise PermissionDenied
        lead = _visible(Lead, user, pk)
        if lead is None:
            raise NotFound
        body = ConvertRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        account = _visible(Account, user, values.get("account"))
        contact = _visible(Contact, user, values.get("contact"))
        errors = {}
        if values.get("account") and account is None:
            errors["account"] = [_not_found()]
        if values.get("contact") and contact is None:
            errors["contact"] = [_not_found()]
        deal = values.get("opportunity")
        if deal and deal.get("stage"):
            deal = {**deal, "stage": Stage.objects.filter(pk=deal["stage"]).first()}
            if deal["stage"] is None:
                errors["opportunity"] = {"stage": [_not_found()]}
        if errors:
            raise ValidationError(errors)
        wanted = {
            "accounts": account is None and values["create_account"],
            "contacts": contact is None and values["create_contact"],
            "opportunities": deal is not None,
        }
        if any(on and not can(user, key, "add") for key, on in wanted.items()):
            raise PermissionDenied
        try:
            result = lead_convert(
                lead,
                actor=user,
                account=account,
                create_account=values["create_account"],
                contact=contact,
                create_contact=values["create_contact"],
                opportunity=deal,
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(
            {
                "lead": lead.pk,
                "account": getattr(result.account, "pk", None),
                "contact": getattr(result.contact, "pk", None),
                "opportunity": getattr(result.opportunity, "pk", None),
                "matched": result.matched,
            }
        )


def _not_found():
    return _("No such record, or you may not see it.")


class MoveRequestSerializer(serializers.Serializer):
    stage = serializers.IntegerField()


class OpportunityMoveView(APIView):
    """Move a deal to another stage of its pipeline (the board's drag): the stage's required
    fields are enforced, the deal's clock restarts, automation hears of it. Send the deal's
    version as ``If-Match``: a stale one answers 412."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["opportunities"],
        operation_id="opportunities_move",
        summary="Move a deal to another stage",
        request=MoveRequestSerializer,
        responses={200: serializer_for(registry.get("opportunities"))},
        examples=[
            OpenApiExample("To the proposal stage", value={"stage": 2}, request_only=True),
            OpenApiExample(
                "A required field is empty (400)",
                value={"lost_reason": ["שדה זה נדרש בסטטוס זה."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        user = request.user
        if not can(user, "opportunities", "change"):
            raise PermissionDenied
        # With its stage: the move checks the new one is of the same pipeline.
        deal = Opportunity.objects.visible_to(user).select_related("stage").filter(pk=pk).first()
        if deal is None:
            raise NotFound
        body = MoveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        stage = Stage.objects.filter(pk=body.validated_data["stage"]).first()
        if stage is None:
            raise ValidationError({"stage": [_not_found()]})
        version = request.headers.get("If-Match", "").strip('W/"') or None
        try:
            deal = opportunity_move_stage(
                deal,
                actor=user,
                stage=stage,
                expected_version=int(version) if version and version.isdigit() else None,
            )
        except ConflictError as error:
            return Response({"detail": str(error)}, status=412)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        # The deal as the move wrote it (its row was read locked): not read again.
        data = serializer_for(registry.get("opportunities"))(deal, context={"request": request})
        return Response(data.data, headers={"ETag": f'"{deal.version}"'})


class ForecastRowSerializer(serializers.Serializer):
    group = serializers.IntegerField(
        allow_null=True, source="key", help_text="The owner's, team's or region's id."
    )
    name = serializers.CharField()
    open_count = serializers.IntegerField()
    open_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    weighted_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    commit_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    best_case_amount = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="Commit included."
    )
    won_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class ForecastSerializer(serializers.Serializer):
    period = serializers.CharField(source="label", help_text="2026-Q4, or a month: 2026-11.")
    by = serializers.ChoiceField(choices=list(FORECAST_GROUPS))
    start = serializers.DateField()
    end = serializers.DateField(help_text="The first day after the period.")
    rows = ForecastRowSerializer(many=True)
    totals = ForecastRowSerializer()


AMOUNTS = ("open_amount", "weighted_amount", "commit_amount", "best_case_amount", "won_amount")


class ForecastView(APIView):
    """A quarter's or a month's deals (``?period=2026-Q4`` or ``2026-11``, default the current
    quarter) by owner, team or region (``?by=``): open deals, their amount and weighted amount
    (amount × the stage's probability), the amounts their owners commit and see as best case,
    and the amount won; only the deals the caller may see. Amounts are null when the amount is
    hidden from him."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["opportunities"],
        operation_id="forecast",
        summary="A quarter's or a month's forecast by owner, team or region",
        parameters=[
            OpenApiParameter("period", str, description="e.g. 2026-Q4 or 2026-11"),
            OpenApiParameter("by", str, enum=list(FORECAST_GROUPS), description="owner (default)"),
        ],
        responses={200: ForecastSerializer},
        examples=[
            OpenApiExample(
                "By team, one quarter",
                value={
                    "period": "2026-Q4",
                    "by": "department",
                    "start": "2026-10-01",
                    "end": "2027-01-01",
                    "rows": [
                        {
                            "group": 3,
                            "name": "מכירות צפון",
                            "open_count": 4,
                            "open_amount": "120000.00",
                            "weighted_amount": "52000.00",
                            "commit_amount": "40000.00",
                            "best_case_amount": "70000.00",
                            "won_amount": "35000.00",
                        }
                    ],
                    "totals": {
                        "group": None,
                        "name": "",
                        "open_count": 4,
                        "open_amount": "120000.00",
                        "weighted_amount": "52000.00",
                        "commit_amount": "40000.00",
                        "best_case_amount": "70000.00",
                        "won_amount": "35000.00",
                    },
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        if not can(request.user, "opportunities", "view"):
            raise PermissionDenied
        params = request.query_params
        by = params.get("by", "owner")
        if by not in FORECAST_GROUPS:
            raise ValidationError({"by": [_("Choose one of: %s.") % ", ".join(FORECAST_GROUPS)]})
        year, quarter, month = parse_period(params.get("period") or params.get("quarter"))
        result = forecast(request.user, year, quarter, month=month, by=by)
        if not result.show_amounts:
            for row in (*result.rows, result.totals):
                for name in AMOUNTS:
                    setattr(row, name, None)
        return Response(ForecastSerializer(result).data)


class AttainmentSerializer(serializers.Serializer):
    target = serializers.IntegerField(source="target.pk")
    subject = serializers.CharField(source="target.subject")
    level = serializers.CharField(source="target.level")
    period = serializers.CharField(source="target.period")
    starts_on = serializers.DateField(source="target.starts_on")
    ends_on = serializers.DateField(source="target.ends_on", help_text="The day after.")
    amount = serializers.DecimalField(
        source="target.amount", max_digits=14, decimal_places=2, allow_null=True
    )
    actual_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    amount_percent = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField(source="target.count", allow_null=True)
    actual_count = serializers.IntegerField()
    count_percent = serializers.IntegerField(allow_null=True)


class AttainmentView(APIView):
    """The targets the caller may see whose period holds a day (``?on=2026-11-15``, default
    today) — his own as a rep, his department's as a manager — each with its actual, live from
    the won deals whose expected close date falls in its period (REQ SA-7, RE-2, SA-14)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["sales-targets"],
        operation_id="targets_attainment",
        summary="Targets against their actuals",
        parameters=[OpenApiParameter("on", datetime.date, description="e.g. 2026-11-15")],
        responses={200: AttainmentSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A rep's quarter",
                value=[
                    {
                        "target": 5,
                        "subject": "דנה לוי",
                        "level": "person",
                        "period": "quarter",
                        "starts_on": "2026-10-01",
                        "ends_on": "2027-01-01",
                        "amount": "250000.00",
                        "actual_amount": "180000.00",
                        "amount_percent": 72,
                        "count": 12,
                        "actual_count": 9,
                        "count_percent": 75,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        if not can(request.user, "sales-targets", "view"):
            raise PermissionDenied
        text = request.query_params.get("on")
        try:
            day = datetime.date.fromisoformat(text) if text else None
        except ValueError:
            raise ValidationError({"on": [_("Enter a date: YYYY-MM-DD.")]}) from None
        rows = attainment(current_targets(request.user, day))
        return Response(AttainmentSerializer(rows, many=True).data)
