"""Contact sync set up in a real browser (issue 22 item 2; decision 0123): a rep, in Hebrew
(right to left), fills the address-book part of "my calendar connection" with the local Radicale
server's address and his user name, tests it, connects; the worker's tick sends his customer's
contact, and the page shows the last sync and one contact in the address book."""

from __future__ import annotations

import re

import pytest
from caldav import DAVClient
from playwright.sync_api import expect

from kesher.calsync.services import sync_due
from kesher.calsync.tests.server import CalDavServer
from kesher.customers.services import account_create, contact_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_connects_his_address_book_in_hebrew(users, open_page, log_in, screenshot):
    rep = users["sales_rep"]
    server = CalDavServer({"rep": "pw-cards-1"})
    try:
        # The phone's address book, made as a phone's app would (an extended MKCOL).
        DAVClient(url=server.url, username="rep", password="pw-cards-1").request(
            f"{server.url}rep/contacts/",
            "MKCOL",
            '<?xml version="1.0" encoding="utf-8"?><d:mkcol xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype>'
            "<d:collection/><c:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>",
            {"Content-Type": "application/xml"},
        )
        account = account_create(actor=rep, data={"name": "אקמה בע״מ", "owner": rep})
        contact_create(
            actor=rep,
            data={"first_name": "דנה", "last_name": "כהן", "mobile": "052-5551234"},
            account_links=[{"account": account, "role": "", "is_primary": True}],
        )
        page = open_page()
        log_in(page, rep.username)
        page.goto("/calsync/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        expect(page.locator("#contacts-part")).to_have_text("פנקס הכתובות שלי")
        page.locator("#id_cards-url").fill(server.url)
        page.locator("#id_cards-username").fill("rep")
        page.locator("#id_cards-password").fill("pw-cards-1")
        page.locator("#cards-test").click()
        expect(page.locator(".alert-success")).to_contain_text(server.url + "rep/")
        page.locator("#id_cards-password").fill("pw-cards-1")
        page.locator("#cards-save").click()
        page.wait_for_url(re.compile(r"/calsync/$"))
        expect(page.locator("#cards-status")).to_contain_text("עדיין לא")
        assert sync_due() >= 1
        page.reload()
        status = page.locator("#cards-status")
        expect(status).to_contain_text("1 נשלחו")
        expect(page.locator("#cards-last-sync")).not_to_contain_text("עדיין לא")
        screenshot(page, "contact-sync-he")
    finally:
        server.close()
