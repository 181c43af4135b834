"""A week of hours in a real browser, in Hebrew (right to left) and in English: an employee
fills his timesheet with the keyboard, saves with Enter and submits the week; the project
manager approves it, and the cells lock.

REQ PR-2, OR-7.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.projects.models import TimeEntry
from kesher.projects.services import week_start
from kesher.projects.tests.factories import add_member, make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_week(page, project, start, hours):
    """Type the hours from Sunday on, moving with the arrow key of the reading direction."""
    first = page.locator(f"input[name='c-{project.pk}-{start.isoformat()}']")
    first.click()
    rtl = page.locator("html").get_attribute("dir") == "rtl"
    for value in hours:
        page.keyboard.type(value)
        page.keyboard.press("ArrowLeft" if rtl else "ArrowRight")
    page.keyboard.press("Enter")


def _week(page, project, start, hours, *, total):
    page.goto(f"/projects/timesheet/?week={start.isoformat()}")
    _fill_week(page, project, start, hours)
    expect(page.locator("#timesheet-saved")).to_be_visible()
    expect(page.locator("#timesheet-total")).to_have_text(total)
    page.locator("#timesheet-submit").click()
    expect(page.locator(f"input[name='c-{project.pk}-{start.isoformat()}']")).to_be_disabled()


def test_an_employee_reports_a_week_and_the_manager_approves_it(
    users, open_page, log_in, screenshot
):
    manager, employee = users["sales_rep"], users["sales_rep2"]
    project = make_project(manager, name="הטמעת מערכת CRM", budget_hours="100")
    add_member(manager, project, employee)
    this_week = week_start(timezone.localdate())
    earlier = this_week - datetime.timedelta(days=14)
    later = this_week - datetime.timedelta(days=7)

    # Hebrew, right to left: the employee's week.
    page = open_page()
    log_in(page, employee.username)
    page.goto("/projects/timesheet/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_contain_text("דיווח השעות שלי")
    _week(page, project, earlier, ["8", "7:30", "8.5", "6", "8"], total="38:00")
    screenshot(page, "projects-timesheet-he")
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"submitted"}

    # The project manager approves it.
    boss = open_page()
    log_in(boss, manager.username)
    boss.goto("/projects/approvals/")
    expect(boss.locator("#approvals-form tbody tr")).to_have_count(5)
    screenshot(boss, "projects-approvals-he")
    boss.locator("#approve-hours").click()
    expect(boss.locator("#approvals-empty")).to_be_visible()
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"approved"}
    boss.goto(f"/r/projects/{project.pk}/")
    expect(boss.locator("#burn-approved")).to_contain_text("38")

    # English, left to right: the next week, approved the same way.
    for user in (manager, employee):
        user.language = "en"
        user.save(update_fields=["language"])
    english = open_page(language="en-US")
    log_in(english, employee.username)
    english.goto("/projects/timesheet/")
    expect(english.locator("html")).to_have_attribute("dir", "ltr")
    expect(english.locator("h1")).to_contain_text("My timesheet")
    _week(english, project, later, ["4", "4", "", "2.25", "1"], total="11:15")
    screenshot(english, "projects-timesheet-en")
    boss_en = open_page(language="en-US")
    log_in(boss_en, manager.username)
    boss_en.goto("/projects/approvals/")
    expect(boss_en.locator("#approvals-form tbody tr")).to_have_count(4)
    boss_en.locator("#approve-hours").click()
    expect(boss_en.locator("#approvals-empty")).to_contain_text("No submitted hours")
    assert TimeEntry.objects.filter(state="approved").count() == 9
    english.goto(f"/projects/timesheet/?week={later.isoformat()}")
    expect(english.locator(f"input[name='c-{project.pk}-{later.isoformat()}']")).to_be_disabled()
    # No sideways scroll at 1280 px.
    assert english.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
