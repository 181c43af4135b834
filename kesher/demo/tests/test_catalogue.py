"""The demo's catalogue (issue 16): its products, price lists and rules price a quote."""

from decimal import Decimal

import pytest
from django.utils import timezone

from kesher.catalogue.models import PriceList, Product, ProductGroup
from kesher.catalogue.pricing import LineRequest, price_lines
from kesher.org.models import User
from kesher.platform.visibility import hidden_fields

pytestmark = pytest.mark.django_db


def test_the_demo_catalogue_prices_lists_breaks_rentals_and_addons(loaded):
    assert Product.objects.count() >= 20
    assert ProductGroup.objects.filter(parent__isnull=False).exists()
    assert PriceList.objects.filter(is_default=True).exists()
    assert PriceList.objects.filter(segment__value="vip").exists()
    sku = {p.sku: p.pk for p in Product.objects.all()}
    rep = User.objects.filter(role__key="sales_rep").first()
    lines = [
        LineRequest(product=sku["LAP-14"], quantity=Decimal(5)),
        LineRequest(product=sku["PRJ-RNT"], quantity=Decimal(1), period="week", periods=Decimal(2)),
        LineRequest(product=sku["CRM-LIC"], quantity=Decimal(1), addons=(sku["CRM-RPT"],)),
        LineRequest(product=sku["MSE-01"], quantity=Decimal(10), discount_percent=Decimal(15)),
    ]
    document = price_lines(
        account=None, currency="ILS", day=timezone.localdate(), lines=lines, reader=rep
    )
    prices = [line.unit_price for line in document.lines]
    assert prices == [Decimal("3990.00"), Decimal("1500.00"), Decimal("2190.00"), Decimal("99.00")]
    assert document.lines[3].rule_discount_percent == Decimal("10.00")
    assert document.over_limit is True  # 15% is above a rep's 10%
    assert "cost_price" in hidden_fields("products", rep)  # REQ CX-9, as the demo sets it
