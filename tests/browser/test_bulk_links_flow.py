"""Bulk "add a link" in a real browser, in Hebrew (issue 14 item 2; REQ IM-4, OR-3, OR-7): a
sales rep searches her interactions, and adds a contact as a participant to every matching one,
choosing the contact with the search-as-you-type picker inside the bulk form. The interactions
outside her search are left alone, and a participant she may not see stays linked, unnamed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.activities.models import Interaction
from kesher.activities.tests.factories import make_interaction
from kesher.customers.tests.factories import make_account, make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_adds_a_participant_to_the_interactions_she_found(users, open_page, log_in, screenshot):
    rep, colleague = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep, name="גלבוע מערכות", owner=rep)
    dana = make_contact(rep, first_name="דנה", last_name="לוי", owner=rep)
    hidden = make_contact(colleague, first_name="אבי", last_name="כהן", owner=colleague)
    found = [
        make_interaction(
            users["admin"],
            account,
            owner=rep,
            subject=f"פגישת היכרות {n}",
            m2m={"participant_contacts": [hidden]},
        )
        for n in (1, 2)
    ]
    other = make_interaction(rep, account, owner=rep, subject="שיחת מעקב")

    page = open_page()
    log_in(page, rep.username)
    page.goto("/r/interactions/?q=היכרות")
    expect(page.locator("#record-table tbody tr")).to_have_count(2)
    page.locator("#bulk-open").click()
    form = page.locator("#bulk-form")
    expect(form.locator("#bulk-count")).to_contain_text("2")
    page.wait_for_timeout(100)  # let htmx settle the opened form before its choices are made

    def after_swap(action) -> None:
        page.evaluate("document.getElementById('bulk-form').dataset.stale = '1'")
        action()
        expect(page.locator("#bulk-form:not([data-stale])")).to_have_count(1)
        page.wait_for_timeout(100)  # let htmx settle the new form before it is used

    after_swap(lambda: form.locator("select[name=action]").select_option("add_link"))
    after_swap(lambda: form.locator("select[name=field]").select_option("participant_contacts"))
    expect(form.locator("label[for=bulk-value-search]")).to_have_text("איש קשר")
    form.locator("#bulk-value-search").press_sequentially("דנה")
    suggestion = form.locator(f".picker-options [data-pick='{dana.pk}']")
    expect(suggestion).to_be_visible()
    expect(form.locator(".picker-options")).not_to_contain_text("אבי")  # not hers to pick
    suggestion.click()
    expect(form.locator("#bulk-value")).to_have_value(str(dana.pk))
    screenshot(page, "bulk-link-he")
    form.locator("#bulk-submit").click()

    expect(page.locator("#bulk-updated")).to_have_text("2 רשומות שויכו אל דנה לוי")
    for interaction in found:
        assert set(Interaction.objects.get(pk=interaction.pk).participant_contacts.all()) == {
            dana,
            hidden,
        }
    assert not Interaction.objects.get(pk=other.pk).participant_contacts.exists()
    expect(page.locator("main")).not_to_contain_text("אבי כהן")
