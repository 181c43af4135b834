"""Texts both ways, "my team's tickets" and the votes column in a real browser, in Hebrew
(issue 18 items 1–3; decision 0124): a customer's SMS reaches the gateway's webhook and opens a
ticket; an agent answers it from the ticket's card with a canned reply, the SMS parts counted
as he edits, and the outgoing worker hands the gateway (a local HTTP server) exactly one
message; he opens "my team's tickets" from the list's views and finds the ticket there; he
answers "did this help?" on an article and sees the count in the knowledge base's list.

REQ SV-1, SV-7, SV-8, SV-11, IN-3, CX-8.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from kesher.customers.tests.factories import make_account, make_contact
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.gateways import inbound_signature
from kesher.platform.records.services import record_create
from kesher.service.models import Ticket
from kesher.service.services import article_create, canned_reply_create, ticket_update
from kesher.service.tests.factories import make_ticket
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "browser-text-secret-0123"


class _Gateway(BaseHTTPRequestHandler):
    """The SMS provider's HTTP interface: it keeps every message posted to it."""

    received: list = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        _Gateway.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    settings.KESHER_SMS_BACKEND = "kesher.integrations.gateways.HttpBackend"
    settings.KESHER_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.KESHER_SMS_INBOUND_SECRET = SECRET
    settings.KESHER_SMS_INBOUND_AUTH = "hmac"
    yield _Gateway.received
    server.shutdown()


def _customer_texts(text: str, reference: str) -> dict:
    body = json.dumps({"from": "0525551234", "body": text, "id": reference}).encode()
    timestamp = str(int(time.time()))
    answer = APIClient().post(
        "/api/v1/service/inbound-text/sms/",
        body,
        content_type="application/json",
        HTTP_X_KESHER_TIMESTAMP=timestamp,
        HTTP_X_KESHER_SIGNATURE=inbound_signature(SECRET, timestamp, body),
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_an_sms_ticket_answered_from_its_card_my_teams_tickets_and_a_vote(
    users, open_page, log_in, screenshot, gateway
):
    admin, agent = users["admin"], users["support_agent"]
    account = make_account(admin, name="מאפיית השרון")
    make_contact(
        admin,
        first_name="נועה",
        last_name="כהן",
        mobile="052-555-1234",
        account_links=[{"account": account}],
    )
    printers = record_create(
        "service-teams", actor=admin, data={"name_he": "מדפסות"}, m2m={"members": [agent]}
    )
    elsewhere = record_create("service-teams", actor=admin, data={"name_he": "חיובים"})
    canned_reply_create(
        actor=admin,
        data={
            "name": "טכנאי בדרך",
            "body_he": "שלום {{ contact.first_name }}, טכנאי בדרך אליך בעניין {{ number }}.",
        },
    )
    article = article_create(
        actor=admin,
        data={
            "title_he": "איך משחררים נייר תקוע",
            "body_he": "<p>פותחים את המגש האחורי.</p>",
            "status": "published",
        },
    )

    # The customer's SMS opens a ticket, which the dispatcher puts in the printers' queue.
    opened = _customer_texts("המדפסת תקועה, אפשר טכנאי?", "sm-1")
    assert opened["outcome"] == "opened"
    ticket = Ticket.objects.get(pk=opened["ticket"])
    ticket_update(ticket, actor=admin, data={"team": printers})
    other = make_ticket(admin, subject="חשבונית כפולה", team=elsewhere)

    page = open_page()
    log_in(page, agent.username)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"/r/tickets/{ticket.pk}/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#ticket-texts [data-text-direction=in]")).to_have_count(1)
    page.locator("#ticket-text-reply").click()
    form = page.locator("#text-reply-form")
    expect(form).to_be_visible()
    expect(form.locator("#text-reply-to")).to_contain_text("+972525551234")
    page.locator("#text-canned-replies button").first.click()
    expected = f"שלום נועה, טכנאי בדרך אליך בעניין {ticket.number}."
    box = form.locator("textarea")
    expect(box).to_have_value(expected)
    # Counted as it is edited: Hebrew is 70 characters a part, 67 beyond.
    expect(form.locator("#sms-counter")).to_contain_text(f"{len(expected)} תווים · 1 חלקי SMS")
    box.press("End")
    box.press_sequentially(" נגיע עד השעה 14:00 ונעדכן לפני כן בטלפון.")
    expect(form.locator("#sms-counter")).to_contain_text("2 חלקי SMS")
    final = box.input_value()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "ticket-text-reply-he")
    with page.expect_navigation():
        form.locator("#text-reply-send").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#ticket-texts [data-text-direction=out]")).to_have_count(1)
    expect(page.locator("#ticket-texts [data-delivery=queued]")).to_have_count(1)

    # The worker hands the gateway the one message, and a second round sends nothing.
    assert deliver_messages() == 1
    assert deliver_messages() == 0
    assert gateway == [
        {
            "channel": "sms",
            "to": "+972525551234",
            "body": final,
            "reference": str(ticket.texts.get(direction="out").outgoing_id),
        }
    ]
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#ticket-texts [data-delivery=sent]")).to_have_count(1)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    screenshot(page, "ticket-texts-he")

    # "My team's tickets", from the list's views: his queue's ticket, not the other team's.
    page.goto("/r/tickets/")
    page.locator("#saved-views-menu").click()
    with page.expect_navigation():
        page.locator("#builtin-view-my-teams").click()
    expect(page.locator("#saved-views-menu")).to_have_text("הפניות של הצוות שלי")
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text=ticket.number)).to_have_count(1)
    expect(rows.filter(has_text=other.number)).to_have_count(0)
    screenshot(page, "my-teams-tickets-he")

    # "Did this help?" — yes; the knowledge base's list counts it in its column.
    page.goto(f"/r/kb-articles/{article.pk}/")
    with page.expect_navigation():
        page.locator("#kb-vote button[value=yes]").click()
    expect(page.locator("#kb-votes")).to_contain_text("עזר ל-1")
    page.goto("/r/kb-articles/?sort=-helpful_count")
    htmx_settled(page)
    headers = page.locator("table thead th").all_inner_texts()
    column = next(i for i, text in enumerate(headers) if text.strip().startswith("עזר"))
    row = page.locator("table tbody tr", has_text="איך משחררים נייר תקוע")
    expect(row.locator("td").nth(column)).to_have_text("1")
    screenshot(page, "kb-votes-column-he")
