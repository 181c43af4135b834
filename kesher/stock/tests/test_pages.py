"""Stock's pages: the levels report with the low marked, recording a receipt, the ticket's
parts panel and its form, a serial's history, the panels on documents and products
(REQ SA-11, SV-12, RE-3; decision 0083)."""

from decimal import Decimal

import pytest

from kesher.billing.services import document_from_order
from kesher.service.tests.factories import make_ticket
from kesher.stock.models import Serial, StockLevel, StockMove
from kesher.stock.services import minimum_set

pytestmark = pytest.mark.django_db


def test_the_report_by_warehouse_and_group_marks_the_low(users, stock, receive, client_for):
    receive(stock["cable"], stock["main"], 2)
    receive(stock["cable"], stock["van"], 9)
    minimum_set(actor=users["admin"], warehouse=stock["main"], product=stock["cable"], minimum=3)
    page = client_for(users["manager"]).get("/stock/").content.decode()
    assert page.count('class="badge text-bg-danger stock-low"') == 1
    assert "מחסן ראשי" in page
    only_van = client_for(users["manager"]).get(f"/stock/?warehouse={stock['van'].pk}")
    assert "מחסן ראשי</bdi>" not in only_van.content.decode()
    low = client_for(users["manager"]).get("/stock/?low=1").content.decode()
    assert low.count("data-level=") == 1
    tech = client_for(users["support_agent"]).get("/stock/").content.decode()
    assert "מחסן ראשי" not in tech
    assert "ניידת — טכנאי" in tech


def test_a_receipt_with_serials_through_the_form(users, stock, client_for):
    answer = client_for(users["admin"]).post(
        "/stock/move/",
        {
            "kind": "receipt",
            "product": stock["filter"].pk,
            "quantity": "2",
            "to_warehouse": stock["van"].pk,
            "serials": "SN-1\nSN-2",
        },
    )
    assert answer.status_code == 302
    assert StockLevel.objects.get(warehouse=stock["van"]).quantity == 2
    refused = client_for(users["admin"]).post(
        "/stock/move/",
        {
            "kind": "receipt",
            "product": stock["install"].pk,
            "quantity": "1",
            "to_warehouse": stock["van"].pk,
        },
    )
    assert refused.status_code == 200
    assert "שירותים אינם מנוהלים במלאי." in refused.content.decode()
    assert StockMove.objects.count() == 1


def test_a_part_used_from_the_ticket_page(users, stock, receive, client_for):
    """REQ SV-12: the ticket shows the form — the technician's van chosen — and its parts."""
    receive(stock["filter"], stock["van"], 1, ["SN-7"])
    ticket = make_ticket(users["admin"], subject="החלפת מסנן")
    tech = client_for(users["support_agent"])
    page = tech.get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-part-form"' in page
    assert f'<option value="{stock["van"].pk}" selected>' in page
    answer = tech.post(
        f"/stock/tickets/{ticket.pk}/parts/",
        {
            "product": stock["filter"].pk,
            "quantity": "1",
            "warehouse": stock["van"].pk,
            "serials": "SN-7",
        },
    )
    assert answer.status_code == 302
    page = tech.get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert page.count('class="ticket-part"') == 1
    assert "SN-7" in page
    serial = Serial.objects.get(number="SN-7")
    history = tech.get(f"/stock/serials/{serial.pk}/").content.decode()
    assert "החלפת מסנן" in history
    assert history.count('class="stock-move"') == 2


def test_a_serials_history_names_no_record_out_of_scope(users, stock, receive, client_for):
    receive(stock["filter"], stock["main"], 1, ["SN-8"])
    from kesher.stock.models import MoveKind
    from kesher.stock.services import move_create

    move_create(
        actor=users["admin"],
        kind=MoveKind.TRANSFER,
        product=stock["filter"],
        quantity=Decimal("1"),
        from_warehouse=stock["main"],
        to_warehouse=stock["van"],
        serials=["SN-8"],
    )
    serial = Serial.objects.get(number="SN-8")
    page = client_for(users["support_agent"]).get(f"/stock/serials/{serial.pk}/").content.decode()
    assert "ניידת — טכנאי" in page
    assert "מחסן ראשי" not in page
    assert client_for(users["sales_rep2"]).get(f"/stock/serials/{serial.pk}/").status_code == 200
    other = client_for(users["support_agent"])
    receive(stock["filter"], stock["other_van"], 1, ["SN-9"])
    hidden = Serial.objects.get(number="SN-9")
    assert other.get(f"/stock/serials/{hidden.pk}/").status_code == 404


def test_the_delivery_note_page_chooses_its_warehouse(
    users, stock, business, make_order, client_for
):
    note = document_from_order(
        make_order(business, "1"), actor=users["sales_rep"], kind="delivery_note"
    )
    admin = client_for(users["admin"])
    assert 'id="document-stock-form"' in admin.get(f"/r/tax-documents/{note.pk}/").content.decode()
    admin.post(f"/stock/documents/{note.pk}/", {"warehouse": stock["main"].pk})
    assert note.stock_choice.warehouse == stock["main"]


def test_the_pages_queries_do_not_grow_with_rows(
    users, stock, receive, client_for, django_assert_max_num_queries
):
    admin = client_for(users["admin"])
    ticket = make_ticket(users["admin"], subject="x")
    from kesher.stock.services import part_use

    def fill(start, count):
        for n in range(start, start + count):
            receive(stock["filter"], stock["main"], 1, [f"S-{n}"])
            part_use(
                ticket,
                actor=users["admin"],
                product=stock["filter"],
                quantity=Decimal("1"),
                warehouse=stock["main"],
                serials=[f"S-{n}"],
            )
            receive(stock["cable"], stock["van"] if n % 2 else stock["main"], 1)

    fill(0, 2)
    urls = [
        "/stock/",
        f"/r/tickets/{ticket.pk}/",
        f"/r/warehouses/{stock['main'].pk}/",
        "/stock/serials/",
    ]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(200) as first:
            assert admin.get(url).status_code == 200
        counts[url] = len(first.captured_queries)
    fill(2, 10)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            admin.get(url)
