"""E-mail bounces (REQ MK-2; decision 0120): the provider's signed report recorded once per
message id, tied to the recipient and the person; a hard bounce or a complaint — or the
administrator's number of soft ones — stops every later e-mail send to the address, when the
audience is written and again when the worker claims it; shown on the campaign's and the
person's pages and in the API; nothing received in the practice environment."""

import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesher.marketing.bounces import soft_limit, stopped_addresses
from kesher.marketing.models import EmailBounce, Recipient
from kesher.marketing.sending import deliver_batch
from kesher.marketing.services import send_queue
from kesher.marketing.tests.conftest import make_contacts
from kesher.marketing.tests.test_sending import assert_adds_up, make_send
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create

pytestmark = pytest.mark.django_db

SECRET = "bounce-secret"
URL = "/api/v1/bounce-reports/"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.KESHER_BOUNCE_WEBHOOK_SECRET = SECRET


def report(client, payload, *, secret=SECRET, signature=None):
    body = json.dumps(payload).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        URL, body, content_type="application/json", HTTP_X_KESHER_SIGNATURE=signature
    )


def bounce(address, kind="hard", reference=None, **extra):
    return {
        "address": address,
        "kind": kind,
        "reference": reference or f"{kind}-{address}-{EmailBounce.objects.count()}",
        "reason": "550 5.1.1 user unknown",
        **extra,
    }


def test_a_forged_or_unsigned_report_is_refused_and_nothing_written(client, settings):
    payload = bounce("p@example.co.il")
    assert report(client, payload, signature="").status_code == 403
    assert report(client, payload, secret="someone else").status_code == 403
    assert report(client, payload, signature="sha256=" + "0" * 64).status_code == 403
    settings.KESHER_BOUNCE_WEBHOOK_SECRET = ""  # no secret set: refused whatever the signature
    assert report(client, payload, secret="").status_code == 403
    assert not EmailBounce.objects.exists()


def test_bad_reports_are_refused_with_the_field(client):
    for payload, field in (
        (bounce("not an address"), "address"),
        (bounce("p@example.co.il", kind="bored"), "kind"),
        ({**bounce("p@example.co.il"), "reference": ""}, "reference"),
        (bounce("p@example.co.il", recipient="x; drop"), "recipient"),
    ):
        answer = report(client, payload)
        assert answer.status_code == 400
        assert field in answer.json()
    assert report(client, ["a list"]).status_code == 400
    assert not EmailBounce.objects.exists()


def test_a_hard_bounce_is_tied_to_its_recipient_and_recorded_once(marketing, client):
    manager = marketing["manager"]
    people = make_contacts(manager, 2)
    send = send_queue(make_send(marketing), actor=manager)
    deliver_batch()
    row = Recipient.objects.get(send=send, contact=people[0])
    payload = bounce(people[0].email.upper(), reference="ses-1", recipient=row.pk)
    first = report(client, payload)
    assert first.status_code == 200
    assert first.json() == {"id": first.json()["id"], "status": "recorded", "duplicate": False}
    again = report(client, payload)
    assert again.json() == {**first.json(), "duplicate": True}
    only = EmailBounce.objects.get()
    assert (only.address, only.kind, only.reason) == (people[0].email, "hard", payload["reason"])
    assert (only.recipient, only.campaign, only.contact) == (row, marketing["campaign"], people[0])


def test_a_report_without_a_recipient_finds_the_people_by_address(marketing, client):
    manager = marketing["manager"]
    person = make_contacts(manager, 1)[0]
    lead = record_create("leads", actor=manager, data={"last_name": "לוי", "email": person.email})
    # A recipient number Kesher does not know is not taken.
    answer = report(client, bounce(person.email, kind="complaint", recipient=999999))
    assert answer.status_code == 200
    row = EmailBounce.objects.get()
    assert (row.contact, row.lead, row.recipient, row.campaign) == (person, lead, None, None)


def test_a_hard_bounce_stops_the_next_send_to_the_address(marketing, client):
    manager = marketing["manager"]
    people = make_contacts(manager, 3)
    report(client, bounce(people[1].email))
    send = send_queue(make_send(marketing), actor=manager)
    counts = assert_adds_up(send)
    assert (counts["pending"], counts["bounced"]) == (2, 1)
    assert Recipient.objects.get(send=send, status="bounced").contact == people[1]
    assert deliver_batch() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([people[0].email, people[2].email])


def test_a_bounce_while_the_send_runs_stops_the_message_not_yet_sent(marketing, client):
    manager = marketing["manager"]
    people = make_contacts(manager, 3)
    send = send_queue(make_send(marketing), actor=manager)
    assert deliver_batch(limit=1) == 1
    report(client, bounce(people[2].email, kind="complaint"))
    assert deliver_batch() == 1
    counts = assert_adds_up(send)
    assert (counts["sent"], counts["bounced"]) == (2, 1)
    assert [m.to for m in mail.outbox] == [[people[0].email], [people[1].email]]


def test_soft_bounces_stop_the_address_at_the_administrators_number(marketing, client):
    manager = marketing["manager"]
    address = make_contacts(manager, 1)[0].email
    assert soft_limit() == 3  # the default the migration wrote
    for n in range(2):
        report(client, bounce(address, kind="soft", reference=f"soft-{n}"))
    assert stopped_addresses([address]) == set()
    Choice.objects.filter(list_key="bounce_soft_limit").update(value="2")
    assert stopped_addresses([address.upper()]) == {address}
    send = send_queue(make_send(marketing), actor=manager)
    assert assert_adds_up(send)["bounced"] == 1


def test_nothing_is_received_in_the_practice_environment(marketing, client, settings):
    settings.KESHER_PRACTICE = True
    manager = marketing["manager"]
    person = make_contacts(manager, 1)[0]
    answer = report(client, bounce(person.email, reference="p-1"))
    assert answer.json()["status"] == "suppressed"
    assert report(client, bounce(person.email, reference="p-1")).json()["duplicate"] is True
    row = EmailBounce.objects.get()
    assert row.contact is None
    assert stopped_addresses([person.email]) == set()


def test_checking_the_audience_costs_the_same_queries_for_ten_or_forty(marketing, client):
    manager = marketing["manager"]
    people = make_contacts(manager, 10)
    for p in people[:5]:
        report(client, bounce(p.email))
    with CaptureQueriesContext(connection) as small:
        send_queue(make_send(marketing), actor=manager)
    more = make_contacts(manager, 30)
    for p in more[:20]:
        report(client, bounce(p.email))
    with CaptureQueriesContext(connection) as large:
        send = send_queue(make_send(marketing, name="שני"), actor=manager)
    assert len(large) == len(small)
    assert assert_adds_up(send)["bounced"] == 25


def test_the_campaign_and_the_person_pages_and_the_api_show_the_bounce(
    marketing, client, client_for, api_for
):
    manager = marketing["manager"]
    person = make_contacts(manager, 1)[0]
    send = send_queue(make_send(marketing), actor=manager)
    deliver_batch()
    row = Recipient.objects.get(send=send)
    report(client, bounce(person.email, reason="550 mailbox unavailable", recipient=row.pk))
    report(client, bounce(person.email, kind="soft", recipient=row.pk, reference="s-1"))
    page = client_for(manager).get(
        reverse("entity_detail", args=["campaigns", marketing["campaign"].pk])
    )
    html = page.content.decode()
    assert 'id="campaign-bounces"' in html
    assert 'data-kind="hard">1<' in html
    assert 'data-kind="soft">1<' in html
    contact_page = (
        client_for(manager)
        .get(reverse("entity_detail", args=["contacts", person.pk]))
        .content.decode()
    )
    assert "550 mailbox unavailable" in contact_page
    listed = (
        api_for(manager)
        .get("/api/v1/email-bounces/", {"contact": person.pk, "kind": "hard"})
        .json()
    )
    assert [r["reason"] for r in listed["results"]] == ["550 mailbox unavailable"]
