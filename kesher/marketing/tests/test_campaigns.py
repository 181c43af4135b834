"""Campaigns (REQ MK-1, MK-3): costs, first- and last-touch attribution of leads and deals,
the conversion carrying the campaign to the deal, and what each campaign brought — on the
campaign's page and in the API — in a fixed number of queries, within the reader's scope."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.marketing.selectors import campaign_results
from kesher.marketing.services import lead_touch
from kesher.marketing.tests.conftest import choice
from kesher.platform.records.services import record_create
from kesher.sales.services import lead_convert
from kesher.sales.tests.factories import make_lead, make_opportunity, stage

pytestmark = pytest.mark.django_db


def make_campaign(actor, name, **data):
    return record_create(
        "campaigns",
        actor=actor,
        data={"name": name, "campaign_type": choice("campaign_type", "paid_ads"), **data},
    )


def add_cost(actor, campaign, amount):
    return record_create(
        "campaign-costs",
        actor=actor,
        data={"campaign": campaign, "description": "מודעות", "amount": Decimal(amount)},
    )


@pytest.fixture
def brought(users):
    """A campaign that cost ₪1,000 and brought four leads: one converted into a deal won for
    ₪6,000, another deal still open; a second campaign touched one of the leads last."""
    manager = users["manager"]
    ads = make_campaign(manager, "פרסום בגוגל", budget=Decimal("1500"))
    event = make_campaign(manager, "כנס לקוחות")
    add_cost(manager, ads, "600.00")
    add_cost(manager, ads, "400.00")
    leads = [make_lead(manager, campaign=ads) for _ in range(4)]
    lead_touch(leads[3], campaign=event, actor=manager)
    conversion = lead_convert(
        leads[0],
        actor=manager,
        create_account=False,
        create_contact=False,
        opportunity={"name": "עסקה מגוגל", "amount": Decimal("6000"), "stage": stage("won")},
    )
    make_opportunity(manager, campaign=ads, amount=Decimal("9000"))  # still open
    return {"ads": ads, "event": event, "leads": leads, "deal": conversion.opportunity}


def test_the_deal_keeps_the_lead_campaigns(brought):
    deal = brought["deal"]
    assert deal.campaign == brought["ads"]
    assert deal.last_campaign is None


def test_first_and_last_touch(brought, users):
    lead = brought["leads"][3]
    lead.refresh_from_db()
    assert lead.campaign == brought["ads"]
    assert lead.last_campaign == brought["event"]
    fresh = make_lead(users["manager"])
    lead_touch(fresh, campaign=brought["event"], actor=users["manager"])
    fresh.refresh_from_db()
    assert fresh.campaign == fresh.last_campaign == brought["event"]


def test_what_the_campaign_brought(brought, users):
    first, last = campaign_results(brought["ads"], users["manager"])
    assert (first.leads, first.converted, first.deals, first.won_deals) == (4, 1, 2, 1)
    assert first.won_amount == Decimal("6000.00")
    assert first.cost == Decimal("1000.00")
    assert first.cost_per_lead == Decimal("250.00")
    assert first.cost_per_won_deal == Decimal("1000.00")
    assert first.roi == Decimal("500.0")
    assert first.conversion_rate == Decimal("25.0")
    assert last.touch == "last"
    assert last.leads == 0
    event_first, event_last = campaign_results(brought["event"], users["manager"])
    assert event_last.leads == 1
    assert event_first.roi is None  # nothing spent


def test_results_count_only_what_the_reader_may_see(brought, users):
    # The rep sees his own leads only: none of the manager's.
    first, _last = campaign_results(brought["ads"], users["sales_rep"])
    assert first.leads == 0
    assert first.cost == Decimal("1000.00")


def test_results_cost_the_same_queries_whatever_the_numbers(brought, users):
    campaign_results(brought["ads"], users["manager"])  # the caches warm
    with CaptureQueriesContext(connection) as before:
        campaign_results(brought["ads"], users["manager"])
    for _ in range(10):
        make_lead(users["manager"], campaign=brought["ads"])
    with CaptureQueriesContext(connection) as after:
        campaign_results(brought["ads"], users["manager"])
    assert len(after) == len(before)


def test_campaign_page_and_api_show_the_results(brought, users, client_for, api_for):
    ads = brought["ads"]
    page = client_for(users["manager"]).get(f"/r/campaigns/{ads.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="campaign-results"' in body
    assert "₪6,000.00" in body
    assert "500.0%" in body
    answer = api_for(users["manager"]).get(f"/api/v1/campaigns/{ads.pk}/results/")
    assert answer.status_code == 200
    first = answer.json()[0]
    assert first["leads"] == 4
    assert first["roi"] == "500.0"
    assert first["cost_per_lead"] == "250.00"
    rep = api_for(users["sales_rep"])
    assert rep.get(f"/api/v1/campaigns/{ads.pk}/results/").json()[0]["leads"] == 0
    assert api_for(users["sales_rep"]).get("/api/v1/campaigns/999999/results/").status_code == 404


def test_a_campaign_cannot_end_before_it_starts(users):
    import datetime

    with pytest.raises(ValidationError) as error:
        make_campaign(
            users["manager"],
            "הפוך",
            starts_on=datetime.date(2026, 12, 10),
            ends_on=datetime.date(2026, 12, 1),
        )
    assert "ends_on" in error.value.message_dict


def test_bad_api_input_is_a_translated_400_with_nothing_written(users, api_for):
    from kesher.marketing.models import Campaign

    answer = api_for(users["manager"]).post(
        "/api/v1/campaigns/", {"name": "x", "budget": "-5"}, format="json"
    )
    assert answer.status_code == 400
    assert "budget" in answer.json()
    assert not Campaign.objects.filter(name="x").exists()
