"""Money adds up (issue 16, "Tests that must pass"; decision 0065): for any mix of quantities,
list prices, quantity breaks, rental periods, add-ons, manual discounts, VAT rates and exchange
rates, every amount is whole agorot, each line's net + VAT is its total, and the document's
totals are exactly the sums of its lines. Over rows in memory: ``compute`` reads no database."""

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kesher.catalogue.models import PriceRule, Product, ProductGroup, VatRate
from kesher.catalogue.pricing import AGORA, LineRequest, PricingData, compute

DAY = datetime.date(2026, 6, 1)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
rates = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("500"), places=6)


@st.composite
def documents(draw):
    group = ProductGroup(pk=1, name_he="קבוצה", path="/1/")
    vat_rates = {
        category: [VatRate(category_id=category, valid_from=DAY, rate=rate)]
        for category, rate in ((1, Decimal("18")), (2, Decimal("17")), (3, Decimal("0")))
    }
    currency = draw(st.sampled_from(["ILS", "USD", "EUR"]))
    exchange_rates = {"ILS": Decimal(1), "USD": draw(rates), "EUR": draw(rates)}
    count = draw(st.integers(min_value=1, max_value=12))
    products, rules, lines = {}, [], []
    for pk in range(1, count + 1):
        products[pk] = Product(
            pk=pk,
            name=f"p{pk}",
            sku=f"S{pk}",
            group=group,
            vat_category_id=draw(st.sampled_from([1, 2, 3])),
            list_price=draw(prices),
            currency=draw(st.sampled_from(["ILS", "USD", "EUR"])),
            active=True,
        )
    addon_pk = count + 1
    products[addon_pk] = Product(
        pk=addon_pk,
        name="addon",
        sku="A",
        group=group,
        vat_category_id=1,
        list_price=draw(prices),
        currency="ILS",
        active=True,
    )
    for pk in range(1, count + 1):
        rules.append(
            PriceRule(
                pk=pk * 10,
                name="r",
                kind=PriceRule.Kind.ADDON,
                product_id=pk,
                addon_id=addon_pk,
                price=draw(st.none() | prices),
                currency="EUR",
            )
        )
        rules.append(
            PriceRule(
                pk=pk * 10 + 1,
                name="w",
                kind=PriceRule.Kind.PERIOD,
                product_id=pk,
                period="week",
                min_quantity=Decimal(1),
                price=draw(prices),
                currency="USD",
            )
        )
        if draw(st.booleans()):
            rules.append(
                PriceRule(
                    pk=pk * 10 + 2,
                    name="q",
                    kind=PriceRule.Kind.QUANTITY,
                    group_id=1,
                    min_quantity=draw(quantities),
                    discount_percent=draw(percents),
                )
            )
        rental = draw(st.booleans())
        lines.append(
            LineRequest(
                product=pk,
                quantity=draw(quantities),
                period="week" if rental else "",
                periods=draw(st.decimals(min_value=1, max_value=52, places=0)) if rental else None,
                addons=(addon_pk,) if draw(st.booleans()) else (),
                discount_percent=draw(percents),
            )
        )
    rules.sort(key=lambda rule: -rule.min_quantity)
    data = PricingData(
        products=products,
        lists=[],
        entries={},
        rules=rules,
        vat_rates=vat_rates,
        exchange_rates=exchange_rates,
        limits=[],
        unlimited=True,
    )
    return data, currency, lines


def _agorot(amount: Decimal) -> bool:
    return amount == amount.quantize(AGORA)


@settings(max_examples=300, deadline=None)
@given(documents())
def test_lines_vat_and_document_totals_add_up_in_agorot(document):
    data, currency, lines = document
    priced = compute(data, currency=currency, day=DAY, lines=lines)
    for line in priced.lines:
        for amount in (line.unit_price, line.gross, line.discount, line.net, line.vat, line.total):
            assert _agorot(amount)
        assert line.net == line.gross - line.discount
        assert line.total == line.net + line.vat
        assert Decimal(0) <= line.discount <= line.gross
        # VAT is the net's at the line's rate, rounded once: within half an agora.
        assert abs(line.vat - line.net * line.vat_rate / 100) <= Decimal("0.005")
    assert priced.gross == sum(line.gross for line in priced.lines)
    assert priced.discount == sum(line.discount for line in priced.lines)
    assert priced.net == sum(line.net for line in priced.lines)
    assert priced.vat == sum(line.vat for line in priced.lines)
    assert priced.total == sum(line.total for line in priced.lines)
    assert priced.total == priced.net + priced.vat == priced.gross - priced.discount + priced.vat
