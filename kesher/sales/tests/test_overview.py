"""Sales in the customer 360° view (REQ CU-7, CU-8): an account's and a contact's open
opportunities (count, sum, link), won revenue and last won deal, from the deals the reader may
see only — no other rep's deal is counted or named (OR-3)."""

import datetime

import pytest
from django.utils import timezone

from kesher.activities import overview
from kesher.activities.services import alert_rule_create
from kesher.customers.models import Account
from kesher.customers.tests.factories import make_account, make_contact
from kesher.sales.models import Opportunity
from kesher.sales.services import opportunity_link_contact
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


def _figures(record, user):
    return {f["key"]: f["value"] for f in overview.figures_for(record, user)}


def _links(record, user):
    return {f["key"]: f["url"] for f in overview.figures_for(record, user)}


def test_an_accounts_open_deals_won_revenue_and_last_won_deal(users, client_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep, name="אלפא")
    make_opportunity(rep, account=account, owner=rep, amount="1000", name="פתוחה 1")
    make_opportunity(rep, account=account, owner=rep, amount="2500", stage=stage("proposal"))
    older = make_opportunity(rep, account=account, owner=rep, amount="7000", stage=stage("won"))
    Opportunity.objects.filter(pk=older.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=30)
    )
    make_opportunity(
        rep, account=account, owner=rep, amount="3000", stage=stage("done"), name="זכייה אחרונה"
    )
    # Another rep's deal at the same account: neither counted nor named for the rep.
    make_opportunity(rep2, account=account, owner=rep2, amount="99999", name="של אחר")
    figures = _figures(account, rep)
    assert figures["open_opportunities"] == "2 · ₪3,500.00"
    links = _links(Account.objects.get(pk=account.pk), rep)
    assert links["open_opportunities"] == f"/r/opportunities/?account={account.pk}"
    assert links["last_won"].startswith("/r/opportunities/")
    assert figures["won_revenue"] == "₪10,000.00"
    assert "זכייה אחרונה" in figures["last_won"]
    admin_figures = _figures(Account.objects.get(pk=account.pk), users["admin"])
    assert admin_figures["open_opportunities"].startswith("3 · ")
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    tiles = page[page.index('id="key-figures"') :]
    tiles = tiles[: tiles.index("</section>")]
    assert "₪10,000.00" in tiles
    assert f'href="/r/opportunities/?account={account.pk}"' in tiles
    assert "של אחר" not in tiles
    assert "99,999" not in tiles


def test_a_contacts_deals_and_a_reader_without_deals(users, client_for):
    rep = users["sales_rep"]
    contact = make_contact(rep, first_name="דנה")
    deal = make_opportunity(rep, owner=rep, amount="500", stage=stage("won"), name="מכירה לדנה")
    opportunity_link_contact(deal, actor=rep, contact=contact, role="מקבלת החלטה")
    figures = _figures(contact, rep)
    assert figures["won_revenue"] == "₪500.00"
    assert "מכירה לדנה" in figures["last_won"]
    assert _links(contact, rep)["open_opportunities"] == f"/r/opportunities/?contacts={contact.pk}"
    listed = client_for(rep).get(f"/r/opportunities/?contacts={contact.pk}").content.decode()
    assert "מכירה לדנה" in listed
    nothing = _figures(make_contact(rep, first_name="ריק"), rep)
    assert nothing["won_revenue"] == "₪0.00"
    assert nothing["last_won"] == "אין עדיין"


def test_the_figures_read_a_fixed_number_of_queries(users, django_assert_max_num_queries):
    rep = users["sales_rep"]
    account = make_account(rep)
    for number in range(6):
        make_opportunity(
            rep, account=account, owner=rep, stage=stage("won" if number % 2 else "potential")
        )
    with django_assert_max_num_queries(12):
        overview.figures_for(account, rep)


def test_alert_rules_may_name_the_sales_figures_and_users_filters_may_not(users, api_for):
    """REQ CU-8: an administrator's alert rule on accounts uses the open opportunities and won
    revenue; a user's own filter cannot name them (they count deals out of his scope)."""
    admin, rep = users["admin"], users["sales_rep"]
    alert_rule_create(
        actor=admin,
        data={
            "name": "לקוח חם",
            "entity": "accounts",
            "condition": {
                "all": [
                    {"field": "open_opportunities", "op": "gte", "value": 2},
                    {"field": "won_revenue", "op": "gt", "value": 1000},
                    {"field": "last_won_at", "op": "within_last_days", "value": 30},
                ]
            },
            "message": "לקוח חם: עסקאות פתוחות וזכייה החודש",
            "level": "info",
        },
    )
    hot = make_account(rep, name="חם")
    make_opportunity(rep, account=hot, owner=rep)
    make_opportunity(rep, account=hot, owner=rep)
    make_opportunity(rep, account=hot, owner=rep, amount="5000", stage=stage("won"))
    cold = make_account(rep, name="קר")
    make_opportunity(rep, account=cold, owner=rep, amount="5000", stage=stage("won"))
    assert [a["message"] for a in overview.alerts_for(hot, rep)] == [
        "לקוח חם: עסקאות פתוחות וזכייה החודש"
    ]
    assert overview.alerts_for(cold, rep) == []
    condition = '{"field": "won_revenue", "op": "gt", "value": 0}'
    answer = api_for(rep).get("/api/v1/accounts/", {"filter": condition})
    assert answer.status_code == 400
