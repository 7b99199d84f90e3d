"""Working-day calendars whose holidays are data: fixed dates, Easter offsets and Sunday shifts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from dateutil.easter import easter

# Fixed English names: strftime would follow the machine's language.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class HolidayRule:
    """One holiday as the calendar file describes it."""

    name: str
    month: int | None = None       # a fixed date: month and day ...
    day: int | None = None
    easter_offset: int | None = None  # ... or a number of days from Easter Sunday
    if_sunday: int = 0             # days to shift when the fixed date is a Sunday
    from_year: int | None = None
    until_year: int | None = None

    def date_in(self, year: int) -> dt.date | None:
        if (self.from_year and year < self.from_year) or (self.until_year and year > self.until_year):
            return None
        if self.easter_offset is not None:
            return easter(year) + dt.timedelta(days=self.easter_offset)
        day = dt.date(year, self.month, self.day)
        if self.if_sunday and day.weekday() == 6:
            day += dt.timedelta(days=self.if_sunday)
        return day


@dataclass(frozen=True)
class Calendar:
    name: str
    title: str
    weekend: tuple[int, ...]
    rules: tuple[HolidayRule, ...]
    file: str = ""

    def holidays(self, year: int) -> dict[dt.date, str]:
        # A copy: the cached dict is shared by every later call.
        return dict(_holidays(self, year))

    def holiday_name(self, day: dt.date) -> str | None:
        return _holidays(self, day.year).get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in _holidays(self, day.year)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The day itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, count: int) -> tuple[dt.date, list[dt.date]]:
        """Count `count` working days after `day` (before it when negative).

        Returns the date and the non-working days skipped on the way, for the trace.
        """
        step = dt.timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        skipped = []
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
            else:
                skipped.append(day)
        return day, skipped


@lru_cache(maxsize=4096)
def _holidays(calendar: Calendar, year: int) -> dict[dt.date, str]:
    result = {}
    for rule in calendar.rules:
        day = rule.date_in(year)
        if day is not None:
            # Two holidays can fall on one day (Hemelvaartsdag on 5 May in 2005 and 2016): keep both names.
            result[day] = f"{result[day]} / {rule.name}" if day in result else rule.name
    return result
