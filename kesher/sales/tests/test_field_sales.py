"""Field sales (REQ SA-13): the back office books a meeting for a rep on a deal from the rep's
calendar; the meeting is the rep's, about the deal, and reaches the rep's phone through his
calendar feed (iCal)."""

import datetime

import pytest
from django.utils import timezone
from icalendar import Calendar

from kesher.activities.models import Interaction
from kesher.activities.services import calendar_feed_regenerate
from kesher.customers.tests.factories import choice
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


def test_the_back_office_books_a_meeting_for_the_rep_that_reaches_his_feed(users, client_for):
    rep, office = users["sales_rep"], users["support_agent"]
    deal = make_opportunity(rep, owner=rep, name="עסקת שטח")
    page = client_for(office).get(f"/r/opportunities/{deal.pk}/").content.decode()
    link = page[page.index('id="book-meeting-for-owner"') :]
    link = link[: link.index("</a>")]
    assert f"user={rep.pk}" in link
    assert f"link_type=opportunities&amp;link_id={deal.pk}" in link
    assert str(rep.first_name) in link
    form = client_for(office).get(
        f"/activities/calendar/meeting/?user={rep.pk}&link_type=opportunities&link_id={deal.pk}"
    )
    assert 'value="עסקת שטח"' in form.content.decode()  # the deal, named in the picker
    answer = client_for(office).post(
        "/activities/calendar/meeting/",
        {
            "kind": str(choice("interaction_kind", "meeting").pk),
            "subject": "פגישה אצל הלקוח",
            "occurred_at": f"{timezone.localdate() + datetime.timedelta(days=2)}T10:00",
            "duration_minutes": "60",
            "link_type": "opportunities",
            "link_id": str(deal.pk),
            "owner": str(rep.pk),
        },
    )
    assert answer.status_code == 302
    assert f"user={rep.pk}" in answer["Location"]  # back to the rep's calendar
    meeting = Interaction.objects.get(subject="פגישה אצל הלקוח")
    assert (meeting.owner, meeting.link_type, meeting.link_id) == (rep, "opportunities", deal.pk)
    token = calendar_feed_regenerate(actor=rep)
    feed = client_for(None).get(f"/activities/ical/{token}.ics")
    events = {str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert "פגישה אצל הלקוח" in events


def test_only_who_may_book_for_the_owner_is_offered_it(users, client_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, owner=rep)
    for reader, offered in ((users["read_only"], False), (rep, True), (users["manager"], True)):
        page = client_for(reader).get(f"/r/opportunities/{deal.pk}/").content.decode()
        assert ('id="book-meeting-for-owner"' in page) is offered, reader.username
