"""SLA clocks in business time on the Israeli calendar, in Asia/Jerusalem: across a weekend,
Rosh Hashanah 2026 and a pause "waiting for the customer" (REQ SV-9; decision 0061)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from kesher.activities.calendar import WorkWeek
from kesher.service import services
from kesher.service.models import SlaClock
from kesher.service.selectors import ticket_clocks
from kesher.service.sla import clock_meet, clock_pause, clock_resume, clock_start
from kesher.service.tests.factories import choice, make_ticket

JERUSALEM = ZoneInfo("Asia/Jerusalem")
WEEK = WorkWeek()  # Sunday–Thursday 08:30–17:30, holidays closed, eves until 13:00


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=JERUSALEM)


def test_a_clock_skips_the_weekend():
    """Thursday 16:30 + 2 business hours: one hour on Thursday, one on Sunday."""
    clock = clock_start(None, "resolution", hours=2, warn_percent=50, now=at(3, 16, 30), week=WEEK)
    assert clock.due_at == at(6, 9, 30)
    assert clock.warn_at == at(3, 17, 30)


def test_a_clock_skips_rosh_hashanah_2026():
    """Thursday 10 September 15:30 + 8 business hours: 2 on Thursday; Friday and Saturday are
    the weekend, Sunday 13 September is Rosh Hashanah's second day; 6 on Monday the 14th."""
    clock = clock_start(None, "resolution", hours=8, warn_percent=75, now=at(10, 15, 30), week=WEEK)
    assert clock.due_at == at(14, 14, 30)
    assert clock.warn_at == at(14, 12, 30)  # 6 of the 8 hours


def test_a_pause_moves_the_moments_by_the_time_it_stood():
    """Paused Monday 09:30 (3 of 8 hours spent), resumed Tuesday 10:00: the 5 hours left end
    Tuesday 15:00, the warning (6 hours) at 13:00."""
    clock = clock_start(None, "resolution", hours=8, warn_percent=75, now=at(10, 15, 30), week=WEEK)
    clock_pause(clock, now=at(14, 9, 30), week=WEEK)
    assert clock.spent_seconds == 3 * 3600
    assert clock.paused
    assert not clock.breached()
    clock_resume(clock, now=at(15, 10), week=WEEK)
    assert clock.due_at == at(15, 15)
    assert clock.warn_at == at(15, 13)
    clock_meet(clock, now=at(15, 14), week=WEEK)
    assert clock.met_at == at(15, 14)
    assert not clock.breached()


def test_a_moment_passed_before_a_pause_stays():
    """Warned before the pause: the warning moment does not move (it fired already)."""
    clock = clock_start(None, "resolution", hours=2, warn_percent=50, now=at(14, 9), week=WEEK)
    clock_pause(clock, now=at(14, 10, 30), week=WEEK)
    clock_resume(clock, now=at(15, 9), week=WEEK)
    assert clock.warn_at == at(14, 10)
    assert clock.due_at == at(15, 9, 30)


@pytest.fixture
def frozen(monkeypatch):
    """The services' clock, set by the test."""
    moment = {"now": None}
    monkeypatch.setattr(services, "_now", lambda: moment["now"])
    return moment


@pytest.mark.django_db
def test_a_ticket_s_clocks_across_the_holiday_and_a_pause(users, frozen):
    """The same story through the services: opened before Rosh Hashanah with a high priority
    (first response 2 h, resolution 16 h), answered, waiting for the customer, answered
    again."""
    agent = users["support_agent"]
    frozen["now"] = at(10, 15, 30)
    ticket = make_ticket(
        agent, ticket_type=choice("ticket_type", "technical_support")
    )  # its default priority: high
    assert ticket.priority == choice("ticket_priority", "high")
    clocks = {c.kind: c for c in ticket.sla_clocks.all()}
    assert clocks["first_response"].due_at == at(10, 17, 30)
    assert clocks["resolution"].due_at == at(15, 13, 30)  # 2 + 9 + 5 hours
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(10, 17, 30)

    frozen["now"] = at(10, 16)
    services.ticket_record_response(ticket, actor=agent)
    first = ticket.sla_clocks.get(kind="first_response")
    assert first.met_at == at(10, 16)
    assert not first.breached()
    frozen["now"] = at(14, 9, 30)
    ticket.refresh_from_db()
    ticket = services.ticket_update(
        ticket, actor=agent, data={"status": choice("ticket_status", "waiting_customer")}
    )
    resolution = ticket.sla_clocks.get(kind="resolution")
    assert resolution.paused
    assert resolution.spent_seconds == 3 * 3600
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None

    frozen["now"] = at(15, 10)
    ticket = services.ticket_update(
        ticket, actor=agent, data={"status": choice("ticket_status", "in_progress")}
    )
    resolution.refresh_from_db()
    assert resolution.due_at == at(16, 14)  # 13 hours left: 7:30 on Tuesday, 5:30 Wednesday
    following = ticket.sla_clocks.get(kind="next_response")
    assert following.due_at == at(15, 14)  # the customer answered: our next answer in 4 h
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(15, 14)
    clocks = {v.clock.kind: v.state for v in ticket_clocks(ticket, now=at(15, 13, 30))}
    assert clocks == {"first_response": "met", "resolution": "running", "next_response": "warning"}


@pytest.mark.django_db
def test_resolving_meets_the_clocks_and_reopening_resumes_resolution(users, frozen):
    agent = users["support_agent"]
    frozen["now"] = at(14, 9)
    ticket = make_ticket(agent, priority=choice("ticket_priority", "urgent"))
    frozen["now"] = at(14, 10)
    ticket = services.ticket_update(
        ticket,
        actor=agent,
        data={"status": choice("ticket_status", "resolved"), "resolution": "הוחלף כבל"},
    )
    assert ticket.resolved_at == at(14, 10)
    assert not SlaClock.objects.filter(ticket=ticket, met_at__isnull=True).exists()
    frozen["now"] = at(15, 9)
    ticket = services.ticket_update(
        ticket, actor=agent, data={"status": choice("ticket_status", "in_progress")}
    )
    resolution = ticket.sla_clocks.get(kind="resolution")
    assert resolution.met_at is None
    assert resolution.due_at == at(15, 16)  # 1 of its 8 hours spent before resolving
    assert ticket.resolved_at is None
