import datetime
from decimal import Decimal

import pytest

from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create

DAY = datetime.date(2026, 12, 6)


@pytest.fixture(autouse=True)
def english():
    """The services' messages read in English here; the API tests ask for Hebrew themselves."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def supplier(users):
    """A supplier: an organization account, as any customer is."""
    return make_account(users["manager"], name="ספק מחשבים בע״מ", company_number="514713288")


@pytest.fixture
def goods(users):
    """A mouse (goods, standard VAT), a warehouse, and the dollar at 3.70 from December."""
    admin = users["admin"]
    mouse = make_product(admin, name="עכבר", sku="MSE-9", price="50.00")
    warehouse = record_create("warehouses", actor=admin, data={"name": "מחסן", "kind": "warehouse"})
    record_create(
        "exchange-rates",
        actor=admin,
        data={"currency": "USD", "valid_from": datetime.date(2026, 12, 1), "rate": Decimal("3.7")},
    )
    return {"mouse": mouse, "warehouse": warehouse}
