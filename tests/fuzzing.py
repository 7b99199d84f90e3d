"""Hostile inputs for every way into the engine, and the checks each must pass (used by test_fuzz.py and
`make fuzz`, tests/fuzz_run.py).

Each input class has a hypothesis strategy and a check. A check passes when the input ends in a result
or in one of the project's own errors (a CatalogueError) with a real position, within TIME_BOUND
seconds, and the reference tree walker and the compiled backend agree on the result or on the error's
text. Anything else raises Failure, whose message says what happened.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import signal
import string
from contextlib import contextmanager
from functools import lru_cache
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any, Callable

from hypothesis import strategies as st

from interpreter import types as t
from interpreter.api import Engine
from interpreter.batch import run_batch
from interpreter.cases import facts_from_document
from interpreter.catalogue import load_catalogue
from interpreter.checker import Checker
from interpreter.compiler import compile_expression
from interpreter.sheets import check_product, expression as dutch_expression
from interpreter.errors import CatalogueError, ErrorList, Position
from interpreter.evaluator import Evaluation
from interpreter.parser import parse
from interpreter.printer import to_text
from interpreter.results import to_json
from interpreter.values import DOMAIN, split_amount
from interpreter.yamlsource import load_text
from cards import FIXTURE

# A hang is stopped here and counted as a failure; the long run also reports the slowest input.
TIME_BOUND = 10.0


class Failure(AssertionError):
    """An input that crashed, hung, lost its position or made the backends disagree."""


# -- running one input ------------------------------------------------------------------------------

@contextmanager
def time_bound(seconds: float = TIME_BOUND):
    """Stop the body after `seconds` (SIGALRM: the main thread only, as pytest and fuzz_run run it)."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def positioned(error: CatalogueError) -> None:
    for each in (error.errors if isinstance(error, ErrorList) else [error]):
        if each.position.line < 1 or each.position.column < 1 or not each.position.file:
            raise Failure(f"{type(each).__name__} without a position: {each.message}")


def outcome(run: Callable[[], Any]) -> tuple[str, Any]:
    """('value', what run returns) or ('error', the project error's text); anything else is a Failure."""
    try:
        return "value", run()
    except CatalogueError as error:
        positioned(error)
        return "error", str(error)
    except Failure:
        raise
    except TimeoutError:
        raise
    except BaseException as error:  # noqa: BLE001 - exactly what the fuzz suite looks for
        raise Failure(f"{type(error).__name__}: {str(error)[:300]}") from error


# -- the fixture catalogue: the fixture's vocabulary and calendars, with cards of the fuzz suite's own ----

CARD_HEAD = ("code: T-1\ntitle: Fuzz card\nsource: {document: fuzz.txt, section: '1'}\n"
             "edition: {name: Fuzz edition}\n")
BASE_CARD = CARD_HEAD + """\
parameters:
  cap: {label: Cap, value: €5000}
values:
  capped: {label: Capped, value: 'min(price ?? €0, cap)'}
deadlines:
  plan_due:
    label: Plan
    due: registered_on + 56 days
    met_by: plan_submitted_on
    roll: next_working_day
  work_due: {label: Work, due: 'started_on + 10 working days'}
payments:
  fee:
    label: Fee
    base: price
    parts:
      effort: {label: Effort, share: 'if hard_to_place then 80% else 60%', on: plan_approved_on}
      result: {label: Result, share: 'if hard_to_place then 20% else 40%', on: work_resumed_on}
reports:
  progress: {label: Progress, date: 'every 3 months from started_on until ended_on ?? (started_on + 1 year)'}
checks:
  price_ok: {label: Price, test: 'price <= cap', message: too high}
"""


def fixture_catalogue(folder: Path, card: str = BASE_CARD) -> Path:
    """A catalogue folder: the fixture's vocabulary, calendars and families, and one card."""
    root = folder / "catalogue"
    if not root.exists():
        shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("products"))
        (root / "products").mkdir()
    (root / "products" / "t1.yaml").write_text(card, encoding="utf-8")
    return root


class Context:
    """What the checks share: a loaded fixture catalogue and the places to write generated files."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.root = fixture_catalogue(folder)
        self.engine = Engine(load_catalogue(self.root, cache=False))
        self.product = self.engine.catalogue.product("T-1")
        self.vocabulary = self.engine.catalogue.vocabulary
        self.cards = folder / "cards"
        self.cards.mkdir(exist_ok=True)
        fixture_catalogue(self.cards)
        self.calendars = folder / "calendars"
        self.calendars.mkdir(exist_ok=True)
        fixture_catalogue(self.calendars)
        self.batch = folder / "batch"
        self.batch.mkdir(exist_ok=True)


# -- values: typed facts, including the edges of the domain -------------------------------------------

FIRST, LAST = dt.date(1, 1, 1), dt.date(9999, 12, 31)
DATES = st.one_of(st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2030, 12, 31)),
                  st.dates(), st.sampled_from([FIRST, LAST, dt.date(9999, 12, 1), dt.date(1, 1, 31)]))
MONEY = st.one_of(st.decimals(min_value=0, max_value=200_000, places=2),
                  st.decimals(min_value=0, max_value=Decimal("999999999999999.99"), places=2),
                  st.sampled_from([Decimal("0.01"), Decimal("0.03"), Decimal("999999999999999.99")]))
NUMBERS = st.one_of(st.integers(min_value=0, max_value=400).map(Decimal),
                    st.decimals(min_value=0, max_value=Decimal("999999999999999"), places=10))
PERCENTS = st.decimals(min_value=0, max_value=100, places=2)


def fact_strategies(vocabulary) -> dict[str, st.SearchStrategy]:
    by_type = {t.DATE: DATES, t.MONEY: MONEY, t.BOOL: st.booleans(), t.NUMBER: NUMBERS, t.PERCENT: PERCENTS,
               t.TEXT: st.text(max_size=20)}
    strategies = {}
    for name, fact in vocabulary.facts.items():
        if isinstance(fact.type, t.SetType):
            strategies[name] = st.frozensets(st.sampled_from(fact.type.enum.members))
        elif isinstance(fact.type, t.EnumType):
            strategies[name] = st.sampled_from(fact.type.members)
        elif fact.type in by_type:
            strategies[name] = by_type[fact.type]
    return strategies


@st.composite
def typed_facts(draw, vocabulary) -> dict[str, Any]:
    strategies = fact_strategies(vocabulary)
    names = draw(st.lists(st.sampled_from(sorted(strategies)), unique=True, max_size=12))
    return {name: draw(strategies[name]) for name in names}


# -- expressions --------------------------------------------------------------------------------------

DATE_FACTS = ["registered_on", "started_on", "intake_on", "ended_on", "plan_approved_on"]
MONEY_FACTS = ["price", "estimated_value", "annual_volume"]
BOOL_FACTS = ["hard_to_place", "full_pay", "reduced_reporting"]
UNITS = ["days", "working days", "weeks", "months", "years"]


def _digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=low, max_value=high).flatmap(
        lambda size: st.text(string.digits, min_size=size, max_size=size)).map(lambda d: d.lstrip("0") or "0")


# Numbers at and past the edges: up to 15 digits before the point and 10 after, and a few more.
WHOLE = st.one_of(_digits(1, 3), _digits(1, 15), _digits(14, 18))
FRACTION = st.one_of(st.just(""), _digits(1, 2).map(lambda d: "." + d.zfill(2)), _digits(1, 11).map(lambda d: "." + d))
NUMBER_TEXT = st.builds(lambda w, f: w + f, WHOLE, FRACTION)
DATE_TEXT = DATES.map(lambda d: d.isoformat())
DURATION_TEXT = st.builds(lambda k, u: f"{k} {u}",
                          st.one_of(st.integers(0, 400), st.integers(0, 100_001), st.sampled_from([99_999, 100_000])),
                          st.sampled_from(UNITS))


def typed_expressions(depth: int = 4) -> st.SearchStrategy[str]:
    """Expressions that mostly type-check, with values at the edges of the number and date domain."""
    return st.one_of(*expressions_by_type(depth).values())


def expressions_by_type(depth: int = 4, extreme: bool = True) -> dict[str, st.SearchStrategy[str]]:
    """A strategy per type of the rule language: date, money, number, percent, bool, duration, dates, text.

    `extreme` takes numbers, dates and durations up to and past the edges of the domain; without it they
    are of the sizes cards use."""
    if extreme:
        number_text, date_text, duration_text = NUMBER_TEXT, DATE_TEXT, DURATION_TEXT
    else:
        number_text = st.builds(lambda w, f: w + f, _digits(1, 6), st.sampled_from(["", ".5", ".25", ".01"]))
        date_text = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31)).map(dt.date.isoformat)
        duration_text = st.builds(lambda k, u: f"{k} {u}", st.integers(0, 400), st.sampled_from(UNITS))
    dates = st.one_of(date_text, st.sampled_from(DATE_FACTS + ["as_of"]))
    money = st.one_of(number_text.map(lambda n: "€" + n), st.sampled_from(MONEY_FACTS))
    numbers = st.one_of(number_text, st.just("introduction_hours"))
    percents = st.one_of(st.builds(lambda w, f: f"{w}{f}%", _digits(1, 2), st.sampled_from(["", ".5"])) if not extreme
                         else st.builds(lambda w, f: f"{w}{f}%", _digits(1, 3), FRACTION), st.just("success_rate"))
    bools = st.one_of(st.sampled_from(["true", "false"]), st.sampled_from(BOOL_FACTS))
    durations = duration_text
    for _ in range(depth):
        d, m, n, p, b, u = dates, money, numbers, percents, bools, durations
        dates = st.one_of(
            d, st.builds(lambda a, op, k: f"{a} {op} {k}", d, st.sampled_from(["+", "-"]), u),
            st.builds(lambda a: f"next_working_day({a})", d),
            st.builds(lambda c, a, e: f"if {c} then {a} else {e}", b, d, d),
            st.builds(lambda a, e: f"({a}) ?? ({e})", d, d),
            st.builds(lambda a, e: f"max({a}, {e})", d, d))
        money = st.one_of(
            m, st.builds(lambda a, op, e: f"({a}) {op} ({e})", m, st.sampled_from(["+", "-"]), m),
            st.builds(lambda a, e: f"({a}) * ({e})", m, st.one_of(n, p)),
            st.builds(lambda a, e: f"({a}) / ({e})", m, n),
            st.builds(lambda a, e: f"min({a}, {e})", m, m), st.builds(lambda a: f"round({a})", m),
            st.builds(lambda a: f"-({a})", m))
        numbers = st.one_of(
            n, st.builds(lambda a, op, e: f"({a}) {op} ({e})", n, st.sampled_from(["+", "-", "*", "/"]), n),
            st.builds(lambda a, e: f"({a}) - ({e})", d, d), st.builds(lambda a: f"round({a})", n))
        percents = st.one_of(p, st.builds(lambda a, op, e: f"({a}) {op} ({e})", p, st.sampled_from(["+", "-"]), p))
        durations = st.one_of(u, st.builds(lambda a, k: f"({a}) * {k}", u, number_text))
        bools = st.one_of(
            b, st.builds(lambda a, op, e: f"{a} {op} {e}", d, st.sampled_from(["<", "<=", "==", ">"]), d),
            st.builds(lambda a, op, e: f"{a} {op} {e}", m, st.sampled_from(["<", "<=", "==", ">"]), m),
            st.builds(lambda a, e: f"({a}) and ({e})", b, b), st.builds(lambda a: f"not ({a})", b))
    every = st.builds(lambda k, a, e: f"every {k} from ({a}) until ({e})", duration_text, dates, dates)
    texts = st.builds(lambda a: f"text({a})", st.one_of(money, dates, numbers, percents))
    return {"date": dates, "money": money, "number": numbers, "percent": percents, "bool": bools,
            "duration": durations, "dates": every, "text": texts}


TOKENS = ["registered_on", "price", "introduction_hours", "success_rate", "hard_to_place", "phases", "benefit",
          "as_of", "cap", "+", "-", "*", "/", "(", ")", "if", "then", "else", "every", "from", "until", "??",
          "and", "or", "not", "in", "{", "}", ",", "==", "<=", ">", "€", "%", ".", "1", "0", "60%", "€5000",
          "999999999999999999999999", "0.00000000001", "2016-01-01", "9999-12-31", "0001-01-01", "2016-02-30",
          "days", "working days", "weeks", "months", "years", "min", "max", "round", "text", "next_working_day",
          "true", "false", '"x"', "orientation", "WGA", "1e5", "0x10", "١٢", "１２", "€1.000,50", "01-04-2016",
          "\t", "\n", "'", "×", "≤", "dagen", "deadline", "plan_due", "-" * 50, "not " * 60, "(" * 30, ")" * 30]


def random_expressions() -> st.SearchStrategy[str]:
    """Token soup and plain noise."""
    soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40).map(" ".join)
    glued = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=20).map("".join)
    noise = st.text(min_size=1, max_size=80)
    return st.one_of(soup, glued, noise)


@lru_cache(maxsize=1)
def seed_expressions() -> list[str]:
    """Every expression of the fixture's cards: the seeds that mutated_expressions changes."""
    import yaml
    seeds = []
    slots = {"value", "due", "met_by", "date", "test", "when", "share", "on", "base"}

    def walk(data):
        if isinstance(data, dict):
            for key, value in data.items():
                if key in slots and isinstance(value, (str, int)) and not isinstance(value, bool):
                    seeds.append(str(value))
                walk(value)
        elif isinstance(data, list):
            for item in data:
                walk(item)

    for path in sorted((FIXTURE / "products").rglob("*.yaml")) + sorted((FIXTURE / "families").glob("*.yaml")):
        if not path.name.endswith(".tests.yaml"):
            walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return tuple(sorted(set(seeds)))


@st.composite
def mutated_expressions(draw, seeds: list[str]) -> str:
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "digits", "wrap", "repeat", "swap"]))
        at = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)):]
        elif kind == "insert":
            text = text[:at] + " " + draw(st.sampled_from(TOKENS)) + " " + text[at:]
        elif kind == "duplicate":
            text = text[:at] + text[max(0, at - 10):at] + text[at:]
        elif kind == "digits":
            text = text[:at] + draw(st.sampled_from(["9" * 20, "9" * 5000, "0." + "0" * 30 + "1", "100000"])) + text[at:]
        elif kind == "wrap":
            text = draw(st.sampled_from(["not ", "-", "("])) * draw(st.integers(1, 60)) + text
        elif kind == "repeat":
            text = text + " + 1" * draw(st.integers(1, 80))
        else:
            text = text[at:] + text[:at]
    return text


def check_expression(context: Context, text: str, facts: dict[str, Any], as_of: dt.date) -> str:
    """parse -> check types -> printer and Dutch -> both backends; returns how far it got."""
    def locate(offset: int) -> Position:
        return Position("<fuzz>", 1, offset + 1)

    kind, node = outcome(lambda: parse(text, locate))
    if kind == "error":
        return "syntax error"
    vocabulary = context.vocabulary
    kind, node = outcome(lambda: Checker(vocabulary.fact_types, vocabulary.enums, {}).check(node))
    if kind == "error":
        return "type error"
    outcome(lambda: to_text(node))
    outcome(lambda: dutch_expression(node, vocabulary))
    product = context.product

    def reference():
        with localcontext(DOMAIN):
            return Evaluation(product, facts, as_of).eval(node)

    walked = outcome(reference)
    compiled = outcome(lambda: compile_expression(node, product.calendar)(facts, as_of))
    if repr(walked) != repr(compiled):
        raise Failure(f"the backends disagree: reference {walked!r}, compiled {compiled!r}")
    return "evaluation error" if walked[0] == "error" else "value"


# -- cards and calendars ------------------------------------------------------------------------------

def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''").replace("\n", " ") + "'"


TAME = expressions_by_type(2, extreme=False)
TYPED = expressions_by_type(2)
WILD = st.one_of(mutated_expressions(seed_expressions()), random_expressions())


@st.composite
def _slot(draw, kind: str) -> str:
    """Mostly an expression of the type the slot needs, of a card's sizes; now and then one with extreme
    values, or anything at all (with nine slots, about half the cards load). Chosen by a number from the
    middle of a range: hypothesis draws the ends of a range more often than the rest."""
    pick = draw(st.integers(0, 40))
    return draw(WILD if pick == 17 else TYPED[kind] if pick == 23 else TAME[kind])


# Rows of a decision table over (hard_to_place, benefit): complete and without overlaps, until the fuzzer
# breaks a cell; and cells it breaks them with.
TABLE_ROWS = [
    [("true", '"{WGA, ZW}"'), ("true", '"{WAO, WAZ, Wajong}"'), ("false", "-")],
    [("-", "-")],
    [("true", "-"), ("false", "Wajong"), ("false", '"{WGA, ZW, WAO, WAZ}"')],
]
BAD_TESTS = ["yes", "Wajnog", '"{WGA, Wajnog}"', "price", "1", '"{}"', "true", "-", "D01", "€5"]
BENEFITS = ["WGA", "ZW", "WAO", "WAZ", "Wajong"]


@st.composite
def _table(draw) -> str:
    """A decision table and a lookup whose cells hold generated expressions; now and then a cell is broken."""
    rows = [list(row) for row in draw(st.sampled_from(TABLE_ROWS))]
    if draw(st.integers(0, 10)) == 5:
        row, column = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, 1))
        rows[row][column] = draw(st.sampled_from(BAD_TESTS))
    lines = "".join(f"      - [{h}, {b}, {_quoted(draw(_slot('money')))}]\n" for h, b in rows)
    entries = [member for member in BENEFITS if draw(st.integers(0, 30)) != 7]  # now and then one missing
    # A lookup holds fixed values: amounts of every size, now and then something that is not one.
    good = st.decimals(min_value=0, max_value=10 ** 15 - 1, places=2, allow_nan=False).map(lambda a: f"€{a}")
    bad = st.sampled_from(["€0.005", "price", "5", "€1e5", "€" + "9" * 16])
    lookup = "".join(f"      {member}: {{cap: {_quoted(draw(_mostly(good, bad)))}}}\n" for member in entries)
    return f"""\
tables:
  t:
    label: T
    hit: {draw(st.sampled_from(["unique", "first"]))}
    inputs: {{h: hard_to_place, b: benefit}}
    outputs: {{o: O}}
    rows:
{lines}lookups:
  caps:
    label: Caps
    key: benefit
    fields: {{cap: {{type: money, label: cap}}}}
    entries:
{lookup}"""


@st.composite
def cards(draw) -> str:
    """A card whose rules hold generated expressions; now and then its YAML is broken too."""
    share = st.one_of(st.sampled_from(["-50%", "100% + 50%", "0%", "100%", "33.3333333333%"]), _slot("percent"))
    first = draw(st.one_of(st.sampled_from(["60%", "if hard_to_place then 80% else 60%"]), share))
    second = draw(st.one_of(st.just(f"100% - ({first})"), share))
    value = draw(st.sampled_from(sorted(TYPED)))
    card = CARD_HEAD + f"""\
parameters:
  cap: {{label: Cap, value: {_quoted(draw(_slot("money")))}}}
values:
  v1: {{label: V1, value: {_quoted(draw(_slot(value)))}}}
  v2: {{label: V2, when: {_quoted(draw(_slot("bool")))}, value: {_quoted(draw(_slot("date")))}}}
  v3: {{label: V3, value: {_quoted(draw(st.sampled_from(["t.o + caps[benefit].cap", "min(o, caps[benefit].cap)",
                                                          "caps[benefit].cap", "o"])))}}}
deadlines:
  d1:
    label: D1
    due: {_quoted(draw(_slot("date")))}
    roll: {draw(st.sampled_from(["next_working_day", "none"]))}
payments:
  fee:
    label: Fee
    base: {_quoted(draw(st.one_of(st.just("price"), _slot("money"))))}
    parts:
      a: {{label: A, share: {_quoted(first)}}}
      b: {{label: B, share: {_quoted(second)}}}
reports:
  r1: {{label: R1, date: {_quoted(draw(st.one_of(_slot("dates"), _slot("date"))))}}}
checks:
  c1: {{label: C1, test: {_quoted(draw(_slot("bool")))}}}
""" + draw(_table())
    if draw(st.integers(0, 20)) == 11:  # the YAML itself mangled
        at = draw(st.integers(0, len(card)))
        card = card[:at] + draw(st.sampled_from(["\t", ": ", "&a [*a]", "- ", "\x07", "{", "'", "!!python/object x",
                                                 "[" * 100, "  "])) + card[at:]
    return card


def check_catalogue(context: Context, root: Path, facts: dict[str, Any], as_of: dt.date | None,
                    sheets: bool) -> str:
    """Load a catalogue; when it loads, evaluate its card on both backends, say it in Dutch, render sheets."""
    kind, catalogue = outcome(lambda: load_catalogue(root, cache=False))
    if kind == "error":
        return "refused"
    engine = Engine(catalogue)
    results = [outcome(lambda: to_json(engine.evaluate("T-1", facts, as_of=as_of, typed=True, backend=backend)))
               for backend in ("reference", "compiled")]
    if results[0] != results[1]:
        raise Failure(f"the backends disagree: reference {results[0]!r}, compiled {results[1]!r}")
    product = catalogue.product("T-1")
    outcome(lambda: check_product(product, catalogue.vocabulary))
    if sheets:
        from interpreter.sheets import render_sheets
        outcome(lambda: render_sheets(engine, "md"))
    return "evaluation error" if results[0][0] == "error" else "evaluated"


def check_card(context: Context, card: str, facts: dict[str, Any], as_of: dt.date | None) -> str:
    root = fixture_catalogue(context.cards, card)
    return check_catalogue(context, root, facts, as_of, sheets=True)


CALENDAR_CARD = CARD_HEAD + """\
calendar: fz
values:
  next: {label: Next, value: next_working_day(registered_on)}
  later: {label: Later, value: 'registered_on + 250 working days'}
  back: {label: Back, value: 'registered_on - 30 working days'}
deadlines:
  rolled: {label: Rolled, due: 'registered_on + 1 month', roll: next_working_day}
reports:
  often: {label: Often, date: 'every 20 working days from registered_on until registered_on + 1 year'}
"""


DAYS_OF_WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@st.composite
def _mostly(draw, good: st.SearchStrategy, bad: st.SearchStrategy):
    """Usually a good value, now and then a bad one (picked from the middle of a range, see _slot)."""
    return draw(bad if draw(st.integers(0, 40)) in (13, 17, 23, 29) else good)


@st.composite
def calendars(draw) -> str:
    """A calendar file, mostly sound, with values inside and outside what a calendar may say."""
    weekend = draw(_mostly(st.lists(st.sampled_from(DAYS_OF_WEEK), unique=True, max_size=3),
                           st.lists(st.sampled_from(DAYS_OF_WEEK + ["Sunday", "zondag"]), max_size=8)))
    holidays = []
    for index in range(draw(st.integers(0, 8))):
        fields = [f"name: H{index}"]
        if draw(st.booleans()):
            month = draw(_mostly(st.integers(1, 12), st.integers(0, 99)))
            day = draw(_mostly(st.integers(1, 28), st.integers(0, 99)))
            fields.append(f"date: '{month:02d}-{day:02d}'")
        else:
            fields.append(f"easter: {draw(_mostly(st.integers(-80, 80), st.integers(-10**12, 10**12)))}")
        for key, values in (("if_sunday", _mostly(st.integers(-6, 6), st.integers(-100, 100))),
                            ("from_year", _mostly(st.integers(1900, 2100), st.integers(-5, 10_050))),
                            ("until_year", _mostly(st.integers(2000, 2300), st.integers(-5, 10_050)))):
            if draw(st.booleans()):
                fields.append(f"{key}: {draw(values)}")
        holidays.append("  - {" + ", ".join(fields) + "}\n")
    head = "calendar: fz\ntitle: Fuzz calendar\nweekend: [" + ", ".join(weekend) + "]\n"
    return head + ("holidays:\n" + "".join(holidays) if holidays else "holidays: []\n")


def check_calendar(context: Context, calendar: str, facts: dict[str, Any], as_of: dt.date | None) -> str:
    root = fixture_catalogue(context.calendars, CALENDAR_CARD)
    (root / "calendars" / "fz.yaml").write_text(calendar, encoding="utf-8")
    return check_catalogue(context, root, facts, as_of, sheets=False)


# -- case files and batch rows ------------------------------------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.sampled_from(["2016-04-01", "2016-02-30", "9999-12-31", "0000-01-01", "4000", "€4000", "4000.00", "-4000",
                     "1e999999", "NaN", "Infinity", "0x10", "１２", "١٢", "60%", "160%", "-5%", "true", "ja", "WGA",
                     "orientation", "10 days", "99999999999 days", "\ud800", "=cmd|' /C calc'!A0", "", " ",
                     "9" * 5000, "1" * 30, "0." + "0" * 20 + "1"]),
    st.integers(), st.decimals(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.lists(st.sampled_from(["orientation", "mediation", "x"]), max_size=6), st.text(max_size=30))


def _written(value: Any) -> Any:
    """A typed fact as a case file writes it."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


@st.composite
def case_texts(draw, vocabulary) -> str:
    """A case file as text: YAML or JSON, mostly good values with hostile ones among them, sometimes with
    aliases, depth or noise."""
    data = {name: _written(value) for name, value in draw(typed_facts(vocabulary)).items()}
    names = sorted(vocabulary.facts) + ["unknown_fact", "registerd_on"]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 4]))):
        data[draw(st.sampled_from(names))] = draw(HOSTILE_VALUES)
    if draw(st.booleans()):
        text = json.dumps(data, default=str, ensure_ascii=draw(st.booleans()))
    else:
        import yaml
        try:
            text = yaml.safe_dump(data, allow_unicode=True)
        except yaml.YAMLError:
            text = json.dumps(data, default=str)
    extra = draw(st.sampled_from(["", "", "", "x: &a [1, 2]\ny: [*a, *a, *a]\n", "deep: " + "[" * 200 + "]" * 200,
                                  "price: !!float nan\n", "bad: \x07\n", "phases: [" + "orientation, " * 5000 + "]\n",
                                  "\t- x\n", "]]]"]))
    return text + ("\n" + extra if extra and not text.startswith("{") else "")


def check_case(context: Context, text: str, as_of: dt.date | None) -> str:
    """Read a case file's text as `catalogue evaluate` does, then evaluate it on both backends."""
    kind, document = outcome(lambda: load_text(text, "<case>"))
    if kind == "error":
        return "refused"
    kind, facts = outcome(lambda: facts_from_document(document, context.vocabulary))
    if kind == "error":
        return "refused"
    engine = context.engine
    results = [outcome(lambda: to_json(engine.evaluate("T-1", facts, as_of=as_of, typed=True, backend=backend)))
               for backend in ("reference", "compiled")]
    if results[0] != results[1]:
        raise Failure(f"the backends disagree: reference {results[0]!r}, compiled {results[1]!r}")
    return "evaluation error" if results[0][0] == "error" else "evaluated"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@st.composite
def batch_files(draw) -> tuple[str, str]:
    """A cases file (name, text): CSV or JSON Lines rows with hostile cells among good ones."""
    names = ["id", "registered_on", "price", "phases", "hard_to_place", "success_rate", "introduction_hours"]
    good = st.tuples(st.text(string.ascii_letters, max_size=6), DATE_TEXT, MONEY.map(str),
                     st.sampled_from(["orientation", "orientation mediation", ""]), st.sampled_from(["true", "no"]),
                     PERCENTS.map(lambda p: f"{p}%"), NUMBERS.map(str)).map(list)
    hostile = st.lists(HOSTILE_VALUES, min_size=len(names), max_size=len(names))
    rows = draw(st.lists(st.one_of(good, good, hostile), min_size=1, max_size=6))
    if draw(st.booleans()):
        lines = [",".join(names)] + [",".join(_cell(v if not isinstance(v, list) else " ".join(v)) for v in row)
                                     for row in rows]
        return "cases.csv", "\n".join(lines) + "\n"
    lines = []
    for row in rows:
        line = json.dumps(dict(zip(names, row)), default=str)
        lines.append(draw(st.sampled_from([line, line, line, "[" * 3000 + "]" * 3000, '{"id": 1e999999}',
                                           '{"id": 12345678901234567890.5}', "not json", '{"price": 1e400}'])))
    return "cases.jsonl", "\n".join(lines) + "\n"


def check_batch(context: Context, name: str, text: str, out_format: str, due_within: int | None) -> str:
    cases = context.batch / name
    cases.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = context.batch / f"out.{out_format}"
    as_of = dt.date(2016, 6, 1) if due_within is not None else None
    kind, _ = outcome(lambda: run_batch(context.engine, "T-1", str(cases), out, as_of=as_of,
                                        due_within=due_within, jobs=1))
    if kind == "error":
        return "refused"
    written = out.read_text(encoding="utf-8")
    if out_format == "jsonl":
        for line in written.split("\n")[:-1]:  # JSON Lines are separated by \n, and only by \n
            try:
                json.loads(line, parse_constant=_not_json)
            except ValueError as error:
                raise Failure(f"the output is not JSON Lines: {error}: {line[:200]}") from None
    else:
        for row in csv.reader(io.StringIO(written)):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _plain_number(cell):
                    raise Failure(f"a spreadsheet would run the output cell {cell[:80]!r}")
    return "written"


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _plain_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return cell.lstrip("-").replace(".", "", 1).isdigit()


# -- splits -------------------------------------------------------------------------------------------

def check_split(base: Decimal, shares: list[Decimal]) -> str:
    parts = split_amount(base, shares)
    if sum(parts, Decimal(0)) != base:
        raise Failure(f"the parts {parts} of {base} do not add up")
    if any(part < 0 for part in parts):
        raise Failure(f"a negative part in {parts} of {base} split {shares}")
    return "split"


@st.composite
def split_inputs(draw) -> tuple[Decimal, list[Decimal]]:
    base = draw(st.one_of(st.decimals(min_value=0, max_value=1, places=2),
                          st.decimals(min_value=0, max_value=Decimal("999999999999999.99"), places=2)))
    count = draw(st.integers(2, 8))
    unit = draw(st.sampled_from([Decimal(1), Decimal("0.01"), Decimal("0.0001")]))
    whole = int(100 / unit)
    cuts = sorted(draw(st.lists(st.integers(0, whole), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, whole]
    return base, [Decimal(b - a) * unit for a, b in zip(bounds, bounds[1:])]
