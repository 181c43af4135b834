"""SMS and WhatsApp into tickets (issue 18 item 1; decision 0094): the gateway's webhook,
checked by its signature or secret, matches the sender's number to a contact and continues his
open ticket or opens one; a text counts once; nothing is received in the practice
environment."""

from __future__ import annotations

import json
import time

import pytest

from kesher.activities.models import Interaction
from kesher.customers.tests.factories import make_account, make_contact
from kesher.integrations.gateways import inbound_signature
from kesher.service.models import Ticket, TicketText
from kesher.service.services import ticket_merge, ticket_update
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db

SECRET = "text-secret-0123456789"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.KESHER_SMS_INBOUND_SECRET = SECRET
    settings.KESHER_SMS_INBOUND_AUTH = "hmac"


@pytest.fixture
def customer(users):
    admin = users["admin"]
    account = make_account(admin, name="מאפיית השרון")
    contact = make_contact(
        admin,
        first_name="נועה",
        last_name="כהן",
        mobile="052-555-1234",
        account_links=[{"account": account}],
    )
    return contact, account


def _post(api_for, payload, channel="sms", *, sign=True, language="he", when=None, **extra):
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {}
    if sign:
        timestamp = str(int(when if when is not None else time.time()))
        headers = {
            "HTTP_X_KESHER_TIMESTAMP": timestamp,
            "HTTP_X_KESHER_SIGNATURE": inbound_signature(SECRET, timestamp, body),
        }
    return api_for(None, language).post(
        f"/api/v1/service/inbound-text/{channel}/{extra.get('query', '')}",
        body,
        content_type="application/json",
        **headers,
    )


def test_a_customers_texts_open_a_ticket_then_continue_it(users, api_for, customer):
    contact, account = customer
    first = _post(api_for, {"from": "972525551234", "body": "המדפסת תקועה", "id": "m1"})
    assert first.status_code == 200, first.content
    assert first.json()["outcome"] == "opened"
    ticket = Ticket.objects.get(pk=first.json()["ticket"])
    assert (ticket.contact, ticket.account) == (contact, account)
    assert ticket.channel.value == "sms_whatsapp"
    assert ticket.subject == "המדפסת תקועה"
    assert ticket.sla_clocks.exists()  # a ticket like any other: its clocks run

    # He waits for the customer; the customer's WhatsApp answer continues it and moves it on.
    agent = users["support_agent"]
    ticket = ticket_update(
        ticket, actor=agent, data={"status": choice("ticket_status", "waiting_customer")}
    )
    second = _post(
        api_for, {"from": "+972-52-555-1234", "text": "עדיין תקועה", "id": "w7"}, "whatsapp"
    )
    assert second.json() == {
        "outcome": "threaded",
        "ticket": ticket.pk,
        "number": ticket.number,
        "duplicate": False,
    }
    ticket.refresh_from_db()
    assert ticket.status.value == "in_progress"
    texts = Interaction.objects.filter(link_type="tickets", link_id=ticket.pk).order_by("pk")
    assert [(i.kind.value, i.direction, i.body) for i in texts] == [
        ("sms", "in", "המדפסת תקועה"),
        ("whatsapp", "in", "עדיין תקועה"),
    ]
    assert list(texts[0].participant_contacts.all()) == [contact]

    # The gateway delivers the same text again: nothing new.
    again = _post(api_for, {"from": "0525551234", "body": "עדיין תקועה", "id": "w7"}, "whatsapp")
    assert again.json()["duplicate"] is True
    assert TicketText.objects.count() == 2
    assert Interaction.objects.filter(link_type="tickets", link_id=ticket.pk).count() == 2


def test_an_unknown_number_opens_a_ticket_its_next_text_continues(api_for):
    opened = _post(api_for, {"from": "054-777-8888", "body": "שלום, יש לי שאלה", "id": "u1"})
    ticket = Ticket.objects.get(pk=opened.json()["ticket"])
    assert ticket.contact is None
    follow = _post(api_for, {"from": "0547778888", "body": "על החשבונית", "id": "u2"})
    assert follow.json()["outcome"] == "threaded"
    assert follow.json()["ticket"] == ticket.pk
    assert TicketText.objects.get(reference="u2").sender == "+972547778888"


def test_a_resolved_ticket_is_not_continued(users, api_for, customer):
    contact, _account = customer
    old = make_ticket(users["support_agent"], contact=contact, subject="ישנה")
    ticket_update(
        old,
        actor=users["support_agent"],
        data={"status": choice("ticket_status", "closed"), "resolution": "טופל"},
    )
    answer = _post(api_for, {"from": "0525551234", "body": "בעיה חדשה", "id": "n1"})
    assert answer.json()["outcome"] == "opened"
    assert answer.json()["ticket"] != old.pk


def test_merging_moves_the_texts(users, api_for, customer):
    first = _post(api_for, {"from": "0525551234", "body": "א", "id": "g1"}).json()["ticket"]
    into = make_ticket(users["support_agent"], subject="העיקרית")
    ticket_merge(Ticket.objects.get(pk=first), into=into, actor=users["support_agent"])
    assert TicketText.objects.get(reference="g1").ticket == into


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong signature", "stale", "no secret set"],
)
def test_a_request_not_the_gateways_is_refused_with_nothing_written(api_for, settings, how):
    payload = {"from": "0525551234", "body": "שלום", "id": "x1"}
    if how == "unsigned":
        answer = _post(api_for, payload, sign=False)
    elif how == "wrong signature":
        answer = api_for(None).post(
            "/api/v1/service/inbound-text/sms/",
            json.dumps(payload),
            content_type="application/json",
            HTTP_X_KESHER_TIMESTAMP=str(int(time.time())),
            HTTP_X_KESHER_SIGNATURE="sha256=" + "0" * 64,
        )
    elif how == "stale":
        answer = _post(api_for, payload, when=time.time() - 3600)
    else:
        settings.KESHER_SMS_INBOUND_SECRET = ""
        answer = _post(api_for, payload)
    assert answer.status_code == 403
    assert not TicketText.objects.exists()
    assert not Ticket.objects.exists()


def test_a_shared_secret_for_gateways_that_cannot_sign(api_for, settings):
    settings.KESHER_SMS_INBOUND_AUTH = "secret"
    payload = {"from": "0525551234", "body": "שלום", "id": "s1"}
    assert _post(api_for, payload, sign=False, query="?secret=wrong").status_code == 403
    answer = api_for(None).post(
        "/api/v1/service/inbound-text/sms/",
        "from=0525551234&body=%D7%A9%D7%9C%D7%95%D7%9D&id=s1",
        content_type="application/x-www-form-urlencoded",
        HTTP_X_KESHER_SECRET=SECRET,
    )
    assert answer.status_code == 200, answer.content
    assert Ticket.objects.get(pk=answer.json()["ticket"]).description == "שלום"


def test_a_text_without_sender_body_or_id_is_refused_in_the_callers_language(api_for):
    answer = _post(api_for, {"from": "", "body": "", "id": ""}, language="en")
    assert answer.status_code == 400
    assert answer.json()["from"] == ["The sender's number is missing."]
    hebrew = _post(api_for, {"from": "0525551234", "body": "שלום"})
    assert hebrew.status_code == 400
    assert "מזהה ההודעה" in hebrew.json()["id"][0]
    assert _post(api_for, {"from": "0525551234", "body": "x", "id": "1"}, "fax").status_code == 404
    assert not TicketText.objects.exists()


def test_nothing_is_received_in_the_practice_environment(api_for, settings):
    settings.KESHER_PRACTICE = True
    answer = _post(api_for, {"from": "0525551234", "body": "שלום", "id": "p1"})
    assert answer.json()["outcome"] == "suppressed"
    assert answer.json()["ticket"] is None
    assert not Ticket.objects.exists()
    assert TicketText.objects.get().outcome == "suppressed"
