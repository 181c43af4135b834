"""The built-in report of tax withheld at source per supplier (form 856's data; issue 17;
decision 0118): per supplier, his tax id and tax year, what was paid him and what was withheld,
in shekels; run as its reader (a manager counts the payments of the suppliers he sees); on
the reports page, the API and the export; not shared with the sales reps."""

import datetime
from decimal import Decimal

import pytest

from kesher.customers.tests.factories import make_account
from kesher.purchasing.services import supplier_payment_create
from kesher.reports import engine
from kesher.reports.models import Report

pytestmark = pytest.mark.django_db

NAME = "ניכוי במקור לפי ספק (טופס 856)"


def _figures(user) -> dict:
    report = Report.objects.get(name=NAME, owner=None)
    result = engine.run(engine.parse(report.definition, user), user)
    return {tuple(str(c.value) for c in row.groups): row.figures for row in result.rows}


@pytest.fixture
def paid(users, supplier):
    """The supplier paid ₪9,000 (₪1,000 withheld) in 2025 and ₪4,750 (₪250 withheld) and
    ₪500 (none withheld) in 2026; another supplier ₪1,800 (₪200) in 2026."""
    manager = users["manager"]
    other = make_account(manager, name="יועץ מס", company_number="516179157")
    for who, day, amount, withheld in (
        (supplier, datetime.date(2025, 12, 30), "9000", "1000"),
        (supplier, datetime.date(2026, 3, 1), "4750", "250"),
        (supplier, datetime.date(2026, 11, 2), "500", "0"),
        (other, datetime.date(2026, 6, 1), "1800", "200"),
    ):
        supplier_payment_create(
            actor=manager,
            data={
                "supplier": who,
                "means": "transfer",
                "paid_on": day,
                "amount": Decimal(amount),
                "withholding": Decimal(withheld),
            },
        )
    return supplier, other


def test_paid_and_withheld_per_supplier_tax_id_and_year(users, paid):
    supplier, other = paid
    figures = _figures(users["manager"])
    assert figures == {
        (str(supplier.pk), "514713288", "2025-01-01"): [
            Decimal("9000.00"),
            Decimal("1000.00"),
            1,
        ],
        (str(supplier.pk), "514713288", "2026-01-01"): [
            Decimal("5250.00"),
            Decimal("250.00"),
            2,
        ],
        (str(other.pk), "516179157", "2026-01-01"): [Decimal("1800.00"), Decimal("200.00"), 1],
    }


def test_on_the_page_api_and_export_for_managers_only(users, paid, client_for, api_for):
    report = Report.objects.get(name=NAME, owner=None)
    assert set(report.shared_roles.values_list("key", flat=True)) == {"manager"}
    page = client_for(users["manager"]).get(f"/reports/{report.pk}/")
    assert page.status_code == 200
    assert "514713288" in page.content.decode()
    rows = api_for(users["manager"]).get(f"/api/v1/reports/{report.pk}/result/").json()["rows"]
    assert len(rows) == 3
    exported = client_for(users["manager"]).get(f"/reports/{report.pk}/export/csv/")
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content])
    assert "516179157" in text.decode("utf-8-sig")
    assert client_for(users["sales_rep"]).get(f"/reports/{report.pk}/").status_code == 404
