"""Run-time values and their semantics: unknowns, durations, calendar arithmetic and money."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import TYPE_CHECKING, Any

from . import nodes as n
from . import types as t
from .calendar import MONTHS, Calendar
from .errors import EvaluationError
from .limits import FIRST_DATE, LAST_DATE, MAX_DURATION, MAX_INTEGER_DIGITS, MAX_OCCURRENCES, within_magnitude
from .printer import to_text

if TYPE_CHECKING:
    from .model import Rule

CENT = Decimal("0.01")

HUNDRED = Decimal(100)

# The decimal context both backends evaluate in. Operands are inside the number domain (at most 15 + 10
# digits, checked where they enter), so with 60 significant digits a sum, difference or product of two
# of them is exact; only a division rounds. A result outside the domain is an error, never rounded:
# `checked` below, and the traps for what has no value at all.
DOMAIN = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])
OUT_OF_DOMAIN = f"the result has more than {MAX_INTEGER_DIGITS} digits before the decimal point"


def checked(value: Decimal) -> Decimal:
    """A computed number, percentage or amount, refused when it left the number domain."""
    if not within_magnitude(value):
        raise OverflowError(OUT_OF_DOMAIN)
    return value


def checked_cents(value: Decimal) -> Decimal:
    """A computed amount inside the domain, rounded half up to cents."""
    if not within_magnitude(value):
        raise OverflowError(OUT_OF_DOMAIN)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


MERGES_REMEMBERED = 8  # per Open: a partial case merges the same few unknowns, a batch of others new ones


@dataclass(frozen=True)
class Open:
    """A value that cannot be known yet: it needs the facts named in `missing`."""

    missing: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The missing facts in alphabetical order, as results list them (worked out once per Open;
        not functools.cached_property, whose lock costs more than the sorting on Python 3.11)."""
        names = self.__dict__.get("_names")
        if names is None:
            names = tuple(sorted(self.missing))
            object.__setattr__(self, "_names", names)
        return names

    def __or__(self, other: "Open") -> "Open":
        # Unknowns are merged at every operator of an open case, and mostly the same ones: a missing
        # fact's Open is one object per compiled product, so the merges of a partial case repeat from
        # one evaluation to the next. Each Open remembers its last few merges; the entry holds `other`
        # itself, so the id it is filed under cannot be reused by another object while it is there.
        if other is self:
            return self
        merged = self.__dict__.get("_merged")
        if merged is None:
            merged = {}
            object.__setattr__(self, "_merged", merged)
        else:
            hit = merged.get(id(other))
            if hit is not None and hit[0] is other:
                return hit[1]
        result = self._merge(other)
        if len(merged) < MERGES_REMEMBERED:
            merged[id(other)] = (other, result)
        return result

    def _merge(self, other: "Open") -> "Open":
        # Skip building a new Open when one side adds nothing.
        if other.missing <= self.missing and (not other.reasons or set(other.reasons) <= set(self.reasons)):
            return self
        if not self.reasons and self.missing <= other.missing:  # reasons keep their order: self's first
            return other
        return Open(self.missing | other.missing, tuple(dict.fromkeys(self.reasons + other.reasons)))

    def __getstate__(self):
        # What a cache or a worker receives is the value, not this process's memo of merges.
        return {"missing": self.missing, "reasons": self.reasons}


NOTHING_MISSING = Open()


def merge_open(*values) -> Open:
    """Everything the unknown values among `values` need, as one Open (empty when none is unknown)."""
    result = None
    for value in values:
        if value.__class__ is Open:
            result = value if result is None else result | value
    return NOTHING_MISSING if result is None else result


def earliest(*values):
    """earliest(a, b, ...): the first of the dates that are known; unknown only when none is.

    A duty that either of several events fulfils is met by the first of them that happened; an event
    not (yet) known cannot hide one that is.
    """
    known = [value for value in values if value.__class__ is not Open]
    return min(known) if known else merge_open(*values)


# The units of time of the rule language and of case files, their one home: each as a person writes
# it (singular; the plural adds an s) and as a Duration keeps it. The grammar's UNIT terminal, the
# case reader, the editor schemas and the hints are made from this.
_UNIT_WORDS = {"day": "days", "working day": "working_days", "week": "weeks", "month": "months", "year": "years"}
UNITS = {form: unit for word, unit in _UNIT_WORDS.items() for form in (word, word + "s")}
UNIT_NAMES = ", ".join(word + "s" for word in _UNIT_WORDS)  # days, working days, weeks, months, years
# A unit of more words first, so that "working days" is never taken for a name and "days".
UNIT_PATTERN = "(" + "|".join(word.replace(" ", r"\s+") + "s?"
                              for word in sorted(_UNIT_WORDS, key=lambda word: -word.count(" "))) + ")"
# The Dutch words of each unit: singular and plural as the product sheets write them, then other
# spellings a card writer may type by mistake (the parser's hint names the English unit for them all).
DUTCH_UNIT_WORDS = {
    "days": ("kalenderdag", "kalenderdagen", "dag", "dagen"),
    "working_days": ("werkdag", "werkdagen"),
    "weeks": ("week", "weken"),
    "months": ("maand", "maanden"),
    "years": ("jaar", "jaar", "jaren"),
}


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # days, working_days, weeks, months, years

    def __str__(self) -> str:
        word = self.unit.replace("_", " ")
        return f"{self.amount} {word[:-1] if abs(self.amount) == 1 else word}"

    def times(self, factor: Decimal) -> "Duration":
        product = Decimal(self.amount) * factor
        if not within_magnitude(product) or abs(product) > MAX_DURATION:
            raise ValueError(f"{self} × {factor} is longer than {MAX_DURATION:,} {self.unit.replace('_', ' ')}")
        if product != product.to_integral_value():
            raise ValueError(f"{self} × {factor} is not a whole number of {self.unit.replace('_', ' ')}")
        return Duration(int(product), self.unit)


def to_cents(amount: Decimal) -> Decimal:
    """Round money half up to whole cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return amount * percent / HUNDRED


def add_duration(day: dt.date, duration: Duration, calendar: Calendar, sign: int = 1) -> tuple[dt.date, str | None]:
    """`day` plus (or minus) a duration; the second item explains anything surprising, for the trace."""
    amount = duration.amount * sign
    if duration.unit == "working_days":  # walked day by day: the skipped holidays go into the note
        result, skipped = calendar.add_working_days(day, amount)
        named = [f"{d.isoformat()} ({calendar.holiday_name(d)})" for d in skipped if calendar.holiday_name(d)]
        note = f"skipped holidays of calendar {calendar.name}: {', '.join(named)}" if named else None
        return result, note
    result = _shifter(duration.unit, calendar)(day, amount)
    note = None
    if duration.unit in ("months", "years") and result.day != day.day:
        note = (f"{day.isoformat()} {'+' if sign > 0 else '-'} {duration} has no day {day.day} in "
                f"{MONTHS[result.month - 1]} {result.year}: clamped to the month's last day, {result.isoformat()}")
    return result, note


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later (earlier when negative), clamped to the month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    number = day.day
    if number <= 28:  # every month has the day: most days of a batch need no clamping
        return dt.date(year, month, number)
    last = _DAYS_IN_MONTH[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    return dt.date(year, month, min(number, last))


def recurring(start: dt.date, step: Duration, until: dt.date, calendar: Calendar,
              limit: int = MAX_OCCURRENCES) -> list[dt.date]:
    """start + k*step for k = 1, 2, ... while the date is before `until`, at most `limit` of them.

    Months and years are counted from the start each time, not from the previous date, so month
    clamping never drifts (31 Jan + 1 month = 29 Feb, + 2 months = 31 Mar); days, weeks and working
    days add up, so each date is counted on from the one before. A date past 9999-12-31 lies after any
    `until`: the schedule ends there.
    """
    if step.amount <= 0:
        raise ValueError(f"'every {step}' must step forward in time")
    shift = _shifter(step.unit, calendar)
    from_start = step.unit in ("months", "years")
    dates = []
    day = start
    while True:
        try:
            day = shift(start, step.amount * (len(dates) + 1)) if from_start else shift(day, step.amount)
        except (OverflowError, ValueError):
            return dates
        if day >= until:
            return dates
        if len(dates) == limit:  # this would be date number limit + 1
            raise ValueError(f"'every {step}' gives more than {limit:,} dates before {until.isoformat()}")
        dates.append(day)


def _shifter(unit: str, calendar: Calendar):
    """The date `amount` units after a day, for one unit: what add_duration does, without its notes."""
    if unit == "days":
        return lambda day, amount: day + dt.timedelta(days=amount)
    if unit == "weeks":
        return lambda day, amount: day + dt.timedelta(weeks=amount)
    if unit == "months":
        return add_months
    if unit == "years":
        return lambda day, amount: add_months(day, 12 * amount)
    if unit == "working_days":
        return calendar.shift_working_days
    raise ValueError(f"unknown unit of time '{unit}'")


def split_amount(base: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split money by percentages: each part rounded to cents, the last part takes the remainder.

    The parts therefore always add up to the base exactly, and none is negative: where rounding the
    earlier parts up leaves less than nothing for the last (€0.03 in five parts of 20%: four times
    €0.01), the missing cents are taken back from the earlier parts, one at a time from the largest
    (the first of equals), so the split becomes 0.00, 0.01, 0.01, 0.01, 0.00.
    """
    # to_cents(percent_of(base, share)) written out: a batch splits a payment for every case.
    parts = [(base * share / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP) for share in shares[:-1]]
    last = to_cents(base) - sum(parts, Decimal(0))
    while last < 0:
        largest = parts.index(max(parts))
        parts[largest] -= CENT
        last += CENT
    parts.append(last)
    return parts


# -- payment schedules ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instalment:
    """One payment of a schedule, paid in arrears: for the period `start` up to `end`, due on `end`."""

    sequence: int
    start: dt.date
    end: dt.date
    amount: Decimal | None  # None while the amount per period is unknown


@dataclass(frozen=True)
class Schedule:
    """The instalments of a payment; `unknown` says what the amounts still need (None when known)."""

    instalments: tuple[Instalment, ...]
    unknown: Open | None = None

    def total(self) -> Decimal | Open:
        """The sum of the instalments: exact, as each is in whole cents."""
        if self.unknown is not None:
            return self.unknown
        return sum((instalment.amount for instalment in self.instalments), Decimal("0.00"))


def instalments(dates: tuple[dt.date, ...], start: dt.date, step: Duration, until: dt.date,
                amount: Decimal | None, calendar: Calendar) -> tuple[Instalment, ...]:
    """The instalments of `every STEP from START until END` with `amount` per period, in arrears.

    The periods run from the start to each date of the schedule and from the last date to the end; each is
    paid on the day it ends. A last period shorter than a whole step is paid pro rata by calendar days,
    rounded half up to cents; every instalment is in whole cents, so the total is their exact sum.
    """
    if start >= until:
        return ()
    bounds = (start, *dates)
    ends = (*dates, until)
    each = None if amount is None else to_cents(amount)
    paid = [Instalment(k, begin, end, each) for k, (begin, end) in enumerate(zip(bounds, ends), 1)]
    last = paid[-1]
    whole = _next_date(start, last.start, step, len(dates) + 1, calendar)
    if amount is not None and whole is not None and whole > until:
        share = Decimal((until - last.start).days) / Decimal((whole - last.start).days)
        paid[-1] = Instalment(last.sequence, last.start, until, to_cents(amount * share))
    return tuple(paid)


def _next_date(start: dt.date, previous: dt.date, step: Duration, count: int, calendar: Calendar) -> dt.date | None:
    """Where the schedule's date number `count` would fall, as `recurring` counts; None past 9999."""
    shift = _shifter(step.unit, calendar)
    try:
        if step.unit in ("months", "years"):
            return shift(start, step.amount * count)
        return shift(previous, step.amount)
    except (OverflowError, ValueError):
        return None


def table_row(inputs: tuple, rows: tuple[tuple, ...], first: bool = False) -> int | Open:
    """The row of a decision table that applies to the input values, or an Open naming what it needs.

    A test is None ('-'), a frozenset (the input is one of them) or a value the input must equal.
    Under 'unique' the checker proved that at most one row applies, so a row that applies with known
    inputs is the answer whatever the unknown ones are; under 'first' an earlier row that may still
    apply leaves the answer open.
    """
    undecided: list[Open] = []
    for index, row in enumerate(rows):
        unknown = []
        for value, test in zip(inputs, row):
            if test is None:
                continue
            if value.__class__ is Open:
                unknown.append(value)
            elif not (value in test if test.__class__ is frozenset else value == test):
                break
        else:
            if not unknown and not (first and undecided):
                return index
            undecided.extend(unknown)
    return merge_open(*undecided)


# Shared by both backends (interpreter.evaluator and interpreter.compiler), so that they say the same thing.

NOT_APPLICABLE = "does not apply to this case"


def not_applicable(rule_id: str) -> Open:
    """What a reference to a rule whose `when` is false yields."""
    return Open(reasons=(f"{rule_id} {NOT_APPLICABLE}",))


# A batch of cases asks for the same few (parameter, day) pairs over and over: one Open for each keeps its
# names sorted once and lets the merges that follow hit the Open's own memo.
@lru_cache(maxsize=4096)
def no_value(rule_id: str, rules_on: dt.date) -> Open:
    """What a parameter yields when none of its editions is valid on the date whose rules apply."""
    return Open(reasons=(f"no value of {rule_id} is valid on {rules_on.isoformat()}",))


def text_of(value: Any, type_: t.Type) -> str:
    """text(x): any single value written as text."""
    shown = describe_value(value, type_)
    return ("true" if shown else "false") if isinstance(shown, bool) else str(shown)


# What an arithmetic operation can raise on well-typed operands (division by zero, dates out of range).
ARITHMETIC_ERRORS = (DivisionByZero, InvalidOperation, ZeroDivisionError, ValueError, OverflowError)


def arithmetic_error(node: n.Node, error: Exception) -> EvaluationError:
    if isinstance(error, (DivisionByZero, InvalidOperation, ZeroDivisionError)):
        return EvaluationError(f"division by zero in '{to_text(node)}'", node.pos)
    if node.type == t.DATE and not str(error).startswith("no working day follows"):
        error = OUT_OF_DATES  # Python says 'date value out of range' or 'year 10000 is out of range'
    return EvaluationError(f"cannot compute '{to_text(node)}': {error}", node.pos)


OUT_OF_DATES = f"the date would fall outside {FIRST_DATE.isoformat()} … {LAST_DATE.isoformat()}"


def roll_error(rule: Rule, error: Exception) -> EvaluationError:
    """A deadline or report that cannot roll to a working day (only near 9999-12-31)."""
    slot = rule.exprs.get("due") or rule.exprs.get("date")
    return EvaluationError(f"cannot roll '{rule.id}' to the next working day: {error}",
                           slot.pos if slot is not None else rule.pos)


def split_payment(group: str, parts, base: Any, shares) -> tuple[Any, ...]:
    """The amounts of the parts of a split, in order; all unknown when the base or a share is."""
    # Every case of a batch splits its payments: the tests below are plain loops, not generators, and a
    # share is handed to share_problem only when it is outside 0% to 100%.
    if base.__class__ is Open:
        return (merge_open(base, *shares),) * len(parts)
    for share in shares:
        if share.__class__ is Open:
            return (merge_open(base, *shares),) * len(parts)
    total = sum(shares, Decimal(0))
    if total != 100:
        raise EvaluationError(f"the shares of payment '{group}' add up to {format_percent(total)}, not 100%",
                              parts[0].pos, hint="change the percentages so that together they make 100%")
    for part, share in zip(parts, shares):
        if not 0 <= share <= 100:
            raise EvaluationError(f"the share of '{part.id}' {share_problem(share)}", part.pos,
                                  hint="each share of a split is a percentage from 0% to 100%")
    if base < 0:
        raise EvaluationError(f"the amount to split in payment '{group}' is negative ({to_cents(base):.2f})",
                              parts[0].pos, hint="a payment is never negative: check the base and the facts it "
                                                 "reads (the vocabulary's minimum of a money fact)")
    return tuple(split_amount(base, list(shares)))


def schedule_payment(rule: Rule, dates: Any, start: Any, step: Any, until: Any, amount: Any, calendar) -> Any:
    """The instalments of a scheduled payment: Open while its dates are unknown; dated instalments without
    amounts while only the amount per period is."""
    if isinstance(dates, Open):
        return merge_open(dates, amount)
    if isinstance(amount, Open):
        return Schedule(instalments(dates, start, step, until, None, calendar), amount)
    if amount < 0:
        raise EvaluationError(f"the amount per period of payment '{rule.id}' is negative ({to_cents(amount):.2f})",
                              rule.exprs["amount"].pos,
                              hint="a payment is never negative: check the amount and the facts it reads")
    return Schedule(instalments(dates, start, step, until, amount, calendar))


def share_problem(share: Decimal) -> str | None:
    """Why a split's share is not a percentage from 0% to 100%, or None."""
    if share < 0:
        return f"is {format_percent(share)}: a share cannot be negative"
    if share > 100:
        return f"is {format_percent(share)}: a share cannot be more than 100%"
    return None


def describe_value(value: Any, type_: t.Type | None) -> Any:
    """A JSON-ready rendering of a value of the given static type."""
    if isinstance(value, Open):
        parts = []
        if value.missing:
            parts.append("needs " + ", ".join(sorted(value.missing)))
        parts.extend(value.reasons)
        return "unknown (" + "; ".join(parts) + ")" if parts else "unknown"
    kind = type_.__class__
    if kind is t.Type or kind is t.ListType:
        # By name, not by ==: comparing dataclasses field by field is slow at a million results.
        describe = _DESCRIBE.get(type_.name)
        return value if describe is None else describe(value)
    if kind is t.SetType:
        return [m for m in type_.enum.members if m in value]
    return value


def format_percent(value: Decimal) -> str:
    return f"{format_number(value)}%"


def _money(value: Decimal) -> str:
    return f"{to_cents(value):.2f}"


def _dates(value) -> list[str]:
    return [day.isoformat() for day in value]


def format_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


_DESCRIBE = {
    t.MONEY.name: _money, t.PERCENT.name: format_percent, t.NUMBER.name: format_number,
    t.DATE.name: dt.date.isoformat, t.DATES.name: _dates, t.DURATION.name: str,
}
