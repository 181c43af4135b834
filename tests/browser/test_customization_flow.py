"""Customization in a real browser (issue "Customization"; REQ CX-1, CX-6, CX-8, IM-4, MK-6):
an admin adds a dependent pick-list field to accounts, a user fills it while the options narrow
live, filters the list by it with the filter builder, saves the view, and bulk-updates the
matching rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.customers.models import Account
from kesher.customers.services import account_create
from kesher.platform.models import CustomField, SavedView

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def after_swap(page, action) -> None:
    """Do ``action`` and wait until htmx has put a new bulk form in place of the old one."""
    page.evaluate("document.getElementById('bulk-form').dataset.stale = '1'")
    action()
    expect(page.locator("#bulk-form:not([data-stale])")).to_have_count(1)
    page.wait_for_timeout(100)  # let htmx settle the new form before it is used


@pytest.fixture
def lead_sources():
    """MK-6's lists (sales' pick-lists, sales/migrations/0002) and the parent field an admin
    made earlier."""
    return CustomField.objects.create(
        entity="accounts",
        key="lead_source",
        label_he="מקור ליד",
        label_en="Lead source",
        type="choice",
        choice_list="lead_source",
    )


def test_dependent_field_filter_saved_view_and_bulk_update(
    users, open_page, log_in, screenshot, lead_sources
):
    admin = users["admin"]
    for name in ("ספק א", "ספק ב"):
        account_create(
            actor=admin,
            data={"name": name, "custom": {"lead_source": "word_ad"}},
        )
    page = open_page()
    log_in(page, admin.username)

    # The admin adds the dependent field on Kesher's own screen (REQ CX-1, CX-6).
    page.goto("/r/custom-fields/new/")
    page.locator("#id_entity").select_option("accounts")
    page.locator("#id_key").fill("lead_source_detail")
    page.locator("#id_label_he").fill("מקור משני")
    page.locator("#id_label_en").fill("Secondary source")
    page.locator("#id_type").select_option("choice")
    page.locator("#id_choice_list").fill("lead_source_detail")
    page.locator("#id_parent").select_option(str(lead_sources.pk))
    page.locator("#save-record").click()
    expect(page.locator("#record-title")).to_have_text("מקור משני")

    # A new account: the secondary source offers only the chosen source's values.
    page.goto("/r/accounts/new/")
    page.locator("#id_name").fill("חברת הדגמה")
    child = page.locator("#id_cf_lead_source_detail")
    expect(child.locator("option")).to_have_count(1)  # only "—" before a source is chosen
    page.locator("#id_cf_lead_source").select_option("referral")
    expect(child.locator("option[value=customer]")).to_have_count(1)
    expect(child.locator("option[value=google]")).to_have_count(0)
    page.locator("#id_cf_lead_source").select_option("word_ad")
    expect(child.locator("option[value=google]")).to_have_count(1)
    expect(child.locator("option[value=customer]")).to_have_count(0)
    child.select_option("google")
    screenshot(page, "custom-fields-form-he")
    page.locator("#save-record").click()
    expect(page.locator("[data-field='custom.lead_source_detail']")).to_have_text("גוגל")
    created = Account.objects.get(name="חברת הדגמה")
    assert created.custom == {"lead_source": "word_ad", "lead_source_detail": "google"}

    # Filter the list with the builder: source is the word-ad campaign.
    page.goto("/r/accounts/?columns=name,custom.lead_source,custom.lead_source_detail")
    page.locator("#toggle-builder").click()
    page.locator("#builder-add").click()
    row = page.locator(".builder-row").first
    row.locator("[data-role=field]").select_option("custom.lead_source")
    row.locator("[data-role=op]").select_option("eq")
    row.locator("[data-role=value]").select_option("word_ad")
    page.locator("#builder-apply").click()
    table = page.locator("#record-table tbody")
    expect(table.locator("tr")).to_have_count(3)
    screenshot(page, "filter-builder-he")

    # Save it as a view, then open it from the menu.
    page.locator("#toggle-save-view").click()
    page.locator("#view-name").fill("מקור: מילות מפתח")
    page.locator("#save-view-button").click()
    view = SavedView.objects.get(name="מקור: מילות מפתח")
    assert view.filter == {"all": [{"field": "custom.lead_source", "op": "eq", "value": "word_ad"}]}
    expect(page.locator("#saved-views-menu")).to_have_text("מקור: מילות מפתח")
    expect(page.locator("#record-table tbody tr")).to_have_count(3)

    # Bulk-update every matching row: secondary source "YNET".
    page.locator("#bulk-open").click()
    form = page.locator("#bulk-form")
    expect(form.locator("#bulk-count")).to_contain_text("3")
    page.wait_for_timeout(100)  # let htmx settle the opened form before its choices are made
    # The form re-renders for the chosen action, then for the chosen field's value input:
    # wait until each new form is in place, so the next choice is made on it.
    after_swap(page, lambda: form.locator("select[name=action]").select_option("update"))
    after_swap(
        page, lambda: form.locator("select[name=field]").select_option("custom.lead_source_detail")
    )
    expect(form.locator("[name=value] option[value=ynet]")).to_have_count(1)
    form.locator("[name=value]").select_option("ynet")
    screenshot(page, "bulk-update-he")
    form.locator("#bulk-submit").click()
    expect(page.locator("#bulk-updated")).to_contain_text("3")
    assert sorted(a.custom.get("lead_source_detail") for a in Account.objects.order_by("pk")) == [
        "ynet",
        "ynet",
        "ynet",
    ]
    expect(page.locator("#record-table tbody")).to_contain_text("YNET")
