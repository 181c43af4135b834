"""The pricing service (REQ SA-8, SA-9, OR-4; decision 0065): which list or rule prices a line,
the rounding to agorot, VAT by date, currencies and discount limits."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.catalogue.pricing import LineRequest, PricingError, price_lines
from kesher.catalogue.services import product_group_update
from kesher.catalogue.tests.conftest import TODAY
from kesher.catalogue.tests.factories import (
    choice,
    make_entry,
    make_group,
    make_list,
    make_product,
    make_rate,
    make_rule,
)
from kesher.customers.services import account_create
from kesher.org.models import Company
from kesher.platform.records.services import record_create

pytestmark = pytest.mark.django_db
D = Decimal


def _price(lines, *, account=None, currency="ILS", day=TODAY, reader=None, company=None):
    return price_lines(
        account=account, currency=currency, day=day, lines=lines, reader=reader, company=company
    )


def _line(product, quantity="1", **extra):
    return LineRequest(product=product.pk, quantity=D(quantity), **extra)


def _account(users, status=None):
    data = {"name": "לקוח בדיקה"}
    if status:
        data["status"] = choice("account_status", status)
    return account_create(actor=users["admin"], data=data)


def test_default_list_with_quantity_breaks_sa9(users, catalogue):
    one = _price([_line(catalogue["laptop"])]).lines[0]
    ten = _price([_line(catalogue["laptop"], "10")]).lines[0]
    assert (one.unit_price, one.source) == (D("90.00"), "מחירון כללי")
    assert ten.unit_price == D("80.00")
    assert ten.gross == D("800.00")


def test_segment_list_before_the_default_sa9(users, catalogue):
    line = _price([_line(catalogue["laptop"])], account=_account(users, "vip")).lines[0]
    assert (line.unit_price, line.source) == (D("85.00"), "מחירון VIP")


def test_customer_list_before_his_segment_sa9(users, catalogue):
    account = _account(users, "vip")
    own = make_list(users["admin"], "מחירון הלקוח", account=account)
    make_entry(users["admin"], own, catalogue["laptop"], "70.00")
    line = _price([_line(catalogue["laptop"])], account=account).lines[0]
    assert (line.unit_price, line.source) == (D("70.00"), "מחירון הלקוח")


def test_company_list_before_one_for_every_company_or4(users, catalogue):
    company = Company.objects.create(name="קשר בע״מ", company_number="514000009")
    own = make_list(users["admin"], "מחירון החברה", is_default=True, company=company)
    make_entry(users["admin"], own, catalogue["laptop"], "88.00")
    assert _price([_line(catalogue["laptop"])], company=company).lines[0].unit_price == D("88")
    assert _price([_line(catalogue["laptop"])]).lines[0].unit_price == D("90.00")


def test_list_out_of_its_dates_does_not_apply_sa9(users, catalogue):
    catalogue["default"].valid_until = datetime.date(2026, 1, 1)
    catalogue["default"].save()
    line = _price([_line(catalogue["laptop"])]).lines[0]
    assert (line.unit_price, str(line.source)) == (D("100.00"), "מחיר מחירון")


def test_vat_rate_by_date_17_then_18(users, catalogue):
    before = _price([_line(catalogue["laptop"])], day=datetime.date(2024, 12, 31)).lines[0]
    after = _price([_line(catalogue["laptop"])], day=datetime.date(2025, 1, 1)).lines[0]
    assert (before.vat_rate, after.vat_rate) == (D("17.00"), D("18.00"))


def test_zero_rated_product_has_no_vat(users):
    product = make_product(users["admin"], price="50.00", vat="zero")
    line = _price([_line(product, "2")]).lines[0]
    assert (line.vat, line.total) == (D("0.00"), D("100.00"))


def test_rounding_to_agorot_half_up_per_line_decision_0065(users):
    product = make_product(users["admin"], price="33.33")
    line = _price([_line(product, "3", discount_percent=D("12.5"))]).lines[0]
    # 99.99 × 12.5% = 12.49875 → 12.50; 87.49 × 18% = 15.7482 → 15.75.
    assert (line.gross, line.discount, line.net, line.vat, line.total) == (
        D("99.99"),
        D("12.50"),
        D("87.49"),
        D("15.75"),
        D("103.24"),
    )


def test_document_totals_are_sums_of_rounded_lines_decision_0065(users):
    product = make_product(users["admin"], price="0.05")
    document = _price([_line(product), _line(product), _line(product)])
    # Each line: 0.05 + 0.009 VAT → 0.01; the document: 3 × 0.01, not round(0.027) = 0.03.
    assert [line.vat for line in document.lines] == [D("0.01")] * 3
    assert (document.net, document.vat, document.total) == (D("0.15"), D("0.03"), D("0.18"))


def test_rental_period_price_with_longer_rentals_cheaper_sa8(users):
    admin = users["admin"]
    projector = make_product(admin, name="מקרן", price="2000.00")
    make_rule(admin, name="שבוע", kind="period", product=projector, period="week", price=D("450"))
    make_rule(
        admin,
        name="שבוע מ-4",
        kind="period",
        product=projector,
        period="week",
        price=D("400"),
        min_quantity=D("4"),
    )
    two = _price([_line(projector, period="week", periods=D("2"))]).lines[0]
    four = _price([_line(projector, period="week", periods=D("4"))]).lines[0]
    assert (two.unit_price, two.source) == (D("900.00"), "שבוע")
    assert (four.unit_price, four.source) == (D("1600.00"), "שבוע מ-4")
    with pytest.raises(PricingError) as error:
        _price([_line(projector, period="day", periods=D("3"))])
    assert "period" in error.value.errors["lines"][0]


def test_addons_add_their_price_sa8(users):
    admin = users["admin"]
    crm = make_product(admin, name="מערכת CRM", price="1000.00", kind="service")
    module = make_product(admin, name="מודול שירות", price="300.00", kind="service")
    reports = make_product(admin, name="מודול דוחות", price="200.00", kind="service")
    make_rule(admin, name="מודול שירות", kind="addon", product=crm, addon=module, price=D("250"))
    make_rule(admin, name="מודול דוחות", kind="addon", product=crm, addon=reports)
    line = _price([_line(crm, addons=(module.pk, reports.pk))]).lines[0]
    assert line.unit_price == D("1450.00")  # 1000 + 250 (the rule's) + 200 (its own price)
    assert line.source == "מחיר מחירון + מודול שירות + מודול דוחות"
    with pytest.raises(PricingError) as error:
        _price([_line(module, addons=(crm.pk,))])
    assert "addons" in error.value.errors["lines"][0]


def test_quantity_break_of_a_group_reaches_sub_groups_and_stacks_with_manual_sa8(users, catalogue):
    admin = users["admin"]
    make_rule(
        admin,
        name="חומרה מ-5",
        kind="quantity",
        group=catalogue["hardware"],
        min_quantity=D("5"),
        discount_percent=D("10"),
    )
    four = _price([_line(catalogue["laptop"], "4")]).lines[0]
    five = _price([_line(catalogue["laptop"], "5", discount_percent=D("10"))]).lines[0]
    assert four.rule_discount_percent == D("0")
    assert five.rule_discount_percent == D("10.00")
    assert five.gross == D("450.00")
    assert five.discount == D("85.50")  # 19%: 10% of the rest after the rule's 10%
    assert five.source == "מחירון כללי + חומרה מ-5"


def test_moving_a_group_repaths_its_products_rules(users, catalogue):
    admin = users["admin"]
    services = make_group(admin, "שירותים")
    make_rule(
        admin,
        name="שירותים מ-1",
        kind="quantity",
        group=services,
        discount_percent=D("3"),
    )
    product_group_update(catalogue["laptops"], actor=admin, data={"parent": services})
    line = _price([_line(catalogue["laptop"])]).lines[0]
    assert line.rule_discount_percent == D("3.00")


def test_another_currency_through_the_shekel(users, catalogue):
    make_rate(users["admin"], "USD", "3.650000")
    line = _price([_line(make_product(users["admin"], price="100.00"))], currency="USD").lines[0]
    assert (line.unit_price, line.source) == (D("27.40"), "מחיר מחירון")  # 100 / 3.65


def test_currency_without_a_rate_is_refused(users, catalogue):
    with pytest.raises(PricingError) as error:
        _price([_line(catalogue["laptop"])], currency="USD")
    assert "USD" in error.value.errors["currency"][0]


def test_unknown_and_inactive_products_are_refused(users, catalogue):
    gone = make_product(users["admin"], active=False)
    with pytest.raises(PricingError) as error:
        _price(
            [_line(catalogue["laptop"]), LineRequest(product=999999, quantity=D(1)), _line(gone)]
        )
    assert 0 not in error.value.errors["lines"]
    assert "product" in error.value.errors["lines"][1]
    assert "product" in error.value.errors["lines"][2]


def test_discount_over_the_readers_limit_is_flagged_sa9(users, catalogue):
    rep = users["sales_rep"]
    within = _price([_line(catalogue["laptop"], discount_percent=D("10"))], reader=rep)
    over = _price([_line(catalogue["laptop"], discount_percent=D("12"))], reader=rep)
    assert (within.lines[0].over_limit, within.over_limit) == (False, False)
    assert (over.lines[0].over_limit, over.over_limit) == (True, True)
    assert over.lines[0].discount_limit == D("10.00")
    manager = _price(
        [_line(catalogue["laptop"], discount_percent=D("12"))], reader=users["manager"]
    )
    assert manager.over_limit is False


def test_group_and_user_limits_come_first_sa9(users, catalogue):
    admin, rep = users["admin"], users["sales_rep"]
    record_create(
        "discount-limits",
        actor=admin,
        data={"role": rep.role, "group": catalogue["hardware"], "max_percent": D("20")},
    )
    line = _line(catalogue["laptop"], discount_percent=D("15"))
    assert _price([line], reader=rep).over_limit is False
    record_create("discount-limits", actor=admin, data={"user": rep, "max_percent": D("5")})
    assert _price([line], reader=rep).lines[0].discount_limit == D("5.00")
    assert _price([line], reader=rep).over_limit is True


def test_no_limit_at_all_is_zero_sa9(users, catalogue):
    line = _price([_line(catalogue["laptop"], discount_percent=D("1"))], reader=users["read_only"])
    assert line.lines[0].discount_limit == D("0")
    assert line.over_limit is True


def test_a_50_line_quote_costs_as_many_queries_as_a_5_line_one(users, catalogue):
    admin = users["admin"]
    account = _account(users, "vip")
    products = [make_product(admin, group=catalogue["laptops"]) for _ in range(50)]
    for product in products[::2]:
        make_entry(admin, catalogue["vip"], product, "75.00")
        make_rule(admin, name="כמות", kind="quantity", product=product, discount_percent=D("2"))

    def count(n):
        lines = [_line(product, "3", discount_percent=D("4")) for product in products[:n]]
        with CaptureQueriesContext(connection) as queries:
            document = _price(lines, account=account, reader=users["sales_rep"])
        assert len(document.lines) == n
        return len(queries)

    assert count(5) == count(50) <= 8


def test_compiled_queries_are_kept_but_never_the_rows_decision_0085(users, catalogue):
    """Pricing keeps each query's SQL per shape (``_rows``), never its rows: a price changed
    between two quotes of the same shape is read; the same rows come out as the ORM's."""
    from kesher.catalogue import pricing
    from kesher.catalogue.models import PriceListEntry

    laptop = catalogue["laptop"]
    first = _price([_line(laptop)], reader=users["sales_rep"]).lines[0]
    assert first.unit_price == D("90.00")
    assert any(key[0] == "entries" for key in pricing._PREPARED)
    PriceListEntry.objects.filter(product=laptop, min_quantity=1).update(price=D("77.70"))
    again = _price([_line(laptop)], reader=users["sales_rep"]).lines[0]
    assert again.unit_price == D("77.70")
    # Without the kept SQL (a fresh process), the same document.
    pricing._PREPARED.clear()
    assert _price([_line(laptop)], reader=users["sales_rep"]).lines[0] == again
