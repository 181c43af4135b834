"""Targets per period for a person, a department, a region or the whole company, their actuals
live from won deals (decision 0057) in one grouped query, the attainment page, API and home
card, and who sees which (REQ SA-7, RE-2, SA-14, OR-3)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.billing.tests.conftest import business, make_order  # noqa: F401  (fixtures)
from kesher.catalogue.tests.conftest import catalogue  # noqa: F401  (make_order's)
from kesher.customers.services import account_create
from kesher.customers.tests.factories import choice
from kesher.org.models import Region
from kesher.platform.records.services import record_create
from kesher.sales.models import SalesTarget
from kesher.sales.selectors import attainment, current_targets
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db

NOV = datetime.date(2026, 11, 15)


def region(name_en: str) -> Region:
    return Region.objects.get(name_en=name_en)


def target(actor, **data) -> SalesTarget:
    data.setdefault("period", "quarter")
    data.setdefault("starts_on", NOV)
    return record_create("sales-targets", actor=actor, data=data)


def _won_deals(users):
    """rep1 (North department, a Haifa customer): 1000 won in November, 500 won in December,
    300 open, 700 lost; rep2 (Service): 2000 won in November at a South customer."""
    rep, other = users["sales_rep"], users["sales_rep2"]
    haifa = account_create(actor=rep, data={"name": "Haifa Ltd", "region": region("Haifa")})
    south = account_create(actor=other, data={"name": "Negev Ltd", "region": region("South")})
    won = {"stage": stage("won"), "expected_close_date": NOV}
    make_opportunity(rep, owner=rep, account=haifa, amount="1000", **won)
    make_opportunity(
        rep,
        owner=rep,
        account=haifa,
        amount="500",
        stage=stage("in_work"),
        expected_close_date=datetime.date(2026, 12, 2),
    )
    make_opportunity(rep, owner=rep, amount="300", stage=stage("proposal"), expected_close_date=NOV)
    make_opportunity(
        rep,
        owner=rep,
        amount="700",
        stage=stage("lost"),
        lost_reason=choice("lost_reason", "price"),
        expected_close_date=NOV,
    )
    make_opportunity(other, owner=other, account=south, amount="2000", **won)


def test_a_target_is_for_one_holder_with_an_amount_or_a_count(users):
    admin, rep = users["admin"], users["sales_rep"]
    made = target(
        admin, level="person", user=rep, amount="100", starts_on=datetime.date(2026, 11, 20)
    )
    assert made.starts_on == datetime.date(2026, 10, 1)  # the quarter's first day
    assert made.period_label == "2026-Q4"
    with pytest.raises(ValidationError) as refused:
        target(admin, level="person", amount="100")
    assert "user" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        target(admin, level="company", user=rep, amount="100")
    assert "user" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        target(admin, level="company")
    assert "amount" in refused.value.message_dict
    assert SalesTarget.objects.count() == 1


def test_actuals_are_won_deals_in_the_period_at_every_level(users, departments):
    _won_deals(users)
    admin = users["admin"]
    quarter = target(admin, level="person", user=users["sales_rep"], amount="3000", count=4)
    november = target(admin, period="month", level="person", user=users["sales_rep"], count=2)
    sales = target(admin, level="department", department=departments["sales"], amount="1500")
    haifa = target(admin, level="region", region=region("Haifa"), amount="1000")
    company = target(admin, period="year", level="company", amount="7000")
    attainment([company])  # the sales settings read once, then cached in the process
    with CaptureQueriesContext(connection) as captured:
        rows = {a.target: a for a in attainment([quarter, november, sales, haifa, company])}
    # The stamps (is the settings' copy current?), the grouped won deals, the owners'
    # departments and the targets' departments.
    assert len(captured.captured_queries) == 4
    # Won is the execution group or "done" (in work counts); open and lost never do.
    assert (rows[quarter].actual_amount, rows[quarter].actual_count) == (Decimal("1500"), 2)
    assert (rows[quarter].amount_percent, rows[quarter].count_percent) == (50, 50)
    assert (rows[november].actual_count, rows[november].count_percent) == (1, 50)
    # North sits under Sales: its rep's deals are the department's; Service's are not.
    assert (rows[sales].actual_amount, rows[sales].amount_percent) == (Decimal("1500"), 100)
    assert rows[haifa].actual_amount == Decimal("1500")  # the Haifa customer's
    assert (rows[company].actual_amount, rows[company].amount_percent) == (Decimal("3500"), 50)


def test_a_rep_sees_his_own_targets_a_manager_his_departments(users, departments):
    admin, rep, rep2 = users["admin"], users["sales_rep"], users["sales_rep2"]
    mine = target(admin, level="person", user=rep, amount="100")
    theirs = target(admin, level="person", user=rep2, amount="100")
    team = target(admin, level="department", department=departments["sales"], amount="100")
    service = target(admin, level="department", department=departments["service"], amount="100")
    company = target(admin, level="company", amount="100")
    assert set(current_targets(rep, NOV)) == {mine}
    assert set(current_targets(rep2, NOV)) == {theirs}
    assert set(current_targets(users["manager"], NOV)) == {mine, team}
    assert set(current_targets(admin, NOV)) == {mine, theirs, team, service, company}
    assert set(current_targets(admin, datetime.date(2027, 1, 5))) == set()


def test_the_attainment_page_api_and_home_card(users, client_for, api_for):
    _won_deals(users)
    rep = users["sales_rep"]
    target(users["admin"], level="person", user=rep, amount="3000")
    target(users["admin"], level="person", user=users["sales_rep2"], amount="9999")
    page = client_for(rep).get("/sales/targets/attainment/?on=2026-11-15")
    html = page.content.decode()
    assert page.status_code == 200
    assert "₪1,500.00" in html
    assert "50%" in html
    assert "9,999" not in html  # another rep's target
    answer = api_for(rep).get("/api/v1/targets/attainment/?on=2026-11-15")
    assert answer.status_code == 200
    (row,) = answer.json()
    assert (row["amount"], row["actual_amount"], row["amount_percent"]) == (
        "3000.00",
        "1500.00",
        50,
    )
    assert api_for(rep).get("/api/v1/targets/attainment/?on=soon").status_code == 400
    assert api_for(users["support_agent"]).get("/api/v1/targets/attainment/").status_code == 403


def test_the_home_card_shows_the_current_periods_attainment(users, client_for):
    rep = users["sales_rep"]
    target(users["admin"], level="person", user=rep, amount="100", starts_on=datetime.date.today())
    html = client_for(rep).get("/").content.decode()
    assert 'id="home-attainment"' in html
    assert "0%" in html


def test_actuals_from_issued_invoices_less_credit_notes(
    users,
    departments,
    business,  # noqa: F811  (fixtures)
    make_order,  # noqa: F811  (fixtures)
):
    """When the sales settings say so, a target's actual is what was invoiced in its period:
    issued tax invoices less credit notes, before VAT — by person, department and product group
    (issue 15 item 6); drafts do not count."""
    from kesher.billing.models import DocumentKind
    from kesher.billing.services import credit_note_for, document_from_order, document_issue
    from kesher.sales.services import sales_settings_update

    rep, admin = users["sales_rep"], users["admin"]
    today = datetime.date.today()
    invoice = document_from_order(
        make_order(business, "5", doc_date=today), actor=rep, kind=DocumentKind.TAX_INVOICE
    )
    invoice = document_issue(invoice, actor=rep)  # 5 laptops at 90 ₪: 450 ₪
    document_from_order(  # a draft: not invoiced yet
        make_order(business, "3", doc_date=today), actor=rep, kind=DocumentKind.TAX_INVOICE
    )
    note = credit_note_for(invoice, actor=rep, quantities={1: Decimal("1")})
    document_issue(note, actor=rep)  # 1 laptop back: 90 ₪
    make_opportunity(rep, owner=rep, stage=stage("won"), expected_close_date=today, amount="5000")
    month = {"period": "month", "starts_on": today}
    person = target(admin, level="person", user=rep, amount="1000", **month)
    team = target(
        admin, level="department", department=departments["sales"], amount="1000", **month
    )
    laptops = target(
        admin,
        level="person",
        user=rep,
        count=10,
        product_group=invoice.lines.get().product.group,
        **month,
    )
    won = {a.target: a for a in attainment([person, team, laptops])}
    assert won[person].actual_amount == Decimal("5000.00")  # won deals, the default
    sales_settings_update(actor=admin, forecasting=False, target_actuals="issued_invoices")
    invoiced = {a.target: a for a in attainment([person, team, laptops])}
    assert (invoiced[person].actual_amount, invoiced[person].actual_count) == (Decimal("360"), 1)
    assert invoiced[team].actual_amount == Decimal("360")
    assert (invoiced[laptops].actual_amount, invoiced[laptops].actual_count) == (
        Decimal("360"),
        4,
    )
