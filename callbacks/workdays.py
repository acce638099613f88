"""Working-day arithmetic on the Chinese calendar (public holidays and adjusted workdays 调休)."""

import datetime
import logging

import chinese_calendar

logger = logging.getLogger(__name__)


def is_workday(day: datetime.date) -> bool:
    """A working day per the State Council calendar; outside the package's data, Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the installed chinesecalendar does not know yet
        logger.warning("chinese_calendar has no data for %s: falling back to Mon-Fri", day.year)
        return day.weekday() < 5  # noqa: PLR2004


def workdays_add(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The same local time on the `days`-th working day after `moment`'s date.

    Saturday 10:00 + 1 → Monday 10:00; 30 Sep 2026 15:00 + 1 → 8 Oct 2026 15:00 (National Day);
    9 Oct 2026 + 1 → Saturday 10 Oct 2026 (an adjusted workday)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = moment.date()
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            counted += 1
    return moment.replace(year=day.year, month=day.month, day=day.day)
