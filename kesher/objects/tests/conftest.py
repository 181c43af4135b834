import pytest

from kesher.objects.schema import custom_object_create
from kesher.objects.testing import kinds_reloaded
from kesher.platform.customfields.schema import custom_field_create
from kesher.platform.registry import registry


def define_contracts(admin):
    """A kind with a status, an owner, typed fields and a link to accounts."""
    custom_object_create(
        actor=admin,
        data={
            "key": "contracts",
            "name_he": "חוזה",
            "name_en": "Contract",
            "plural_he": "חוזים",
            "plural_en": "Contracts",
            "icon": "📄",
            "has_owner": True,
            "has_status": True,
        },
    )
    for key, type_, extra in (
        ("start_date", "date", {}),
        ("value", "money", {}),
        ("account", "link", {"link_entity": "accounts"}),
        ("terms", "long_text", {}),
    ):
        custom_field_create(
            actor=admin,
            data={
                "entity": "contracts",
                "key": key,
                "label_he": key,
                "label_en": key,
                "type": type_,
                **extra,
            },
        )
    registry.refresh()
    return registry.get("contracts")


@pytest.fixture
def contracts_kind(users):
    with kinds_reloaded():
        yield define_contracts(users["admin"])
