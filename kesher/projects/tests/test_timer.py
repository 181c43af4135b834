"""The running timer (REQ PR-2; issue 20; decision 0116): started on a project, a task or a
ticket of it from one click, one per person, kept across page loads; stopping it makes a draft
time entry of the minutes it ran; on the project's page, the timesheet and the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kesher.projects.models import RunningTimer, TimeEntry
from kesher.projects.services import timer_start, timer_stop
from kesher.projects.tests.factories import make_project

pytestmark = pytest.mark.django_db


def _ran(user, minutes):
    """Move the user's timer's start back by ``minutes``."""
    RunningTimer.objects.filter(user=user).update(
        started_at=timezone.now() - datetime.timedelta(minutes=minutes, seconds=20)
    )


def test_stopping_makes_a_draft_entry_of_the_minutes_it_ran(users):
    rep = users["sales_rep"]
    project = make_project(rep)
    _timer, made = timer_start(actor=rep, project=project, description="אפיון")
    assert made is None
    _ran(rep, 95)
    entry = timer_stop(actor=rep)
    assert (entry.user, entry.project, entry.minutes) == (rep, project, 95)
    assert (entry.state, entry.description, entry.billable) == ("draft", "אפיון", True)
    assert entry.date == timezone.localdate()
    assert not RunningTimer.objects.exists()
    # A second stop finds nothing: one entry.
    with translation.override("en"), pytest.raises(ValidationError, match="No timer"):
        timer_stop(actor=rep)
    assert TimeEntry.objects.count() == 1


def test_one_timer_per_person_starting_another_stops_the_first(users):
    rep = users["sales_rep"]
    first, second = make_project(rep), make_project(rep)
    timer_start(actor=rep, project=first)
    _ran(rep, 30)
    _timer, made = timer_start(actor=rep, project=second)
    assert (made.project, made.minutes) == (first, 30)
    assert RunningTimer.objects.get(user=rep).project == second
    # Under a minute: nothing reported.
    assert timer_stop(actor=rep) is None
    assert TimeEntry.objects.count() == 1
    # A day at most.
    timer_start(actor=rep, project=first)
    _ran(rep, 3000)
    assert timer_stop(actor=rep).minutes == 24 * 60


def test_only_on_a_project_one_may_report_on(users):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    project = make_project(rep)
    with pytest.raises(ValidationError):
        timer_start(actor=rep2, project=project)
    with pytest.raises(ValidationError):
        timer_start(actor=users["read_only"], project=project)
    assert not RunningTimer.objects.exists()


def test_one_click_on_the_project_page_survives_a_reload(users, client_for):
    rep = users["sales_rep"]
    project = make_project(rep)
    client = client_for(rep)
    url = f"/r/projects/{project.pk}/"
    page = client.get(url).content.decode()
    assert 'id="timer-start"' in page
    response = client.post("/projects/timer/start/", {"project": project.pk, "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url).content.decode()
    assert 'id="timer-running"' in page
    assert 'id="timer-start"' not in page
    # The timesheet shows it too.
    assert 'id="timer-running"' in client.get("/projects/timesheet/").content.decode()
    _ran(rep, 45)
    response = client.post("/projects/timer/stop/", {"description": "בדיקות", "next": url})
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.description) == (45, "בדיקות")
    assert "/projects/timesheet/?week=" in response["Location"]
    # An address elsewhere is not followed.
    client.post("/projects/timer/start/", {"project": project.pk})
    response = client.post("/projects/timer/discard/", {"next": "https://evil.example/"})
    assert response["Location"] == "/projects/timesheet/"
    assert not RunningTimer.objects.exists()
    assert TimeEntry.objects.count() == 1


def test_the_api(users, api_for):
    rep = users["sales_rep"]
    project = make_project(rep)
    api = api_for(rep, "en")
    assert api.get("/api/v1/time-entries/timer/").status_code == 404
    started = api.post(
        "/api/v1/time-entries/timer/",
        {"project": project.pk, "description": "x"},
        format="json",
    )
    assert started.status_code == 201, started.content
    assert started.json()["project"] == project.pk
    _ran(rep, 20)
    running = api.get("/api/v1/time-entries/timer/").json()
    assert running["elapsed_minutes"] == 20
    stopped = api.post("/api/v1/time-entries/timer/stop/", {"description": "done"}, format="json")
    assert stopped.status_code == 201
    assert (stopped.json()["minutes"], stopped.json()["description"]) == (20, "done")
    again = api.post("/api/v1/time-entries/timer/stop/", {}, format="json")
    assert again.status_code == 400
    refused = api_for(users["sales_rep2"], "en").post(
        "/api/v1/time-entries/timer/", {"project": project.pk}, format="json"
    )
    assert refused.status_code == 400
    assert "project" in refused.json()
    api.post("/api/v1/time-entries/timer/", {"project": project.pk}, format="json")
    assert api.delete("/api/v1/time-entries/timer/").status_code == 204
    assert not RunningTimer.objects.exists()
    assert api_for(users["read_only"]).get("/api/v1/time-entries/timer/").status_code == 403


def test_the_running_timer_ticks_on_the_page_as_h_mm(users, client_for):
    """Decision 0122: the page shows the time run as h:mm with the seconds it had run, which a
    small script ticks on each minute; aria-live off (a screen reader is not told each minute)."""
    import re

    from django.contrib.staticfiles import finders

    rep = users["sales_rep"]
    project = make_project(rep)
    timer_start(actor=rep, project=project)
    _ran(rep, 95)
    page = client_for(rep).get(f"/r/projects/{project.pk}/").content.decode()
    match = re.search(r'<bdi[^>]*id="timer-elapsed"[^>]*>([^<]*)</bdi>', page)
    assert match, page
    tag, text = match.group(0), match.group(1)
    assert text == "1:35"
    assert 'aria-live="off"' in tag
    seconds = int(re.search(r'data-timer-elapsed="(\d+)"', tag).group(1))
    assert 95 * 60 + 20 <= seconds < 95 * 60 + 80
    assert "projects/timer.js" in page
    with open(finders.find("projects/timer.js"), encoding="utf-8") as handle:
        script = handle.read()
    assert "setInterval(tick, 60000)" in script
    assert "data-timer-elapsed" in script
    # The timesheet shows the same clock.
    sheet = client_for(rep).get("/projects/timesheet/").content.decode()
    assert 'id="timer-elapsed"' in sheet
