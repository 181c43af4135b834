"""iCalendar (RFC 5545) for a user's calendar feed and for meeting invitations (REQ OR-6;
issue 4 item 4), made with the ``icalendar`` package (decision 0026).

The feed holds only the user's own items: meetings the user owns or takes part in, and tasks
assigned to the user that have a due time, from 30 days back to a year ahead.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from kesher.activities.models import ActivityPreferences, Interaction, Task
from kesher.activities.selectors import user_meetings, user_tasks

__all__ = [
    "feed_for_token",
    "feed_host",
    "meeting_invitation",
    "record_url",
    "register_feed_source",
    "user_feed",
]

FEED_PAST = datetime.timedelta(days=30)
FEED_AHEAD = datetime.timedelta(days=366)
DEFAULT_MEETING = datetime.timedelta(hours=1)
TASK_LENGTH = datetime.timedelta(minutes=30)


# Other apps' items of a user's feed (the projects' planned weeks and absences, decision 0122):
# each ``source(user, start, end)`` gives the user's own events between two datetimes.
_feed_sources: list = []


def register_feed_source(source) -> None:
    """Add a source of events to every user's feed (from an app's ``ready``; once)."""
    if source not in _feed_sources:
        _feed_sources.append(source)


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Kesher CRM//kesher//HE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _host() -> str:
    return settings.KESHER_BASE_URL.split("//", 1)[-1].split("/", 1)[0] or "kesher"


def _url(key: str, pk: int) -> str:
    return f"{settings.KESHER_BASE_URL.rstrip('/')}/r/{key}/{pk}/"


def feed_host() -> str:
    """The host part of the events' UIDs (another app's feed source names its events so)."""
    return _host()


def record_url(key: str, pk: int) -> str:
    """A record's page, absolute, for an event's URL."""
    return _url(key, pk)


def meeting_event(meeting: Interaction) -> Event:
    event = Event()
    event.add("uid", f"interaction-{meeting.pk}@{_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.occurred_at)
    length = (
        datetime.timedelta(minutes=meeting.duration_minutes)
        if meeting.duration_minutes
        else DEFAULT_MEETING
    )
    event.add("dtend", meeting.occurred_at + length)
    event.add("summary", meeting.subject)
    if meeting.body:
        event.add("description", meeting.body)
    event.add("url", _url("interactions", meeting.pk))
    event.add("sequence", meeting.version)
    return event


def task_event(task: Task) -> Event:
    event = Event()
    event.add("uid", f"task-{task.pk}@{_host()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", task.due_at - TASK_LENGTH)
    event.add("dtend", task.due_at)
    event.add("summary", f"✔ {task.title}")
    if task.notes:
        event.add("description", task.notes)
    event.add("url", _url("tasks", task.pk))
    return event


def user_feed(user, now=None) -> bytes:
    """The user's calendar as an .ics document."""
    now = now or timezone.now()
    start, end = now - FEED_PAST, now + FEED_AHEAD
    cal = _calendar()
    cal.add("x-wr-calname", f"Kesher · {user}")
    for meeting in user_meetings(user, user, start, end):
        cal.add_component(meeting_event(meeting))
    for task in user_tasks(user, user, start, end):
        cal.add_component(task_event(task))
    for source in _feed_sources:
        for event in source(user, start, end):
            cal.add_component(event)
    return cal.to_ical()


def feed_for_token(token: str):
    """The active user whose current calendar token this is, else None (revoked, replaced,
    unknown or inactive all answer alike)."""
    from kesher.activities.services import hash_feed_token

    if not token or len(token) > 100:
        return None
    prefs = (
        ActivityPreferences.objects.filter(ical_token_hash=hash_feed_token(token))
        .select_related("user")
        .first()
    )
    if prefs is None or not prefs.user.is_active:
        return None
    return prefs.user


def meeting_invitation(meeting: Interaction, attendee) -> bytes:
    """An invitation (``METHOD:REQUEST``) to one meeting for one attendee, for the email."""
    cal = _calendar("REQUEST")
    event = meeting_event(meeting)
    if meeting.owner_id and meeting.owner.email:
        organizer = vCalAddress(f"mailto:{meeting.owner.email}")
        organizer.params["cn"] = vText(str(meeting.owner))
        event["organizer"] = organizer
    if attendee.email:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(str(attendee))
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("NEEDS-ACTION")
        event.add("attendee", address, encode=0)
    cal.add_component(event)
    return cal.to_ical()
