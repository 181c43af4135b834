"""The registry is the one home of per-entity knowledge, and takes entities while Kesher runs
(issue "Platform v2" item 1)."""

from __future__ import annotations

import pytest
from django.test import Client

from kesher.platform import stamps
from kesher.platform.records.links import linkable_keys
from kesher.platform.registry import ListedOn, registry

pytestmark = pytest.mark.django_db

KEY = "business-calendars"


@pytest.fixture
def detached():
    """Business calendars taken out of the registry, as if no app had registered them; the
    registration is put back afterwards."""
    entity = registry.get(KEY)
    registry.unregister(KEY)
    yield entity
    if "runtime" in registry._sources:
        registry.remove_source("runtime")
    if KEY not in registry:
        registry.register(entity)


def _admin_client(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def test_an_entity_registered_while_running_is_served_at_once(users, detached):
    """Pages, the API and the OpenAPI schema follow the registry with no restart."""
    client = _admin_client(users)
    assert client.get(f"/api/v1/{KEY}/").status_code == 404
    assert f"/api/v1/{KEY}/" not in client.get("/api/schema/?format=json").json()["paths"]

    registry.register(detached)

    assert client.get(f"/api/v1/{KEY}/").status_code == 200
    assert client.get(f"/r/{KEY}/").status_code == 200
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {f"/api/v1/{KEY}/", f"/api/v1/{KEY}/{{id}}/"} <= set(paths)
    assert KEY in client.get("/api/v1/").json()


def test_a_source_is_loaded_again_in_every_process_when_its_stamp_changes(users, detached):
    """Another process renews the source's stamp: this one loads the entities on its next
    request (the request's one stamp read), without being told."""
    loaded = []

    def load():
        loaded.append(True)
        return [detached] if len(loaded) > 1 else []

    stamps.renew("runtime-entities")
    registry.add_source("runtime", stamp="runtime-entities", load=load)
    client = _admin_client(users)
    assert client.get(f"/api/v1/{KEY}/").status_code == 404
    assert client.get(f"/api/v1/{KEY}/").status_code == 404
    assert len(loaded) == 1  # unchanged stamp: not loaded again

    stamps.renew("runtime-entities")  # as another process's change would

    assert client.get(f"/api/v1/{KEY}/").status_code == 200
    assert len(loaded) == 2


def test_unknown_words_fall_through_to_other_api_routes(users):
    """The ``entity`` converter matches registered keys only: an app's own route with a
    single word is still found."""
    client = _admin_client(users)
    assert client.get("/api/v1/saved-views/").status_code == 200
    assert client.get("/api/v1/no-such-thing/").status_code == 404


def test_the_reverse_side_of_a_link_shows_on_the_linked_records_page():
    """Users declare that they are listed on their department's page; the departments'
    registration does not change."""
    departments = registry.get("departments")
    assert any(
        r.entity_key == "users" and r.lookup == "department" for r in departments.related_lists
    )
    assert all(r.entity_key != "users" for r in departments.related)
    assert isinstance(registry.get("users").listed_on[0], ListedOn)


def test_linkable_entities_come_from_their_registrations():
    assert linkable_keys() == [e.key for e in registry.all() if e.linkable]
    assert {"accounts", "contacts"} <= set(linkable_keys())
    assert not {"interactions", "tasks", "users"} & set(linkable_keys())


def test_panels_apply_to_every_linkable_entity_registered_later():
    accounts = registry.get("accounts")
    assert "activities/aside/_activities.html" in registry.panels(accounts, "aside")
    assert "activities/banners/_alerts.html" in registry.panels(accounts, "banners")
    assert "activities/actions/_activities.html" in registry.panels(accounts, "actions")
    assert [anchor for _label, anchor in registry.panel_links(accounts, "aside")] == [
        "record-notes",
        "record-activities",
    ]
    # A department is no linkable record: none of the activities' panels (the notes of
    # kesher.collab go on every record).
    departments = registry.get("departments")
    for kind in ("panels", "aside", "banners", "actions"):
        assert [p for p in registry.panels(departments, kind) if p.startswith("activities/")] == []


def test_headline_defaults_to_status_and_owner():
    """The header's key fields are declared on the entity; without them, its status and owner."""
    assert registry.get("accounts").headline[:2] == ("status", "owner")
    assert registry.get("departments").headline == ()
    assert registry.get("manual-alerts").headline == ("owner",)


def test_custom_fields_are_offered_only_where_records_can_hold_them(users):
    from django.core.exceptions import ValidationError

    from kesher.platform.customfields.schema import custom_field_create

    assert not registry.get("users").has_custom_fields
    with pytest.raises(ValidationError) as caught:
        custom_field_create(
            actor=users["admin"],
            data={"entity": "users", "key": "shoe_size", "label_he": "מידה", "type": "integer"},
        )
    assert "entity" in caught.value.message_dict
