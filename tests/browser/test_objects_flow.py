"""Custom objects in a real browser (issue 27): an administrator defines a kind of record, adds
a field to it, creates a record and finds it in the global search — in Hebrew (right to left)
and in English. REQ CX-1, CX-2, CX-7."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.objects.models import CustomRecord
from kesher.objects.testing import kinds_reloaded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [
    ("he", "he-IL", "courses", "קורס", "קורסים", "תאריך פתיחה", "קורס אקסל מתקדם"),
    ("en", "en-US", "workshops", "Workshop", "Workshops", "Opening date", "Advanced Excel"),
]


@pytest.mark.parametrize(("lang", "locale", "key", "name", "plural", "field", "record"), CASES)
def test_define_a_kind_add_a_field_create_a_record_and_find_it(
    users, open_page, log_in, screenshot, lang, locale, key, name, plural, field, record
):
    admin = users["admin"]
    admin.language = lang
    admin.save(update_fields=["language"])
    with kinds_reloaded():
        page = open_page(language=locale)
        log_in(page, admin.username)

        # Define the kind (Organization → Custom objects → New).
        page.goto("/r/custom-objects/new/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "he" else "ltr")
        page.locator("#id_key").fill(key)
        page.locator("#id_name_he").fill(name if lang == "he" else "סדנה")
        page.locator("#id_plural_he").fill(plural if lang == "he" else "סדנאות")
        page.locator("#id_name_en").fill(name if lang == "en" else "Course")
        page.locator("#id_plural_en").fill(plural if lang == "en" else "Courses")
        page.locator("#id_has_status").check()
        page.locator("#save-record").click()
        expect(page.locator("#object-schema")).to_be_visible()
        screenshot(page, f"custom-object-defined-{lang}")

        # Add a date field from the kind's page: the form comes with the kind chosen.
        page.locator("[data-testid=add-field]").click()
        expect(page.locator("#id_entity")).to_have_value(key)
        page.locator("#id_key").fill("opens_on")
        page.locator("#id_label_he").fill("תאריך פתיחה")
        page.locator("#id_label_en").fill("Opening date")
        page.locator("#id_type").select_option("date")
        page.locator("#save-record").click()
        expect(page.locator("#record-title")).to_have_text(field)

        # The kind is in the navigation; a record with the new field.
        page.goto("/")
        expect(page.locator(f"a[href='/r/{key}/']").first).to_be_attached()
        page.goto(f"/r/{key}/new/")
        page.locator("#id_name").fill(record)
        page.locator("#id_cf_opens_on").fill("2027-03-01")
        screenshot(page, f"custom-object-form-{lang}")
        page.locator("#save-record").click()
        expect(page.locator("#record-title")).to_have_text(record)
        saved = CustomRecord.objects.get(name=record)
        assert saved.custom == {"opens_on": "2027-03-01"}

        # The global search finds it.
        page.goto(f"/search/?q={record.split()[0]}")
        expect(page.locator(f"a[href='/r/{key}/{saved.pk}/']").first).to_be_visible()
        screenshot(page, f"custom-object-search-{lang}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280
