from decimal import Decimal

import pytest

from kesher.billing.tests.conftest import business, make_order  # noqa: F401
from kesher.catalogue.tests.conftest import catalogue  # noqa: F401  (the shared catalogue)
from kesher.catalogue.tests.factories import make_product
from kesher.platform.records.services import record_create
from kesher.stock.models import MoveKind
from kesher.stock.services import move_create, product_stock_set


@pytest.fixture(autouse=True)
def english():
    """The services' messages read in English here; the API tests ask for Hebrew themselves."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def stock(users):
    """A main warehouse, the support agent's van, a filter (goods, serial-tracked), a cable
    (goods) and an installation (a service)."""
    admin = users["admin"]
    main = record_create("warehouses", actor=admin, data={"name": "מחסן ראשי", "kind": "warehouse"})
    van = record_create(
        "warehouses",
        actor=admin,
        data={"name": "ניידת — טכנאי", "kind": "van", "technician": users["support_agent"]},
    )
    other_van = record_create(
        "warehouses",
        actor=admin,
        data={"name": "ניידת — אחר", "kind": "van", "technician": users["sales_rep2"]},
    )
    filter_ = make_product(admin, name="מסנן מים", sku="FLT-1")
    product_stock_set(filter_, actor=admin, serial_tracked=True)
    cable = make_product(admin, name="כבל חשמל", sku="CBL-1")
    install = make_product(admin, name="התקנה", sku="SRV-1", kind="service")
    return {
        "main": main,
        "van": van,
        "other_van": other_van,
        "filter": filter_,
        "cable": cable,
        "install": install,
    }


@pytest.fixture
def receive(users):
    def make(product, warehouse, quantity, serials=()):
        return move_create(
            actor=users["admin"],
            kind=MoveKind.RECEIPT,
            product=product,
            quantity=Decimal(str(quantity)),
            to_warehouse=warehouse,
            serials=list(serials),
        )

    return make
