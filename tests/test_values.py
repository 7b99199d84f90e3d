"""Time and money semantics of interpreter/values.py (design.md, section "Semantics")."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interpreter.calendar import Calendar
from interpreter.catalogue import load_catalogue
from interpreter.values import Duration, Open, add_duration, add_months, merge_open, percent_of, recurring, split_amount, to_cents

D = dt.date
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def atw() -> Calendar:
    return load_catalogue().calendars["atw"]


# -- 2. months, years and weeks -------------------------------------------------------------------
# design.md: "Weeks are 7 days. Months and years add calendar months and clamp to the month's last day
# (2016-01-31 + 3 months = 2016-04-30; 2016-02-29 + 1 year = 2017-02-28)."


@pytest.mark.parametrize("start, duration, sign, expected", [
    (D(2016, 1, 31), Duration(3, "months"), 1, D(2016, 4, 30)),   # April has 30 days: 31 → 30
    (D(2016, 2, 29), Duration(1, "years"), 1, D(2017, 2, 28)),    # 2017 is no leap year: 29 → 28
    (D(2016, 1, 31), Duration(1, "months"), 1, D(2016, 2, 29)),   # February 2016 (leap) has 29 days
    (D(2015, 1, 31), Duration(1, "months"), 1, D(2015, 2, 28)),   # February 2015 has 28 days
    (D(2016, 3, 31), Duration(1, "months"), -1, D(2016, 2, 29)),  # back to February 2016: 31 → 29
    (D(2016, 5, 31), Duration(3, "months"), -1, D(2016, 2, 29)),  # May - 3 = February 2016: 31 → 29
    (D(2016, 8, 31), Duration(1, "months"), 1, D(2016, 9, 30)),   # September has 30 days
    (D(2016, 12, 31), Duration(2, "months"), 1, D(2017, 2, 28)),  # over the year end into February 2017
])
def test_months_and_years_clamp(atw, start, duration, sign, expected):
    day, note = add_duration(start, duration, atw, sign)
    assert day == expected
    assert note is not None
    assert "clamped" in note and expected.isoformat() in note and start.isoformat() in note


def test_clamping_note_text(atw):
    # 2016-01-31 + 3 months: April 2016 has no 31st, so 30 April
    _, note = add_duration(D(2016, 1, 31), Duration(3, "months"), atw)
    assert note == ("2016-01-31 + 3 months has no day 31 in April 2016: "
                    "clamped to the month's last day, 2016-04-30")
    # 2016-03-31 - 1 month = 2016-02-29
    _, note = add_duration(D(2016, 3, 31), Duration(1, "months"), atw, -1)
    assert note.startswith("2016-03-31 - 1 month has no day 31 in February 2016")


@pytest.mark.parametrize("start, duration, sign, expected", [
    (D(2016, 1, 15), Duration(1, "months"), 1, D(2016, 2, 15)),   # day 15 exists in every month
    (D(2016, 1, 31), Duration(2, "months"), 1, D(2016, 3, 31)),   # March has a 31st
    (D(2016, 4, 30), Duration(1, "months"), 1, D(2016, 5, 30)),   # the 30th stays the 30th (no "end of month" rule)
    (D(2016, 2, 28), Duration(1, "years"), 1, D(2017, 2, 28)),
    (D(2017, 2, 28), Duration(1, "years"), -1, D(2016, 2, 28)),   # not 29 February: plain calendar years
    (D(2016, 4, 1), Duration(12, "months"), 1, D(2017, 4, 1)),
    (D(2016, 2, 29), Duration(-4, "years"), 1, D(2012, 2, 29)),   # 2012 is a leap year: no clamping
])
def test_no_clamping_no_note(atw, start, duration, sign, expected):
    assert add_duration(start, duration, atw, sign) == (expected, None)


def test_weeks_are_seven_days(atw):
    # design.md: "Weeks are 7 days."  2016-04-01 + 26*7 = 182 days:
    # Apr 1 → Apr 30 (29), May 31 (60), Jun 30 (90), Jul 31 (121), Aug 31 (152), Sep 30 (182)
    assert add_duration(D(2016, 4, 1), Duration(26, "weeks"), atw) == (D(2016, 9, 30), None)
    # 2016-03-01 - 1 week = 2016-02-23
    assert add_duration(D(2016, 3, 1), Duration(1, "weeks"), atw, -1) == (D(2016, 2, 23), None)


def test_days_are_calendar_days(atw):
    # 2016-02-28 + 2 days = 2016-03-01 (29 February exists in 2016); weekends and holidays count
    assert add_duration(D(2016, 2, 28), Duration(2, "days"), atw) == (D(2016, 3, 1), None)
    # Thu 2026-12-24 + 3 days = Sun 12-27, although 25 and 26 December are holidays
    assert add_duration(D(2026, 12, 24), Duration(3, "days"), atw) == (D(2026, 12, 27), None)
    assert add_duration(D(2016, 3, 1), Duration(1, "days"), atw, -1) == (D(2016, 2, 29), None)


def test_within_n_units_after_is_the_last_allowed_day(atw):
    # design.md: 'A deadline "within N units after X" is the date X + N units: the last allowed day.'
    # within 4 weeks after 2016-04-01 = 2016-04-29 (1 + 28)
    assert add_duration(D(2016, 4, 1), Duration(4, "weeks"), atw)[0] == D(2016, 4, 29)


def test_unknown_unit_is_an_error(atw):
    # Not silently taken as months.
    with pytest.raises(ValueError, match="hours"):
        add_duration(D(2016, 4, 1), Duration(3, "hours"), atw)


# -- 6. recurring dates ---------------------------------------------------------------------------


def test_every_three_months_from_the_start_without_drift(atw):
    # 2024-01-31 + 3 = 04-30 (clamped), + 6 = 07-31 (from the start, not 04-30 + 3 = 07-30),
    # + 9 = 10-31, + 12 = 2025-01-31 is not before 2024-12-31: stop
    assert recurring(D(2024, 1, 31), Duration(3, "months"), D(2024, 12, 31), atw) == [
        D(2024, 4, 30), D(2024, 7, 31), D(2024, 10, 31)]


def test_every_month_from_the_31st(atw):
    # 2024-01-31 + 1 = 02-29, + 2 = 03-31 (no drift to the 29th), + 3 = 04-30; + 4 = 05-31 ≥ 05-01
    assert recurring(D(2024, 1, 31), Duration(1, "months"), D(2024, 5, 1), atw) == [
        D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)]


def test_the_until_date_is_excluded(atw):
    # 2024-01-31 every 3 months until 2024-10-31: 04-30, 07-31; 10-31 itself is not before the until date
    assert recurring(D(2024, 1, 31), Duration(3, "months"), D(2024, 10, 31), atw) == [
        D(2024, 4, 30), D(2024, 7, 31)]
    # one day later it is included
    assert recurring(D(2024, 1, 31), Duration(3, "months"), D(2024, 11, 1), atw)[-1] == D(2024, 10, 31)
    # the start itself is never a date of the series; nothing fits before an until of start + 1 step
    assert recurring(D(2024, 1, 1), Duration(1, "weeks"), D(2024, 1, 8), atw) == []


def test_every_two_weeks(atw):
    # 2026-01-05 + 14 = 01-19, + 28 = 02-02, + 42 = 02-16; + 56 = 03-02 ≥ 03-01
    assert recurring(D(2026, 1, 5), Duration(2, "weeks"), D(2026, 3, 1), atw) == [
        D(2026, 1, 19), D(2026, 2, 2), D(2026, 2, 16)]


def test_every_five_working_days(atw):
    # from Wed 2026-04-01: +5 working days = Fri 04-10 (2, 7, 8, 9, 10; Good Friday, art. 3 lid 2
    # Algemene termijnenwet, and Easter Monday skipped), +10 = Fri 04-17, +15 = Fri 04-24;
    # +20 = Mon 05-04 (28, 29, 30, 1, 4; Koningsdag skipped) ≥ 05-01
    assert recurring(D(2026, 4, 1), Duration(5, "working_days"), D(2026, 5, 1), atw) == [
        D(2026, 4, 10), D(2026, 4, 17), D(2026, 4, 24)]


@pytest.mark.parametrize("amount", [0, -1])
def test_a_step_that_does_not_move_forward_is_an_error(atw, amount):
    with pytest.raises(ValueError, match="step forward"):
        recurring(D(2024, 1, 31), Duration(amount, "months"), D(2024, 12, 31), atw)


def test_too_many_dates_is_an_error(atw):
    # every day from 2024-01-01 until 2025-01-01 gives 365 dates (2024-01-02 … 2024-12-31), more than 100
    with pytest.raises(ValueError, match="more than 100"):
        recurring(D(2024, 1, 1), Duration(1, "days"), D(2025, 1, 1), atw, limit=100)
    # exactly `limit` dates are allowed; one more is not (2024 is a leap year: Jan 2 … Dec 31 = 365 days)
    assert len(recurring(D(2024, 1, 1), Duration(1, "days"), D(2025, 1, 1), atw, limit=365)) == 365
    with pytest.raises(ValueError, match="more than 364"):
        recurring(D(2024, 1, 1), Duration(1, "days"), D(2025, 1, 1), atw, limit=364)


# -- 7. Duration ----------------------------------------------------------------------------------


@pytest.mark.parametrize("duration, text", [
    (Duration(1, "days"), "1 day"),
    (Duration(2, "days"), "2 days"),
    (Duration(0, "days"), "0 days"),
    (Duration(1, "working_days"), "1 working day"),
    (Duration(10, "working_days"), "10 working days"),
    (Duration(26, "weeks"), "26 weeks"),
    (Duration(1, "months"), "1 month"),
    (Duration(-1, "years"), "-1 year"),
    (Duration(-3, "months"), "-3 months"),
])
def test_duration_str(duration, text):
    assert str(duration) == text


def test_duration_times():
    assert Duration(2, "weeks").times(Decimal(3)) == Duration(6, "weeks")
    assert Duration(4, "days").times(Decimal("0.5")) == Duration(2, "days")
    assert Duration(10, "working_days").times(Decimal("1.50")) == Duration(15, "working_days")
    assert Duration(3, "months").times(Decimal(-2)) == Duration(-6, "months")
    assert type(Duration(4, "days").times(Decimal("0.5")).amount) is int


def test_duration_times_must_give_whole_units():
    # 3 months × 0.5 = 1.5 months: not a whole number of months
    with pytest.raises(ValueError, match="not a whole number of months"):
        Duration(3, "months").times(Decimal("0.5"))
    with pytest.raises(ValueError, match="working days"):
        Duration(3, "working_days").times(Decimal("0.1"))


# -- 5. money -------------------------------------------------------------------------------------
# design.md: "Money is Decimal euros with 2 decimals, rounded half up. A payment split rounds each part
# and gives the remainder to the last part, so the parts always add up to the base exactly;
# no part is ever negative (where rounding would make the last part negative, the cents are
# taken back from the earlier parts, largest first)."


@pytest.mark.parametrize("amount, cents", [
    ("2.345", "2.35"),     # half: up
    ("2.344", "2.34"),
    ("2.3449999", "2.34"),
    ("1.005", "1.01"),     # a float 1.005 is 1.00499…: this is why money is Decimal
    ("-2.345", "-2.35"),   # half away from zero for negative amounts too
    ("-2.344", "-2.34"),
    ("0.005", "0.01"),
    ("0.0049", "0.00"),
    ("4000", "4000.00"),
    ("12.5", "12.50"),
])
def test_to_cents_rounds_half_up(amount, cents):
    result = to_cents(Decimal(amount))
    assert type(result) is Decimal
    assert result == Decimal(cents)
    assert result.as_tuple().exponent == -2  # always exactly two decimals


def test_percent_of():
    # 60% of €4000 = 2400
    assert percent_of(Decimal("4000.00"), Decimal(60)) == Decimal("2400")
    assert type(percent_of(Decimal("4000.00"), Decimal(60))) is Decimal


@pytest.mark.parametrize("base, shares, parts", [
    ("4000.00", ["60", "40"], ["2400.00", "1600.00"]),
    ("5000.00", ["80", "20"], ["4000.00", "1000.00"]),
    ("100.00", ["33.33", "33.33", "33.34"], ["33.33", "33.33", "33.34"]),
    # 0.10 × 33.33% = 0.03333 → 0.03 twice; the last part takes 0.10 - 0.06 = 0.04
    ("0.10", ["33.33", "33.33", "33.34"], ["0.03", "0.03", "0.04"]),
    # 1234.57 × 50% = 617.285 → 617.29 (half up); the last part 1234.57 - 617.29 = 617.28
    ("1234.57", ["50", "50"], ["617.29", "617.28"]),
    # 999.99 × 33.33% = 333.296667 → 333.30; twice = 666.60; last 999.99 - 666.60 = 333.39
    ("999.99", ["33.33", "33.33", "33.34"], ["333.30", "333.30", "333.39"]),
    # 0.05 × 50% = 0.025 → 0.03 (half up); last 0.02
    ("0.05", ["50", "50"], ["0.03", "0.02"]),
    ("0.00", ["60", "40"], ["0.00", "0.00"]),
    # 0.03 × 20% = 0.006 → 0.01 four times = 0.04, one cent more than there is: the last part would be
    # -0.01, so one cent comes back from the largest earlier part (all equal: the first) and the last is 0.
    ("0.03", ["20"] * 5, ["0.00", "0.01", "0.01", "0.01", "0.00"]),
    # 0.05 × 30% = 0.015 → 0.02 three times = 0.06; the cent comes back from the first: 0.01, 0.02, 0.02, 0.00
    ("0.05", ["30", "30", "30", "10"], ["0.01", "0.02", "0.02", "0.00"]),
    # 0.05 × 10% = 0.005 → 0.01, × 30% = 0.015 → 0.02 twice, × 20% = 0.01: 0.06, one cent too many;
    # the largest earlier part gives it back (of the two 0.02, the first): 0.01, 0.01, 0.02, 0.01, 0.00
    ("0.05", ["10", "30", "30", "20", "10"], ["0.01", "0.01", "0.02", "0.01", "0.00"]),
])
def test_split_amount(base, shares, parts):
    result = split_amount(Decimal(base), [Decimal(s) for s in shares])
    assert result == [Decimal(p) for p in parts]
    assert all(type(part) is Decimal for part in result)
    assert sum(result, Decimal(0)) == Decimal(base)


def half_up_cents(exact: Fraction) -> Fraction:
    """Independent of Decimal: round a non-negative exact amount half up to whole cents."""
    hundredths = exact * 100
    return Fraction(int(hundredths + Fraction(1, 2)), 100)  # int() floors a non-negative number


prices = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def share_lists(draw) -> list[Decimal]:
    """Percentages that add up to exactly 100: fixed common splits, or random splits into 2–5 parts."""
    kind = draw(st.sampled_from(["fixed", "integer", "hundredths"]))
    if kind == "fixed":
        return [Decimal(s) for s in draw(st.sampled_from([
            ["60", "40"], ["80", "20"], ["50", "50"], ["33.33", "33.33", "33.34"], ["25", "25", "25", "25"],
            ["70", "30"], ["10", "20", "30", "40"], ["12.5", "87.5"], ["99.99", "0.01"]]))]
    n = draw(st.integers(min_value=2, max_value=5))
    whole = 100 if kind == "integer" else 10_000
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=whole - 1),
                                min_size=n - 1, max_size=n - 1, unique=True)))
    bounds = [0, *cuts, whole]
    unit = Decimal(1) if kind == "integer" else CENT
    return [Decimal(b - a) * unit for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=1000, deadline=None)
@given(base=prices, shares=share_lists())
def test_split_amount_always_adds_up(base, shares):
    assert sum(shares, Decimal(0)) == 100
    parts = split_amount(base, shares)
    assert len(parts) == len(shares)
    # money is never float
    assert all(type(part) is Decimal for part in parts)
    assert all(part.as_tuple().exponent == -2 for part in parts)
    # the parts add up to the base exactly, and none is negative
    assert sum(parts, Decimal(0)) == base
    assert all(part >= 0 for part in parts)
    # independently of Decimal's quantize: exact rational arithmetic, half up
    rounded = [half_up_cents(Fraction(base) * Fraction(share) / 100) for share in shares[:-1]]
    remainder = Fraction(base) - sum(rounded)
    if remainder >= 0:
        assert [Fraction(part) for part in parts[:-1]] == rounded
        # the last part is off its exact value only by the rounding of the others: at most half a cent each
        exact_last = Fraction(base) * Fraction(shares[-1]) / 100
        assert abs(Fraction(parts[-1]) - exact_last) <= Fraction(len(parts), 200)
    else:
        # rounding up took more than there is: the last part is nothing, the cents came back from the others
        assert parts[-1] == 0
        for part, first in zip(parts[:-1], rounded):
            assert first + remainder <= Fraction(part) <= first


@settings(max_examples=1000, deadline=None)
@given(day=st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31)),
       months=st.integers(min_value=-1200, max_value=1200))
def test_adding_months_agrees_with_dateutil(day, months):
    # design.md: "Months and years add calendar months and clamp to the month's last day";
    # dateutil's relativedelta does exactly that and serves as the independent oracle.
    from dateutil.relativedelta import relativedelta
    assert add_months(day, months) == day + relativedelta(months=months)


OPENS = st.builds(lambda missing, reasons: Open(frozenset(missing), tuple(dict.fromkeys(reasons))),
                  st.lists(st.sampled_from("abcd"), max_size=3), st.lists(st.sampled_from(["r1", "r2", "r3"]), max_size=3))


@given(left=OPENS, right=OPENS)
def test_merging_unknowns_unites_missing_facts_and_keeps_reasons_in_order(left, right):
    merged = left | right
    assert merged.missing == left.missing | right.missing
    # Reasons: the left's first, then the right's that are new, each once.
    assert merged.reasons == tuple(dict.fromkeys(left.reasons + right.reasons))
    assert merge_open(1, left, "x", right) == merged
    assert merge_open(1, "x") == Open()


@given(left=OPENS, right=OPENS, again=OPENS)
def test_a_remembered_merge_gives_what_a_fresh_merge_gives(left, right, again):
    # The memo of merges (values.Open.__or__) is a speed-up only: merging the same pair again, or an
    # equal but distinct Open, answers as merging afresh does.
    first = left | right
    assert left | right is first
    twin = Open(right.missing, right.reasons)
    assert (left | twin) == first
    assert (left | again).missing == left.missing | again.missing


def test_an_open_remembers_a_bounded_number_of_merges_and_pickles_without_them():
    import pickle

    from interpreter.values import MERGES_REMEMBERED
    base = Open(frozenset({"a"}))
    others = [Open(frozenset({f"x{i}"})) for i in range(3 * MERGES_REMEMBERED)]
    for i, other in enumerate(others):
        assert (base | other).missing == {"a", f"x{i}"}
    assert len(base.__dict__["_merged"]) == MERGES_REMEMBERED
    copy = pickle.loads(pickle.dumps(base))
    assert copy == base and "_merged" not in copy.__dict__
    assert (copy | others[0]).missing == {"a", "x0"}


# -- payment schedules ----------------------------------------------------------------------------------

from hypothesis import HealthCheck  # noqa: E402

from interpreter.values import Schedule, instalments  # noqa: E402


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
       days=st.integers(min_value=1, max_value=2000), months=st.integers(min_value=1, max_value=12),
       cents=st.integers(min_value=0, max_value=10**9))
def test_instalments_cover_the_span_and_add_up_exactly_in_cents(atw, start, days, months, cents):
    until = start + dt.timedelta(days=days)
    step = Duration(months, "months")
    calendar = atw
    amount = Decimal(cents) / 100
    paid = instalments(tuple(recurring(start, step, until, calendar)), start, step, until, amount, calendar)
    # the periods join up from the start to the end, each paid on its last day
    assert paid[0].start == start and paid[-1].end == until
    assert all(a.end == b.start for a, b in zip(paid, paid[1:]))
    # every instalment is whole cents; all but the last are the amount per period, the last at most that
    assert all(i.amount == i.amount.quantize(Decimal("0.01")) for i in paid)
    assert all(i.amount == amount for i in paid[:-1]) and paid[-1].amount <= amount
    total = Schedule(paid).total()
    assert total == sum((i.amount for i in paid), Decimal(0)) and total.as_tuple().exponent == -2
