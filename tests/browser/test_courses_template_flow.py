"""The courses template in a real browser (issue 27's browser test): an administrator installs
it in one click and adds a field to enrolments; a secretary enrols a student from the
contact's page; the template's rule e-mails the student a welcome; a report of enrolments
grouped by course counts them. In Hebrew, right to left. REQ CX-7, AU-1, CX-8."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import make_user
from kesher.customers.tests.factories import make_contact
from kesher.integrations.delivery import deliver_messages
from kesher.objects.models import CustomObject, CustomRecord
from kesher.objects.testing import kinds_reloaded
from kesher.org.models import Role, RolePermission
from kesher.platform.records.services import record_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _secretary():
    role = Role.objects.create(key="secretary", name_he="מזכירות", name_en="Secretary")
    for entity, add in (("contacts", False), ("courses", False), ("enrolments", True)):
        RolePermission.objects.create(
            role=role, entity=entity, can_view=True, can_add=add, scope="all"
        )
    return make_user("secretary1", role=role, first_name="מיכל")


def test_install_courses_add_a_field_enrol_from_the_contact_welcome_and_count(
    users, open_page, log_in, screenshot, settings
):
    admin = users["admin"]
    with kinds_reloaded():
        page = open_page()
        log_in(page, admin.username)

        # One click installs courses and enrolments, with the welcome rule.
        page.goto("/objects/templates/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        screenshot(page, "objects-templates-he")
        page.locator("#install-courses").click()
        page.wait_for_url(re.compile(r"/r/custom-objects/\d+/$"))
        enrolments = CustomObject.objects.get(key="enrolments")

        # A field of the administrator's own on enrolments.
        page.goto(f"/r/custom-objects/{enrolments.pk}/")
        page.locator("[data-testid=add-field]").click()
        expect(page.locator("#id_entity")).to_have_value("enrolments")
        page.locator("#id_key").fill("referral")
        page.locator("#id_label_he").fill("מאיפה שמע עלינו")
        page.locator("#id_label_en").fill("Heard of us from")
        page.locator("#id_type").select_option("text")
        page.locator("#save-record").click()
        expect(page.locator("#record-title")).to_have_text("מאיפה שמע עלינו")

        excel, python = (
            record_create(
                "courses", actor=admin, data={"name": name, "custom": {"starts_on": "2027-03-01"}}
            )
            for name in ("אקסל מתקדם", "פייתון למתחילים")
        )
        dana = make_contact(admin, first_name="דנה", last_name="לוי", email="dana@example.co.il")
        for first, course in (("יוסי", excel), ("רותם", python)):
            other = make_contact(
                admin, first_name=first, last_name="כהן", email=f"{course.pk}@example.co.il"
            )
            record_create(
                "enrolments",
                actor=admin,
                data={
                    "name": f"{first} כהן",
                    "custom": {"student": other.pk, "course": course.pk},
                },
            )

        # The secretary enrols Dana from her page: the form comes with her filled in. The
        # worker runs what her request queues as soon as it commits (one process here).
        settings.TASKS = {
            "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
        }
        secretary = _secretary()
        desk = open_page()
        log_in(desk, secretary.username)
        desk.goto(f"/r/contacts/{dana.pk}/")
        desk.locator("[data-testid=related-add-enrolments]").click()
        desk.wait_for_url(re.compile(rf"/r/enrolments/new/\?cf_student={dana.pk}$"))
        expect(desk.locator("#id_cf_student-search")).to_have_value("דנה לוי")
        desk.locator("#id_name").fill("דנה לוי – אקסל")
        desk.locator("#id_cf_course-search").press_sequentially("אקסל")
        desk.locator(f"[data-pick='{excel.pk}']").click()
        desk.locator("#id_cf_referral").fill("פייסבוק")
        screenshot(desk, "objects-enrol-from-contact-he")
        desk.locator("#save-record").click()
        expect(desk.locator("#record-title")).to_have_text("דנה לוי – אקסל")
        enrolment = CustomRecord.objects.get(name="דנה לוי – אקסל")
        assert enrolment.custom == {
            "student": dana.pk,
            "course": excel.pk,
            "referral": "פייסבוק",
            "paid": False,
        }
        assert (enrolment.status.value, enrolment.owner) == ("registered", secretary)
        # Her page lists the enrolment.
        desk.goto(f"/r/contacts/{dana.pk}/")
        expect(desk.locator("main")).to_contain_text("דנה לוי – אקסל")

        # The template's rule wrote the welcome e-mail; the outgoing-mail worker sends it.
        mail.outbox.clear()
        assert deliver_messages() >= 1
        (welcome,) = [m for m in mail.outbox if m.to == ["dana@example.co.il"]]
        assert welcome.subject == "ברוכים הבאים לקורס אקסל מתקדם"

        # Enrolments by course, counted.
        page.goto("/reports/build/")
        page.locator("#report-entity").select_option("enrolments")
        page.locator("#report-entity-choose").click()
        page.locator("#report-g1").select_option("custom.course")
        page.locator("#report-m1a").select_option("count")
        page.locator("#report-preview").click()
        table = page.locator(".report-table")
        expect(table.locator("tbody tr")).to_have_count(2)
        expect(table.locator("tbody tr", has_text="אקסל מתקדם")).to_contain_text("2")
        expect(table.locator("tbody tr", has_text="פייתון למתחילים")).to_contain_text("1")
        screenshot(page, "objects-enrolments-by-course-he")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
