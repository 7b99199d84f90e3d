"""Working-day calendars whose holidays are data: fixed dates, Easter offsets and Sunday shifts."""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from dateutil.easter import easter

from .limits import MAX_DAYS_TO_WORKING_DAY

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
    on: dt.date | None = None      # one dated day (a day a decree equates with the holidays) ...
    decree: str | None = None      # ... and the decree that does so

    def date_in(self, year: int) -> dt.date | None:
        if self.on is not None:
            return self.on if self.on.year == year else None
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
    # Per year, filled on first use: the holidays, and the sorted ones outside the weekend. Plain dict
    # lookups are what make counting working days cheap.
    _years: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)
    _weekday_years: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _table(self, year: int) -> dict[dt.date, str]:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = _holidays(self, year)
        return table

    def holidays(self, year: int) -> dict[dt.date, str]:
        # A copy: the cached dict is shared by every later call.
        return dict(_holidays(self, year))

    def holiday_name(self, day: dt.date) -> str | None:
        return self._table(day.year).get(day)

    @property
    def decreed(self) -> tuple[HolidayRule, ...]:
        """The dated days a decree equates with the holidays, in date order."""
        return tuple(sorted((rule for rule in self.rules if rule.on is not None), key=lambda rule: rule.on))

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self._table(day.year)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The day itself when it is a working day, else the first working day after it.

        The loader refuses a calendar without working days; one whose holidays still cover every working
        day of a year (or the days up to 9999-12-31) gives a ValueError instead of walking on."""
        start = day
        try:
            for _ in range(MAX_DAYS_TO_WORKING_DAY):
                if self.is_working_day(day):
                    return day
                day += dt.timedelta(days=1)
        except OverflowError:
            raise ValueError(f"no working day follows {start.isoformat()} before 9999-12-31") from None
        raise ValueError(f"no working day follows {start.isoformat()} within {MAX_DAYS_TO_WORKING_DAY} days "
                         f"in calendar {self.name}")

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


    def shift_working_days(self, day: dt.date, count: int) -> dt.date:
        """The same date as add_working_days, without the list of skipped days: whole weeks at a time.

        Any 7 consecutive days hold the same number of weekdays outside the weekend, so a jump of
        whole weeks passes that many working days minus the holidays it crosses.
        """
        per_week = 7 - len(self.weekend)
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while per_week and remaining > 2 * per_week:
            weeks = (remaining - 1) // per_week
            target = day + dt.timedelta(weeks=weeks * step)
            passed = weeks * per_week - self._weekday_holidays_between(day, target)
            if passed <= 0:
                break  # holidays on every working day of the jump: count day by day (ends at 9999 at worst)
            remaining -= passed
            day = target
        one, weekend, year, table = dt.timedelta(days=step), self.weekend, None, None
        while remaining:
            day += one
            if day.year != year:
                year, table = day.year, self._table(day.year)
            if day.weekday() not in weekend and day not in table:
                remaining -= 1
        return day

    def _weekday_holidays_between(self, start: dt.date, end: dt.date) -> int:
        """Holidays outside the weekend after `start` up to and including `end` (in either direction)."""
        low, high = (start, end) if start <= end else (end, start)
        count = 0
        for year in range(low.year, high.year + 1):
            days = self._weekday_holidays(year)
            if start <= end:  # (start, end]
                count += bisect_right(days, high) - bisect_right(days, low)
            else:  # [end, start)
                count += bisect_left(days, high) - bisect_left(days, low)
        return count

    def _weekday_holidays(self, year: int) -> list[dt.date]:
        days = self._weekday_years.get(year)
        if days is None:
            days = self._weekday_years[year] = sorted(d for d in self._table(year) if d.weekday() not in self.weekend)
        return days


@lru_cache(maxsize=4096)
def _holidays(calendar: Calendar, year: int) -> dict[dt.date, str]:
    result = {}
    for rule in calendar.rules:
        day = rule.date_in(year)
        if day is not None:
            name = f"{rule.name}, gelijkgesteld bij {rule.decree}" if rule.decree else rule.name
            # Two holidays can fall on one day (Hemelvaartsdag on 5 May in 2005 and 2016): keep both names.
            result[day] = f"{result[day]} / {name}" if day in result else name
    return result
