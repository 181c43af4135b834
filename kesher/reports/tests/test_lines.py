"""Documents' lines as reportable entities (REQ SA-14, CX-8; decision 0103): quote, order and
invoice lines are read with their document — a reader sees the lines of the documents he sees,
never more; their cost is hidden wherever the products' cost price is; nobody writes a line on
its own; reports group them by product and product group, and the figures equal a plain-Python
reference over the visible lines for every role."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kesher.billing.models import InvoiceLine
from kesher.billing.services import document_from_order, document_issue
from kesher.catalogue.tests.factories import make_group, make_product
from kesher.customers.tests.factories import make_account
from kesher.org.services import grantable_entities
from kesher.platform.access import can
from kesher.platform.lists.filterlang import apply_filter
from kesher.platform.models import FieldRule
from kesher.platform.registry import registry
from kesher.quotes.models import OrderLine, QuoteLine
from kesher.quotes.services import (
    LineInput,
    order_confirm,
    order_create,
    order_set_lines,
    quote_create,
    quote_set_lines,
)
from kesher.reports import engine

pytestmark = pytest.mark.django_db

LINES = ("quote-lines", "order-lines", "invoice-lines")
ROLES = ("admin", "manager", "sales_rep", "sales_rep2")


@pytest.fixture
def products(users):
    admin = users["admin"]
    laptops = make_group(admin, "מחשבים ניידים")
    printers = make_group(admin, "מדפסות")
    return [
        make_product(admin, name="מחשב נייד", group=laptops, price="1000.00", cost_price="600"),
        make_product(admin, name="מדפסת", group=printers, price="400.00", cost_price="250"),
        make_product(admin, name="כבל", price="20.00", cost_price="5"),
    ]


def _lines(products, *quantities) -> list[LineInput]:
    return [
        LineInput(product=p.pk, quantity=Decimal(q))
        for p, q in zip(products, quantities, strict=False)
        if q
    ]


@pytest.fixture
def documents(users, products):
    """For each sales rep and the manager: a quote, and a confirmed order with its tax invoice
    issued, for a customer of his own."""
    made = {}
    for i, key in enumerate(("sales_rep", "sales_rep2", "manager")):
        owner = users[key]
        account = make_account(owner, name=f"לקוח {i}")
        quantities = [("1", "2", "3"), ("2", "", "1"), ("", "1", "5")][i]
        quote = quote_create(actor=owner, data={"name": "הצעה", "account": account})
        quote_set_lines(quote, actor=owner, lines=_lines(products, *quantities))
        order = order_create(actor=owner, data={"name": "הזמנה", "account": account})
        order_set_lines(order, actor=owner, lines=_lines(products, *quantities))
        order = order_confirm(order, actor=owner)
        invoice = document_issue(
            document_from_order(order, actor=owner, kind="tax_invoice"), actor=owner
        )
        made[key] = {"quote": quote, "order": order, "invoice": invoice}
    return made


def _visible_documents(user):
    from kesher.billing.models import TaxDocument
    from kesher.quotes.models import Order, Quote

    return {
        "quote-lines": set(Quote.objects.visible_to(user).values_list("pk", flat=True)),
        "order-lines": set(Order.objects.visible_to(user).values_list("pk", flat=True)),
        "invoice-lines": set(TaxDocument.objects.visible_to(user).values_list("pk", flat=True)),
    }


LINK = {"quote-lines": "quote_id", "order-lines": "order_id", "invoice-lines": "document_id"}
MODEL = {"quote-lines": QuoteLine, "order-lines": OrderLine, "invoice-lines": InvoiceLine}


def test_a_reader_sees_the_lines_of_the_documents_he_sees(users, documents):
    for role in ROLES:
        user = users[role]
        seen = _visible_documents(user)
        for key in LINES:
            model = MODEL[key]
            expected = {
                line.pk for line in model.objects.all() if getattr(line, LINK[key]) in seen[key]
            }
            got = set(model.objects.visible_to(user).values_list("pk", flat=True))
            assert got == expected, (role, key)
    # rep1 sees his own lines only; the manager his department's (rep1 and himself), not rep2's.
    rep_lines = QuoteLine.objects.visible_to(users["sales_rep"])
    assert {line.quote_id for line in rep_lines} == {documents["sales_rep"]["quote"].pk}
    manager_quotes = {line.quote_id for line in QuoteLine.objects.visible_to(users["manager"])}
    assert documents["sales_rep2"]["quote"].pk not in manager_quotes
    assert documents["sales_rep"]["quote"].pk in manager_quotes


def test_lines_are_viewed_with_their_document_and_never_written_alone(users):
    for key, whole in (("quote-lines", "quotes"), ("invoice-lines", "tax-documents")):
        for role in ("admin", "manager", "sales_rep", "support_agent"):
            user = users[role]
            assert can(user, key, "view") == can(user, whole, "view"), (role, key)
            for action in ("add", "change", "delete"):
                assert not can(user, key, action), (role, key, action)
    assert not set(LINES) & {e.key for e in grantable_entities()}


@pytest.mark.parametrize("role", ROLES)
def test_revenue_by_product_group_equals_the_visible_lines(users, documents, role):
    user = users[role]
    definition = {
        "entity": "invoice-lines",
        "filter": {"field": "document.status", "op": "eq", "value": "issued"},
        "group_by": [{"field": "product.group"}],
        "measures": [{"agg": "sum", "field": "net_ils"}, {"agg": "count"}],
    }
    result = engine.run(engine.parse(definition, user), user)
    seen = _visible_documents(user)["invoice-lines"]
    reference: dict = defaultdict(lambda: [Decimal(0), 0])
    for line in InvoiceLine.objects.select_related("product", "document"):
        if line.document_id in seen and line.document.status == "issued":
            reference[line.product.group_id][0] += line.net_ils
            reference[line.product.group_id][1] += 1
    got = {row.groups[0].value: [row.figures[0], row.figures[1]] for row in result.rows}
    assert got == dict(reference)
    # Each row's drill-down is the invoice lines' list of exactly the lines it counts.
    entity = registry.get("invoice-lines")
    for row in result.rows:
        expression = json.loads(parse_qs(urlparse(row.drill).query)["filter"][0])
        drilled = apply_filter(entity.queryset().visible_to(user), entity, expression, user)
        assert drilled.count() == row.figures[1]
        assert urlparse(row.drill).path == "/r/invoice-lines/"


def test_cross_selling_pivot_shows_the_groups_each_customer_bought(users, documents):
    user = users["admin"]
    definition = {
        "entity": "order-lines",
        "group_by": [{"field": "order.account"}, {"field": "product.group"}],
        "measures": [{"agg": "sum", "field": "quantity"}],
        "display": "pivot",
    }
    pivot = engine.run(engine.parse(definition, user), user).pivot()
    bought = {
        row["label"]: {
            column: cell["value"]
            for column, cell in zip(pivot["columns"], row["cells"], strict=True)
        }
        for row in pivot["rows"]
    }
    # The second customer bought laptops and cables, never a printer: the cross-selling gap.
    assert bought["לקוח 1"]["מדפסות"] is None
    assert bought["לקוח 1"]["מחשבים ניידים"] == Decimal("2")


def test_the_cost_of_a_line_is_hidden_with_the_products_cost_price(users, documents, client_for):
    FieldRule.objects.create(entity="products", field="cost_price", hidden_roles=["sales_rep"])
    for key, field in (
        ("quote-lines", "unit_cost"),
        ("invoice-lines", "unit_cost"),
        ("quotes", "cost"),
        ("orders", "cost"),
        ("tax-documents", "cost"),
    ):
        definition = {"entity": key, "measures": [{"agg": "sum", "field": field}]}
        with pytest.raises(ValidationError):
            engine.parse(definition, users["sales_rep"])
        engine.parse(definition, users["manager"])
    # Nor through a line's product.
    with pytest.raises(ValidationError):
        engine.parse(
            {"entity": "order-lines", "group_by": [{"field": "product.cost_price"}]},
            users["sales_rep"],
        )
    line = documents["sales_rep"]["quote"].lines.first()
    body = client_for(users["sales_rep"]).get(f"/api/v1/quote-lines/{line.pk}/").json()
    assert "unit_cost" not in body
    assert body["net"]
    body = client_for(users["manager"]).get(f"/api/v1/quote-lines/{line.pk}/").json()
    assert Decimal(body["unit_cost"]) == Decimal("600.00")


def test_the_api_lists_only_visible_lines_and_refuses_writes(users, documents, client_for):
    rep = client_for(users["sales_rep"])
    ids = {row["id"] for row in rep.get("/api/v1/invoice-lines/").json()["results"]}
    own = set(documents["sales_rep"]["invoice"].lines.values_list("pk", flat=True))
    assert ids == own
    other = documents["sales_rep2"]["invoice"].lines.first()
    assert rep.get(f"/api/v1/invoice-lines/{other.pk}/").status_code == 404
    admin = client_for(users["admin"])
    line = documents["sales_rep"]["quote"].lines.first()
    before = QuoteLine.objects.count()
    payload = {"quote": line.quote_id, "product": line.product_id, "name": "x", "quantity": "1"}
    assert admin.post("/api/v1/quote-lines/", payload).status_code == 403
    assert (
        admin.patch(
            f"/api/v1/quote-lines/{line.pk}/", {"name": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert admin.delete(f"/api/v1/quote-lines/{line.pk}/").status_code == 403
    assert QuoteLine.objects.count() == before
    assert admin.get("/r/quote-lines/new/").status_code == 403


def test_the_built_in_line_reports_run_for_every_role(users, documents):
    from kesher.reports.models import Report

    shipped = Report.objects.filter(entity="invoice-lines", owner=None)
    assert shipped.count() == 3
    for report in shipped:
        for role in ("admin", "manager", "sales_rep", "read_only"):
            user = users[role]
            result = engine.run(engine.parse(report.definition, user), user)
            if role == "sales_rep":
                # Only his own invoice's lines are counted.
                total = sum((r.figures[0] or 0) for r in result.rows)
                assert total == documents["sales_rep"]["invoice"].net_ils


def test_page_of_a_line_is_the_documents_part(users, documents):
    client = Client()
    client.force_login(users["sales_rep"])
    line = documents["sales_rep"]["order"].lines.first()
    assert client.get(f"/r/order-lines/{line.pk}/").status_code == 200
    other = documents["sales_rep2"]["order"].lines.first()
    assert client.get(f"/r/order-lines/{other.pk}/").status_code == 404
