"""The pricing API, ``POST /api/v1/pricing/quote/`` (REQ SA-8, SA-9): lines priced without
saving; bad input answered 400 with a translated message and nothing written."""

import pytest

from kesher.catalogue.tests.factories import make_rate
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/pricing/quote/"


def _post(api, body):
    before = AuditEntry.objects.count()
    response = api.post(URL, body, format="json")
    assert AuditEntry.objects.count() == before  # pricing writes nothing
    return response


def test_prices_lines_and_totals(users, catalogue, api_for):
    body = {
        "date": "2026-06-01",
        "lines": [{"product": catalogue["laptop"].pk, "quantity": "10", "discount_percent": "5"}],
    }
    response = _post(api_for(users["sales_rep"]), body)
    assert response.status_code == 200, response.content
    data = response.json()
    line = data["lines"][0]
    assert (line["unit_price"], line["gross"], line["discount"]) == ("80.00", "800.00", "40.00")
    assert (line["net"], line["vat"], line["total"]) == ("760.00", "136.80", "896.80")
    assert (data["net"], data["vat"], data["total"], data["over_limit"]) == (
        "760.00",
        "136.80",
        "896.80",
        False,
    )
    assert "cost" not in str(data)  # the cost is no part of a price


def test_over_the_limit_is_flagged_sa9(users, catalogue, api_for):
    body = {
        "lines": [{"product": catalogue["laptop"].pk, "quantity": "1", "discount_percent": "15"}]
    }
    data = _post(api_for(users["sales_rep"]), body).json()
    assert data["over_limit"] is True
    assert data["lines"][0]["discount_limit"] == "10.00"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"product": 999999, "quantity": "1"}, "product"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1", "discount_percent": "101"}, "discount_percent"),
        ({"quantity": "1", "period": "week"}, "periods"),
        ({"quantity": "1", "period": "year", "periods": "2"}, "period"),
        ({"product": "<script>alert(1)</script>", "quantity": "1"}, "product"),
        ({"quantity": "1e9999"}, "quantity"),
        ({"quantity": "1", "addons": ["' OR 1=1 --"]}, "addons"),
    ],
)
def test_bad_lines_are_refused_with_a_message(users, catalogue, api_for, line, field):
    body = {"lines": [{"product": catalogue["laptop"].pk, **line}]}
    response = _post(api_for(users["sales_rep"]), body)
    assert response.status_code == 400
    errors = response.json()["lines"]["0"]
    assert field in errors
    assert "<script>" not in response.content.decode()


def test_unknown_product_message_in_hebrew_and_english(users, catalogue, api_for):
    body = {"lines": [{"product": 999999, "quantity": "1"}]}
    hebrew = _post(api_for(users["sales_rep"]), body).json()["lines"]["0"]["product"][0]
    english = _post(api_for(users["sales_rep"], "en"), body).json()["lines"]["0"]["product"][0]
    assert hebrew == "אין מוצר 999999 למכירה."
    assert english == "There is no product 999999 for sale."


def test_currency_without_a_rate_then_with_one(users, catalogue, api_for):
    body = {"currency": "USD", "lines": [{"product": catalogue["laptop"].pk, "quantity": "1"}]}
    api = api_for(users["sales_rep"])
    refused = _post(api, body)
    assert refused.status_code == 400
    assert "USD" in refused.json()["currency"][0]
    make_rate(users["admin"], "USD", "4.000000")
    assert _post(api, body).json()["lines"][0]["unit_price"] == "25.00"  # 100 ₪ / 4


@pytest.mark.parametrize(
    "body",
    [
        {"currency": "<b>x</b>", "lines": [{"product": 1, "quantity": "1"}]},
        {"lines": []},
        {"lines": "everything"},
        {"date": "yesterday", "lines": [{"product": 1, "quantity": "1"}]},
    ],
)
def test_bad_documents_are_refused(users, api_for, body):
    response = _post(api_for(users["sales_rep"]), body)
    assert response.status_code == 400
    assert "<b>" not in response.content.decode()


def test_an_account_out_of_scope_is_not_priced_for(users, catalogue, api_for):
    from kesher.customers.services import account_create

    theirs = account_create(actor=users["sales_rep2"], data={"name": "של נציג אחר"})
    body = {"account": theirs.pk, "lines": [{"product": catalogue["laptop"].pk, "quantity": "1"}]}
    response = _post(api_for(users["sales_rep"]), body)
    assert response.status_code == 400
    assert "account" in response.json()
    assert "של נציג אחר" not in response.content.decode()


def test_without_a_grant_on_products_forbidden(users, catalogue, api_for):
    from kesher.org.models import RolePermission

    RolePermission.objects.filter(role=users["sales_rep"].role, entity="products").delete()
    body = {"lines": [{"product": catalogue["laptop"].pk, "quantity": "1"}]}
    assert api_for(users["sales_rep"]).post(URL, body, format="json").status_code == 403
    assert api_for(None).post(URL, body, format="json").status_code in (401, 403)


def test_the_schema_documents_the_endpoint(api_schema):
    schema = api_schema()
    operation = schema["paths"]["/api/v1/pricing/quote/"]["post"]
    assert operation["operationId"] == "pricing_quote"
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert "ALaptopWithADiscountAndAWeek'sProjectorRental" in examples
