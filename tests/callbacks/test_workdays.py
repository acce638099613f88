"""Working days on the Chinese calendar: holidays are skipped, adjusted weekend workdays count."""

import datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from callbacks.workdays import is_workday, workdays_add

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def test_the_calendar_data_knows_national_day_2026_and_its_adjusted_saturday():
    assert not chinese_calendar.is_workday(datetime.date(2026, 10, 1))
    assert chinese_calendar.is_workday(datetime.date(2026, 10, 10))  # a Saturday made a workday (调休)
    assert datetime.date(2026, 10, 10).weekday() == 5


def test_one_working_day_after_the_eve_of_national_day_is_after_the_holiday():
    assert workdays_add(at(2026, 9, 30, 15, 0), 1) == at(2026, 10, 8, 15, 0)


def test_an_adjusted_saturday_counts_as_a_working_day():
    assert workdays_add(at(2026, 10, 9, 11, 30), 1) == at(2026, 10, 10, 11, 30)


def test_an_ordinary_weekend_is_skipped():
    assert workdays_add(at(2026, 11, 20, 18, 0), 1) == at(2026, 11, 23, 18, 0)  # Friday → Monday
    assert workdays_add(at(2026, 11, 21, 10, 0), 1) == at(2026, 11, 23, 10, 0)  # Saturday → Monday


def test_ten_working_days_across_national_day():
    # 30 Sep (Wed) + 10: 8, 9, 10(Sat, adjusted), 12, 13, 14, 15, 16, 19, 20 Oct
    assert workdays_add(at(2026, 9, 30, 9, 0), 10) == at(2026, 10, 20, 9, 0)


def test_zero_days_is_the_same_moment_and_negative_is_refused():
    assert workdays_add(at(2026, 10, 3, 9, 0), 0) == at(2026, 10, 3, 9, 0)
    with pytest.raises(ValueError):
        workdays_add(at(2026, 10, 3, 9, 0), -1)


def test_a_year_without_calendar_data_falls_back_to_monday_to_friday():
    assert is_workday(datetime.date(2099, 1, 5)) is True  # a Monday
    assert is_workday(datetime.date(2099, 1, 3)) is False  # a Saturday
