"""Sales in a real browser (issue 15 "Tests that must pass"): a lead entered by hand is
converted; its deal is dragged across the board in Hebrew (right to left: the first stage on
the right) and in English, moved with the keyboard, flagged when stuck, and won.

REQ SA-1, SA-2, SA-3, OR-7.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.sales.models import Lead, Opportunity, Stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stage(key):
    return Stage.objects.get(pipeline__order=1, key=key)


def _column(page, key):
    return page.locator(f".board-column[data-stage='{_stage(key).pk}']")


def test_a_lead_becomes_a_deal_that_is_dragged_across_the_board(
    users, open_page, log_in, screenshot
):
    rep = users["sales_rep"]
    page = open_page()
    log_in(page, rep.username)

    # A lead entered by hand.
    page.goto("/r/leads/new/")
    page.locator("[name=first_name]").fill("דנה")
    page.locator("[name=last_name]").fill("לוי")
    page.locator("[name=company_name]").fill("אלפא מערכות")
    page.locator("[name=email]").fill("dana@alpha.example")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/leads/*/")
    lead = Lead.objects.get(email="dana@alpha.example")

    # Converted from its page in one step.
    page.locator("#convert-lead").click()
    page.locator("#convert-form [name=amount]").fill("48000")
    page.locator("#convert-save").click()
    page.wait_for_url("**/r/opportunities/*/")
    deal = Opportunity.objects.get()
    lead.refresh_from_db()
    assert lead.converted_opportunity == deal
    assert deal.account.name == "אלפא מערכות"

    # The board in Hebrew: the first stage on the right.
    page.goto("/sales/board/")
    expect(page.locator(f"#deal-{deal.pk}")).to_be_visible()
    first = _column(page, "potential").bounding_box()
    second = _column(page, "proposal").bounding_box()
    assert first["x"] > second["x"]
    expect(_column(page, "potential").locator(".board-total")).to_have_text("₪48,000.00")

    # Dragged to "proposal".
    page.locator(f"#deal-{deal.pk}").drag_to(_column(page, "proposal"))
    expect(_column(page, "proposal").locator(f"#deal-{deal.pk}")).to_be_visible()
    assert Opportunity.objects.get(pk=deal.pk).stage == _stage("proposal")
    screenshot(page, "sales-board-he")

    # Stuck: the card and the deal's page say so.
    Opportunity.objects.filter(pk=deal.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=9),
        stuck_at=timezone.now() - datetime.timedelta(days=1),
    )
    page.reload()
    expect(page.locator(f"#deal-{deal.pk}")).to_have_class(re.compile("board-card-stuck"))
    page.goto(f"/r/opportunities/{deal.pk}/")
    expect(page.locator("#deal-stuck")).to_be_visible()

    # On a phone a column fills the screen's width: one at a time.
    phone = open_page(phone=True)
    log_in(phone, rep.username)
    phone.goto("/sales/board/")
    width = _column(phone, "potential").bounding_box()["width"]
    assert width > 0.8 * 390

    # With the keyboard: the card's "move to" menu.
    page.goto("/sales/board/")
    page.locator(f"#move-{deal.pk}").select_option(str(_stage("order").pk))
    page.locator(f"#move-{deal.pk}").press("Tab")
    page.keyboard.press("Enter")
    expect(_column(page, "order").locator(f"#deal-{deal.pk}")).to_be_visible()

    # In English (left to right) it is dragged to "won", and is won.
    rep.language = "en"
    rep.save(update_fields=["language"])
    english = open_page(language="en-US")
    log_in(english, rep.username)
    english.goto("/sales/board/")
    expect(english.locator("h1")).to_have_text("Board")
    first = _column(english, "potential").bounding_box()
    second = _column(english, "proposal").bounding_box()
    assert first["x"] < second["x"]
    english.locator(f"#deal-{deal.pk}").drag_to(_column(english, "won"))
    expect(_column(english, "won").locator(f"#deal-{deal.pk}")).to_be_visible()
    assert Opportunity.objects.won().filter(pk=deal.pk).exists()
    screenshot(english, "sales-board-en")


def test_a_deals_contacts_are_picked_in_roles_and_its_stage_follows_the_pipeline(
    users, open_page, log_in
):
    """REQ SA-6: a contact found with the picker is added to the deal in a role, the role is
    changed; REQ SA-2: on the deal's form, choosing another pipeline offers its stages only."""
    from kesher.customers.services import contact_create
    from kesher.platform.records.services import record_create
    from kesher.sales.models import OpportunityContact
    from kesher.sales.services import opportunity_create

    rep, admin = users["sales_rep"], users["admin"]
    projects = record_create("pipelines", actor=admin, data={"name_he": "פרויקטים", "order": 5})
    record_create(
        "stages",
        actor=admin,
        data={"pipeline": projects, "key": "scoping", "name_he": "אפיון", "group": "open"},
    )
    dana = contact_create(actor=rep, data={"first_name": "דנה", "last_name": "לוי", "owner": rep})
    deal = opportunity_create(
        actor=rep, data={"name": "עסקת פרויקט", "stage": _stage("potential"), "owner": rep}
    )
    page = open_page()
    log_in(page, rep.username)
    page.goto(f"/r/opportunities/{deal.pk}/")
    panel = page.locator("#deal-contacts")
    panel.locator("#deal-contact-search").press_sequentially("דנה")
    panel.locator(f".picker-options [data-pick='{dana.pk}']").click()
    expect(panel.locator("#deal-contact")).to_have_value(str(dana.pk))
    panel.locator("#deal-contact-role").fill("מקבלת החלטה")
    panel.locator("#deal-contact-link").click()
    expect(page.locator("#deal-contacts")).to_contain_text("דנה לוי")
    role = page.locator(f"#deal-role-{dana.pk}")
    expect(role).to_have_value("מקבלת החלטה")
    role.fill("משתמשת")
    page.locator("#deal-contacts .deal-contact button[value=role]").click()
    expect(page.locator(f"#deal-role-{dana.pk}")).to_have_value("משתמשת")
    assert OpportunityContact.objects.get(opportunity=deal).role == "משתמשת"

    # The stage select follows the pipeline chosen.
    page.goto(f"/r/opportunities/{deal.pk}/edit/")
    stage = page.locator("select[name=stage]")
    expect(stage.locator("option", has_text="פוטנציאלי")).to_have_count(1)
    page.locator("select[name=pipeline]").select_option(str(projects.pk))
    expect(stage.locator("option", has_text="אפיון")).to_have_count(1)
    expect(stage.locator("option", has_text="פוטנציאלי")).to_have_count(0)
    page.wait_for_timeout(100)  # htmx settles the swapped options
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(f"**/r/opportunities/{deal.pk}/")
    assert Opportunity.objects.get(pk=deal.pk).stage.key == "scoping"
