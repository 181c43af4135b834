"""Cost rates and the profitability of projects (issue 20 item 5; decision 0116): each
project's approved hours valued at the rate cards and as invoiced, against their cost at each
employee's cost rate on the day; the cost kept from whoever may not read it, by grant or by a
field rule; on the page and the API, in a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create
from kesher.projects.invoicing import invoice_hours
from kesher.projects.models import TimeEntry
from kesher.projects.profitability import profitability
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import make_project, report

pytestmark = pytest.mark.django_db

SUNDAY = datetime.date(2026, 11, 1)
PERIOD = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def _cost(admin, user, start, cost, end=None):
    return record_create(
        "cost-rates",
        actor=admin,
        data={"user": user, "valid_from": start, "valid_to": end, "hourly_cost": cost},
    )


def _approve_all(pm, *people):
    for person in people:
        week_submit(actor=person, week=SUNDAY)
    waiting = TimeEntry.objects.filter(state=TimeEntry.State.SUBMITTED)
    entries_approve(actor=pm, ids=list(waiting.values_list("pk", flat=True)))


@pytest.fixture
def books(users):
    """A ₪300 rate card; the manager's project with his 90 billable minutes on Sunday and the
    rep's 50 billable and 20 unbillable; the manager costs ₪100 an hour, the rep ₪60 until
    Monday and ₪90 from Tuesday."""
    pm, rep, admin = users["manager"], users["sales_rep"], users["admin"]
    record_create(
        "rate-cards",
        actor=admin,
        data={"name": "standard", "valid_from": datetime.date(2026, 1, 1), "hourly_rate": "300"},
    )
    _cost(admin, pm, datetime.date(2026, 1, 1), "100")
    _cost(admin, rep, datetime.date(2026, 1, 1), "60", end=datetime.date(2026, 11, 2))
    _cost(admin, rep, datetime.date(2026, 11, 3), "90")
    project = make_project(pm, account=make_account(pm, name="לקוח רווחי"), code="P-7")
    record_create("project-members", actor=pm, data={"project": project, "user": rep})
    report(pm, project, SUNDAY, 90)
    report(rep, project, SUNDAY + datetime.timedelta(days=1), 20, billable=False)
    report(rep, project, SUNDAY + datetime.timedelta(days=2), 50)
    _approve_all(pm, pm, rep)
    return project


def test_value_invoiced_and_cost_add_up_per_entry(users, books):
    pm, admin = users["manager"], users["admin"]
    [row] = profitability(pm)
    assert (row.project_id, row.account) == (books.pk, "לקוח רווחי")
    assert (row.minutes, row.billable_minutes) == (160, 140)
    # 1.5 h × 300 + 50/60 h × 300 = 450 + 250.
    assert row.value == Decimal("700.00")
    assert row.invoiced == Decimal("0.00")
    # The manager 1.5 h × 100; the rep's Monday 20 min × 60 = 20, his Tuesday 50 min × 90 = 75.
    assert row.cost == Decimal("245.00")
    assert (row.margin, row.margin_percent) == (Decimal("455.00"), 65)
    assert (row.unpriced_minutes, row.uncosted_minutes) == (0, 0)
    # Invoiced: the draft's lines, before VAT, are what the hours are worth.
    invoice_hours(actor=pm, product=make_product(admin, name="שעות", kind="service"))
    [row] = profitability(pm)
    assert row.invoiced == Decimal("700.00")
    # Dates narrow the hours: Tuesday alone.
    [row] = profitability(pm, date_from=SUNDAY + datetime.timedelta(days=2))
    assert (row.minutes, row.value, row.cost) == (50, Decimal("250.00"), Decimal("75.00"))


def test_hours_no_rate_prices_or_costs_are_named_not_guessed(users):
    pm = users["manager"]
    project = make_project(pm)
    report(pm, project, SUNDAY, 45)
    _approve_all(pm, pm)
    [row] = profitability(pm)
    assert (row.value, row.unpriced_minutes) == (Decimal("0.00"), 45)
    assert (row.cost, row.uncosted_minutes) == (Decimal("0.00"), 45)
    assert row.margin_percent is None


def test_a_cost_rate_is_data_an_administrator_sets(users, client_for, api_for):
    admin, pm = users["admin"], users["manager"]
    with pytest.raises(ValidationError):
        _cost(admin, pm, datetime.date(2026, 2, 1), "80", end=datetime.date(2026, 1, 1))
    # The manager reads them (his projects' cost) but does not set them.
    assert client_for(pm).get("/r/cost-rates/").status_code == 200
    assert client_for(pm).get("/r/cost-rates/new/").status_code == 403
    denied = api_for(pm).post(
        "/api/v1/cost-rates/",
        {"user": pm.pk, "valid_from": "2026-01-01", "hourly_cost": "1.00"},
        format="json",
    )
    assert denied.status_code == 403
    made = api_for(admin).post(
        "/api/v1/cost-rates/",
        {"user": pm.pk, "valid_from": "2026-01-01", "hourly_cost": "120.00"},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["hourly_cost"] == "120.00"
    # A sales rep has no grant: no list, no record, no cost in the API.
    rep = users["sales_rep"]
    assert client_for(rep).get("/r/cost-rates/").status_code == 403
    assert api_for(rep).get(f"/api/v1/cost-rates/{made.json()['id']}/").status_code in (403, 404)


def test_the_cost_is_kept_from_roles_that_may_not_see_it(users, books, client_for, api_for):
    pm, rep, admin = users["manager"], users["sales_rep"], users["admin"]
    # The rep sees his hours' project (he is on the team) but reads no cost rates.
    [row] = profitability(rep)
    assert row.cost is None
    assert row.margin is None
    page = client_for(rep).get("/projects/profitability/", PERIOD)
    assert page.status_code == 200
    assert "P-7" in page.content.decode()
    assert "245.00" not in page.content.decode()
    body = api_for(rep).get("/api/v1/projects/profitability/", PERIOD).json()
    assert body[0]["cost"] is None
    assert body[0]["margin"] is None
    # A field rule hides the cost from the managers, as the catalogue's cost price.
    assert profitability(pm)[0].cost == Decimal("245.00")
    record_create(
        "field-rules",
        actor=admin,
        data={"entity": "cost-rates", "field": "hourly_cost", "hidden_roles": ["manager"]},
    )
    assert profitability(pm)[0].cost is None
    assert "245.00" not in client_for(pm).get("/projects/profitability/", PERIOD).content.decode()
    body = api_for(pm).get("/api/v1/projects/profitability/", PERIOD).json()
    assert body[0]["cost"] is None
    assert body[0]["value"] == "700.00"
    # The administrator sees all.
    assert profitability(admin)[0].cost == Decimal("245.00")
    # A reader who does not see the project's hours does not see it.
    assert profitability(users["sales_rep2"]) == []


def test_page_and_api_in_both_languages(users, books, client_for, api_for):
    pm = users["manager"]
    with translation.override("he"):
        page = client_for(pm).get("/projects/profitability/", PERIOD, HTTP_ACCEPT_LANGUAGE="he")
    text = page.content.decode()
    assert page.status_code == 200
    assert "רווחיות פרויקטים" in text
    assert "455.00" in text
    assert "2:40" in text
    pm.language = "en"
    pm.save(update_fields=["language"])
    page = client_for(pm).get("/projects/profitability/", PERIOD)
    assert "Project profitability" in page.content.decode()
    [row] = api_for(pm).get("/api/v1/projects/profitability/", PERIOD).json()
    assert row["hours"] == "2.67"
    assert (row["value"], row["cost"], row["margin"], row["margin_percent"]) == (
        "700.00",
        "245.00",
        "455.00",
        65,
    )
    one = api_for(pm).get("/api/v1/projects/profitability/", {**PERIOD, "project": books.pk})
    assert len(one.json()) == 1
    bad = api_for(pm).get(
        "/api/v1/projects/profitability/", {"date_from": "2026-12-01", "date_to": "2026-11-01"}
    )
    assert bad.status_code == 400
    assert client_for(pm).get("/projects/profitability/", {"date_from": "x"}).status_code == 400


def test_the_same_queries_for_few_or_many_projects(users, api_for):
    pm, rep, admin = users["manager"], users["sales_rep"], users["admin"]
    _cost(admin, pm, datetime.date(2026, 1, 1), "100")
    client = api_for(pm)
    counts = []
    for projects in (1, 6):
        for _ in range(projects):
            project = make_project(pm)
            record_create("project-members", actor=pm, data={"project": project, "user": rep})
            report(pm, project, SUNDAY, 30)
        _approve_all(pm, pm)
        client.get("/api/v1/projects/profitability/", PERIOD)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/projects/profitability/", PERIOD)
        assert response.status_code == 200
        assert len(response.json()) == (1 if projects == 1 else 7)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_invoiced_is_net_of_credit_notes_and_the_project_page_shows_cost_and_margin(
    users, books, client_for
):
    """Decision 0122: a credit note of an invoiced hour's line takes it off "invoiced"; the
    project's own page shows what was invoiced, and its cost and margin to whoever may see
    cost."""
    from kesher.billing.services import credit_note_for, document_issue

    pm, admin, rep = users["manager"], users["admin"], users["sales_rep"]
    [invoice] = invoice_hours(actor=pm, product=make_product(admin, name="שעות", kind="service"))
    invoice = document_issue(invoice, actor=admin)
    first_line = invoice.lines.order_by("position").first()
    credit_note_for(invoice, actor=admin, positions=[first_line.position])
    [row] = profitability(pm)
    assert row.credited == first_line.net_ils
    assert row.invoiced == Decimal("700.00") - first_line.net_ils
    assert row.credited in (Decimal("450.00"), Decimal("250.00"))
    page = client_for(admin).get(f"/r/projects/{books.pk}/").content.decode()
    assert 'id="project-profit"' in page
    assert 'id="profit-cost"' in page
    assert 'id="profit-margin"' in page
    assert "245.00" in page
    assert "455.00" in page
    # The rep on the team sees what was invoiced, not the cost or margin.
    page = client_for(rep).get(f"/r/projects/{books.pk}/").content.decode()
    assert 'id="profit-invoiced"' in page
    assert 'id="profit-cost"' not in page
    assert "245.00" not in page
