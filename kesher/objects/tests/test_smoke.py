import pytest
from django.test import Client

from kesher.platform.records.services import record_create

pytestmark = pytest.mark.django_db


def test_pages_and_api(users, contracts_kind):
    admin = users["admin"]
    rec = record_create(
        "contracts", actor=admin, data={"name": "חוזה שירות", "custom": {"value": 100}}
    )
    c = Client()
    c.force_login(admin)
    assert c.get("/r/contracts/").status_code == 200
    assert c.get(f"/r/contracts/{rec.pk}/").status_code == 200
    assert c.get("/r/contracts/new/").status_code == 200
    r = c.get("/api/v1/contracts/")
    assert r.status_code == 200, r.content
    print(r.json())
