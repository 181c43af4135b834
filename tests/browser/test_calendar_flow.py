"""The calendar in a real browser, in Hebrew (issue 14 item 7; REQ TK-1, SA-13, OR-7): the
manager opens a salesperson's week, whose heading says its dates and whose seven columns stay
equal beside a very long title; "+" on a day opens the meeting form at that day, where the
record is found by typing and the participants are picked (the record's contact in one
click); the meeting lands in the salesperson's week. On a phone the same week is a list of
its days, with nothing to scroll sideways. Each page passes axe-core's WCAG 2.1 AA checks (the
Israeli standard IS 5568 follows them): labels, names, contrast.
"""

from __future__ import annotations

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone, translation
from playwright.sync_api import expect

from kesher.activities import agenda
from kesher.activities.models import Interaction
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.services import account_create, contact_create
from kesher.platform.records.search import index_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
LONG_TITLE = "פגישת היכרות ארוכה מאוד עם כל ההנהלה של הלקוח כולל סיור במפעל, במחסנים ובמשרדים"


def _next_week() -> list[datetime.date]:
    """Sunday to Saturday of next week (nothing in it is overdue yet)."""
    today = timezone.localdate()
    sunday = today - datetime.timedelta(days=(today.weekday() + 1) % 7) + datetime.timedelta(7)
    return [sunday + datetime.timedelta(days=i) for i in range(7)]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _a_busy_week(manager, rep):
    """An account with a contact, and next week's meetings and tasks of the salesperson."""
    account = account_create(actor=manager, data={"name": "אורן תעשיות", "owner": rep})
    contact = contact_create(
        actor=manager,
        data={"first_name": "דנה", "last_name": "לוי", "owner": rep},
        account_links=[{"account": account, "role": "סמנכ״לית רכש"}],
    )
    week = _next_week()
    meeting = choice("interaction_kind", "meeting")
    for day, hour, subject, minutes in (
        (week[1], 9, LONG_TITLE, 120),
        (week[1], 14, "שיחת תיאום", 30),
        (week[3], 11, "הדגמה ללקוח", 60),
    ):
        make_interaction(
            manager,
            account,
            kind=meeting,
            subject=subject,
            occurred_at=_at(day, hour),
            duration_minutes=minutes,
            owner=rep,
        )
    make_task(manager, account, title="לשלוח הצעת מחיר", assignee=rep, due_at=_at(week[2], 12))
    make_task(manager, contact, title="להתקשר לדנה", assignee=rep, due_at=_at(week[4], 10))
    return account, contact, week


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _wcag_problems(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA in the page's own part (``main``)."""
    found = Axe().run(page, context="main", options=WCAG_AA).response["violations"]
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in found]


def test_week_heading_equal_columns_and_booking_from_a_day(users, open_page, log_in, screenshot):
    manager, rep = users["manager"], users["sales_rep"]
    for user, first, last in ((manager, "מיכל", "המנהלת"), (rep, "רון", "המוכר")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
        index_record(user)  # the fixtures' users are made without the service that indexes
    account, contact, week = _a_busy_week(manager, rep)
    with translation.override("he"):
        heading = agenda.period_label("week", week[0], week[0] + datetime.timedelta(7))

    page = open_page()
    log_in(page, manager.username)
    page.goto(f"/activities/calendar/?view=week&user={rep.pk}&date={week[3].isoformat()}")
    expect(page.locator("#calendar-range")).to_have_text(heading)
    expect(page.locator("#calendar-previous")).to_have_attribute("aria-label", "השבוע הקודם")

    # Seven equal columns, whatever the long title; it is cut short, whole in its tooltip.
    widths = page.locator("#calendar-grid thead th").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().width)"
    )
    assert len(widths) == 7
    assert max(widths) - min(widths) < 1, widths
    chip = page.locator("#calendar-grid .calendar-entry a", has_text="פגישת היכרות")
    expect(chip).to_have_attribute("title", f"09:00 {LONG_TITLE}")
    assert chip.evaluate("a => a.scrollWidth > a.clientWidth")
    assert _no_sideways_scroll(page)
    assert _wcag_problems(page) == []

    # Wednesday's "+", from the keyboard.
    add = page.locator(f"td[data-date='{week[3].isoformat()}'] .calendar-add")
    expect(add).to_have_attribute("aria-label", re.compile("^פגישה חדשה ביום רביעי"))
    add.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/activities/calendar/meeting/"))
    expect(page.locator("h1")).to_have_text("פגישה חדשה")
    expect(page.locator("#id_occurred_at")).to_have_value(f"{week[3].isoformat()}T08:30")
    expect(page.locator("#id_owner")).to_have_value(str(rep.pk))
    expect(page.locator("input[name=kind]")).to_have_value(
        str(choice("interaction_kind", "meeting").pk)
    )
    assert page.locator("select[multiple]").count() == 0

    page.locator("#id_subject").fill("סקירת הצעת המחיר")
    page.locator("#id_occurred_at").fill(f"{week[3].isoformat()}T15:00")
    # The record, by typing part of its name.
    page.get_by_label("רשומה", exact=True).press_sequentially("אורן")
    page.locator("#id_link_id-search ~ .picker-options [data-pick]").first.click()
    expect(page.locator("#id_link_id-search")).to_have_value("אורן תעשיות")
    # The account's contact is offered in one click; a colleague is found by name.
    page.locator("#record-contacts [data-pick]", has_text="דנה לוי").click()
    expect(page.locator("#id_participant_contacts .records-picker-chip")).to_have_text(["דנה לוי"])
    page.locator("#id_participant_users-search").press_sequentially("מיכל")
    page.locator("#id_participant_users [data-pick]").first.click()
    expect(page.locator("#id_participant_users .records-picker-chip")).to_have_text(["מיכל המנהלת"])
    page.locator("#id_body").fill("להביא את המצגת המעודכנת ואת מחירון 2027")
    assert _wcag_problems(page) == []
    screenshot(page, "activities-meeting-form-he")

    page.locator("#save-meeting").click()
    page.wait_for_url(re.compile(r"/activities/calendar/\?view=week"))
    day = page.locator(f"td[data-date='{week[3].isoformat()}']")
    expect(day).to_contain_text("15:00 סקירת הצעת המחיר")
    expect(page.locator("#calendar-range")).to_have_text(heading)
    booked = Interaction.objects.get(subject="סקירת הצעת המחיר")
    assert booked.kind.value == "meeting"
    assert (booked.link_type, booked.link_id, booked.owner) == ("accounts", account.pk, rep)
    assert list(booked.participant_contacts.all()) == [contact]
    assert list(booked.participant_users.all()) == [manager]
    screenshot(page, "activities-calendar-he")


def test_phone_lists_the_days_of_the_week(users, open_page, log_in, screenshot):
    manager, rep = users["manager"], users["sales_rep"]
    _account, _contact, week = _a_busy_week(manager, rep)
    page = open_page(phone=True)
    log_in(page, rep.username)
    page.goto(f"/activities/calendar/?view=week&date={week[3].isoformat()}")
    expect(page.locator("#calendar-grid")).to_be_hidden()
    days = page.locator("#calendar-agenda .calendar-agenda-day")
    expect(days).to_have_count(4)
    with translation.override("he"):
        first = agenda.day_label(week[1])
    expect(days.first.locator("h3")).to_have_text(first)
    expect(days.first).to_contain_text("09:00–11:00")
    expect(days.first).to_contain_text(LONG_TITLE)
    assert _no_sideways_scroll(page)
    assert _wcag_problems(page) == []
    screenshot(page, "activities-calendar-phone-he")

    page.goto(f"/activities/calendar/?view=month&date={week[3].isoformat()}")
    expect(page.locator("#calendar-agenda")).to_contain_text("הדגמה ללקוח")
    assert _no_sideways_scroll(page)
    page.locator("#book-meeting").click()
    expect(page.locator("#meeting-form")).to_be_visible()
    assert _no_sideways_scroll(page)
    assert _wcag_problems(page) == []
