"""Invoicing the approved hours (REQ PR-4; decision 0106): draft tax invoices per customer, a
line per entry priced by the rate cards, the entries billed and locked, never billed twice,
and given back when the draft is deleted."""

import datetime
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kesher.billing.models import InvoiceLine, TaxDocument
from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.projects.invoicing import invoice_hours
from kesher.projects.models import RateCard, TimeEntry
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import make_project, report

SUNDAY = datetime.date(2026, 11, 1)
ENTRIES = 'FROM "projects_timeentry"'


@pytest.fixture(autouse=True)
def english():
    """The services' messages read in English here; the API test asks for Hebrew itself."""
    with translation.override("en"):
        yield


def _week_of_hours(users, *, customers=1):
    """A manager's projects for ``customers`` customers, a rate card of ₪300 an hour, and his
    and a rep's approved hours on them (the rep's Monday not billable)."""
    pm, rep, admin = users["manager"], users["sales_rep"], users["admin"]
    record_create(
        "rate-cards",
        actor=admin,
        data={"name": "standard", "valid_from": datetime.date(2026, 1, 1), "hourly_rate": "300"},
    )
    projects = []
    for n in range(customers):
        account = make_account(pm, name=f"לקוח {n}")
        project = make_project(pm, account=account)
        record_create("project-members", actor=pm, data={"project": project, "user": rep})
        projects.append(project)
        report(pm, project, SUNDAY, 90, description="ניתוח דרישות")
        report(rep, project, SUNDAY + datetime.timedelta(days=1), 20, billable=False)
        report(rep, project, SUNDAY + datetime.timedelta(days=2), 50, description="פיתוח")
    week_submit(actor=pm, week=SUNDAY)
    week_submit(actor=rep, week=SUNDAY)
    entries_approve(
        actor=pm, ids=list(TimeEntry.objects.values_list("pk", flat=True).order_by("id"))
    )
    product = make_product(admin, name="שעות ייעוץ", kind="service")
    return projects, product


@pytest.mark.django_db
def test_approved_hours_become_a_draft_invoice_per_customer_and_are_locked(users):
    projects, product = _week_of_hours(users, customers=2)
    pm = users["manager"]
    documents = invoice_hours(actor=pm, product=product)
    assert len(documents) == 2
    assert {d.account_id for d in documents} == {p.account_id for p in projects}
    document = next(d for d in documents if d.account_id == projects[0].account_id)
    assert document.kind == "tax_invoice"
    assert document.status == TaxDocument.Status.DRAFT
    lines = list(document.lines.order_by("position"))
    # By date: the manager's Sunday, then the rep's Tuesday; the Monday was not billable.
    assert [line.quantity for line in lines] == [Decimal("1.500"), Decimal("0.833")]
    assert [line.net for line in lines] == [Decimal("450.00"), Decimal("250.00")]
    assert lines[0].name.startswith("01/11/2026 · ")
    assert lines[0].name.endswith("ניתוח דרישות")
    assert document.net == Decimal("700.00")
    assert document.vat == sum(line.vat for line in lines)
    billed = TimeEntry.objects.filter(state=TimeEntry.State.BILLED)
    assert billed.count() == 4
    assert set(billed.values_list("invoice_line__document", flat=True)) == {d.pk for d in documents}
    entry = billed.first()
    with pytest.raises(ValidationError, match="Billed hours"):
        record_update(entry, actor=pm, data={"minutes": 10})
    # Nothing left: a second run is refused and writes nothing.
    with pytest.raises(ValidationError, match="No approved billable hours"):
        invoice_hours(actor=pm, product=product)
    assert TaxDocument.objects.count() == 2


@pytest.mark.django_db
def test_the_choice_narrows_by_customer_and_dates_and_an_unpriced_hour_refuses(users):
    projects, product = _week_of_hours(users, customers=2)
    pm = users["manager"]
    (document,) = invoice_hours(
        actor=pm,
        product=product,
        account=projects[1].account,
        date_from=SUNDAY,
        date_to=SUNDAY,
    )
    assert document.account_id == projects[1].account_id
    assert document.lines.count() == 1
    RateCard.objects.all().delete()
    with pytest.raises(ValidationError, match="no rate card"):
        invoice_hours(actor=pm, product=product)
    assert TimeEntry.objects.filter(state=TimeEntry.State.BILLED).count() == 1


@pytest.mark.django_db
def test_deleting_the_draft_gives_the_hours_back(users):
    _projects, product = _week_of_hours(users)
    pm = users["manager"]
    (document,) = invoice_hours(actor=pm, product=product)
    record_delete(document, actor=users["admin"])
    assert not InvoiceLine.objects.exists()
    assert TimeEntry.objects.filter(state=TimeEntry.State.APPROVED).count() == 3
    assert not TimeEntry.objects.filter(invoice_line__isnull=False).exists()
    assert len(invoice_hours(actor=pm, product=product)) == 1


@pytest.mark.django_db
def test_the_page_and_the_api_invoice_and_refuse_with_a_translated_400(users, client_for, api_for):
    projects, product = _week_of_hours(users, customers=2)
    pm = users["manager"]
    page = client_for(pm)
    assert "לקוח 0" in page.get("/projects/invoice/").content.decode()
    response = page.post(
        "/projects/invoice/", {"product": product.pk, "account": projects[0].account_id}
    )
    assert response.status_code == 302
    document = TaxDocument.objects.get()
    assert response["Location"] == f"/r/tax-documents/{document.pk}/"
    response = api_for(pm, "en").post(
        "/api/v1/time-entries/invoice/", {"product": product.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    (made,) = response.json()
    assert made["account"] == projects[1].account_id
    assert made["lines"] == 2
    assert made["net"] == "700.00"
    assert made["status"] == "draft"
    response = api_for(pm, "he").post(
        "/api/v1/time-entries/invoice/", {"product": product.pk}, format="json"
    )
    assert response.status_code == 400
    assert "שעות" in response.content.decode()
    response = api_for(pm, "en").post("/api/v1/time-entries/invoice/", {}, format="json")
    assert response.status_code == 400
    # A role that may not make tax documents may not invoice hours.
    assert (
        api_for(users["support_agent"], "en")
        .post("/api/v1/time-entries/invoice/", {"product": product.pk}, format="json")
        .status_code
        == 403
    )


@pytest.mark.django_db(transaction=True)
def test_two_managers_invoicing_at_once_bill_each_hour_once(users):
    """Two invoicers of the same hours at once: the row locks give each hour one line."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the PostgreSQL run is the test")
    _projects, product = _week_of_hours(users, customers=3)
    made, refused, errors = [], [], []
    barrier = threading.Barrier(2)

    def invoicer(actor):
        try:
            barrier.wait()
            try:
                made.extend(invoice_hours(actor=actor, product=product))
            except ValidationError:
                refused.append(actor)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=invoicer, args=(u,)) for u in (users["manager"],) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    billable = TimeEntry.objects.filter(billable=True)
    assert billable.filter(state=TimeEntry.State.BILLED).count() == billable.count() == 6
    assert InvoiceLine.objects.count() == 6
    assert len(set(billable.values_list("invoice_line", flat=True))) == 6
    # The first takes every hour (three customers, three drafts); the second finds none left.
    assert len(made) == 3
    assert len(refused) == 1


@pytest.mark.django_db
def test_the_hours_are_chosen_and_locked_in_one_read_without_a_subquery_of_the_entries(users):
    """Decision 0111: the time entries' visibility is a condition on each row, not "id IN (the
    grant's entries)" — PostgreSQL checked each of 10,000 rows against all 200,000 ids once
    they no longer fit its hash (invoicing took minutes) — and the chosen hours are locked in
    the same read, not listed as 10,000 literal ids. The statements do not grow with the hours:
    three customers' hours invoice in as many statements as one customer's more hours."""
    projects, product = _week_of_hours(users, customers=3)
    pm, admin = users["manager"], users["admin"]
    # The administrator sees every entry: no condition at all; the manager his department's
    # and his projects', the rep his own: the entries' table read once, no subquery of it.
    assert not TimeEntry.objects.visible_to(admin).query.where
    seen = str(TimeEntry.objects.visible_to(pm).query)
    assert seen.count(ENTRIES) == 1
    assert {e.pk for e in TimeEntry.objects.visible_to(pm)} == set(
        TimeEntry.objects.values_list("pk", flat=True)
    )
    rep_seen = TimeEntry.objects.visible_to(users["sales_rep"])
    assert str(rep_seen.query).count(ENTRIES) == 1
    assert set(rep_seen.values_list("user", flat=True)) == {users["sales_rep"].pk}

    # The second customer's week has five more hours than the first's.
    later = SUNDAY + datetime.timedelta(days=7)
    for day in range(5):
        report(pm, projects[1], later + datetime.timedelta(days=day), 30, description="בדיקות")
    week_submit(actor=pm, week=later)
    entries_approve(
        actor=pm,
        ids=list(TimeEntry.objects.filter(date__gte=later).values_list("pk", flat=True)),
    )

    def statements(account):
        with CaptureQueriesContext(connection) as queries:
            invoice_hours(actor=pm, product=product, account=account)
        return [q["sql"] for q in queries.captured_queries]

    statements(projects[2].account)  # the caches of a first invoice filled
    two, seven = statements(projects[0].account), statements(projects[1].account)
    assert len(two) == len(seven)
    assert TaxDocument.objects.get(account=projects[1].account).lines.count() == 7
    reads = [sql for sql in seven if sql.startswith("SELECT") and "projects_timeentry" in sql]
    assert len(reads) == 1, reads
    (read,) = reads
    assert read.count(ENTRIES) == 1
    assert not re.search(r"IN \(\d", read), read
    if connection.vendor == "postgresql":
        assert read.endswith('FOR UPDATE OF "projects_timeentry"')
