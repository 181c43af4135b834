"""Click-to-dial (REQ IN-2): every phone number a page shows is a tel: link (one display
helper), and a user whose extension dials through the phone system has it call through the
PBX's originate API — never from the practice environment."""

from __future__ import annotations

import json

import pytest

from kesher.customers.services import contact_create
from kesher.integrations import webhooks
from kesher.integrations.webhooks import Attempt
from kesher.platform.ui.display import PhoneText, field_display
from kesher.telephony.tests.factories import SECRET, make_connection, make_extension

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    calls = []

    def post(**kwargs):
        calls.append(kwargs)
        return Attempt(True, 200, "")

    monkeypatch.setattr(webhooks, "post", post)
    return calls


@pytest.fixture
def dialing_rep(users):
    pbx = make_connection(users["admin"], originate_url="https://pbx.example/originate")
    make_extension(users["admin"], users["sales_rep"], pbx, "101", dial_through_pbx=True)
    return users["sales_rep"]


def test_a_phone_is_shown_as_a_tel_link_and_read_as_text(users):
    contact = contact_create(
        actor=users["admin"], data={"first_name": "דנה", "mobile": "052-555-1234"}
    )
    shown = field_display(contact, "mobile")
    assert isinstance(shown, PhoneText)
    assert str(shown) == "052-555-1234"  # exports, merge fields: text
    assert shown.__html__() == (
        '<a href="tel:+972525551234" class="kesher-dial" data-dial="+972525551234" dir="ltr">'
        "<bdi>052-555-1234</bdi></a>"
    )


def test_list_and_record_pages_link_every_phone(users, client_for):
    contact = contact_create(
        actor=users["admin"],
        data={"first_name": "דנה", "phone": "03-555-1234", "mobile": "052-555-1234"},
    )
    client = client_for(users["admin"])
    detail = client.get(f"/r/contacts/{contact.pk}/").content.decode()
    assert 'href="tel:+97235551234"' in detail
    assert 'href="tel:+972525551234"' in detail
    listing = client.get("/r/contacts/?columns=first_name,phone,mobile").content.decode()
    assert 'href="tel:+972525551234"' in listing or 'href="tel:+97235551234"' in listing


def test_dial_through_the_pbx_sends_one_signed_request(dialing_rep, client_for, sent):
    answer = client_for(dialing_rep).post("/telephony/dial/", {"number": "052-555-1234"})
    assert answer.json() == {"status": "sent", "detail": ""}
    (request,) = sent
    assert request["url"] == "https://pbx.example/originate"
    assert request["secret"] == SECRET
    assert json.loads(request["body"]) == {
        "extension": "101",
        "to": "+972525551234",
        "user": dialing_rep.get_username(),
    }


def test_the_practice_environment_dials_no_one(dialing_rep, client_for, sent, settings):
    settings.KESHER_PRACTICE = True
    answer = client_for(dialing_rep).post("/telephony/dial/", {"number": "052-555-1234"})
    assert answer.json()["status"] == "suppressed"
    assert sent == []


def test_dial_api_in_practice_is_suppressed_too(dialing_rep, api_for, sent, settings):
    settings.KESHER_PRACTICE = True
    answer = api_for(dialing_rep).post("/api/v1/telephony/dial/", {"number": "0525551234"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "suppressed"
    assert sent == []


def test_without_an_extension_that_dials_it_is_a_translated_400(users, api_for, sent):
    answer = api_for(users["sales_rep"]).post("/api/v1/telephony/dial/", {"number": "0525551234"})
    assert answer.status_code == 400
    assert "number" in answer.json()
    assert sent == []


def test_a_bad_number_is_400(dialing_rep, api_for, sent):
    answer = api_for(dialing_rep).post("/api/v1/telephony/dial/", {"number": "not a phone"})
    assert answer.status_code == 400
    assert sent == []


def test_a_pbx_that_does_not_answer_is_a_502(dialing_rep, api_for, monkeypatch):
    monkeypatch.setattr(webhooks, "post", lambda **kw: Attempt(False, None, "timed out"))
    answer = api_for(dialing_rep).post("/api/v1/telephony/dial/", {"number": "0525551234"})
    assert answer.status_code == 502
    assert answer.json()["status"] == "failed"


def test_the_page_of_a_dialing_user_carries_the_dial_address(dialing_rep, client_for):
    page = client_for(dialing_rep).get("/").content.decode()
    assert 'data-dial-url="/telephony/dial/"' in page
    assert "telephony/telephony.js" in page


def test_a_short_secret_is_refused(users):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        make_connection(users["admin"], secret="short")
    assert "secret" in error.value.message_dict
