"""What a deal's move costs in queries (issue 15 "Performance", decision 0101): the sales
settings and the business calendar are read once per process until they change, and a write
reads the stamps once for itself and for its events' subscribers."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.activities.calendar import add_business_time
from kesher.activities.models import BusinessCalendar
from kesher.sales.models import Opportunity
from kesher.sales.services import opportunity_move_stage
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db

# A move by its owner, no rule, no follower but the mover, in a test's transaction: the write's
# savepoint, the deal read locked, the stamps, its update and its audit entry, the release;
# then its events' subscribers: the followers' savepoint and three reads (chosen followers, the
# owner, his settings), automation's savepoint and its reading of the stamps (the rules are
# cached; none is about deals). Neither the sales settings nor the calendar is read.
MOVE_QUERIES = 12


def _deal(owner, name):
    deal = make_opportunity(owner, name=name, stage=stage("potential"), owner=owner)
    return Opportunity.objects.select_related("stage").get(pk=deal.pk)


def _statements(captured, table):
    return [q["sql"] for q in captured.captured_queries if table in q["sql"]]


def test_a_move_reads_neither_the_settings_nor_the_calendar_again(
    users, django_capture_on_commit_callbacks
):
    rep = users["sales_rep"]
    proposal = stage("proposal")
    with django_capture_on_commit_callbacks(execute=True):  # the caches filled
        opportunity_move_stage(_deal(rep, "ראשונה"), actor=rep, stage=proposal)
    deal = _deal(rep, "שנייה")
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        opportunity_move_stage(deal, actor=rep, stage=proposal)
    assert not _statements(captured, "sales_salessettings")
    assert not _statements(captured, "activities_businesscalendar")
    # The write's one reading of the stamps, and the subscribers' one: here the test's
    # transaction delivers the events after the service returned; at a real commit they are
    # delivered within the write and share its reading.
    assert len(_statements(captured, "platform_schemastamp")) == 2
    assert len(captured.captured_queries) == MOVE_QUERIES


def test_a_changed_calendar_is_seen_by_the_next_move(users):
    rep = users["sales_rep"]
    proposal = stage("proposal")
    opportunity_move_stage(_deal(rep, "ראשונה"), actor=rep, stage=proposal)  # caches it
    calendar = BusinessCalendar.objects.filter(company__isnull=True).first() or BusinessCalendar()
    calendar.day_start, calendar.day_end = datetime.time(9, 0), datetime.time(12, 0)
    calendar.save()
    moved = opportunity_move_stage(_deal(rep, "שנייה"), actor=rep, stage=proposal)
    # Three hours a working day now, not nine.
    week = calendar.week()
    expected = add_business_time(
        moved.stage_entered_at, datetime.timedelta(hours=3) * proposal.standard_days, week
    )
    assert moved.stuck_at == expected
