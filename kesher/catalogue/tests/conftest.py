import datetime

import pytest

from kesher.catalogue.tests.factories import make_group, make_list, make_product
from kesher.platform.models import Choice

TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def catalogue(users):
    """A group tree (hardware > laptops), a laptop at 100 ₪ list price with cost 60, a default
    list (90 ₪, 80 ₪ from 10) and a VIP list (85 ₪)."""
    admin = users["admin"]
    hardware = make_group(admin, "חומרה")
    laptops = make_group(admin, "מחשבים ניידים", parent=hardware)
    laptop = make_product(admin, name="מחשב נייד", group=laptops, cost_price="60.00")
    default = make_list(admin, "מחירון כללי", is_default=True)
    vip = make_list(
        admin, "מחירון VIP", segment=Choice.objects.get(list_key="account_status", value="vip")
    )
    from kesher.catalogue.tests.factories import make_entry

    make_entry(admin, default, laptop, "90.00")
    make_entry(admin, default, laptop, "80.00", min_quantity="10")
    make_entry(admin, vip, laptop, "85.00")
    return {
        "hardware": hardware,
        "laptops": laptops,
        "laptop": laptop,
        "default": default,
        "vip": vip,
    }
