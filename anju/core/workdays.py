"""Chinese working days (SVC-4: a revisit is due within 5 *working* days of implementation).

Holidays and the official 调休 swaps (a Saturday worked before 国庆 …) come from the
``chinese-calendar`` package, which is updated every year once the State Council publishes
the next year's arrangement: never a hand-kept list here. For a year the installed package
has no data for yet, Monday–Friday are counted as working days and ``missing_years`` says
so (``/healthz`` shows it), so an operator knows to upgrade the package.
"""

import datetime
import logging

import chinese_calendar

log = logging.getLogger(__name__)

_warned: set[int] = set()


def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # no data for that year in the installed package
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("chinese-calendar has no data for %s: counting Monday–Friday", day.year)
        return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    day = start
    while days:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def missing_years(today: datetime.date | None = None) -> list[int]:
    """This year and next, where the installed package has no holiday data."""
    today = today or datetime.date.today()
    missing = []
    for year in (today.year, today.year + 1):
        try:
            chinese_calendar.is_workday(datetime.date(year, 1, 1))
        except NotImplementedError:
            missing.append(year)
    return missing
