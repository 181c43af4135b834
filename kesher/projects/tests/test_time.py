"""Projects and time through their services and pages: sub-projects, the team's reporting, the
weekly timesheet, submission, the project manager's approval and the lock on submitted hours
(REQ PR-1, PR-2, SV-6)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.projects import selectors
from kesher.projects.models import TimeEntry
from kesher.projects.services import (
    entries_approve,
    entries_return,
    project_delete,
    timesheet_save,
    week_submit,
)
from kesher.projects.tests.factories import add_member, make_project, report
from kesher.projects.views import parse_minutes
from kesher.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

SUNDAY = datetime.date(2026, 1, 4)


def test_a_sub_project_is_of_its_parents_account_and_never_its_own_ancestor(users):
    """PR-1: projects form a tree under one account."""
    pm = users["manager"]
    parent = make_project(pm)
    child = make_project(pm, account=parent.account, parent=parent)
    with pytest.raises(ValidationError) as error:
        record_update(parent, actor=pm, data={"parent": child})
    assert "parent" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_project(pm, parent=parent)  # another account
    assert "parent" in error.value.message_dict


def test_a_ticket_names_a_project_of_its_account_and_shows_on_its_page(users, client_for):
    """SV-6: the project's tickets are listed on the project's page."""
    pm = users["manager"]
    project = make_project(pm)
    ticket = make_ticket(pm, account=project.account, project=project, subject="Printer jam")
    with pytest.raises(ValidationError):
        make_ticket(pm, account=make_project(pm).account, project=project)
    page = client_for(pm).get(reverse("entity_detail", args=["projects", project.pk]))
    assert page.status_code == 200
    assert f'href="/r/tickets/{ticket.pk}/"' in page.content.decode()
    assert 'id="project-burn"' in page.content.decode()


def test_only_the_team_and_the_manager_report_and_only_the_manager_reports_for_others(users):
    """PR-2: a team member reports on his project; a rep outside it may not see it to report;
    only the project manager reports hours for someone else."""
    pm, rep, rep2 = users["sales_rep"], users["sales_rep2"], users["support_agent"]
    project = make_project(pm)
    with pytest.raises(ValidationError):
        report(rep, project, SUNDAY, 60)
    add_member(pm, project, rep)
    assert report(rep, project, SUNDAY, 60).user == rep
    with pytest.raises(ValidationError) as error:
        report(rep, project, SUNDAY, 60, user=pm)
    assert "user" in error.value.message_dict
    assert report(pm, project, SUNDAY, 30, user=rep).user == rep
    assert TimeEntry.objects.visible_to(rep2).count() == 0  # agents see their own hours only


def test_the_week_is_saved_submitted_approved_and_then_locked(users):
    """PR-2: draft → submitted → approved by the project manager; submitted and approved hours
    do not change through the generic write path (UI, API, import, bulk)."""
    pm, rep = users["sales_rep"], users["sales_rep2"]
    project = make_project(pm)
    add_member(pm, project, rep)
    monday = SUNDAY + datetime.timedelta(days=1)
    assert (
        timesheet_save(
            actor=rep, week=SUNDAY, cells={(project.pk, SUNDAY): 450, (project.pk, monday): 480}
        )
        == 2
    )
    assert (
        timesheet_save(
            actor=rep, week=SUNDAY, cells={(project.pk, SUNDAY): 0, (project.pk, monday): 480}
        )
        == 1
    )
    entry = TimeEntry.objects.get()
    assert (entry.date, entry.minutes, entry.state) == (monday, 480, "draft")
    assert week_submit(actor=rep, week=monday) == 1
    entry.refresh_from_db()
    with pytest.raises(ValidationError):
        record_update(entry, actor=rep, data={"minutes": 10})
    with pytest.raises(ValidationError):
        record_delete(entry, actor=rep)
    # Another rep is not the project's manager.
    with pytest.raises(ValidationError):
        entries_approve(actor=users["support_agent"], ids=[entry.pk])
    assert selectors.approval_count(pm) == 1
    assert entries_approve(actor=pm, ids=[entry.pk]) == 1
    assert entries_approve(actor=pm, ids=[entry.pk]) == 0  # decided once
    entry.refresh_from_db()
    assert (entry.state, entry.approved_by) == ("approved", pm)
    # The grid leaves approved cells as they are, and the project keeps its approved hours.
    timesheet_save(actor=rep, week=SUNDAY, cells={(project.pk, monday): 60})
    entry.refresh_from_db()
    assert entry.minutes == 480
    with pytest.raises(ValidationError):
        project_delete(project, actor=pm)
    burn = selectors.project_burn(project)
    assert (burn.reported, burn.approved) == (Decimal("8.00"), Decimal("8.00"))


def test_returned_hours_are_drafts_again(users):
    pm, rep = users["sales_rep"], users["sales_rep2"]
    project = make_project(pm)
    add_member(pm, project, rep)
    entry = report(rep, project, SUNDAY, 90)
    week_submit(actor=rep, week=SUNDAY)
    assert entries_return(actor=pm, ids=[entry.pk]) == 1
    entry.refresh_from_db()
    assert entry.state == "draft"
    record_update(entry, actor=rep, data={"minutes": 120})


def test_the_api_refuses_changing_submitted_hours_with_a_translated_400(users, api_for):
    """PR-2: the API is held by the same lock, in Hebrew and in English."""
    pm = users["sales_rep"]
    project = make_project(pm)
    entry = report(pm, project, SUNDAY, 90)
    week_submit(actor=pm, week=SUNDAY)
    for language, word in (("he", "ממתינות"), ("en", "Submitted")):
        response = api_for(pm, language).patch(
            f"/api/v1/time-entries/{entry.pk}/", {"minutes": 30}, format="json"
        )
        assert response.status_code == 400, response.content
        assert word in response.content.decode()
    entry.refresh_from_db()
    assert entry.minutes == 90


def test_the_month_balance_counts_the_target_by_israeli_working_days(users):
    """PR-2: the running balance against the monthly target, holidays and weekends off."""
    rep = users["sales_rep"]
    record_create(
        "work-targets",
        actor=users["admin"],
        data={"user": rep, "valid_from": datetime.date(2026, 1, 1), "monthly_hours": "176"},
    )
    project = make_project(rep)
    report(rep, project, SUNDAY, 480)
    balance = selectors.month_balance(rep, datetime.date(2026, 1, 31))
    assert balance.target == Decimal("176")
    assert balance.target_to_date == Decimal("176.00")
    assert balance.reported == Decimal("8.00")
    assert balance.balance == Decimal("-168.00")
    # January 2026 has 21 Sunday–Thursday days and no holiday.
    assert selectors.workdays(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)) == 21
    assert selectors.month_balance(rep, datetime.date(2026, 1, 6)).target_to_date == Decimal(
        "33.52"
    )  # 176 × 4 / 21


@pytest.mark.parametrize(
    ("raw", "minutes"), [("7.5", 450), ("7,5", 450), ("7:30", 450), ("", 0), ("0.25", 15)]
)
def test_cells_take_decimal_or_clock_hours(raw, minutes):
    assert parse_minutes(raw) == minutes


@pytest.mark.parametrize("raw", ["abc", "-1", "25", "7:75", "NaN"])
def test_cells_refuse_what_is_not_hours(raw):
    with pytest.raises(ValueError, match=re.escape(raw)):
        parse_minutes(raw)


def test_the_timesheet_page_saves_with_htmx_and_refuses_bad_input_writing_nothing(
    users, client_for
):
    """PR-2: the grid saves through htmx; a bad cell answers 400 in the user's language and
    writes nothing."""
    rep = users["sales_rep"]
    project = make_project(rep)
    client = client_for(rep)
    url = reverse("projects_timesheet")
    page = client.get(url, {"week": "2026-01-06"})
    assert page.status_code == 200
    assert f'name="c-{project.pk}-2026-01-04"' in page.content.decode()
    bad = client.post(
        url,
        {
            "week": "2026-01-04",
            f"c-{project.pk}-2026-01-04": "8",
            f"c-{project.pk}-2026-01-05": "x",
        },
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="he",
    )
    assert bad.status_code == 400
    assert not TimeEntry.objects.exists()
    good = client.post(
        url,
        {
            "week": "2026-01-04",
            f"c-{project.pk}-2026-01-04": "8",
            f"c-{project.pk}-2026-01-05": "7:30",
        },
        HTTP_HX_REQUEST="true",
    )
    assert good.status_code == 200
    assert 'id="timesheet-saved"' in good.content.decode()
    assert TimeEntry.objects.filter(user=rep).count() == 2
    client.post(reverse("projects_timesheet_submit"), {"week": "2026-01-04"})
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"submitted"}


def test_the_approvals_page_lists_only_the_managers_projects_hours(users, client_for):
    """PR-2: a manager approves his project's hours, not another manager's."""
    pm, other, rep = users["sales_rep"], users["sales_rep2"], users["support_agent"]
    mine, theirs = make_project(pm), make_project(other)
    add_member(pm, mine, rep)
    add_member(other, theirs, rep)
    a = report(rep, mine, SUNDAY, 60, description="mine")
    b = report(rep, theirs, SUNDAY, 60, description="theirs")
    week_submit(actor=rep, week=SUNDAY)
    client = client_for(pm)
    page = client.get(reverse("projects_approvals")).content.decode()
    assert f'value="{a.pk}"' in page
    assert f'value="{b.pk}"' not in page
    refused = client.post(reverse("projects_approvals"), {"entry": [b.pk], "action": "approve"})
    assert refused.status_code == 400
    client.post(reverse("projects_approvals"), {"entry": [a.pk], "action": "approve"})
    assert TimeEntry.objects.get(pk=a.pk).state == "approved"
    assert TimeEntry.objects.get(pk=b.pk).state == "submitted"


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_the_timesheet_and_approvals_take_the_same_queries_for_few_or_many_rows(users, client_for):
    """No N+1 on the grid or the approval queue: 2 projects or 12, the same queries."""
    pm = users["sales_rep"]
    client = client_for(pm)
    week = {"week": "2026-01-04"}
    counts = []
    for rows in (2, 10):
        for _ in range(rows):
            report(pm, make_project(pm), SUNDAY, 60)
        if rows == 10:
            week_submit(actor=pm, week=SUNDAY)
        client.get(reverse("projects_timesheet"), week)  # warm the per-process caches
        counts.append(
            (
                _queries(client, reverse("projects_timesheet"), week),
                _queries(client, reverse("projects_approvals")),
            )
        )
    assert counts[0][0] == counts[1][0]
    # The first round had nothing submitted yet; compare the queue with one more project.
    report(pm, make_project(pm), SUNDAY + datetime.timedelta(days=1), 60)
    week_submit(actor=pm, week=SUNDAY)
    assert _queries(client, reverse("projects_approvals")) == counts[1][1]
