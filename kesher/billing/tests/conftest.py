import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kesher.billing.tests.fake_tax_authority import FakeTaxAuthority
from kesher.catalogue.tests.conftest import catalogue  # noqa: F401  (the shared catalogue)
from kesher.customers.tests.factories import make_account
from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines

DAY = datetime.date(2026, 12, 6)


@pytest.fixture(autouse=True)
def _on_the_test_day():
    """Every billing test runs on ``DAY`` (the clock still ticks): issuing dates a document
    today, and the tests' periods, rates and exports are ``DAY``'s."""
    morning = datetime.datetime.combine(DAY, datetime.time(10), tzinfo=ZoneInfo("Asia/Jerusalem"))
    with time_machine.travel(morning, tick=True):
        yield


@pytest.fixture
def business(users):
    """A VAT-registered customer (an organization with a company number)."""
    return make_account(users["sales_rep"], name="לקוח עסקי בע״מ", company_number="514713288")


@pytest.fixture
def make_order(users, catalogue):  # noqa: F811
    """A confirmed order of ``quantity`` laptops (90 ₪ each, 80 ₪ from 10) for ``account``."""

    def make(account, quantity="5", **data):
        rep = users["sales_rep"]
        order = order_create(actor=rep, data={"account": account, "doc_date": DAY, **data})
        lines = [LineInput(product=catalogue["laptop"].pk, quantity=Decimal(quantity))]
        order = order_set_lines(order, actor=rep, lines=lines)
        return order_confirm(order, actor=rep)

    return make


@pytest.fixture
def tax_authority(settings):
    with FakeTaxAuthority() as fake:
        settings.KESHER_TAX_AUTHORITY = fake.settings()
        yield fake


@pytest.fixture(autouse=True)
def english():
    """The services' messages read in English here; the API test asks for Hebrew itself."""
    from django.utils import translation

    with translation.override("en"):
        yield
