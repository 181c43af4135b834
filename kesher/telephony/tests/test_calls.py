"""Incoming calls (REQ IN-2): the webhook is refused unless its phone system signed it, bad
input is a translated 400 that writes nothing, every call is logged once across its events,
the caller is found by any form of his number or by the ID number he typed, and "no user"
calls are logged too."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from kesher.activities.models import Interaction
from kesher.customers.services import account_create, contact_create
from kesher.sales.services import lead_create
from kesher.telephony.models import Call, PopEvent, WebhookReceipt
from kesher.telephony.tests.factories import (
    SECRET,
    event,
    make_connection,
    make_extension,
    signed_post,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pbx(users):
    return make_connection(users["admin"])


@pytest.fixture
def rep_extension(users, pbx):
    return make_extension(users["admin"], users["sales_rep"], pbx)


@pytest.fixture
def contact(users):
    return contact_create(
        actor=users["sales_rep"],
        data={
            "first_name": "דנה",
            "last_name": "כהן",
            "mobile": "052-555-1234",
            "israeli_id": "000000018",
        },
    )


def _nothing_written():
    return not Call.objects.exists() and not Interaction.objects.exists()


# --- authentication ------------------------------------------------------------------------


def test_a_forged_signature_is_refused_and_writes_nothing(pbx):
    answer = signed_post(Client(), pbx, event(), secret="not-the-secret-of-this-pbx-at-all")
    assert answer.status_code == 403
    assert _nothing_written()


def test_an_unsigned_request_is_refused(pbx):
    answer = Client().post(
        f"/api/v1/telephony/calls/?pbx={pbx.pk}", event(), content_type="application/json"
    )
    assert answer.status_code == 403
    assert _nothing_written()


def test_an_unknown_or_inactive_connection_is_refused_alike(pbx):
    pbx.active = False
    pbx.save(update_fields=["active"])
    assert signed_post(Client(), pbx, event()).status_code == 403
    answer = Client().post(
        "/api/v1/telephony/calls/?pbx=999999", {}, content_type="application/json"
    )
    assert answer.status_code == 403
    assert _nothing_written()


def test_a_stale_timestamp_is_refused(pbx):
    answer = signed_post(Client(), pbx, event(), timestamp=1_000_000_000)
    assert answer.status_code == 403
    assert _nothing_written()


def test_a_replayed_request_is_refused(pbx, rep_extension):
    body = json.dumps(event()).encode()
    stamp = int(time.time())
    assert signed_post(Client(), pbx, None, raw=body, timestamp=stamp).status_code == 200
    # The very same bytes, signature and timestamp again: a replay.
    again = signed_post(Client(), pbx, None, raw=body, timestamp=stamp)
    assert again.status_code == 409
    assert Call.objects.count() == 1
    assert WebhookReceipt.objects.count() == 1


def test_a_shared_secret_connection(users):
    pbx = make_connection(users["admin"], auth="secret", provider="yemot")
    url = f"/api/v1/telephony/calls/?pbx={pbx.pk}"
    form = {
        "ApiCallId": "y-1",
        "ApiPhone": "0525551234",
        "ApiDID": "035550000",
        "ApiExtension": "101",
    }
    assert Client().post(url + "&secret=wrong-wrong-wrong-wrong", form).status_code == 403
    assert _nothing_written()
    answer = Client().post(f"{url}&secret={SECRET}", form)
    assert answer.status_code == 200, answer.content
    call = Call.objects.get()
    assert (call.call_id, call.status, call.caller) == ("y-1", "ringing", "0525551234")
    # Yemot tells of the hang-up with hangup=yes.
    Client().post(f"{url}&secret={SECRET}", {**form, "hangup": "yes", "ApiDuration": "30"})
    call.refresh_from_db()
    assert (call.status, call.duration_seconds) == ("ended", 30)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event": "ringing"}, "call_id"),
        (event(kind="exploded"), "event"),
        (event(direction="sideways"), "direction"),
        (event(duration="long"), "duration"),
        (event(duration=-5), "duration"),
        (event(recording_url="javascript:alert(1)"), "recording_url"),
        (event(call_id={"nested": 1}), "call_id"),
    ],
)
def test_bad_input_is_a_translated_400_and_writes_nothing(pbx, payload, field):
    answer = signed_post(Client(), pbx, payload)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()
    assert any("\u0590" <= ch <= "\u05ff" for ch in json.dumps(answer.json(), ensure_ascii=False))
    assert _nothing_written()


def test_a_body_that_is_no_json_object_is_400(pbx):
    assert signed_post(Client(), pbx, None, raw=b"{not json").status_code == 400
    assert signed_post(Client(), pbx, None, raw=b"[1, 2]").status_code == 400
    assert _nothing_written()


def test_hostile_text_is_kept_as_text(pbx, rep_extension):
    answer = signed_post(Client(), pbx, event(**{"from": "<script>alert(1)</script>"}))
    assert answer.status_code == 200
    interaction = Interaction.objects.get()
    assert "<script>" in interaction.subject  # stored as text; pages escape it


# --- one call, one interaction ---------------------------------------------------------------


def test_ringing_answered_ended_update_one_call_and_one_interaction(
    users, pbx, rep_extension, contact
):
    client = Client()
    assert signed_post(client, pbx, event()).status_code == 200
    assert signed_post(client, pbx, event(kind="answered")).status_code == 200
    ended = event(kind="ended", duration=184, recording_url="https://pbx.example/r/c-1.mp3")
    assert signed_post(client, pbx, ended).status_code == 200
    call = Call.objects.get()
    interaction = Interaction.objects.get()
    assert call.interaction == interaction
    assert (call.status, call.answered, call.duration_seconds) == ("ended", True, 184)
    assert (interaction.link_type, interaction.link_id) == ("contacts", contact.pk)
    assert interaction.owner == users["sales_rep"]
    assert interaction.direction == "in"
    assert interaction.kind.value == "call"
    assert interaction.duration_minutes == 4
    assert "https://pbx.example/r/c-1.mp3" in interaction.body
    assert "3:04" in interaction.body
    assert list(interaction.participant_contacts.all()) == [contact]
    contact.refresh_from_db()
    assert contact.last_contact_at is not None


def test_retries_and_late_events_change_nothing(pbx, rep_extension, contact):
    client = Client()
    signed_post(client, pbx, event(kind="ended", duration=60))
    signed_post(client, pbx, event(kind="ended", duration=999))  # a retry, re-signed
    signed_post(client, pbx, event(kind="answered"))  # overtaken by "ended"
    signed_post(client, pbx, event(kind="ringing"))
    call = Call.objects.get()
    assert (call.status, call.duration_seconds) == ("ended", 60)
    assert Interaction.objects.count() == 1
    assert PopEvent.objects.count() == 0  # an ended call pops nothing


def test_a_missed_call_says_so(pbx, rep_extension, contact):
    signed_post(Client(), pbx, event())
    signed_post(Client(), pbx, event(kind="ended", duration=0))
    interaction = Interaction.objects.get()
    assert interaction.subject.startswith("שיחה שלא נענתה")


def test_a_call_no_user_answered_is_logged_without_a_user(pbx, contact):
    answer = signed_post(Client(), pbx, event(extension="999"))
    assert answer.status_code == 200
    call = Call.objects.get()
    assert call.user is None
    interaction = Interaction.objects.get()
    assert interaction.owner is None
    assert (interaction.link_type, interaction.link_id) == ("contacts", contact.pk)
    assert PopEvent.objects.count() == 0


def test_an_outgoing_call_is_matched_by_the_number_called(users, pbx, rep_extension, contact):
    signed_post(Client(), pbx, event(direction="out", **{"from": "101", "to": "+972525551234"}))
    interaction = Interaction.objects.get()
    assert interaction.direction == "out"
    assert (interaction.link_type, interaction.link_id) == ("contacts", contact.pk)
    assert PopEvent.objects.count() == 0  # one's own outgoing call pops nothing


# --- who is calling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "052-555-1234",
        "0525551234",
        "+972525551234",
        "972525551234",
        "00972525551234",
        "+972 52-555-1234",
    ],
)
def test_the_caller_is_found_by_any_form_of_his_number(pbx, contact, number):
    signed_post(Client(), pbx, event(**{"from": number}))
    assert Call.objects.get().link_id == contact.pk


def test_an_id_number_typed_in_the_ivr_finds_the_caller(users, pbx, contact):
    signed_post(Client(), pbx, event(**{"from": "03-999-9999", "id_number": "18"}))
    call = Call.objects.get()
    assert (call.link_type, call.link_id) == ("contacts", contact.pk)


def test_accounts_and_leads_are_found_too(users, pbx):
    account = account_create(
        actor=users["admin"], data={"name": "אלון בע״מ", "phone": "03-555-7777"}
    )
    lead = lead_create(actor=users["admin"], data={"first_name": "ליד", "mobile": "054-111-2222"})
    signed_post(Client(), pbx, event(call_id="a", **{"from": "035557777"}))
    signed_post(Client(), pbx, event(call_id="b", **{"from": "+972541112222"}))
    found = dict(Call.objects.values_list("call_id", "link_type"))
    assert found == {"a": "accounts", "b": "leads"}
    assert Call.objects.get(call_id="a").link_id == account.pk
    assert Call.objects.get(call_id="b").link_id == lead.pk


def test_a_withheld_number_is_logged_as_such(pbx, rep_extension):
    signed_post(Client(), pbx, event(**{"from": "anonymous"}))
    interaction = Interaction.objects.get()
    assert interaction.link_type == ""
    assert interaction.subject


def test_the_webhook_is_in_the_openapi_schema(api_schema):
    schema = api_schema()
    operation = schema["paths"]["/api/v1/telephony/calls/"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["examples"]
