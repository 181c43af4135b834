"""Duplicates in a real browser (issue 6 item 4; REQ IM-3): creating a contact that duplicates
an existing one shows the warning, the scan fills the review queue, the merge wizard merges the
two, and the merged record keeps both records' links and history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kesher.customers.models import Account, Contact, ContactAccount
from kesher.customers.services import account_create, contact_create, contact_link_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warning_scan_and_merge(users, open_page, log_in, screenshot):
    admin = users["admin"]
    account = account_create(actor=admin, data={"name": 'אלפא מערכות בע"מ'})
    existing = contact_create(
        actor=admin,
        data={"first_name": "דנה", "last_name": "כהן", "phone": "0525551234", "city": "חיפה"},
        account_links=[{"account": account, "role": "מנכ״לית"}],
    )
    page = open_page()
    log_in(page, admin.username)

    # The create form warns and names the existing contact; "create anyway" goes through.
    page.goto("/r/contacts/new/")
    page.locator("#id_first_name").fill("דָּנָה")
    page.locator("#id_last_name").fill("כֹּהֵן")
    page.locator("#id_email").fill("dana@example.co.il")
    page.locator("#id_phone").fill("052-555-1234")
    page.locator("#save-record").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_be_visible()
    expect(warning.locator(f"a[href='/r/contacts/{existing.pk}/']")).to_have_count(1)
    screenshot(page, "duplicate-warning-he")
    page.locator("#create-anyway").check()
    page.locator("#save-record").click()
    page.wait_for_url(re.compile(r"/r/contacts/\d+/$"))
    second = Contact.objects.exclude(pk=existing.pk).get()
    other = account_create(actor=admin, data={"name": "בטא"})
    contact_link_account(second, actor=admin, account=other, role="יועצת")

    # The scan fills the review queue.
    page.goto("/r/contacts/")
    page.locator("#duplicates-link").click()
    page.locator("#start-scan").click()
    row = page.locator("#duplicate-pairs tbody tr[data-pair]")
    expect(row).to_have_count(1)
    screenshot(page, "duplicates-queue-he")

    # The wizard: keep the older record, take the newer one's email (default: it is empty).
    row.locator(".merge-pair").click()
    expect(page.locator("#merge-fields")).to_be_visible()
    screenshot(page, "merge-wizard-he")
    page.locator("#merge-submit").click()
    page.wait_for_url(re.compile(rf"/r/contacts/{existing.pk}/$"))
    expect(page.locator("#timeline")).to_contain_text(f"#{second.pk}")
    screenshot(page, "merged-contact-he")

    merged = Contact.objects.get()
    assert merged.pk == existing.pk
    assert merged.email == "dana@example.co.il"
    assert set(ContactAccount.objects.filter(contact=merged).values_list("account", flat=True)) == {
        account.pk,
        other.pk,
    }
    assert Account.objects.count() == 2
