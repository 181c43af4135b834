"""Business time on the Israeli calendar (REQ TK-4): weekends, holidays, eves, DST."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from kesher.activities.calendar import WorkWeek, add_business_time, business_hours_between

TZ = ZoneInfo("Asia/Jerusalem")
WEEK = WorkWeek()


def at(y, m, d, h=0, mi=0):
    return datetime.datetime(y, m, d, h, mi, tzinfo=TZ)


def test_within_one_day():
    assert add_business_time(at(2026, 9, 1, 9), 3, WEEK) == at(2026, 9, 1, 12)


def test_across_the_weekend():
    """Thursday 16:30 + 2 business hours: Friday and Saturday are closed → Sunday 09:30."""
    assert add_business_time(at(2026, 9, 3, 16, 30), 2, WEEK) == at(2026, 9, 6, 9, 30)
    assert business_hours_between(at(2026, 9, 3, 16, 30), at(2026, 9, 6, 9, 30), WEEK) == 2


def test_friday_morning_when_enabled():
    week = WorkWeek(friday=True, friday_end=datetime.time(13, 0))
    # Thursday 17:00 + 2h: 0.5h Thursday, then Friday from 08:30 → 10:00.
    assert add_business_time(at(2026, 9, 3, 17), 2, week) == at(2026, 9, 4, 10)


def test_starting_outside_hours_starts_at_the_opening():
    assert add_business_time(at(2026, 9, 1, 6), 1, WEEK) == at(2026, 9, 1, 9, 30)
    assert add_business_time(at(2026, 9, 1, 20), 0, WEEK) == at(2026, 9, 2, 8, 30)


def test_across_rosh_hashanah_2026():
    """Rosh Hashanah is Sat–Sun 12–13 Sept 2026; its eve is a Friday (closed anyway).
    Thursday 10 Sept 17:00 + 1h: 0.5h Thursday, next working day is Monday 14 Sept."""
    assert add_business_time(at(2026, 9, 10, 17), 1, WEEK) == at(2026, 9, 14, 9)
    assert business_hours_between(at(2026, 9, 10, 8, 30), at(2026, 9, 14, 17, 30), WEEK) == 18


def test_holidays_can_be_switched_off():
    week = WorkWeek(holidays=False)
    assert add_business_time(at(2026, 9, 10, 17), 1, week) == at(2026, 9, 13, 9)


def test_erev_chag_is_a_short_day():
    """Sunday 20 Sept 2026 is erev Yom Kippur (Monday 21): it ends at 13:00."""
    assert add_business_time(at(2026, 9, 20, 12), 2, WEEK) == at(2026, 9, 22, 9, 30)
    long_eve = WorkWeek(eve_short=False)
    assert add_business_time(at(2026, 9, 20, 12), 2, long_eve) == at(2026, 9, 20, 14)


def test_across_the_spring_dst_change():
    """Israel moves to summer time on Friday 27 March 2026 at 02:00: Thursday 17:00 + 1h is
    Sunday 09:00 local, and the UTC offset moved from +2 to +3."""
    result = add_business_time(at(2026, 3, 26, 17), 1, WEEK)
    assert result == at(2026, 3, 29, 9)
    assert result.utcoffset() == datetime.timedelta(hours=3)
    assert at(2026, 3, 26, 17).utcoffset() == datetime.timedelta(hours=2)
    assert business_hours_between(at(2026, 3, 26, 17), result, WEEK) == 1


def test_across_the_autumn_dst_change():
    """Winter time from Sunday 25 October 2026 02:00: a whole working day is still 9 hours."""
    start = at(2026, 10, 22, 8, 30)
    assert business_hours_between(start, at(2026, 10, 25, 17, 30), WEEK) == 18
    result = add_business_time(at(2026, 10, 22, 17), 1, WEEK)
    assert result == at(2026, 10, 25, 9)
    assert result.utcoffset() == datetime.timedelta(hours=2)


def test_utc_input_is_read_in_local_time():
    start = datetime.datetime(2026, 9, 1, 6, 0, tzinfo=datetime.UTC)  # 09:00 in Jerusalem
    assert add_business_time(start, 1, WEEK) == at(2026, 9, 1, 10)


def test_bad_input():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime.datetime(2026, 9, 1, 9), 1, WEEK)  # naive
    with pytest.raises(ValueError, match="negative"):
        add_business_time(at(2026, 9, 1, 9), -1, WEEK)
    assert business_hours_between(at(2026, 9, 1, 12), at(2026, 9, 1, 10), WEEK) == -2
