"""Field-level visibility in a real browser (REQ CX-9; issue "Platform v2" item 8; decision
0047): an administrator hides the "Finance" section (כספים) of accounts from the sales
representatives on the generic field-rule form, and a representative's account page no longer
shows it, while the manager's still does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.customers.services import account_create
from kesher.platform.models import CustomField, FieldRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finance(users):
    """Two custom fields of accounts in the "כספים" section, and an account of the rep."""
    for key, label, kind in (
        ("credit_limit", "מסגרת אשראי", "money"),
        ("payment_terms", "תנאי תשלום", "text"),
    ):
        CustomField.objects.create(
            entity="accounts", key=key, label_he=label, type=kind, section="כספים"
        )
    return account_create(
        actor=users["sales_rep"],
        data={
            "name": "אקמה תעשיות",
            "phone": "04-8123456",
            "email": "office@acme.example",
            "city": "חיפה",
            "custom": {"credit_limit": "250000", "payment_terms": "שוטף+60"},
        },
    )


def test_admin_hides_the_finance_section_from_sales_reps(
    users, open_page, log_in, screenshot, finance
):
    account_url = f"/r/accounts/{finance.pk}/"
    rep_page = open_page()
    log_in(rep_page, users["sales_rep"].username)
    rep_page.goto(account_url)
    expect(rep_page.get_by_text("כספים", exact=True)).to_be_visible()  # before the rule

    admin_page = open_page()
    log_in(admin_page, users["admin"].username)
    admin_page.goto("/r/field-rules/new/")
    admin_page.locator("#id_entity").select_option("accounts")
    # Sections are offered by their titles, grouped by the kind of record.
    admin_page.locator("#id_section").select_option(label="כספים")
    # Roles are ticked by their names; the value sent is the role's key.
    hide_from = admin_page.locator("#id_hidden_roles").get_by_label("איש מכירות")
    hide_from.check()
    expect(hide_from).to_have_value("sales_rep")
    screenshot(admin_page, "field-visibility-rule-he")
    admin_page.locator("#save-record").click()
    expect(admin_page.locator("#record-title")).to_have_text("accounts.כספים")
    expect(admin_page.locator('[data-field="hidden_roles"]')).to_have_text("איש מכירות")
    rule = FieldRule.objects.get()
    assert (rule.section, rule.hidden_roles) == ("כספים", ["sales_rep"])

    rep_page.goto(account_url)
    expect(rep_page.locator("#record-title")).to_have_text("אקמה תעשיות")
    expect(rep_page.get_by_text("כספים", exact=True)).to_have_count(0)
    expect(rep_page.get_by_text("מסגרת אשראי")).to_have_count(0)
    expect(rep_page.get_by_text("שוטף+60")).to_have_count(0)
    expect(rep_page.locator('#record-headline [data-field="phone"]')).to_have_text("04-812-3456")
    expect(rep_page.locator("#timeline li").first).to_be_visible()
    screenshot(rep_page, "field-visibility-he")
    rep_page.goto(f"/r/accounts/{finance.pk}/edit/")
    expect(rep_page.locator("#id_name")).to_be_visible()
    expect(rep_page.locator("#id_cf_credit_limit")).to_have_count(0)

    manager_page = open_page()
    log_in(manager_page, users["manager"].username)
    manager_page.goto(account_url)
    expect(manager_page.get_by_text("כספים", exact=True)).to_be_visible()
    expect(manager_page.locator('[data-field="custom.payment_terms"]')).to_have_text("שוטף+60")
