"""The demo's contracts (issue 27): the template installed, granted, with records a rep sees."""

import pytest
from django.test import Client

from kesher.objects.models import CustomRecord
from kesher.objects.testing import kinds_reloaded
from kesher.org.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def reloaded():
    with kinds_reloaded():
        yield


def test_the_demo_has_contracts_a_rep_sees_on_his_list(reloaded, loaded):
    assert CustomRecord.objects.filter(definition__key="contracts").count() == 5
    record = CustomRecord.objects.filter(definition__key="contracts").first()
    client = Client()
    client.force_login(record.owner)
    page = client.get("/r/contracts/").content.decode()
    assert f"/r/contracts/{record.pk}/" in page
    others = CustomRecord.objects.exclude(owner=record.owner).first()
    assert others is None or f"/r/contracts/{others.pk}/" not in page
    assert User.objects.filter(role__key="sales_rep").exists()
