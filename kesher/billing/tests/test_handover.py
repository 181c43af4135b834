"""Handing an order over to outside invoicing software (issue 17 item 5; decision 0084): one
signed JSON POST through the outgoing webhooks, at most once; the software's document posted
back (signed) and recorded on the order; the order not invoiced in Kesher too; nothing sent in
the practice environment."""

import json

import pytest
from django.core.exceptions import ValidationError

from kesher.billing.clearing import SIGNATURE_HEADER, sign
from kesher.billing.handover import order_hand_over
from kesher.billing.models import DocumentKind, ExternalInvoice, InvoicingAdapter
from kesher.billing.services import document_from_order, document_issue
from kesher.integrations.models import WebhookDelivery
from kesher.integrations.webhooks import verify

pytestmark = pytest.mark.django_db

SECRET = "books-secret"


@pytest.fixture
def adapter():
    return InvoicingAdapter.objects.create(
        name="הנהלת חשבונות", kind="webhook", url="https://books.example.co.il/in", secret=SECRET
    )


@pytest.fixture
def order(business, make_order):
    return make_order(business, "5")


def _post_back(client, adapter, body: dict, secret=SECRET):
    raw = json.dumps(body).encode()
    return client.generic(
        "POST",
        f"/api/v1/invoicing/{adapter.pk}/documents/",
        raw,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(secret, raw), "Accept-Language": "he"},
    )


def test_an_order_is_handed_over_once_signed(users, order, adapter):
    first = order_hand_over(order, actor=users["sales_rep"])
    again = order_hand_over(order, actor=users["sales_rep"])
    assert again.pk == first.pk
    delivery = WebhookDelivery.objects.get()
    assert first.delivery == delivery
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.url == adapter.url
    assert delivery.event == "order.hand_over"
    assert delivery.secret == SECRET  # the delivery machinery signs the body with it
    assert verify(SECRET, delivery.body.encode(), sign(SECRET, delivery.body.encode()))
    payload = json.loads(delivery.body)
    assert payload["reference"] == str(first.reference)
    assert payload["order"]["total"] == "531.00"
    assert payload["lines"][0]["quantity"] == "5.000"
    with pytest.raises(ValidationError, match="handed over"):
        document_from_order(order, actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE)
    note = document_from_order(order, actor=users["sales_rep"], kind=DocumentKind.DELIVERY_NOTE)
    assert note.kind == "delivery_note"


def test_no_hand_over_without_software_or_of_an_invoiced_order(users, order, make_order, business):
    with pytest.raises(ValidationError, match="No invoicing software"):
        order_hand_over(order, actor=users["sales_rep"])
    document_issue(
        document_from_order(order, actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE),
        actor=users["sales_rep"],
    )
    InvoicingAdapter.objects.create(name="x", url="https://b.example.co.il/", secret="s")
    with pytest.raises(ValidationError, match="invoiced in Kesher"):
        order_hand_over(order, actor=users["sales_rep"])
    assert not ExternalInvoice.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_the_practice_environment_sends_nothing(settings, users, order, adapter):
    settings.KESHER_PRACTICE = True
    order_hand_over(order, actor=users["sales_rep"])
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DEAD


def test_the_software_posts_its_document_back(users, order, adapter, client):
    done = order_hand_over(order, actor=users["sales_rep"])
    body = {"reference": str(done.reference), "number": "INV-42", "url": "https://b.example/42"}
    answer = _post_back(client, adapter, body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["number"] == "INV-42"
    assert _post_back(client, adapter, body).status_code == 200
    done.refresh_from_db()
    assert (done.number, done.url) == ("INV-42", "https://b.example/42")
    for bad, secret in (
        ({**body, "number": "INV-43"}, SECRET),  # another number for a recorded order
        (body, "guessed"),  # forged
        ({**body, "reference": "nope"}, SECRET),
        ({"reference": str(done.reference)}, SECRET),
        ({**body, "url": "javascript:alert(1)"}, SECRET),
    ):
        refused = _post_back(client, adapter, bad, secret)
        assert refused.status_code == 400, refused.content
        assert "המסמך נדחה" in refused.content.decode()
    done.refresh_from_db()
    assert done.number == "INV-42"


def test_the_api_and_page_hand_over(users, order, adapter, api_for, client_for):
    page = client_for(users["sales_rep"]).get(f"/r/orders/{order.pk}/")
    assert b"order-hand-over-button" in page.content
    made = api_for(users["sales_rep"]).post(f"/api/v1/orders/{order.pk}/hand-over/")
    assert made.status_code == 201, made.content
    assert made.json()["number"] == ""
    answer = client_for(users["sales_rep"]).post(f"/orders/{order.pk}/hand-over/")
    assert answer.status_code == 302
    assert ExternalInvoice.objects.count() == 1
    page = client_for(users["sales_rep"]).get(f"/r/orders/{order.pk}/")
    assert b"order-handed-over" in page.content
    reader = api_for(users["read_only"]).post(f"/api/v1/orders/{order.pk}/hand-over/")
    assert reader.status_code in (403, 404)
