"""Regions as data and the region record scope (REQ SA-12, OR-3; decision 0060): a role with the
region scope reaches his own records and those of his regions — a lead's and an account's own
region, a deal's customer's — and nothing else."""

import pytest

from kesher.customers.models import Account
from kesher.customers.services import account_create
from kesher.org.models import Region, RolePermission
from kesher.sales.models import Lead, Opportunity
from kesher.sales.tests.factories import make_lead, make_opportunity

pytestmark = pytest.mark.django_db


def test_the_districts_and_abroad_are_seeded():
    assert list(Region.objects.values_list("name_en", flat=True)) == [
        "North",
        "Haifa",
        "Center",
        "Tel Aviv",
        "Jerusalem",
        "South",
        "Judea and Samaria",
        "Abroad",
    ]


def test_the_region_scope_reaches_own_and_the_regions_records(users):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    north, south = Region.objects.get(name_en="North"), Region.objects.get(name_en="South")
    for entity in ("leads", "accounts", "opportunities"):
        RolePermission.objects.filter(role__key="sales_rep", entity=entity).update(scope="region")
    rep.regions.set([north])
    north_account = account_create(actor=rep2, data={"name": "North Ltd", "region": north})
    south_account = account_create(actor=rep2, data={"name": "South Ltd", "region": south})
    own_south_account = account_create(actor=rep, data={"name": "Mine", "region": south})
    north_lead = make_lead(rep2, owner=rep2, region=north)
    make_lead(rep2, owner=rep2, region=south)
    make_lead(rep2, owner=rep2)
    own_lead = make_lead(rep, owner=rep)
    north_deal = make_opportunity(rep2, owner=rep2, account=north_account)
    make_opportunity(rep2, owner=rep2, account=south_account)
    make_opportunity(rep2, owner=rep2)
    rep = type(rep).objects.get(pk=rep.pk)  # grants are read once per user object
    assert set(Lead.objects.visible_to(rep)) == {north_lead, own_lead}
    assert set(Account.objects.visible_to(rep)) == {north_account, own_south_account}
    assert set(Opportunity.objects.visible_to(rep)) == {north_deal}
    # Without regions, the region scope is the user's own records.
    rep.regions.clear()
    rep = type(rep).objects.get(pk=rep.pk)
    assert set(Lead.objects.visible_to(rep)) == {own_lead}
