import pytest

from kesher.catalogue.tests.conftest import catalogue  # noqa: F401  (the shared catalogue)
from kesher.customers.tests.factories import make_account


@pytest.fixture
def account(users):
    return make_account(users["sales_rep"], name="לקוח בע״מ")
