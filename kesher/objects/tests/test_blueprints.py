"""Templates of kinds of record from seed 003 (issue 27 item 4; REQ AU-1, CX-7)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kesher.automation.models import Rule
from kesher.objects.blueprints import BLUEPRINTS, blueprint_install
from kesher.objects.models import CustomObject
from kesher.objects.testing import kinds_reloaded
from kesher.platform.models import Choice, CustomField
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reloaded():
    with kinds_reloaded():
        yield


def test_contracts_install_with_fields_statuses_and_the_renewal_reminder(users):
    client = Client()
    client.force_login(users["admin"])
    assert client.get("/objects/templates/").status_code == 200
    response = client.post("/objects/templates/contracts/install/")
    assert response.status_code == 302
    assert "contracts" in registry
    assert CustomField.objects.filter(entity="contracts").count() == 6
    assert list(
        Choice.objects.filter(list_key="object-status-contracts").values_list("value", flat=True)
    ) == ["draft", "active", "renewal", "ended"]
    rule = Rule.objects.get(entity="contracts")
    assert rule.trigger_kind == "time"
    assert rule.trigger_config["field"] == "custom.renewal_date"
    # The account's page lists its contracts (the link field's other side).
    assert any(r.entity_key == "contracts" for r in registry.get("accounts").related_lists)
    with pytest.raises(ValidationError):
        blueprint_install("contracts", actor=users["admin"])


@pytest.mark.parametrize("key", list(BLUEPRINTS))
def test_every_template_installs(users, key):
    blueprint_install(key, actor=users["admin"])
    assert CustomObject.objects.filter(key=key).exists()
    assert client_page_ok(users, key)


def client_page_ok(users, key) -> bool:
    client = Client()
    client.force_login(users["admin"])
    return client.get(f"/r/{key}/new/").status_code == 200


def test_only_administrators_install(users):
    with pytest.raises(ValidationError):
        blueprint_install("candidates", actor=users["manager"])
    client = Client()
    client.force_login(users["manager"])
    assert client.post("/objects/templates/candidates/install/").status_code == 403
    assert not CustomObject.objects.exists()
