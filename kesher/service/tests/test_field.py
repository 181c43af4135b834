"""Field service (REQ SV-12; issue 18 item 9; decision 0088): the technician's day, parts from
his van on a visit, completing it with notes and the customer's signature — in the services,
the pages and the API; bad input refused with nothing written."""

from __future__ import annotations

import base64
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from kesher.activities.tests.factories import make_interaction
from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.models import Attachment
from kesher.platform.records.services import record_create
from kesher.platform.records.timeline import items_for
from kesher.service.fieldday import day_visits, navigation_links
from kesher.service.models import Ticket, VisitReport
from kesher.service.tests.factories import choice, make_ticket
from kesher.service.visits import (
    SIGNATURE_MAX_BYTES,
    signature_png,
    visit_complete,
    visit_part_use,
)
from kesher.stock.models import MoveKind, StockLevel, StockMove
from kesher.stock.services import move_create, product_stock_set


def png(width=300, height=120) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    for x in range(20, 200):
        image.putpixel((x, 60), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.fixture(autouse=True)
def english():
    """The services' messages read in English here; the API tests ask for Hebrew themselves."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def field(users):
    """The support agent is the technician: his van holds 3 cables and one serial-tracked
    filter; a customer with an address and a phone; his ticket with a visit today at 10:00 and
    another at 08:00, and rep2's van beside."""
    admin, tech = users["admin"], users["support_agent"]
    van = record_create(
        "warehouses",
        actor=admin,
        data={"name": "ניידת — טכנאי", "kind": "van", "technician": tech},
    )
    main = record_create("warehouses", actor=admin, data={"name": "מחסן", "kind": "warehouse"})
    cable = make_product(admin, name="כבל רשת", sku="CBL-9")
    filter_ = make_product(admin, name="מסנן", sku="FLT-9")
    elsewhere = make_product(admin, name="מדפסת", sku="PRN-9")
    product_stock_set(filter_, actor=admin, serial_tracked=True)
    for product, quantity, to, serials in (
        (cable, "3", van, []),
        (filter_, "1", van, ["F-1"]),
        (elsewhere, "5", main, []),
    ):
        move_create(
            actor=admin,
            kind=MoveKind.RECEIPT,
            product=product,
            quantity=Decimal(quantity),
            to_warehouse=to,
            serials=serials,
        )
    account = make_account(
        admin, name="אלפא תעשיות", street="הרצל 12", city="פתח תקווה", phone="03-9123456"
    )
    now = timezone.localtime()
    day = now.replace(hour=10, minute=0, second=0, microsecond=0)
    first = make_ticket(admin, subject="מדפסת תקועה", account=account, handler=tech)
    second = make_ticket(admin, subject="רשת איטית", account=account, handler=tech)
    meeting = choice("interaction_kind", "meeting")
    for ticket, at in ((first, day), (second, day.replace(hour=8))):
        make_interaction(
            admin,
            kind=meeting,
            subject="ביקור",
            occurred_at=at,
            link_type="tickets",
            link_id=ticket.pk,
            owner=tech,
        )
    return {
        "tech": tech,
        "van": van,
        "cable": cable,
        "filter": filter_,
        "elsewhere": elsewhere,
        "first": first,
        "second": second,
        "account": account,
        "day": day,
    }


def test_navigation_links_search_the_address_and_call_nothing():
    links = navigation_links("הרצל 12, פתח תקווה")
    assert links["waze"].startswith("https://waze.com/ul?q=%D7%94")
    assert "navigate=yes" in links["waze"]
    assert links["google"].startswith("https://www.google.com/maps/dir/?api=1&destination=")
    assert navigation_links("  ") == {}


def test_the_day_lists_his_visits_in_order_with_the_customer(field, users):
    visits = day_visits(field["tech"])
    assert [v.ticket for v in visits] == [field["second"], field["first"]]
    stop = visits[0]
    assert stop.customer == "אלפא תעשיות"
    assert stop.address == "הרצל 12, פתח תקווה"
    assert stop.tel == "+97239123456"
    assert stop.phone_display == "03-912-3456"
    assert stop.links["waze"]
    assert stop.clock is not None
    # Someone else's day holds none of them.
    assert day_visits(users["sales_rep2"]) == []


def test_an_open_visit_of_yesterday_is_overdue_first(field, users):
    ticket = make_ticket(users["admin"], subject="ישן", handler=field["tech"])
    make_interaction(
        users["admin"],
        kind=choice("interaction_kind", "meeting"),
        subject="ביקור",
        occurred_at=field["day"] - datetime.timedelta(days=1),
        link_type="tickets",
        link_id=ticket.pk,
        owner=field["tech"],
    )
    visits = day_visits(field["tech"])
    assert visits[0].ticket == ticket
    assert visits[0].overdue


def test_a_part_from_his_van(field):
    move = visit_part_use(
        field["first"], actor=field["tech"], product=field["cable"].pk, quantity="2"
    )
    assert move.kind == MoveKind.PART_USE
    assert move.from_warehouse == field["van"]
    assert StockLevel.objects.get(warehouse=field["van"], product=field["cable"]).quantity == 1


@pytest.mark.parametrize(
    ("product", "quantity", "field_name"),
    [("elsewhere", "1", "product"), ("cable", "4", "quantity"), ("cable", "0", "quantity")],
)
def test_a_part_not_in_the_van_or_beyond_it_is_refused(field, product, quantity, field_name):
    with pytest.raises(ValidationError) as error:
        visit_part_use(
            field["first"], actor=field["tech"], product=field[product].pk, quantity=quantity
        )
    assert field_name in error.value.message_dict
    assert not StockMove.objects.filter(kind=MoveKind.PART_USE).exists()


def test_someone_elses_ticket_is_refused(field, users):
    with pytest.raises(PermissionDenied):
        visit_part_use(
            field["first"], actor=users["sales_rep2"], product=field["cable"].pk, quantity="1"
        )
    with pytest.raises(PermissionDenied):
        visit_complete(field["first"], actor=users["manager"], notes="x")


def test_completing_writes_notes_parts_signature_and_resolves(field):
    visit_part_use(field["first"], actor=field["tech"], product=field["cable"].pk, quantity="1")
    report = visit_complete(
        field["first"],
        actor=field["tech"],
        notes="הוחלף כבל",
        signature=data_url(png()),
        signed_by="דנה כהן",
        parts=[{"product": field["filter"].pk, "quantity": "1", "serials": ["F-1"]}],
    )
    ticket = Ticket.objects.get(pk=field["first"].pk)
    assert ticket.status.value == "resolved"
    assert ticket.resolved_at is not None
    assert ticket.resolution == "הוחלף כבל"
    assert report.meeting is not None
    assert report.signed_by == "דנה כהן"
    assert sorted(m.product.sku for m in report.parts.all()) == ["CBL-9", "FLT-9"]
    attachment = Attachment.objects.get(pk=report.signature_id)
    assert attachment.name.endswith(".png")
    assert attachment.mime_type == "image/png"
    assert attachment.file.read().startswith(b"\x89PNG")
    # On the ticket's timeline, and done on his day.
    items = items_for(ticket, field["tech"])
    visit = next(i for i in items if i.action == "visit")
    assert any("כבל רשת" in new for _label, _old, new in visit.rows)
    assert next(v for v in day_visits(field["tech"]) if v.ticket == ticket).done


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("data:image/jpeg;base64,/9j/4AAQ", "PNG"),
        (base64.b64encode(b"GIF89a" + b"\x00" * 40).decode(), "PNG"),
        ("not base64 at all!", "base64"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), "PNG"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * (SIGNATURE_MAX_BYTES + 1)), "larger"),
    ],
)
def test_a_bad_signature_writes_nothing(field, signature, message):
    with pytest.raises(ValidationError) as error:
        visit_complete(
            field["first"],
            actor=field["tech"],
            notes="x",
            signature=signature,
            parts=[{"product": field["cable"].pk, "quantity": "1"}],
        )
    assert message in " ".join(error.value.message_dict["signature"])
    _nothing_written(field)


def _nothing_written(field):
    assert not VisitReport.objects.exists()
    assert not Attachment.objects.exists()
    assert not StockMove.objects.filter(kind=MoveKind.PART_USE).exists()
    assert Ticket.objects.get(pk=field["first"].pk).resolved_at is None


def test_a_bad_part_writes_nothing_else(field):
    with pytest.raises(ValidationError):
        visit_complete(
            field["first"],
            actor=field["tech"],
            notes="x",
            signature=data_url(png()),
            parts=[
                {"product": field["cable"].pk, "quantity": "1"},
                {"product": field["elsewhere"].pk, "quantity": "1"},
            ],
        )
    _nothing_written(field)


def test_notes_are_required_and_a_resolved_ticket_is_not_visited_again(field):
    with pytest.raises(ValidationError) as error:
        visit_complete(field["first"], actor=field["tech"], notes="  ")
    assert "notes" in error.value.message_dict
    visit_complete(field["first"], actor=field["tech"], notes="done")
    with pytest.raises(ValidationError):
        visit_complete(field["first"], actor=field["tech"], notes="again")


def test_signature_png_accepts_bare_base64():
    assert signature_png(base64.b64encode(png()).decode()).startswith(b"\x89PNG")
    assert signature_png("") == b""


# --- pages ------------------------------------------------------------------------------------


def test_my_day_page_on_a_phone(field, client_for):
    page = client_for(field["tech"]).get("/service/my-day/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'href="tel:+97239123456"' in text
    assert "03-912-3456" in text
    assert "https://waze.com/ul?q=" in text
    assert "google.com/maps/dir/" in text
    assert text.index("רשת איטית") < text.index("מדפסת תקועה")
    assert f"/service/visits/{field['first'].pk}/" in text
    home = client_for(field["tech"]).get("/").content.decode()
    assert 'id="home-my-day"' in home
    assert 'id="nav-my-day"' in home


def test_visit_page_part_and_completion(field, client_for):
    client = client_for(field["tech"])
    url = f"/service/visits/{field['first'].pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "service/signature.js" in page.content.decode()
    options = client.get("/service/my-day/van-products/", {"q": "כבל", "target": "visit-product"})
    assert f'data-pick="{field["cable"].pk}"' in options.content.decode()
    assert "מדפסת" not in options.content.decode()
    answer = client.post(url + "parts/", {"product": field["cable"].pk, "quantity": "1"})
    assert answer.status_code == 302
    assert StockMove.objects.filter(kind=MoveKind.PART_USE, ticket=field["first"]).count() == 1
    refused = client.post(url, {"notes": "x", "signature": "data:image/png;base64,AAAA"})
    assert refused.status_code == 400
    assert not VisitReport.objects.exists()
    done = client.post(url, {"notes": "הוחלף", "signature": data_url(png()), "signed_by": "דנה"})
    assert done.status_code == 302
    assert done["Location"] == "/service/my-day/"
    report = VisitReport.objects.get()
    assert report.signature_id
    assert report.parts.count() == 1


def test_visit_pages_refuse_someone_elses_ticket(field, users, client_for):
    client = client_for(users["manager"])
    assert client.get(f"/service/visits/{field['first'].pk}/").status_code in (403, 404)
    assert (
        client_for(users["admin"]).get(f"/service/visits/{field['first'].pk}/").status_code == 403
    )


# --- API --------------------------------------------------------------------------------------


def test_api_my_day_and_complete(field, api_for):
    api = api_for(field["tech"])
    day = api.get("/api/v1/service/my-day/").json()
    assert [row["number"] for row in day] == [field["second"].number, field["first"].number]
    assert day[0]["navigation"]["waze"].startswith("https://waze.com/")
    answer = api.post(
        f"/api/v1/tickets/{field['first'].pk}/visit-complete/",
        {
            "notes": "הוחלף כבל",
            "parts": [{"product": field["cable"].pk, "quantity": "2"}],
            "signature": base64.b64encode(png()).decode(),
            "signed_by": "דנה",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["signature"]
    assert body["parts"][0]["quantity"] == "2"


@pytest.mark.parametrize(
    ("change", "status", "field_name", "hebrew"),
    [
        ({"signature": "data:image/png;base64,R0lGODlh"}, 400, "signature", "PNG"),
        ({"parts": [{"product": "elsewhere", "quantity": "1"}]}, 400, "product", "אינו בניידת"),
        ({"parts": [{"product": "cable", "quantity": "9"}]}, 400, "quantity", ""),
        ({"notes": ""}, 400, "notes", ""),
    ],
)
def test_api_bad_input_is_a_translated_400_with_nothing_written(
    field, api_for, change, status, field_name, hebrew
):
    body = {"notes": "x", "signature": data_url(png())}
    for part in change.get("parts", []):
        part["product"] = field[part["product"]].pk
    body.update(change)
    answer = api_for(field["tech"]).post(
        f"/api/v1/tickets/{field['first'].pk}/visit-complete/", body, format="json"
    )
    assert answer.status_code == status, answer.content
    assert field_name in answer.json()
    assert hebrew in " ".join(answer.json()[field_name])
    _nothing_written(field)


def test_api_someone_elses_ticket_is_403(field, users, api_for):
    answer = api_for(users["admin"]).post(
        f"/api/v1/tickets/{field['first'].pk}/visit-complete/", {"notes": "x"}, format="json"
    )
    assert answer.status_code == 403
    _nothing_written(field)


def test_my_day_and_the_visit_in_english(field, client_for):
    from kesher.org.models import User

    User.objects.filter(pk=field["tech"].pk).update(language="en")
    client = client_for(User.objects.get(pk=field["tech"].pk))
    day = client.get("/service/my-day/").content.decode()
    assert 'dir="ltr"' in day
    assert "My day" in day
    assert "Open the visit" in day
    visit = client.get(f"/service/visits/{field['first'].pk}/").content.decode()
    assert "Customer signature" in visit
    assert "Complete the visit" in visit
