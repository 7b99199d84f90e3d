"""Every bound on what the engine accepts, in one place: sizes, depths, digits, dates and counts.

Input is checked against these where it enters (YAML text, expressions, case files, batch rows,
command-line options), before any work is spent on it, so that no input can make the engine
recurse without end, use unbounded memory or time, or compute outside the number and date domain.
Each bound names the error a user sees; docs/robustness.md lists them all. The HTTP service reuses them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

# -- documents (YAML and JSON: cards, families, calendars, case files, batch lines) -------------------
MAX_DOCUMENT_CHARS = 2_000_000   # characters in one YAML or JSON document
MAX_YAML_DEPTH = 64              # nesting of lists and mappings in one document
MAX_YAML_NODES = 200_000         # values in one document after aliases are expanded (billion laughs)
# A set fact lists each of its choices at most once: a longer list is refused before it is read.

# -- expressions of the rule language ---------------------------------------------------------------
MAX_EXPRESSION_CHARS = 2_000     # characters in one expression
MAX_EXPRESSION_DEPTH = 40        # nesting of one expression: `1 + 1 + ... + 1` counts one per operator

# -- numbers: money, numbers and percentages are exact decimals inside this domain -------------------
MAX_INTEGER_DIGITS = 15          # digits before the decimal point: up to 999 999 999 999 999
MAX_FRACTION_DIGITS = 10         # digits after the decimal point
MAX_DURATION = 100_000           # days, working days, weeks, months or years in one duration
MAX_NUMBER_CHARS = 64            # characters of a number written in a case, cell or YAML file, read no further

# -- dates ------------------------------------------------------------------------------------------
FIRST_DATE, LAST_DATE = dt.date.min, dt.date.max   # 0001-01-01 ... 9999-12-31
MAX_OCCURRENCES = 1_000          # dates of one recurring schedule (`every ... from ... until ...`)
MAX_DUE_WITHIN = 36_600          # days of a batch signalling window (--due-within): a hundred years

# -- calendars --------------------------------------------------------------------------------------
MAX_TABLE_ROWS = 200             # rows of one decision table
MAX_TABLE_COLUMNS = 20           # input and output columns of one decision table
MAX_TABLE_COMBINATIONS = 4_096   # combinations of input values the checker goes through to prove a table complete
MAX_HOLIDAYS = 200               # holiday rules in one calendar
MAX_EASTER_OFFSET = 80           # days from Easter Sunday: the day stays in Easter's year (22 March - 80 = 1 January)
MAX_SUNDAY_SHIFT = 6             # days a holiday moves when it falls on a Sunday
MAX_DAYS_TO_WORKING_DAY = 366    # days next_working_day looks ahead: holidays that cover a year are a broken calendar

# -- batch --------------------------------------------------------------------------------------------
MAX_COLUMNS = 1_000              # columns of a CSV header
MAX_ROW_CHARS = 1_000_000        # characters in one CSV row or JSON line
MAX_JOBS = 64                    # worker processes of one batch run (--jobs): each holds a forked catalogue

_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


def number_problem(value: Decimal) -> str | None:
    """Why a decimal is outside the number domain, or None when it is inside.

    Cheap on any input: it looks at the exponent and the digits, never converts the number."""
    if not value.is_finite():
        return "is not a number" if value.is_nan() else "is infinite"
    if value and value.adjusted() >= MAX_INTEGER_DIGITS:
        return f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point"
    if fraction_digits(value) > MAX_FRACTION_DIGITS:
        return f"has more than {MAX_FRACTION_DIGITS} digits after the decimal point"
    return None


def fraction_digits(value: Decimal) -> int:
    """Digits after the decimal point, trailing zeros not counted (4000.000 has none)."""
    _, digits, exponent = value.as_tuple()
    if exponent >= 0:
        return 0
    places = -exponent
    trailing = 0
    for digit in reversed(digits):
        if digit or trailing == places:
            break
        trailing += 1
    return places - trailing


def within_magnitude(value: Decimal) -> bool:
    """Whether a computed result is inside the domain's size (results may carry more decimals)."""
    return value.is_finite() and -_LIMIT < value < _LIMIT


def digits_problem(text: str) -> str | None:
    """Why a number written as digits (`123.45`) is outside the domain, before it is converted."""
    whole, _, fraction = text.partition(".")
    whole = whole.lstrip("+-").lstrip("0")
    if len(whole) > MAX_INTEGER_DIGITS:
        return f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point"
    if len(fraction.rstrip("0")) > MAX_FRACTION_DIGITS:
        return f"has more than {MAX_FRACTION_DIGITS} digits after the decimal point"
    return None
