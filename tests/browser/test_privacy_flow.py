"""The privacy officer answering a person's request end to end in a real browser (issue 25,
"How it will be checked"; REQ OR-8): he records a request to delete, reads everything Kesher
holds about the person, anonymizes him — his ticket keeps its place without his name — and
reads in the access log who looked at the person, in Hebrew and in English; a correction
request lists who received the person's data (decision 0098)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import make_user
from kesher.customers.tests.factories import make_contact
from kesher.org.models import User
from kesher.privacy.models import AccessEntry, SubjectRequest
from kesher.service.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(users):
    yael = make_contact(
        users["admin"], first_name="יעל", last_name="מזרחי", email="yael.m@example.co.il"
    )
    make_ticket(users["admin"], contact=yael, subject="החזר כספי ליעל מזרחי")
    # A representative read her record a while ago.
    AccessEntry.objects.create(
        user=users["sales_rep"], action="read", entity="contacts", record_id=yael.pk
    )
    return yael


def test_the_privacy_officer_answers_a_request_to_delete(
    users, person, open_page, log_in, screenshot
):
    officer = make_user("privacy1", "privacy_officer")
    page = open_page()
    log_in(page, officer.username)

    # The request, with the person chosen by the picker; due 30 days after it arrived.
    page.goto("/r/privacy-requests/new/")
    page.locator("#id_contact-search").press_sequentially("מזרחי")
    page.locator(f".picker-options [data-pick='{person.pk}']").click()
    page.locator("#id_kind").select_option("deletion")
    page.locator("#save-record").click()
    page.wait_for_url(re.compile(r"/r/privacy-requests/\d+/$"))
    request = SubjectRequest.objects.get()
    assert (request.due_on - request.received_on).days == 30

    # Everything about her: her record and her ticket, with the files to hand over.
    page.locator("#request-data").click()
    expect(page.locator("main")).to_contain_text("yael.m@example.co.il")
    expect(page.locator("main")).to_contain_text("החזר כספי ליעל מזרחי")
    screenshot(page, "privacy-request-data-he")
    page.go_back()

    # Erased, after the confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#request-anonymize").click()
    expect(page.locator("#request-outcome")).to_be_visible()
    expect(page.locator("#request-outcome")).to_contain_text("פניות: 1")  # the kind's name
    expect(page.locator("#request-anonymize")).to_have_count(0)
    screenshot(page, "privacy-request-anonymized-he")
    page.goto(f"/r/contacts/{person.pk}/")
    expect(page.locator("#record-title")).to_contain_text("הותמם")
    expect(page.locator("main")).not_to_contain_text("מזרחי")

    # The access log: who read her, the officer's own export among them.
    page.goto(f"/privacy/access-log/?entity=contacts&record={person.pk}")
    log = page.locator("#access-log")
    expect(log.locator("tr[data-action=read]").first).to_be_visible()
    expect(log).to_contain_text(str(users["sales_rep"]))
    expect(log).to_contain_text("צפה ברשומה")
    screenshot(page, "privacy-access-log-he")

    User.objects.filter(pk=officer.pk).update(language="en")
    page.goto(f"/privacy/access-log/?entity=contacts&record={person.pk}")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#access-log")).to_contain_text("read a record")
    screenshot(page, "privacy-access-log-en")


def test_a_correction_request_lists_who_received_the_data(users, person, open_page, log_in):
    officer = make_user("privacy1", "privacy_officer")
    AccessEntry.objects.create(user=users["manager"], action="export", entity="contacts")
    request = SubjectRequest.objects.create(contact=person, kind="correction")
    page = open_page()
    log_in(page, officer.username)
    page.goto(f"/r/privacy-requests/{request.pk}/")
    recipients = page.locator("#request-recipients")
    expect(recipients).to_contain_text(str(users["manager"]))
    expect(recipients).to_contain_text("ייצא רשימת אנשי קשר")
    # Nothing of hers was corrected yet: passing it on says so, and tells nobody.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#request-pass-on").click()
    expect(page.locator(".alert-danger").first).to_contain_text("לא תוקן")
    assert SubjectRequest.objects.get(pk=request.pk).outcome == {}
