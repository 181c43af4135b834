"""The calendar page (day, week, month; a manager picks a team member), the iCal feed behind a
secret revocable link, and the .ics invitation on meeting emails (issue 4 item 4; REQ OR-6,
SA-13)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from kesher.activities import agenda
from kesher.activities.delivery import send_pending_emails
from kesher.activities.models import ActivityPreferences, Notification
from kesher.activities.services import calendar_feed_regenerate, calendar_feed_revoke
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def _at(days=0, hour=10):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _meeting(actor, record, when, **data):
    data.setdefault("subject", "פגישה אצל הלקוח")
    return make_interaction(
        actor, record, kind=choice("interaction_kind", "meeting"), occurred_at=when, **data
    )


def test_week_and_month_grids_hold_meetings_and_tasks(users):
    rep = users["sales_rep"]
    account = make_account(rep)
    meeting = _meeting(rep, account, _at(1), duration_minutes=45)
    task = make_task(rep, account, title="להכין הצעה", due_at=_at(1, 14))
    other = make_task(users["sales_rep2"], make_account(users["sales_rep2"]), due_at=_at(1))
    day = timezone.localdate() + datetime.timedelta(days=1)
    week = agenda.build_agenda(rep, rep, "week", day)
    assert week.start.weekday() == 6  # Sunday
    assert len(week.days) == 7
    entries = next(d for d in week.days if d.date == day).entries
    assert [(e.kind, e.pk) for e in entries] == [("meeting", meeting.pk), ("task", task.pk)]
    month = agenda.build_agenda(rep, rep, "month", day)
    assert len(month.days) % 7 == 0
    assert all(len(w) == 7 for w in month.weeks)
    found = {(e.kind, e.pk) for d in month.days for e in d.entries}
    assert ("task", task.pk) in found
    assert ("task", other.pk) not in found
    one = agenda.build_agenda(rep, rep, "day", day)
    assert [d.date for d in one.days] == [day]


def test_calendar_page_and_picking_a_team_member(users, client_for):
    manager, rep, rep2 = users["manager"], users["sales_rep"], users["sales_rep2"]
    account = make_account(rep)
    # The back office (here the manager) books a meeting for the field salesperson.
    meeting = _meeting(manager, account, _at(1), owner=rep, subject="פגישה שנקבעה")
    for view in ("day", "week", "month"):
        day = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        page = client_for(rep).get(f"/activities/calendar/?view={view}&date={day}")
        assert page.status_code == 200
        assert "פגישה שנקבעה" in page.content.decode()
    picked = client_for(manager).get(f"/activities/calendar/?user={rep.pk}&view=month")
    assert "פגישה שנקבעה" in picked.content.decode()
    # rep2 is in another department: the manager may not open his calendar; a rep may open
    # only his own.
    assert client_for(manager).get(f"/activities/calendar/?user={rep2.pk}").status_code == 404
    assert client_for(rep2).get(f"/activities/calendar/?user={rep.pk}").status_code == 404
    assert client_for(rep2).get("/activities/calendar/?user=abc").status_code == 404
    assert meeting.owner == rep


def test_ical_feed_only_own_items_and_revocable(users, client):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep)
    mine = make_task(rep, account, title="המשימה שלי", due_at=_at(2))
    _meeting(rep, account, _at(3), subject="הפגישה שלי")
    theirs = make_task(rep2, make_account(rep2), title="משימה של אחר", due_at=_at(2))
    token = calendar_feed_regenerate(actor=rep)
    stored = ActivityPreferences.objects.get(user=rep).ical_token_hash
    assert token not in stored  # only its hash is kept
    response = client.get(f"/activities/ical/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    summaries = {str(e["summary"]) for e in cal.walk("VEVENT")}
    assert summaries == {f"✔ {mine.title}", "הפגישה שלי"}
    assert theirs.title not in response.content.decode()
    # A new link replaces the old; revoking stops it.
    new_token = calendar_feed_regenerate(actor=rep)
    assert client.get(f"/activities/ical/{token}.ics").status_code == 404
    assert client.get(f"/activities/ical/{new_token}.ics").status_code == 200
    calendar_feed_revoke(actor=rep)
    assert client.get(f"/activities/ical/{new_token}.ics").status_code == 404
    assert client.get("/activities/ical/nonsense.ics").status_code == 404


def test_feed_of_an_inactive_user_stops(users, client):
    rep = users["sales_rep"]
    token = calendar_feed_regenerate(actor=rep)
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    assert client.get(f"/activities/ical/{token}.ics").status_code == 404


def test_feed_buttons_on_the_calendar_page(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    response = client.post("/activities/calendar/feed/", {"action": "regenerate"}, follow=True)
    page = response.content.decode()
    assert 'id="feed-url"' in page
    prefs = ActivityPreferences.objects.get(user=rep)
    assert prefs.ical_token_hash
    # The link is shown once only.
    assert 'id="feed-url"' not in client.get("/activities/calendar/").content.decode()
    client.post("/activities/calendar/feed/", {"action": "revoke"})
    prefs.refresh_from_db()
    assert prefs.ical_token_hash is None


def test_meeting_booked_for_others_emails_an_ics_invitation(users):
    manager, rep = users["manager"], users["sales_rep"]
    account = make_account(rep)
    meeting = _meeting(
        manager, account, _at(2), owner=rep, subject="הדגמת מוצר", duration_minutes=90
    )
    note = Notification.objects.get(user=rep, verb="meeting")
    assert note.link_id == meeting.pk
    assert not Notification.objects.filter(user=manager, verb="meeting").exists()
    assert send_pending_emails() == 1
    message = mail.outbox[-1]
    name, content, mimetype = message.attachments[0]
    assert name == "invite.ics"
    assert mimetype.startswith("text/calendar")
    cal = Calendar.from_ical(content)
    assert str(cal["method"]) == "REQUEST"
    event = next(iter(cal.walk("VEVENT")))
    assert str(event["summary"]) == "הדגמת מוצר"
    assert event["dtend"].dt - event["dtstart"].dt == datetime.timedelta(minutes=90)
    assert rep.email in str(event["attendee"])


def test_past_meeting_and_own_meeting_send_no_invitation(users):
    rep = users["sales_rep"]
    account = make_account(rep)
    _meeting(rep, account, _at(2))  # booked for oneself
    _meeting(users["manager"], account, timezone.now() - datetime.timedelta(hours=1), owner=rep)
    assert not Notification.objects.filter(verb="meeting").exists()


def test_digest_setting(users, client_for):
    rep = users["sales_rep"]
    client_for(rep).post("/activities/calendar/digest/", {"daily_digest": "on"})
    assert ActivityPreferences.objects.get(user=rep).daily_digest is True
    client_for(rep).post("/activities/calendar/digest/", {})
    assert ActivityPreferences.objects.get(user=rep).daily_digest is False
