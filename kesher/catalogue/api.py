"""The catalogue's own API beside the generated resources (``/api/v1/products/`` …): pricing
lines without saving anything, for the line editor (REQ SA-8, SA-9; decision 0065)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.catalogue.models import CURRENCY, PriceRule
from kesher.catalogue.pricing import LineRequest, PricingError, price_lines
from kesher.customers.models import Account
from kesher.org.models import Company
from kesher.platform.access import can

MAX_LINES = 500


class PricedLineSerializer(serializers.Serializer):
    """A line to price (the pricing endpoint's input; not a stored quote line)."""

    product = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), help_text="More than zero."
    )
    period = serializers.ChoiceField(
        choices=PriceRule.Period.choices, required=False, allow_blank=True, default=""
    )
    periods = serializers.DecimalField(
        max_digits=9, decimal_places=3, min_value=Decimal("0.001"), required=False, allow_null=True
    )
    addons = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=20
    )
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default=0
    )

    def validate(self, attrs):
        if attrs.get("period") and not attrs.get("periods"):
            raise serializers.ValidationError({"periods": [_("Enter the number of periods.")]})
        if attrs.get("periods") and not attrs.get("period"):
            raise serializers.ValidationError({"period": [_("Choose the rental period.")]})
        return attrs


class QuoteRequestSerializer(serializers.Serializer):
    account = serializers.IntegerField(
        required=False, allow_null=True, help_text="The customer: his and his segment's lists."
    )
    company = serializers.IntegerField(
        required=False, allow_null=True, help_text="Our company selling (REQ OR-4)."
    )
    currency = serializers.CharField(max_length=3, default="ILS", validators=[CURRENCY])
    date = serializers.DateField(required=False, help_text="Default: today.")
    lines = PricedLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class PricedLineSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    source = serializers.CharField(help_text="The list or rules the price comes from.")
    gross = serializers.DecimalField(max_digits=16, decimal_places=2)
    rule_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    discount = serializers.DecimalField(max_digits=16, decimal_places=2)
    net = serializers.DecimalField(max_digits=16, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat = serializers.DecimalField(max_digits=16, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    over_limit = serializers.BooleanField()
    discount_limit = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class PricedDocumentSerializer(serializers.Serializer):
    currency = serializers.CharField()
    date = serializers.DateField()
    lines = PricedLineSerializer(many=True)
    gross = serializers.DecimalField(max_digits=16, decimal_places=2)
    discount = serializers.DecimalField(max_digits=16, decimal_places=2)
    net = serializers.DecimalField(max_digits=16, decimal_places=2)
    vat = serializers.DecimalField(max_digits=16, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    over_limit = serializers.BooleanField(
        help_text="A manual discount is above the reader's limit: the document needs approval."
    )


class PricingQuoteView(APIView):
    """Price lines without saving them: each line's unit price and where it comes from, its
    discount, VAT and total, and the document's totals, in agorot (decision 0065). A manual
    discount above the reader's limit is flagged, line and document."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["pricing"],
        operation_id="pricing_quote",
        summary="Price quote lines",
        request=QuoteRequestSerializer,
        responses={200: PricedDocumentSerializer},
        examples=[
            OpenApiExample(
                "A laptop with a discount and a week's projector rental",
                value={
                    "account": 12,
                    "currency": "ILS",
                    "date": "2026-12-06",
                    "lines": [
                        {"product": 7, "quantity": "3", "discount_percent": "5"},
                        {"product": 12, "quantity": "1", "period": "week", "periods": "2"},
                    ],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Priced",
                value={
                    "currency": "ILS",
                    "date": "2026-12-06",
                    "lines": [
                        {
                            "product": 7,
                            "name": "מחשב נייד 14 אינץ׳",
                            "sku": "LAP-14",
                            "quantity": "3.000",
                            "unit_price": "3990.00",
                            "source": "מחירון VIP",
                            "gross": "11970.00",
                            "rule_discount_percent": "0.00",
                            "discount_percent": "5.00",
                            "discount": "598.50",
                            "net": "11371.50",
                            "vat_rate": "18.00",
                            "vat": "2046.87",
                            "total": "13418.37",
                            "over_limit": False,
                            "discount_limit": "10.00",
                        }
                    ],
                    "gross": "11970.00",
                    "discount": "598.50",
                    "net": "11371.50",
                    "vat": "2046.87",
                    "total": "13418.37",
                    "over_limit": False,
                },
                response_only=True,
            ),
            OpenApiExample(
                "A currency without a rate (400)",
                value={"currency": ["אין שער חליפין ל-USD בתאריך 06/12/2026."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        user = request.user
        if not can(user, "products", "view"):
            raise PermissionDenied
        body = QuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        errors = {}
        account = None
        if values.get("account"):
            account = Account.objects.visible_to(user).filter(pk=values["account"]).first()
            if account is None:
                errors["account"] = [_("No such record, or you may not see it.")]
        company = None
        if values.get("company"):
            company = Company.objects.filter(pk=values["company"]).first()
            if company is None:
                errors["company"] = [_("No such record, or you may not see it.")]
        if errors:
            raise ValidationError(errors)
        lines = [
            LineRequest(
                product=line["product"],
                quantity=line["quantity"],
                period=line.get("period") or "",
                periods=line.get("periods"),
                addons=tuple(line.get("addons") or ()),
                discount_percent=line.get("discount_percent") or 0,
            )
            for line in values["lines"]
        ]
        try:
            document = price_lines(
                account=account,
                company=company,
                currency=values["currency"],
                day=values.get("date") or timezone.localdate(),
                lines=lines,
                reader=user,
            )
        except PricingError as error:
            raise ValidationError(error.errors) from None
        return Response(PricedDocumentSerializer(document).data)
