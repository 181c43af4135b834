"""The demo's projects (issue 20): stages, a sub-project, teams, and weeks of hours in each
state, so the employees' timesheets and the managers' approvals show real work."""

import datetime

import pytest

from kesher.org.models import User
from kesher.projects import selectors
from kesher.projects.billing import project_value
from kesher.projects.models import Project, ProjectMember, TimeEntry
from kesher.service.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_projects_have_teams_tickets_and_hours_in_every_state(loaded):
    assert Project.objects.filter(parent__isnull=False).exists()
    assert ProjectMember.objects.count() >= 6
    assert Ticket.objects.filter(project__isnull=False).exists()
    states = set(TimeEntry.objects.values_list("state", flat=True))
    assert {"approved", "submitted"} <= states
    moshe = User.objects.get(username="moshe")
    assert selectors.approval_count(moshe) > 0
    alon = User.objects.get(username="alon")
    assert TimeEntry.objects.visible_to(alon).exclude(user=alon).count() == 0
    crm = Project.objects.get(code="P-101")
    assert selectors.project_burn(crm).approved > 0
    assert project_value(crm).amount > 0
    assert project_value(crm).unpriced_minutes == 0
    # Its approved week was invoiced: a draft tax invoice, a line per billed entry.
    billed = TimeEntry.objects.filter(project__in=[crm, *crm.children.all()], state="billed")
    assert billed.exists()
    assert not billed.filter(invoice_line__isnull=True).exists()


def test_the_demo_shows_profitability_utilisation_and_a_running_timer(loaded):
    """Decision 0116: the managers see each project's value against its cost, everyone's
    hours against capacity, and Noa's clock runs on the implementation."""
    from django.utils import timezone

    from kesher.projects.models import RunningTimer
    from kesher.projects.profitability import profitability

    moshe = User.objects.get(username="moshe")
    crm = Project.objects.get(code="P-101")
    rows = {row.project_id: row for row in profitability(moshe)}
    assert rows[crm.pk].cost > 0
    assert rows[crm.pk].uncosted_minutes == 0
    assert rows[crm.pk].invoiced > 0
    today = timezone.localdate()
    people = selectors.utilisation(moshe, today - datetime.timedelta(days=21), today)
    assert people
    assert all(p.capacity > 0 for p in people)
    timer = RunningTimer.objects.get(user__username="noa")
    assert timer.project == crm
    assert timer.elapsed_minutes() >= 40


def test_the_demo_has_approved_hours_this_month_and_absences_on_the_board(loaded):
    """Decision 0122: utilisation and profitability — this month by default — show approved
    hours; the planning board shows Hadas's reserve duty taking her next week's capacity."""
    from django.utils import timezone

    from kesher.projects.profitability import profitability

    today = timezone.localdate()
    first = today.replace(day=1)
    itay = User.objects.get(username="itay")
    working_days = selectors.workdays(first, today)
    if working_days:
        assert TimeEntry.objects.filter(
            date__range=(first, today), state__in=("approved", "billed")
        ).exists()
        people = selectors.utilisation(itay, first, today)
        assert any(p.approved_minutes for p in people)
        assert any(row.minutes for row in profitability(itay, date_from=first, date_to=today))
    admin = User.objects.get(username="admin")
    _starts, _capacity, rows = selectors.planning_board(admin, today)
    hadas = next(row for row in rows if row.name == str(User.objects.get(username="hadas")))
    assert hadas.cells[1]["capacity"] < hadas.cells[2]["capacity"]
    assert hadas.cells[1]["over"] is True
