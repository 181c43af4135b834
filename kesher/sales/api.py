"""Sales' own API beside the generated resources (``/api/v1/leads/``, ``/opportunities/`` …):
converting a lead (REQ SA-1), moving a deal to another stage (SA-2 … SA-5) and the quarter's
forecast by owner (SA-7)."""

from __future__ import annotations

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
from kesher.sales.selectors import forecast, parse_quarter
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
        deal = _visible(Opportunity, user, pk)
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
        deal = Opportunity.objects.select_related("stage", "account", "owner").get(pk=deal.pk)
        data = serializer_for(registry.get("opportunities"))(deal, context={"request": request})
        return Response(data.data, headers={"ETag": f'"{deal.version}"'})


class ForecastRowSerializer(serializers.Serializer):
    owner = serializers.IntegerField(allow_null=True, source="owner_id")
    owner_name = serializers.CharField()
    open_count = serializers.IntegerField()
    open_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    weighted_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    won_amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class ForecastSerializer(serializers.Serializer):
    quarter = serializers.CharField(source="label")
    start = serializers.DateField()
    end = serializers.DateField(help_text="The first day after the quarter.")
    rows = ForecastRowSerializer(many=True)
    totals = ForecastRowSerializer()


class ForecastView(APIView):
    """A quarter's deals by owner (``?quarter=2026-Q4``, default the current one): open deals,
    their amount and weighted amount (amount × the stage's probability), and the amount won;
    only the deals the caller may see. Amounts are null when the amount is hidden from him."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["opportunities"],
        operation_id="forecast",
        summary="A quarter's forecast by owner",
        parameters=[OpenApiParameter("quarter", str, description="e.g. 2026-Q4")],
        responses={200: ForecastSerializer},
    )
    def get(self, request):
        if not can(request.user, "opportunities", "view"):
            raise PermissionDenied
        result = forecast(request.user, *parse_quarter(request.query_params.get("quarter")))
        if not result.show_amounts:
            for row in (*result.rows, result.totals):
                row.open_amount = row.weighted_amount = row.won_amount = None
        return Response(ForecastSerializer(result).data)
