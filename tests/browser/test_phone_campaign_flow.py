"""A phone campaign in a real browser, in Hebrew (issue 19 items 1-2; REQ MK-1; Communications
Law §30A; decision 0121): a manager imports a do-not-call number from a CSV file, builds a
phone campaign's call list from his segment and splits it between two agents — the listed
number is skipped; an agent sees only his calls, logs two outcomes with one click each (each an
interaction on the person), and a number put on the list meanwhile is refused when he opens its
call; the campaign's page shows the progress. No sideways scroll at 1280 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.activities.models import Interaction
from kesher.marketing import calls
from kesher.marketing.models import Campaign, CampaignCall, DoNotCallNumber
from kesher.marketing.tests.conftest import make_contacts
from kesher.platform.lists.savedviews import saved_view_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_phone_campaign_split_between_two_agents(users, open_page, log_in, screenshot):
    manager, rep1, rep2 = users["manager"], users["sales_rep"], users["sales_rep2"]
    for user in (manager, rep1, rep2):
        user.language = "he"
        user.save(update_fields=["language"])
    people = make_contacts(manager, 5, consent_kind=None)
    view = saved_view_create(
        actor=manager,
        data={
            "entity": "contacts",
            "name": "חיפה",
            "filter": {"field": "city", "op": "eq", "value": "חיפה"},
        },
    )
    page = open_page(language="he-IL")
    log_in(page, manager.username)

    # The do-not-call list: a CSV file with one of the segment's numbers.
    page.goto("/r/do-not-call/")
    page.locator("#do-not-call-import-link").click()
    page.set_input_files(
        "#dnc-file",
        files=[
            {
                "name": "dnc.csv",
                "mimeType": "text/csv",
                "buffer": f"טלפון\n{people[4].mobile}\n".encode(),
            }
        ],
    )
    page.locator("#dnc-source").fill("מאגר אל תתקשרו אליי — דצמבר")
    page.locator("#dnc-import").click()
    expect(page.locator("#import-result")).to_be_visible()
    assert DoNotCallNumber.objects.filter(phone=people[4].mobile).exists()
    screenshot(page, "do-not-call-import-he")

    # The phone campaign, its list split evenly between the two agents.
    page.goto("/r/campaigns/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("[name=name]").fill("שיחות חורף")
    page.locator("[name=campaign_type]").select_option(label="טלפוני")
    page.locator("[name=segment]").select_option(str(view.pk))
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/r/campaigns/*/")
    campaign = Campaign.objects.get(name="שיחות חורף")
    page.locator(f"#agent-{rep1.pk}").check()
    page.locator(f"#agent-{rep2.pk}").check()
    page.locator("#split-even").check()
    page.locator("#call-list-build").click()
    page.wait_for_url(f"**/r/campaigns/{campaign.pk}/**")
    progress = page.locator("#call-progress")
    expect(progress.locator("[data-figure=listed]")).to_have_text("5")
    expect(progress.locator("[data-figure=do_not_call]")).to_have_text("1")
    expect(progress.locator("[data-figure=pending]")).to_have_text("4")
    skipped = CampaignCall.objects.get(campaign=campaign, contact=people[4])
    assert skipped.status == CampaignCall.Status.DO_NOT_CALL
    assert skipped.agent is None
    assert CampaignCall.objects.filter(campaign=campaign, agent=rep1).count() == 2
    assert CampaignCall.objects.filter(campaign=campaign, agent=rep2).count() == 2
    assert _no_sideways_scroll(page)
    screenshot(page, "phone-campaign-built-he")

    # The first agent: only his calls; two outcomes, one click each.
    agent = open_page(language="he-IL")
    log_in(agent, rep1.username)
    agent.goto(f"/marketing/campaigns/{campaign.pk}/calls/")
    mine = list(CampaignCall.objects.filter(campaign=campaign, agent=rep1).order_by("position"))
    theirs = CampaignCall.objects.filter(campaign=campaign, agent=rep2)
    expect(agent.locator("#my-calls > li")).to_have_count(2)
    for call in theirs:
        expect(agent.locator(f"#call-{call.pk}")).to_have_count(0)
    screenshot(agent, "my-calls-he")
    agent.locator(f"#notes-{mine[0].pk}").fill("דיברנו, יחזור אלינו בחורף")
    agent.locator(f"#call-{mine[0].pk} [data-outcome=reached]").click()
    expect(agent.locator(".alert-success, .alert-info").first).to_contain_text("נרשם")
    agent.locator(f"#call-{mine[1].pk} [data-outcome=not_interested]").click()
    expect(agent.locator("#no-calls")).to_be_visible()
    logged = Interaction.objects.filter(link_type="contacts", owner=rep1, kind__value="call")
    assert logged.count() == 2
    assert {i.link_id for i in logged} == {mine[0].contact_id, mine[1].contact_id}

    # The second agent's number is put on the list meanwhile: his call is refused and marked.
    second = open_page(language="he-IL")
    log_in(second, rep2.username)
    target = theirs.order_by("position").first()
    calls.do_not_call_import(actor=manager, numbers=[target.phone], source="בקשת הלקוח")
    second.goto(f"/marketing/campaigns/{campaign.pk}/calls/")
    expect(second.locator(f"#call-{target.pk} [data-do-not-call]")).to_be_visible()
    expect(second.locator(f"#call-{target.pk} [data-call]")).to_have_count(0)
    screenshot(second, "my-calls-do-not-call-he")

    # The campaign's page: the progress.
    page.reload()
    expect(progress.locator("[data-figure=called]")).to_have_text("2")
    expect(progress.locator("[data-figure=done]")).to_have_text("2")
    outcomes = page.locator("#call-outcomes")
    expect(outcomes.locator("[data-outcome=reached]")).to_contain_text("1")
    expect(outcomes.locator("[data-outcome=not_interested]")).to_contain_text("1")
    expect(page.locator(f"#call-agents [data-agent='{rep1.pk}']")).to_be_visible()
    assert _no_sideways_scroll(page)
    screenshot(page, "phone-campaign-progress-he")

    # The person's page says he is on the list.
    page.goto(f"/r/contacts/{people[4].pk}/")
    expect(page.locator("#do-not-call-banner")).to_contain_text("מאגר אל תתקשרו אליי")
    screenshot(page, "contact-do-not-call-he")
