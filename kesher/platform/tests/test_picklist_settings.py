"""Settings of pick-list values, declared once per list by the app that owns it, edited on
the generic pick-list pages and through ``/api/v1/choices/`` (REQ CX-4; issue "Platform v2"
item 10): fields appear for their own list only, the API's ``extra`` is checked key by key,
and a wrong key or kind answers 400 naming it, in Hebrew and English, writing nothing."""

import pytest

from kesher.platform.customfields import picklists
from kesher.platform.customfields.picklists import Setting, clean_settings, declare_settings
from kesher.platform.models import AuditEntry, Choice

pytestmark = pytest.mark.django_db

CHOICES = "/api/v1/choices/"


@pytest.fixture(autouse=True)
def widget_lists(monkeypatch):
    """Two lists of a module that is not there: one with settings, one without."""
    monkeypatch.setattr(picklists, "_declared", dict(picklists._declared))
    monkeypatch.setattr(picklists, "_checks", dict(picklists._checks))
    declare_settings(
        "widget_size",
        Setting("units", "integer", "units", min_value=1, max_value=10),
        Setting("fragile", "boolean", "fragile"),
        Setting("note", "text", "note", max_length=20),
        check=lambda s: (
            {"units": "fragile widgets come one at a time"}
            if s.get("fragile") and s.get("units", 1) > 1
            else {}
        ),
    )


@pytest.fixture
def large(db):
    return Choice.objects.create(
        list_key="widget_size", value="large", label_he="גדול", extra={"units": 4}
    )


@pytest.fixture
def red(db):
    return Choice.objects.create(list_key="widget_colour", value="red", label_he="אדום")


def settings_of(choice) -> dict:
    return Choice.objects.get(pk=choice.pk).extra


def test_the_api_reads_and_changes_only_the_settings_sent(users, api_for, large):
    api = api_for(users["admin"])
    assert api.get(f"{CHOICES}{large.pk}/").json()["extra"] == {"units": 4}
    changed = api.patch(f"{CHOICES}{large.pk}/", {"extra": {"note": "  עדין  "}}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["extra"] == {"units": 4, "note": "עדין"}
    cleared = api.patch(f"{CHOICES}{large.pk}/", {"extra": {"units": None}}, format="json")
    assert cleared.json()["extra"] == {"note": "עדין"}
    audited = AuditEntry.objects.filter(object_id=large.pk, changes__has_key="extra")
    assert audited.count() == 2


def test_the_api_creates_a_value_with_its_settings(users, api_for):
    response = api_for(users["admin"]).post(
        CHOICES,
        {
            "list_key": "widget_size",
            "value": "tiny",
            "label_he": "זעיר",
            "extra": {"units": 10, "default": True},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert settings_of(Choice.objects.get(value="tiny")) == {"units": 10, "default": True}


ERRORS = [
    ({"units": "four"}, "extra.units", "Enter a whole number.", "יש להזין מספר שלם."),
    ({"units": True}, "extra.units", "Enter a whole number.", "יש להזין מספר שלם."),
    ({"units": 11}, "extra.units", "Enter a number from 1 to 10.", "יש להזין מספר בין 1 ל-10."),
    ({"fragile": "yes"}, "extra.fragile", "Enter true or false.", "יש לבחור כן או לא."),
    ({"note": 7}, "extra.note", "Enter text.", "יש להזין טקסט."),
    (
        {"colour": "red"},
        "extra.colour",
        "This list has no such setting.",
        "אין לרשימה זו הגדרה כזו.",
    ),
    (
        {"fragile": True},
        "extra.units",
        "fragile widgets come one at a time",
        "fragile widgets come one at a time",
    ),
]


@pytest.mark.parametrize("language", ["he", "en"])
@pytest.mark.parametrize(("extra", "key", "english", "hebrew"), ERRORS)
def test_a_wrong_key_or_kind_answers_400_naming_it(
    users, api_for, large, language, extra, key, english, hebrew
):
    audits = AuditEntry.objects.count()
    response = api_for(users["admin"], language).patch(
        f"{CHOICES}{large.pk}/", {"extra": extra}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {key: [english if language == "en" else hebrew]}
    assert settings_of(large) == {"units": 4}
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Send the settings as an object, by key."),
        ("he", "יש לשלוח את ההגדרות כאובייקט, לפי מפתח."),
    ],
)
def test_settings_must_be_an_object(users, api_for, large, language, message):
    response = api_for(users["admin"], language).patch(
        f"{CHOICES}{large.pk}/", {"extra": [1, 2]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"extra": [message]}


def test_a_list_without_settings_of_its_own_has_only_the_common_ones(users, api_for, red):
    api = api_for(users["admin"], "en")
    refused = api.patch(f"{CHOICES}{red.pk}/", {"extra": {"units": 3}}, format="json")
    assert refused.json() == {"extra.units": ["This list has no such setting."]}
    accepted = api.patch(f"{CHOICES}{red.pk}/", {"extra": {"default": True}}, format="json")
    assert accepted.json()["extra"] == {"default": True}


def test_a_list_has_one_default_value(users, api_for, red):
    Choice.objects.create(list_key="widget_colour", value="blue", label_he="כחול")
    api = api_for(users["admin"], "en")
    first = api.patch(f"{CHOICES}{red.pk}/", {"extra": {"default": True}}, format="json")
    assert first.status_code == 200
    blue = Choice.objects.get(value="blue")
    second = api.patch(f"{CHOICES}{blue.pk}/", {"extra": {"default": True}}, format="json")
    assert second.status_code == 400
    assert second.json() == {"extra.default": ["אדום is already this list's default value."]}


def test_the_edit_page_shows_the_settings_of_the_values_list_only(users, client_for, large, red):
    client = client_for(users["admin"])
    page = client.get(f"/r/choices/{large.pk}/edit/").content.decode()
    assert 'name="extra.units"' in page
    assert 'value="4"' in page
    assert 'name="extra.fragile"' in page
    assert 'name="extra.default"' in page
    other = client.get(f"/r/choices/{red.pk}/edit/").content.decode()
    assert 'name="extra.default"' in other
    assert 'name="extra.units"' not in other


def test_the_edit_page_saves_the_settings(users, client_for, large):
    client = client_for(users["admin"])
    form = {
        "list_key": "widget_size",
        "value": "large",
        "label_he": "גדול",
        "order": 0,
        "active": "on",
        "extra.units": "7",
        "extra.note": "",
    }
    response = client.post(f"/r/choices/{large.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:500]
    assert settings_of(large) == {"units": 7, "fragile": False, "default": False}
    refused = client.post(f"/r/choices/{large.pk}/edit/", {**form, "extra.units": "40"})
    assert refused.status_code == 200
    assert 'data-error-for="extra.units"' in refused.content.decode()
    rule = client.post(f"/r/choices/{large.pk}/edit/", {**form, "extra.fragile": "on"})
    assert "fragile widgets come one at a time" in rule.content.decode()
    assert settings_of(large)["units"] == 7


def test_the_new_value_page_brings_the_chosen_lists_settings(users, client_for):
    client = client_for(users["admin"])
    blank = client.get("/r/choices/new/").content.decode()
    assert 'name="extra.units"' not in blank
    assert 'hx-get="/r/choices/new/"' in blank  # choosing the list reloads the form
    chosen = client.get("/r/choices/new/", {"list_key": "widget_size"}).content.decode()
    assert 'name="extra.units"' in chosen
    created = client.post(
        "/r/choices/new/",
        {
            "list_key": "widget_size",
            "value": "small",
            "label_he": "קטן",
            "order": 1,
            "active": "on",
            "extra.units": "2",
        },
    )
    assert created.status_code == 302
    assert settings_of(Choice.objects.get(value="small")) == {
        "units": 2,
        "fragile": False,
        "default": False,
    }


def test_the_value_page_shows_its_settings(users, client_for, large):
    page = client_for(users["admin"]).get(f"/r/choices/{large.pk}/").content.decode()
    assert 'id="choice-settings"' in page
    assert 'data-setting="units"><bdi>4</bdi>' in page


def test_the_schema_documents_the_declared_settings(users, api_for):
    # Its own schema: the declarations are this module's (the shared one has none of them).
    schema = api_for(users["admin"]).get("/api/schema/", {"format": "json"}).json()
    extra = schema["components"]["schemas"]["Choice"]["properties"]["extra"]
    assert "widget_size: units (integer, 1–10)" in extra["description"]
    assert "task_type: sla_hours" in extra["description"]


def test_every_value_kesher_installs_fits_its_lists_declaration():
    """The starting values (each app's data migration) hold only settings their lists
    declare, of the declared kinds: the pages and the API can edit every one of them."""
    values = Choice.objects.exclude(extra={})
    assert values.exists()
    for value in values:
        assert clean_settings(value.list_key, value.extra, {}) == value.extra, value.list_key
