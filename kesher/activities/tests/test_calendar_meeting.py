"""The calendar a new user found clumsy, fixed (issue 14 item 7; REQ TK-1, SA-13, OR-7): "new
meeting" opens a meeting form (the kind preset by its key, the record and the participants
chosen with pickers, the slot or day clicked as its start), week and month headings say their
dates, the grid keeps seven equal columns, and a phone gets a list of the period's days."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from kesher.activities import agenda, meetings
from kesher.activities.models import Interaction, Notification
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.models import Choice

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/activities/calendar/meeting/"


def _at(day: datetime.date, hour=10, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _meeting(actor, record, when, **data):
    data.setdefault("subject", "פגישה אצל הלקוח")
    return make_interaction(
        actor, record, kind=choice("interaction_kind", "meeting"), occurred_at=when, **data
    )


# --- the period in the heading ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "start", "end", "hebrew", "english"),
    [
        ("week", D(2026, 12, 6), D(2026, 12, 13), "6–12 בדצמבר 2026", "6–12 December 2026"),
        (
            "week",
            D(2026, 11, 29),
            D(2026, 12, 6),
            "29 בנובמבר – 5 בדצמבר 2026",
            "29 November – 5 December 2026",
        ),
        (
            "week",
            D(2026, 12, 27),
            D(2027, 1, 3),
            "27 בדצמבר 2026 – 2 בינואר 2027",
            "27 December 2026 – 2 January 2027",
        ),
        ("month", D(2026, 12, 1), D(2027, 1, 1), "דצמבר 2026", "December 2026"),
        (
            "day",
            D(2026, 12, 6),
            D(2026, 12, 7),
            "יום ראשון, 6 בדצמבר 2026",
            "Sunday, 6 December 2026",
        ),
    ],
)
def test_period_label_in_each_language(view, start, end, hebrew, english):
    with translation.override("he"):
        assert agenda.period_label(view, start, end) == hebrew
    with translation.override("en"):
        assert agenda.period_label(view, start, end) == english


def test_week_page_heads_with_its_range_and_moves_by_a_week(users, client_for):
    page = client_for(users["sales_rep"]).get("/activities/calendar/?view=week&date=2026-12-08")
    html = page.content.decode()
    heading = re.search(r'id="calendar-range"><time datetime="([\d-]+)">([^<]+)<', html)
    assert heading.groups() == ("2026-12-06", "6–12 בדצמבר 2026")
    assert "<title>יומן · 6–12 בדצמבר 2026" in html
    assert 'id="calendar-previous" href="?view=week&date=2026-12-01' in html
    assert 'id="calendar-next" href="?view=week&date=2026-12-15' in html
    assert 'aria-label="השבוע הקודם"' in html
    month = client_for(users["sales_rep"]).get("/activities/calendar/?view=month&date=2026-12-08")
    assert '<time datetime="2026-12-01">דצמבר 2026</time>' in month.content.decode()


def test_english_reader_gets_english_dates(users, client_for):
    rep = users["sales_rep"]
    rep.language = "en"
    rep.save(update_fields=["language"])
    html = client_for(rep).get("/activities/calendar/?view=week&date=2026-12-01").content.decode()
    assert ">29 November – 5 December 2026<" in html


# --- the grid ---------------------------------------------------------------------------------


def test_long_titles_keep_their_whole_text_and_busy_days_show_more(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    day = timezone.localdate() + datetime.timedelta(days=2)
    long_title = "פגישת היכרות ארוכה מאוד עם כל ההנהלה של הלקוח כולל סיור במפעל ובמחסנים"
    _meeting(rep, account, _at(day, 8), subject=long_title)
    for hour in range(9, 13):
        make_task(rep, account, title=f"משימה {hour}", due_at=_at(day, hour))
    html = (
        client_for(rep)
        .get(f"/activities/calendar/?view=month&date={day.isoformat()}")
        .content.decode()
    )
    # The chip is cut short by CSS (a fixed table layout); its tooltip holds the whole title.
    assert 'class="table table-bordered bg-body calendar-grid calendar-month' in html
    assert f'title="08:00 {long_title}"' in html
    cell = html.split(f'data-date="{day.isoformat()}"')[1].split("</td>")[0]
    assert cell.count('class="small calendar-entry') == agenda.MONTH_CELL_ENTRIES
    assert "עוד 2" in cell
    assert f'href="?view=day&date={day.isoformat()}' in cell


def test_week_and_month_read_in_a_bounded_number_of_queries(users, client_for):
    """Five entries or fifty: the page costs the same queries (no query per entry)."""
    rep = users["sales_rep"]
    account = make_account(rep)
    contact = make_contact(rep)
    day = timezone.localdate().replace(day=10)
    client = client_for(rep)

    def add(count):
        for i in range(count):
            when = _at(day + datetime.timedelta(days=i % 7), 8 + i % 10)
            _meeting(rep, account if i % 2 else contact, when, subject=f"פגישה {i}")
            make_task(rep, account, title=f"משימה {i}", due_at=when)

    def queries(view):
        client.get(f"/activities/calendar/?view={view}&date={day.isoformat()}")  # warm caches
        with CaptureQueriesContext(connection) as captured:
            page = client.get(f"/activities/calendar/?view={view}&date={day.isoformat()}")
        assert page.status_code == 200
        return len(captured)

    add(5)
    few = {view: queries(view) for view in ("week", "month")}
    add(45)
    many = {view: queries(view) for view in ("week", "month")}
    assert many == few, (few, many)
    assert max(many.values()) <= 12


def test_phone_list_holds_the_busy_days_of_the_period(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    first = D(2026, 12, 7)
    _meeting(rep, account, _at(first, 9), subject="פגישת בוקר", duration_minutes=30)
    make_task(rep, account, title="לשלוח הצעה", due_at=_at(first + datetime.timedelta(days=2), 15))
    make_task(rep, account, title="בשבוע הבא", due_at=_at(first + datetime.timedelta(days=7), 15))
    html = client_for(rep).get("/activities/calendar/?view=week&date=2026-12-07").content.decode()
    agenda_html = html.split('id="calendar-agenda"')[1]
    days = re.findall(r'calendar-agenda-day[^"]*" data-date="([\d-]+)"', agenda_html)
    assert days == ["2026-12-07", "2026-12-09"]
    assert "יום שני, 7 בדצמבר 2026" in agenda_html
    assert "09:00–09:30" in agenda_html
    assert "בשבוע הבא" not in agenda_html
    empty = client_for(rep).get("/activities/calendar/?view=week&date=2027-03-07").content.decode()
    assert "אין כלום בתקופה הזו." in empty.split('id="calendar-agenda"')[1]


def test_day_view_offers_each_working_hour(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    day = D(2026, 12, 7)  # a Monday
    _meeting(rep, account, _at(day, 19, 30), subject="ארוחת ערב עם הלקוח")
    html = client_for(rep).get(f"/activities/calendar/?view=day&date={day}").content.decode()
    slots = re.findall(r"\?at=2026-12-07T(\d\d:\d\d)&user=", html)
    # The standard working day (08:30–17:30) by the hour, widened to the evening meeting.
    assert slots == [f"{h:02d}:00" for h in range(8, 20)]
    assert "ארוחת ערב עם הלקוח" in html.split("19:00")[1]


# --- "new meeting" ----------------------------------------------------------------------------


def test_new_meeting_buttons_carry_the_day_or_slot_and_the_person(users, client_for):
    manager, rep = users["manager"], users["sales_rep"]
    html = (
        client_for(manager)
        .get(f"/activities/calendar/?view=week&date=2099-12-08&user={rep.pk}")
        .content.decode()
    )
    assert f'href="{URL}?at=2099-12-08&user={rep.pk}&view=week" id="book-meeting"' in html
    assert f'href="{URL}?at=2099-12-10&user={rep.pk}&view=week"' in html


def test_meeting_start_from_slot_day_or_nothing(users):
    rep = users["sales_rep"]
    assert meetings.meeting_start("2099-12-07T10:30", rep) == _at(D(2099, 12, 7), 10, 30)
    # A day: the business calendar's start of the working day.
    assert meetings.meeting_start("2099-12-07", rep) == _at(D(2099, 12, 7), 8, 30)
    now = timezone.localtime()
    next_hour = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    assert meetings.meeting_start("nonsense", rep) == next_hour
    today = meetings.meeting_start(now.date().isoformat(), rep)
    assert today in (next_hour, _at(now.date(), 8, 30))
    assert today >= now or today == _at(now.date(), 8, 30) > now


def test_meeting_form_is_a_meeting_form(users, client_for):
    manager, rep = users["manager"], users["sales_rep"]
    meeting = Choice.objects.get(list_key="interaction_kind", value="meeting")
    page = client_for(manager).get(f"{URL}?at=2099-12-07T10:00&user={rep.pk}&view=month")
    assert page.status_code == 200
    html = page.content.decode()
    # The kind: the "meeting" value, by its key, not a choice the user makes.
    assert f'<input type="hidden" name="kind" value="{meeting.pk}"' in html
    assert 'name="direction"' not in html
    assert 'name="outcome"' not in html
    assert 'name="occurred_at" value="2099-12-07T10:00"' in html
    assert 'name="duration_minutes" value="60"' in html
    assert re.search(rf'<option value="{rep.pk}" selected>', html)
    # Pickers, never a <select multiple> of every record.
    assert "<select multiple" not in html
    assert " multiple" not in html
    assert 'data-picker-kind="id_link_id-search"' in html
    assert 'hx-get="/pick/accounts/"' in html
    assert 'data-records-picker="participant_users"' in html
    assert 'data-records-picker="participant_contacts"' in html
    assert 'hx-get="/pick/users/"' in html
    assert 'hx-get="/pick/contacts/"' in html
    # Labels name the boxes people type in.
    assert 'for="id_link_id-search"' in html
    assert 'for="id_participant_users-search"' in html
    assert f'href="/activities/calendar/?view=month&amp;date=2099-12-07&amp;user={rep.pk}"' in html


def test_booking_a_meeting_for_a_salesperson(users, client_for):
    """The back office (here the manager) books a meeting for a field salesperson on the
    account, with a colleague and the account's contact; kind is a meeting whatever is sent."""
    manager, rep = users["manager"], users["sales_rep"]
    account = make_account(rep, name="אורן תעשיות")
    dana = make_contact(
        rep, first_name="דנה", last_name="לוי", account_links=[{"account": account}]
    )
    response = client_for(manager).post(
        URL,
        {
            "kind": str(choice("interaction_kind", "call").pk),
            "subject": "הדגמת מוצר",
            "occurred_at": "2099-12-07T10:00",
            "duration_minutes": "90",
            "link_type": "accounts",
            "link_id": str(account.pk),
            "owner": str(rep.pk),
            "participant_users": [str(manager.pk)],
            "participant_contacts": [str(dana.pk)],
            "body": "להביא את המצגת",
            "view": "month",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/activities/calendar/?view=month&date=2099-12-07&user={rep.pk}"
    meeting = Interaction.objects.get(subject="הדגמת מוצר")
    assert meeting.kind.value == "meeting"
    assert (meeting.link_type, meeting.link_id, meeting.owner) == ("accounts", account.pk, rep)
    assert meeting.duration_minutes == 90
    assert timezone.localtime(meeting.occurred_at) == _at(D(2099, 12, 7), 10)
    assert list(meeting.participant_users.all()) == [manager]
    assert list(meeting.participant_contacts.all()) == [dana]
    # The salesperson is invited (the one who booked is not).
    assert Notification.objects.filter(user=rep, verb="meeting", link_id=meeting.pk).exists()
    week = agenda.build_agenda(rep, rep, "week", D(2099, 12, 7))
    assert [e.pk for d in week.days for e in d.entries] == [meeting.pk]


def test_a_kind_of_record_without_a_record_links_nothing(users, client_for):
    rep = users["sales_rep"]
    data = {"subject": "ישיבת צוות", "occurred_at": "2099-12-07T10:00", "link_type": "accounts"}
    response = client_for(rep).post(URL, {**data, "link_id": "", "owner": str(rep.pk)})
    assert response.status_code == 302
    meeting = Interaction.objects.get(subject="ישיבת צוות")
    assert (meeting.link_type, meeting.link_id, meeting.owner) == ("", None, rep)


def test_records_out_of_scope_are_refused_and_never_named(users, client_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    theirs = make_account(rep2, name="חשבון סודי של אחר")
    their_contact = make_contact(rep2, first_name="איש", last_name="סודי")
    client = client_for(rep)
    base = {"subject": "ניסיון", "occurred_at": "2099-12-07T10:00", "owner": str(rep.pk)}
    picked = client.post(URL, {**base, "participant_contacts": [str(their_contact.pk)]})
    assert picked.status_code == 200
    linked = client.post(URL, {**base, "link_type": "accounts", "link_id": str(theirs.pk)})
    assert linked.status_code == 200
    assert not Interaction.objects.filter(subject="ניסיון").exists()
    for page in (picked, linked):
        html = page.content.decode()
        assert "סודי" not in html
        assert "invalid-feedback" in html
    # Nor do the record's contacts leak through the suggestions.
    hx = client.get(URL, {"link_type": "accounts", "link_id": theirs.pk}, HTTP_HX_REQUEST="true")
    assert hx.status_code == 200
    assert "סודי" not in hx.content.decode()


def test_the_records_contacts_are_offered_as_participants(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="אורן תעשיות")
    dana = make_contact(
        rep, first_name="דנה", last_name="לוי", account_links=[{"account": account}]
    )
    make_contact(rep, first_name="לא", last_name="קשור")
    client = client_for(rep)
    hx = client.get(URL, {"link_type": "accounts", "link_id": account.pk}, HTTP_HX_REQUEST="true")
    html = hx.content.decode()
    assert f'data-pick="{dana.pk}" data-target="id_participant_contacts"' in html
    assert "קשור" not in html
    assert "<form" not in html
    # A contact is its own suggestion; the form opened about a record offers them at once.
    own = client.get(URL, {"link_type": "contacts", "link_id": dana.pk}, HTTP_HX_REQUEST="true")
    assert f'data-pick="{dana.pk}"' in own.content.decode()
    page = client.get(URL, {"link_type": "accounts", "link_id": account.pk}).content.decode()
    assert f'data-pick="{dana.pk}"' in page
    assert 'value="אורן תעשיות"' in page


def test_meeting_form_refused_without_the_right_or_the_kind(users, client_for):
    assert client_for(users["read_only"]).get(URL).status_code == 403
    rep = users["sales_rep"]
    Choice.objects.filter(list_key="interaction_kind", value="meeting").update(active=False)
    assert client_for(rep).get(URL).status_code == 404
    assert 'id="book-meeting"' not in client_for(rep).get("/activities/calendar/").content.decode()
