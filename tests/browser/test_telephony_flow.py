"""Telephony in a real browser (issue 22 item 3; REQ IN-2): a rep has Kesher open; the phone
system's webhook says a customer is calling his extension; the customer's card pops on the
open page (Hebrew), opens, and the call is on the customer's timeline — with its recording
once it ends. In English, an unknown caller pops with "new lead" and the lead form comes
filled with his number.

The event stream is served as ``serve`` serves it — by a server of its own on another port,
read cross-origin with the session's cookie — here a threaded development server in this
process, so the pop published on the webhook's commit reaches it in process.
"""

from __future__ import annotations

import json
import time

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from playwright.sync_api import expect

from kesher.activities.models import Interaction
from kesher.customers.services import contact_create
from kesher.telephony.adapters import sign
from kesher.telephony.hub import hub
from kesher.telephony.tests.factories import SECRET, make_connection, make_extension

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _StreamServer(LiveServerThread):
    server_class = ThreadedWSGIServer


@pytest.fixture
def stream_server(settings):
    # Its own database connection (not the live server's): it reads only the session.
    server = _StreamServer("localhost", _StaticFilesHandler, connections_override=None)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    settings.KESHER_TELEPHONY_STREAM_URL = f"http://localhost:{server.port}/telephony/stream/"
    # One process here: pops are delivered in process on the webhook's commit, not polled.
    settings.KESHER_TELEPHONY_POLL_SECONDS = 0
    yield server
    server.terminate()
    hub.stop()


def _webhook(connection, **fields):
    payload = {
        "call_id": "call-1",
        "event": "ringing",
        "from": "052-555-1234",
        "to": "03-555-0000",
        "extension": "101",
        "direction": "in",
    } | fields
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    answer = Client().post(
        f"/api/v1/telephony/calls/?pbx={connection.pk}",
        data=body,
        content_type="application/json",
        HTTP_X_KESHER_TIMESTAMP=stamp,
        HTTP_X_KESHER_SIGNATURE=sign(SECRET, stamp, body),
    )
    assert answer.status_code == 200, answer.content


def test_a_call_pops_the_card_and_lands_on_the_timeline(
    users, open_page, log_in, screenshot, stream_server
):
    rep = users["sales_rep"]
    pbx = make_connection(users["admin"])
    make_extension(users["admin"], rep, pbx, "101")
    contact = contact_create(
        actor=rep, data={"first_name": "דנה", "last_name": "כהן", "mobile": "052-555-1234"}
    )
    page = open_page()
    log_in(page, rep.username)
    pop = page.locator("#telephony-pop")
    expect(pop).to_have_attribute("data-listening", "1")
    expect(pop).to_be_hidden()

    _webhook(pbx)
    expect(pop).to_be_visible()
    expect(pop.locator("[data-pop=title]")).to_have_text("דנה כהן")
    expect(pop.locator("[data-pop=number]")).to_have_text("052-555-1234")
    screenshot(page, "telephony-pop-he")

    pop.get_by_role("link", name="פתיחת הכרטיס").click()
    page.wait_for_url(f"**/r/contacts/{contact.pk}/")
    # The number on the card dials (tel:), and the call is on the timeline.
    expect(page.locator('a.kesher-dial[href="tel:+972525551234"]').first).to_be_visible()
    expect(page.get_by_text("שיחה מהמספר 052-555-1234").first).to_be_visible()

    _webhook(pbx, event="answered")
    _webhook(pbx, event="ended", duration=95, recording_url="https://pbx.example/r/call-1.mp3")
    page.reload()
    expect(page.get_by_text("שיחה מהמספר 052-555-1234").first).to_be_visible()
    screenshot(page, "telephony-timeline-he")
    # One interaction for the three events, with the recording and the length.
    (interaction,) = Interaction.objects.filter(link_type="contacts", link_id=contact.pk)
    page.goto(f"/r/interactions/{interaction.pk}/")
    expect(page.get_by_text("https://pbx.example/r/call-1.mp3").first).to_be_visible()
    expect(page.get_by_text("משך: 1:35").first).to_be_visible()
    screenshot(page, "telephony-call-he")


def test_an_unknown_caller_pops_with_a_new_lead_in_english(
    users, open_page, log_in, screenshot, stream_server
):
    rep = users["sales_rep"]
    rep.language = "en"
    rep.save(update_fields=["language"])
    pbx = make_connection(users["admin"])
    make_extension(users["admin"], rep, pbx, "101")
    page = open_page(language="en-US")
    log_in(page, rep.username)
    pop = page.locator("#telephony-pop")
    expect(pop).to_have_attribute("data-listening", "1")

    _webhook(pbx, **{"from": "054-777-8888"})
    expect(pop.locator("[data-pop-unknown]")).to_be_visible()
    expect(pop.locator("[data-pop-card]")).to_be_hidden()
    screenshot(page, "telephony-pop-unknown-en")
    pop.get_by_role("link", name="New lead with this number").click()
    page.wait_for_url("**/r/leads/new/**")
    expect(page.locator("input[name=phone]")).to_have_value("+972547778888")
