"""The demo's marketing (issue 19): campaigns with costs, attributed leads and deals whose ROI
shows, a consent ledger, and a newsletter that was sent — adding up to its audience."""

import pytest

from kesher.marketing.models import Campaign, Consent, Send
from kesher.marketing.selectors import campaign_results
from kesher.marketing.sending import tally
from kesher.org.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_campaigns_brought_leads_and_deals_and_a_newsletter_was_sent(loaded):
    assert Campaign.objects.count() == 3
    moshe = User.objects.get(username="moshe")
    admin = User.objects.filter(role__key="admin").first()
    event = Campaign.objects.get(name="כנס לקוחות תל אביב")
    first, _last = campaign_results(event, admin)
    assert first.cost > 0
    assert first.won_deals >= 1
    assert first.roi is not None
    ads = Campaign.objects.get(name="פרסום ממומן בגוגל")
    assert campaign_results(ads, admin)[0].leads >= 1
    assert Consent.objects.filter(kind="refusal").count() == 2
    assert Consent.objects.filter(kind="existing_customer").exists()
    assert Consent.objects.filter(purpose="club").exists()
    send = Send.objects.get()
    assert send.owner == moshe
    assert send.status == Send.Status.DONE
    counts = tally(send)
    assert sum(counts.values()) == send.audience
    assert counts["sent"] >= 40
    assert counts["skipped"] >= 2
