"""Notifications say what they say in their reader's language and time zone when read, not in
the language of the moment they were made (issue 14 item 7; decision 0042; REQ TK-3)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from kesher.activities import messages
from kesher.activities.delivery import send_pending_emails
from kesher.activities.models import Notification
from kesher.activities.services import notify, task_update
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def _speaks(user, language: str, zone: str = "Asia/Jerusalem") -> None:
    user.language, user.time_zone = language, zone
    user.save(update_fields=["language", "time_zone"])


def test_a_notification_made_in_hebrew_reads_in_english_once_its_reader_switches(
    users, client_for, api_for
):
    manager, rep = users["manager"], users["sales_rep"]
    task = make_task(manager, assignee=rep, title="להתקשר ללקוח")
    task_update(task, actor=rep, data={"status": choice("task_status", "done")})
    note = Notification.objects.get(user=manager, verb="done")
    assert (note.message, note.params) == (messages.TASK_DONE, {"title": "להתקשר ללקוח"})
    assert note.text == ""

    with translation.override("he"):
        assert note.display_text == "משימה בוצעה: להתקשר ללקוח"
    _speaks(manager, "en")
    page = client_for(manager).get("/activities/notifications/").content.decode()
    assert "Task done: להתקשר ללקוח" in page
    assert "משימה בוצעה" not in page
    (row,) = api_for(manager, "en").get("/api/v1/notifications/").json()["results"]
    assert row["text"] == "Task done: להתקשר ללקוח"


def test_a_meeting_notice_gives_the_time_in_its_readers_time_zone(users):
    manager, rep = users["manager"], users["sales_rep"]
    _speaks(rep, "en", "Europe/London")
    day = timezone.localdate() + datetime.timedelta(days=3)
    start = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=datetime.UTC)
    make_interaction(
        manager,
        make_account(rep),
        kind=choice("interaction_kind", "meeting"),
        occurred_at=start,
        owner=rep,
        subject="הדגמה",
    )
    note = Notification.objects.get(user=rep, verb="meeting")
    with translation.override("en"), timezone.override("Europe/London"):
        in_london = f"Meeting on {timezone.localtime(start):%d/%m/%Y %H:%M}: הדגמה"
        assert note.display_text == in_london
    with translation.override("he"), timezone.override("Asia/Jerusalem"):
        in_jerusalem = timezone.localtime(start)
        assert f"{in_jerusalem:%d/%m/%Y %H:%M}" in note.display_text
    assert in_london.split(": ")[0][-5:] != f"{in_jerusalem:%H:%M}"

    # The email goes out in the recipient's language and time zone, as his page reads.
    assert send_pending_emails() == 1
    assert mail.outbox[-1].subject.endswith(in_london)


def test_notifications_made_before_keep_their_text(users, client_for):
    rep = users["sales_rep"]
    Notification.objects.create(user=rep, verb="reminder", text="תזכורת: ישנה")
    page = client_for(rep).get("/activities/notifications/").content.decode()
    assert "תזכורת: ישנה" in page


def test_a_message_whose_app_is_gone_still_shows_its_details(users):
    note = notify(users["sales_rep"], verb="reminder", message="gone.app", params={"a": "x"})
    assert note.display_text == "x"


def test_a_parameter_kept_in_both_languages_reads_in_the_readers(users):
    """An approval process's name, as the approvals' notices pass it."""
    from kesher.approvals.models import ApprovalProcess
    from kesher.approvals.notices import WAITING

    process = ApprovalProcess(name_he="אישור הנחה", name_en="Discount approval")
    params = {"process": messages.in_languages(process, "name"), "record": "אקמה"}
    note = notify(users["sales_rep"], verb="assigned", message=WAITING, params=params)
    with translation.override("en"):
        assert note.display_text == "Waiting for your approval: Discount approval · אקמה"
    with translation.override("he"):
        assert "אישור הנחה · אקמה" in note.display_text
