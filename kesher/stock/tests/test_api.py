"""Stock's API: levels, minimums, moves, serials — and bad input refused with a translated 400
and nothing written (issue 17 item 4; decision 0083)."""

import pytest

from kesher.service.tests.factories import make_ticket
from kesher.stock.models import Serial, StockLevel, StockMove

pytestmark = pytest.mark.django_db


def test_a_receipt_with_serials_then_a_part_on_a_ticket(users, stock, api_for):
    api = api_for(users["admin"])
    answer = api.post(
        "/api/v1/stock-moves/",
        {
            "kind": "receipt",
            "product": stock["filter"].pk,
            "quantity": "2",
            "to_warehouse": stock["van"].pk,
            "unit_cost": "410.00",
            "serials": ["SN-1", "SN-2"],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["serials"] == ["SN-1", "SN-2"]
    ticket = make_ticket(users["admin"], subject="מסנן")
    tech = api_for(users["support_agent"])
    answer = tech.post(
        "/api/v1/stock-moves/",
        {
            "kind": "part_use",
            "product": stock["filter"].pk,
            "quantity": "1",
            "from_warehouse": stock["van"].pk,
            "ticket": ticket.pk,
            "serials": ["SN-1"],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    levels = tech.get("/api/v1/stock-levels/").json()["results"]
    assert [(row["warehouse"], row["quantity"]) for row in levels] == [(stock["van"].pk, "1.000")]
    serial = Serial.objects.get(number="SN-1")
    history = tech.get(f"/api/v1/serials/{serial.pk}/").json()["history"]
    assert [h["kind"] for h in history] == ["receipt", "part_use"]
    assert history[1]["ticket"] == ticket.pk
    moves = tech.get(f"/api/v1/stock-moves/?ticket={ticket.pk}").json()["results"]
    assert [m["kind"] for m in moves] == ["part_use"]


@pytest.mark.parametrize(
    ("body", "field", "hebrew"),
    [
        ({"quantity": "-2"}, "quantity", "0.001"),
        ({"product": "install"}, "product", "מלאי"),
        ({"product": "filter", "serials": ["NOPE"], "kind": "transfer"}, "serials", "מספר"),
        ({"to_warehouse": "other_van"}, "to_warehouse", "מחסן"),
    ],
)
def test_bad_input_is_a_translated_400_with_nothing_written(
    users, stock, receive, api_for, body, field, hebrew
):
    receive(stock["filter"], stock["van"], 1, ["SN-1"])
    before = (StockMove.objects.count(), list(StockLevel.objects.values_list("quantity")))
    request = {
        "kind": "receipt",
        "product": stock["cable"].pk,
        "quantity": "1",
        "to_warehouse": stock["van"].pk,
    }
    for name, value in body.items():
        request[name] = stock[value].pk if isinstance(value, str) and value in stock else value
    if request["kind"] == "transfer":
        request["from_warehouse"], request["to_warehouse"] = stock["van"].pk, stock["main"].pk
    # The support agent may move stock only in his own van; another's van is not his.
    api = api_for(users["support_agent"] if field == "to_warehouse" else users["admin"])
    answer = api.post("/api/v1/stock-moves/", request, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()
    assert hebrew in " ".join(answer.json()[field])
    after = (StockMove.objects.count(), list(StockLevel.objects.values_list("quantity")))
    assert after == before


def test_the_minimum_marks_a_level_low_in_the_report(users, stock, receive, api_for):
    receive(stock["cable"], stock["main"], 2)
    api = api_for(users["manager"])
    answer = api.put(
        "/api/v1/stock-levels/minimum/",
        {"warehouse": stock["main"].pk, "product": stock["cable"].pk, "minimum": "5"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["low"] is True
    low = api.get("/api/v1/stock-levels/?low=1").json()["results"]
    assert [row["product"] for row in low] == [stock["cable"].pk]
    refused = api_for(users["sales_rep"]).put(
        "/api/v1/stock-levels/minimum/",
        {"warehouse": stock["main"].pk, "product": stock["cable"].pk, "minimum": "1"},
        format="json",
    )
    assert refused.status_code == 403


def test_a_technician_sees_his_van_only(users, stock, receive, api_for):
    receive(stock["cable"], stock["van"], 1)
    receive(stock["cable"], stock["main"], 1)
    tech = api_for(users["support_agent"])
    assert [w["id"] for w in tech.get("/api/v1/warehouses/").json()["results"]] == [stock["van"].pk]
    assert {row["warehouse"] for row in tech.get("/api/v1/stock-levels/").json()["results"]} == {
        stock["van"].pk
    }
    assert api_for(None).get("/api/v1/stock-levels/").status_code in (401, 403)


def test_the_product_stock_settings(users, stock, api_for):
    api = api_for(users["admin"])
    url = f"/api/v1/products/{stock['cable'].pk}/stock/"
    assert api.get(url).json() == {"serial_tracked": False}
    assert api.put(url, {"serial_tracked": True}, format="json").json() == {"serial_tracked": True}
    answer = api.put(
        f"/api/v1/products/{stock['install'].pk}/stock/", {"serial_tracked": True}, format="json"
    )
    assert answer.status_code == 400


def test_the_schema_documents_stock_with_examples(api_schema):
    schema = api_schema()
    for path in (
        "/api/v1/stock-levels/",
        "/api/v1/stock-levels/minimum/",
        "/api/v1/stock-moves/",
        "/api/v1/serials/",
        "/api/v1/serials/{id}/",
        "/api/v1/warehouses/",
    ):
        assert path in schema["paths"], path
    create = schema["paths"]["/api/v1/stock-moves/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["examples"]


def test_the_list_queries_do_not_grow_with_rows(
    users, stock, receive, api_for, django_assert_max_num_queries
):
    api = api_for(users["admin"])
    for n in range(3):
        receive(stock["filter"], stock["main"], 1, [f"A-{n}"])
    with django_assert_max_num_queries(12) as few:
        api.get("/api/v1/stock-moves/")
    for n in range(20):
        receive(stock["filter"], stock["main"], 1, [f"B-{n}"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get("/api/v1/stock-moves/")
