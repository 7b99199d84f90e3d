"""The working-day calendar of the Algemene termijnenwet, loaded from catalogue/calendars/atw.yaml.

design.md, Semantics: "Working days are Monday–Friday minus the holidays of a calendar declared
in the catalogue. The default calendar is that of the Algemene termijnenwet, art. 3: lid 1 names
Nieuwjaarsdag, tweede Paasdag, Hemelvaartsdag, tweede Pinksterdag, eerste en tweede Kerstdag, the day
the King's birthday is celebrated (27 April, or 26 April when the 27th is a Sunday), and 5 May *every*
year; lid 2 equates Goede Vrijdag with them (so Good Friday is NOT a working day); lid 3 lets a decree
[...] equate further days [...]: those are dated entries in the calendar's YAML, each citing its
decree. Holiday rules are data (YAML), not Python."
Art. 3 lid 2: "Voor de toepassing van deze wet wordt de Goede Vrijdag met de in het vorige lid genoemde
dagen gelijkgesteld."
"""
from __future__ import annotations

import datetime as dt

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interpreter.calendar import Calendar
from interpreter.catalogue import load_catalogue
from interpreter.values import Duration, add_duration

D = dt.date
FIRST_YEAR, LAST_YEAR = 1990, 2100


@pytest.fixture(scope="module")
def atw() -> Calendar:
    # From the YAML data through the loader, not a calendar built in Python.
    return load_catalogue().calendars["atw"]


# The days the two decrees in the calendar equate with the holidays (art. 3 lid 3), read from their
# titles: "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024, 27 december 2024 en
# 30 mei 2025 ..." and "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april
# 2028 en 26 mei 2028 met een algemeen erkende feestdag".
DECREED = {D(2023, 4, 28), D(2023, 5, 19), D(2024, 5, 10), D(2024, 12, 27), D(2025, 5, 30),
           D(2026, 1, 2), D(2026, 5, 15), D(2027, 5, 7), D(2028, 4, 28), D(2028, 5, 26)}
DECREE_2026 = "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en 26 mei 2028 met een algemeen erkende feestdag"


def expected_holidays() -> set[dt.date]:
    """The independent source: the `holidays` package's Dutch public holidays (with Good Friday, which
    art. 3 lid 2 equates with them), plus 5 May every year (the package lists 5 May only in lustrum
    years), plus the decreed days."""
    public = holidays.Netherlands(years=range(FIRST_YEAR, LAST_YEAR + 1), language="en_US")
    expected = set(public)
    expected |= {D(year, 5, 5) for year in range(FIRST_YEAR, LAST_YEAR + 1)}
    return expected | DECREED


def every_day(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


# -- 1. the bundled calendar against an independent source -------------------------------------


def test_bundled_calendar_is_the_atw_one(atw):
    assert atw.name == "atw"
    assert atw.file.endswith("atw.yaml")
    assert set(atw.weekend) == {5, 6}  # Saturday and Sunday


def test_every_day_1990_to_2100_matches_the_holidays_package(atw):
    expected = expected_holidays()
    # Guard against a vacuous comparison: the source really lists Good Friday (which we drop).
    public = holidays.Netherlands(years=2026, language="en_US")
    assert public.get(D(2026, 4, 3)) == "Good Friday"
    wrong = [day for day in every_day(D(FIRST_YEAR, 1, 1), D(LAST_YEAR, 12, 31))
             if atw.is_working_day(day) != (day.weekday() < 5 and day not in expected)]
    assert wrong == []


def test_weekday_holidays_1990_to_2100_equal_the_holidays_package(atw):
    expected = {day for day in expected_holidays() if day.weekday() < 5}
    ours = {day for year in range(FIRST_YEAR, LAST_YEAR + 1)
            for day in atw.holidays(year) if day.weekday() < 5}
    assert ours == expected
    # 111 years of at least Easter Monday, Ascension Day and Whit Monday, all on weekdays
    assert len(ours) >= 3 * 111


def test_good_friday_is_not_a_working_day(atw):
    # art. 3 lid 2. Easter 2026 = Sun 5 April, so Good Friday = Fri 3 April
    assert not atw.is_working_day(D(2026, 4, 3))
    assert atw.holiday_name(D(2026, 4, 3)) == "Goede Vrijdag"
    # Easter 2016 = Sun 27 March, Good Friday = Fri 25 March
    assert not atw.is_working_day(D(2016, 3, 25))


def test_decreed_days_are_dated_entries_with_their_decree(atw):
    assert {rule.on for rule in atw.decreed} == DECREED
    assert all(rule.decree.startswith("Besluit gelijkstelling van ") for rule in atw.decreed)
    # Friday 15 May 2026, the day after Hemelvaartsdag (Thursday 14 May)
    assert not atw.is_working_day(D(2026, 5, 15))
    assert atw.holiday_name(D(2026, 5, 15)) == f"Vrijdag na Hemelvaartsdag, gelijkgesteld bij {DECREE_2026}"
    # no decree for 2022 is entered (the calendar's assumption): Friday 27 May 2022 counts as a working day
    assert atw.is_working_day(D(2022, 5, 27))


def test_fifth_of_may_every_year(atw):
    # design.md: "and 5 May *every* year" — 2026 is not a lustrum year; 5 May 2026 is a Tuesday
    assert D(2026, 5, 5).weekday() == 1
    assert not atw.is_working_day(D(2026, 5, 5))
    assert atw.holiday_name(D(2026, 5, 5)) == "Bevrijdingsdag"
    # 2027: 5 May is a Wednesday, not a lustrum year either
    assert not atw.is_working_day(D(2027, 5, 5))


def test_fifth_of_may_only_since_the_1981_amendment(atw):
    # 5 May was added to art. 3 lid 1 by the amendment of 1981/1982; 5 May 1981 was a Tuesday.
    assert atw.is_working_day(D(1981, 5, 5))
    assert not atw.is_working_day(D(1982, 5, 5))  # a Wednesday


def test_two_holidays_on_one_day_keep_both_names(atw):
    # Easter 2016 = 27 March; Hemelvaartsdag = 27 March + 39 days = 5 May = Bevrijdingsdag
    name = atw.holiday_name(D(2016, 5, 5))
    assert "Hemelvaartsdag" in name and "Bevrijdingsdag" in name
    # Easter 2005 = 27 March as well: the same coincidence
    name = atw.holiday_name(D(2005, 5, 5))
    assert "Hemelvaartsdag" in name and "Bevrijdingsdag" in name


def test_kings_day_shifts_to_26_april_when_27_april_is_a_sunday(atw):
    # design.md: "the day the King's birthday is celebrated (27 April, or 26 April when the 27th is a Sunday)"
    for year in (2014, 2025):
        assert D(year, 4, 27).weekday() == 6  # a Sunday in both years
        assert atw.holiday_name(D(year, 4, 26)) == "Koningsdag"
        assert D(year, 4, 27) not in atw.holidays(year)
    # 2026: 27 April is a Monday, no shift
    assert atw.holiday_name(D(2026, 4, 27)) == "Koningsdag"
    assert not atw.is_working_day(D(2026, 4, 27))
    assert atw.is_working_day(D(2026, 4, 28))


def test_queens_day_until_2013(atw):
    # Koninginnedag 30 April until 2013 (a Tuesday then), Koningsdag from 2014 (30 April 2014 a Wednesday)
    assert not atw.is_working_day(D(2013, 4, 30))
    assert atw.is_working_day(D(2013, 4, 29))  # Monday 29 April 2013: Koningsdag did not exist yet
    assert atw.is_working_day(D(2014, 4, 30))


def test_holidays_returns_a_copy(atw):
    atw.holidays(2031).clear()
    assert D(2031, 12, 25) in atw.holidays(2031)
    assert not atw.is_working_day(D(2031, 12, 25))  # a Thursday


# -- 3. counting working days ---------------------------------------------------------------------


def test_good_friday_and_easter_monday_are_skipped(atw):
    # Thu 2026-04-02 + 1 working day: Good Friday 04-03, Sat, Sun, Easter Monday 04-06 skipped: Tue 04-07
    skipped = [D(2026, 4, 3), D(2026, 4, 4), D(2026, 4, 5), D(2026, 4, 6)]
    assert atw.add_working_days(D(2026, 4, 2), 1) == (D(2026, 4, 7), skipped)
    # Thu 04-02 + 2: Tue 04-07 (1), Wed 04-08 (2)
    assert atw.add_working_days(D(2026, 4, 2), 2) == (D(2026, 4, 8), skipped)


def test_working_days_across_easter_via_add_duration(atw):
    # Thu 2026-04-02 + 2 working days = Wed 2026-04-08 (see above)
    day, note = add_duration(D(2026, 4, 2), Duration(2, "working_days"), atw)
    assert day == D(2026, 4, 8)
    assert note == "skipped holidays of calendar atw: 2026-04-03 (Goede Vrijdag), 2026-04-06 (Tweede Paasdag)"


def test_ascension_day(atw):
    # Easter 2026 = 5 April; Hemelvaartsdag = 5 April + 39 = Thu 14 May; the Friday after it is equated by
    # decree (art. 3 lid 3): Wed 05-13 + 1 = Mon 05-18, and the trace names the decree
    day, note = add_duration(D(2026, 5, 13), Duration(1, "working_days"), atw)
    assert day == D(2026, 5, 18)
    assert note == ("skipped holidays of calendar atw: 2026-05-14 (Hemelvaartsdag), "
                    f"2026-05-15 (Vrijdag na Hemelvaartsdag, gelijkgesteld bij {DECREE_2026})")
    # Easter 2016 = 27 March; Hemelvaartsdag Thu 5 May 2016; no decree for 2016 is entered: Fri 05-06
    day, note = add_duration(D(2016, 5, 4), Duration(1, "working_days"), atw)
    assert day == D(2016, 5, 6)


def test_whit_monday(atw):
    # Tweede Pinksterdag 2026 = 5 April + 50 = Mon 25 May; Fri 05-22 + 1 = Tue 05-26 (Sat, Sun, Mon skipped)
    day, note = add_duration(D(2026, 5, 22), Duration(1, "working_days"), atw)
    assert day == D(2026, 5, 26)
    assert note == "skipped holidays of calendar atw: 2026-05-25 (Tweede Pinksterdag)"


def test_christmas_and_new_year(atw):
    # 2024: Christmas Wed 25 + Thu 26 Dec, Fri 27 Dec equated by decree; Tue 12-24 + 1 = Mon 12-30
    day, note = add_duration(D(2024, 12, 24), Duration(1, "working_days"), atw)
    assert day == D(2024, 12, 30)
    assert "2024-12-25 (Eerste Kerstdag)" in note and "2024-12-26 (Tweede Kerstdag)" in note
    assert "2024-12-27 (Vrijdag na Tweede Kerstdag, gelijkgesteld bij Besluit gelijkstelling" in note
    # Tue 12-24 + 4: Mon 30 (1), Tue 31 (2), Wed 1 Jan skipped, Thu 2025-01-02 (3), Fri 01-03 (4)
    day, note = add_duration(D(2024, 12, 24), Duration(4, "working_days"), atw)
    assert day == D(2025, 1, 3)
    assert "2025-01-01 (Nieuwjaarsdag)" in note


def test_fifth_of_may_in_a_non_lustrum_year_is_skipped(atw):
    # 2026: Mon 05-04 + 1 working day = Wed 05-06 (Tue 5 May skipped)
    day, note = add_duration(D(2026, 5, 4), Duration(1, "working_days"), atw)
    assert day == D(2026, 5, 6)
    assert note == "skipped holidays of calendar atw: 2026-05-05 (Bevrijdingsdag)"


def test_kings_day_on_a_monday_is_skipped(atw):
    # 2026: Fri 04-24 + 1 working day = Tue 04-28 (Sat, Sun, Koningsdag Mon 27 April skipped)
    day, note = add_duration(D(2026, 4, 24), Duration(1, "working_days"), atw)
    assert day == D(2026, 4, 28)
    assert note == "skipped holidays of calendar atw: 2026-04-27 (Koningsdag)"


@pytest.mark.parametrize("year", [2014, 2025])
def test_kings_day_moved_to_saturday(atw, year):
    # Fri 04-25 + 1 working day = Mon 04-28: Koningsdag is Sat 26 April, Sun 27 April is no holiday
    day, note = add_duration(D(year, 4, 25), Duration(1, "working_days"), atw)
    assert day == D(year, 4, 28)
    assert note == f"skipped holidays of calendar atw: {year}-04-26 (Koningsdag)"


def test_thirty_working_days_through_spring_2026(atw):
    # Wed 2026-04-01 + 30: April 2 (1), 7-10 (5), 13-17 (10), 20-24 (15), 28-30 (18), May 1 (19), 4 (20),
    # 6-8 (23), 11-13 (26), 18-21 (30) → 2026-05-21; skipped 3/4, 6/4, 27/4, 5/5, 14/5 and the decreed 15/5
    day, note = add_duration(D(2026, 4, 1), Duration(30, "working_days"), atw)
    assert day == D(2026, 5, 21)
    assert note == ("skipped holidays of calendar atw: 2026-04-03 (Goede Vrijdag), 2026-04-06 (Tweede Paasdag), "
                    "2026-04-27 (Koningsdag), 2026-05-05 (Bevrijdingsdag), 2026-05-14 (Hemelvaartsdag), "
                    f"2026-05-15 (Vrijdag na Hemelvaartsdag, gelijkgesteld bij {DECREE_2026})")


def test_counting_backwards(atw):
    # Tue 2026-04-07 - 2: Easter Monday 04-06, Sun, Sat, Good Friday 04-03 skipped, Thu 04-02 (1), Wed 04-01 (2)
    skipped = [D(2026, 4, 6), D(2026, 4, 5), D(2026, 4, 4), D(2026, 4, 3)]
    assert atw.add_working_days(D(2026, 4, 7), -2) == (D(2026, 4, 1), skipped)
    day, note = add_duration(D(2026, 4, 7), Duration(2, "working_days"), atw, sign=-1)
    assert day == D(2026, 4, 1)
    assert "2026-04-06 (Tweede Paasdag)" in note and "2026-04-03 (Goede Vrijdag)" in note
    # Wed 2026-05-06 - 1 = Mon 05-04 (Tue 5 May skipped)
    day, note = add_duration(D(2026, 5, 6), Duration(-1, "working_days"), atw)
    assert day == D(2026, 5, 4)
    assert "2026-05-05 (Bevrijdingsdag)" in note


def test_no_holiday_no_note(atw):
    # Fri 2026-06-05 + 1 = Mon 06-08: only a weekend skipped, so no holiday to name
    day, note = add_duration(D(2026, 6, 5), Duration(1, "working_days"), atw)
    assert (day, note) == (D(2026, 6, 8), None)
    # zero working days: the day itself
    assert atw.add_working_days(D(2026, 6, 6), 0) == (D(2026, 6, 6), [])


def test_there_and_back_again(atw):
    # For working days, + n then - n returns the start (the start being a working day).
    start = D(2026, 3, 2)
    for n in range(1, 120):
        there, _ = atw.add_working_days(start, n)
        back, _ = atw.add_working_days(there, -n)
        assert atw.is_working_day(there)
        assert back == start


# -- 4. rolling to the next working day -----------------------------------------------------------


def test_next_working_day_on_a_saturday(atw):
    # design.md: "A rule may declare that a date falling on a non-working day rolls to the next working day"
    # Sat 2026-04-04 → Sun 5, Easter Monday 6 → Tue 2026-04-07
    assert atw.next_working_day(D(2026, 4, 4)) == D(2026, 4, 7)
    # an ordinary Saturday: Sat 2026-06-06 → Mon 06-08
    assert atw.next_working_day(D(2026, 6, 6)) == D(2026, 6, 8)


def test_next_working_day_on_a_holiday_before_a_weekend(atw):
    # Fri 2026-12-25 (Eerste Kerstdag), Sat 26, Sun 27 → Mon 2026-12-28
    assert atw.next_working_day(D(2026, 12, 25)) == D(2026, 12, 28)
    # Thu 2026-05-14 (Hemelvaartsdag), Fri 05-15 (equated by decree), Sat, Sun → Mon 05-18
    assert atw.next_working_day(D(2026, 5, 14)) == D(2026, 5, 18)
    # Good Friday 2026-04-03 (art. 3 lid 2), Sat, Sun, Easter Monday → Tue 04-07
    assert atw.next_working_day(D(2026, 4, 3)) == D(2026, 4, 7)


def test_next_working_day_on_a_working_day_is_unchanged(atw):
    assert atw.next_working_day(D(2026, 4, 8)) == D(2026, 4, 8)
    # the Thursday before Good Friday is a working day
    assert atw.next_working_day(D(2026, 4, 2)) == D(2026, 4, 2)



@settings(max_examples=500, deadline=None)
@given(day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
       count=st.one_of(st.integers(min_value=-40, max_value=40), st.integers(min_value=-3000, max_value=3000)))
def test_jumping_whole_weeks_counts_working_days_like_stepping_day_by_day(engine, day, count):
    # The compiled backend uses shift_working_days; the reference walks day by day.
    calendar = engine.catalogue.product("U-XR").calendar
    assert calendar.shift_working_days(day, count) == calendar.add_working_days(day, count)[0]


# -- a calendar is validated like a card, with positions (issue 11, defect 8) ---------------------------

CALENDAR_HEAD = "calendar: odd\ntitle: An odd calendar\n"   # lines 1-2
USES_ODD = ("code: T-1\ntitle: Test card\nsource: {document: test.txt, section: '1'}\n"
            "edition: {name: Test edition}\ncalendar: odd\n"
            "deadlines:\n  d:\n    label: D\n    due: next_working_day(registered_on)\n")


def calendar_errors(tmp_path, calendar: str):
    from cards import catalogue_with, load_errors
    from cards import FIXTURE
    root = catalogue_with(tmp_path, FIXTURE, {"t1.yaml": USES_ODD})
    (root / "calendars" / "odd.yaml").write_text(CALENDAR_HEAD + calendar, encoding="utf-8")
    return [(e.position.file.rsplit("/", 1)[-1], e.position.line, e.position.column, e.message)
            for e in load_errors(root)]


# Each error stands at the value it names: line, and the text there (its column counted from the line).
@pytest.mark.parametrize("calendar, line, at, message", [
    ("weekend: [saturday, sunday]\nholidays:\n  - {name: Leap, date: 02-29}\n", 5, "02-29",
     "'02-29' is not a day of every year"),
    ("weekend: [saturday, sunday]\nholidays:\n  - {name: Odd, date: 13-01}\n", 5, "13-01",
     "'13-01' is not a day of the year (MM-DD)"),
    ("weekend: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]\nholidays: []\n", 3, "[monday",
     "a calendar needs at least one working day, but every day of the week is in its weekend"),
    ("weekend: [sunday, sunday]\nholidays: []\n", 3, "[sunday", "the weekend names sunday more than once"),
    ("weekend: [sunday]\nholidays:\n  - {name: Far, easter: 99999999999}\n", 5, "999",
     "'easter' in holidays (item 1) is 99999999999, but must be at most 80"),
    ("weekend: [sunday]\nholidays:\n  - {name: Far, date: 01-02, if_sunday: 400}\n", 5, "400",
     "'if_sunday' in holidays (item 1) is 400, but must be at most 6"),
    ("weekend: [sunday]\nholidays:\n  - {name: Far, date: 01-02, from_year: 0}\n", 5, "0}",
     "'from_year' in holidays (item 1) is 0, but must be at least 1"),
    ("weekend: [sunday]\nholidays:\n  - {name: Back, date: 01-02, from_year: 2020, until_year: 2010}\n", 5, "2010",
     "the holiday 'Back' ends (until_year 2010) before it starts (from_year 2020)"),
])
def test_a_bad_calendar_is_refused_at_its_position_and_the_card_is_not_blamed(tmp_path, calendar, line, at, message):
    errors = calendar_errors(tmp_path, calendar)
    column = (CALENDAR_HEAD + calendar).splitlines()[line - 1].index(at) + 1
    assert errors == [("odd.yaml", line, column, message)]


def test_too_many_holidays(tmp_path):
    from interpreter.limits import MAX_HOLIDAYS
    holidays_ = "".join(f"  - {{name: H{i}, date: 01-01}}\n" for i in range(MAX_HOLIDAYS + 1))
    errors = calendar_errors(tmp_path, "weekend: [sunday]\nholidays:\n" + holidays_)
    assert [e[3] for e in errors] == [f"holidays has {MAX_HOLIDAYS + 1:,} entries, at most {MAX_HOLIDAYS:,}"]


def test_too_many_decreed_days(tmp_path):
    # Decreed days join the holiday rules every working-day count goes through: bounded like the holidays.
    from interpreter.limits import MAX_HOLIDAYS
    days = "".join(f"  - {{date: 2016-01-04, name: D{i}, decree: Besluit}}\n" for i in range(MAX_HOLIDAYS + 1))
    errors = calendar_errors(tmp_path, "weekend: [sunday]\nholidays: []\ndecreed:\n" + days)
    assert [e[3] for e in errors] == [f"decreed has {MAX_HOLIDAYS + 1:,} entries, at most {MAX_HOLIDAYS:,}"]


def test_next_working_day_stops_where_the_holidays_leave_no_working_day():
    # Monday is the only working day, and every Monday of 2016 is a holiday: from 1 January 2016 (a Friday)
    # the first working day would be Monday 2 January 2017, 367 days on.
    from interpreter.calendar import HolidayRule
    from interpreter.limits import MAX_DAYS_TO_WORKING_DAY
    mondays = [dt.date(2016, 1, 4) + dt.timedelta(weeks=k) for k in range(52)]
    assert mondays[-1] == dt.date(2016, 12, 26)
    covered = Calendar("odd", "Odd", (1, 2, 3, 4, 5, 6),
                       tuple(HolidayRule(f"H{d}", d.month, d.day, from_year=2016, until_year=2016) for d in mondays))
    with pytest.raises(ValueError) as caught:
        covered.next_working_day(dt.date(2016, 1, 1))
    assert str(caught.value) == (f"no working day follows 2016-01-01 within {MAX_DAYS_TO_WORKING_DAY} days "
                                 "in calendar odd")
    assert covered.next_working_day(dt.date(2016, 1, 3)) == dt.date(2017, 1, 2)  # 365 days on: still found


def test_next_working_day_past_9999_is_a_value_error(atw):
    # 9999-12-31 is a Friday; the day after the last Friday's weekend would be in the year 10000.
    assert atw.next_working_day(dt.date(9999, 12, 31)) == dt.date(9999, 12, 31)
    with pytest.raises(ValueError) as caught:
        Calendar("w", "W", (4, 5, 6), ()).next_working_day(dt.date(9999, 12, 31))
    assert str(caught.value) == "no working day follows 9999-12-31 before 9999-12-31"


# -- 5. the decreed days in a calendar file --------------------------------------------------------


def test_a_decreed_day_must_be_a_date_and_name_its_decree(tmp_path):
    from cards import copy_fixture, load_errors
    root = copy_fixture(tmp_path)
    path = root / "calendars" / "atw.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  - date: 2026-05-15\n" in text
    path.write_text(text.replace("  - date: 2026-05-15\n", "  - date: 2026-05-32\n"), encoding="utf-8")
    [error] = load_errors(root)
    line = text.splitlines().index("  - date: 2026-05-15") + 1
    assert (error.position.line, error.position.column) == (line, 11)  # "  - date: " is 10 characters
    assert "2026-05-32" in error.message or "May" in error.message
    without_decree = text.replace("    decree: Besluit gelijkstelling van 2 januari 2026", "    note: x", 1)
    path.write_text(without_decree, encoding="utf-8")
    errors = load_errors(root)
    assert "'decree' is missing in decreed (item 6)" in [e.message for e in errors]
