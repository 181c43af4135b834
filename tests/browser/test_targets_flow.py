"""A rep's target attainment in a real browser, in Hebrew (right to left) and in English: the
attainment page and the home card move when his deal is dragged to "won" on the board.

REQ SA-7, SA-14, OR-7.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.platform.records.services import record_create
from kesher.sales.models import Opportunity, Stage
from kesher.sales.services import opportunity_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stage(key):
    return Stage.objects.get(pipeline__order=1, key=key)


def test_a_reps_attainment_moves_when_his_deal_is_won(users, open_page, log_in, screenshot):
    rep = users["sales_rep"]
    target = record_create(
        "sales-targets",
        actor=users["admin"],
        data={
            "period": "month",
            "starts_on": timezone.localdate(),
            "level": "person",
            "user": rep,
            "amount": "40000",
            "count": 2,
        },
    )
    deal = opportunity_create(
        actor=rep,
        data={
            "name": "מערכת CRM",
            "stage": _stage("order"),
            "amount": "20000",
            "owner": rep,
            "expected_close_date": timezone.localdate(),
        },
    )
    page = open_page()
    log_in(page, rep.username)

    # Hebrew, right to left: nothing won yet.
    page.goto("/sales/targets/attainment/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_contain_text("עמידה ביעדים")
    row = page.locator(f"#attainment-table tr[data-target='{target.pk}']")
    expect(row).to_contain_text("₪40,000.00")
    expect(row).to_contain_text("0%")

    # The deal dragged to "won" on the board: half the amount and one deal of two.
    page.goto("/sales/board/")
    won = page.locator(f".board-column[data-stage='{_stage('won').pk}']")
    page.locator(f"#deal-{deal.pk}").drag_to(won)
    expect(won.locator(f"#deal-{deal.pk}")).to_be_visible()
    assert Opportunity.objects.won().filter(pk=deal.pk).exists()
    page.goto("/sales/targets/attainment/")
    expect(row).to_contain_text("₪20,000.00")
    expect(row.locator(".progress").first).to_have_attribute("aria-valuenow", "50")
    screenshot(page, "sales-attainment-he")
    page.goto("/")
    expect(page.locator("#home-attainment")).to_contain_text("50%")

    # English, left to right: the same figures.
    rep.language = "en"
    rep.save(update_fields=["language"])
    english = open_page(language="en-US")
    log_in(english, rep.username)
    english.goto("/sales/targets/attainment/")
    expect(english.locator("html")).to_have_attribute("dir", "ltr")
    expect(english.locator("h1")).to_contain_text("Target attainment")
    row = english.locator(f"#attainment-table tr[data-target='{target.pk}']")
    expect(row).to_contain_text("₪20,000.00")
    expect(row).to_contain_text("50%")
    screenshot(english, "sales-attainment-en")
