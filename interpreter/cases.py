"""Read a case (YAML or JSON facts) and turn each value into the type the vocabulary gives it."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from . import types as t
from .errors import CaseError, Position, RuleSyntaxError, YamlError, aside, did_you_mean, raise_all
from .model import Fact
from .limits import MAX_DURATION, MAX_NUMBER_CHARS, number_problem
from .parser import parse_date
from .values import UNIT_PATTERN, UNITS, Duration
from .yamlsource import Document, load_file, load_text

# An amount as a case writes it: 4000, 4000.00, €4000 (batch reads CSV cells with it too).
# ASCII digits only: \d would also take fullwidth and Arabic-Indic digits, which Decimal() then accepts.
MONEY_TEXT = re.compile(r"€?\s*(-?[0-9]+(\.[0-9]+)?)")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_PERCENT = re.compile(r"(-?[0-9]+(\.[0-9]+)?)\s*%")
_DURATION = re.compile(r"([0-9]+)\s+" + UNIT_PATTERN)

# Not a fact: a case may name the date whose rules apply to it (else its family's reference fact).
# Typed facts carry it under this key; interpreter.api takes it out before evaluating.
RULES_ON = "rules_on"


def read_case(source: str | Path, vocabulary, stdin_text: str | None = None) -> dict[str, Any]:
    """Facts from a case file, or from standard input when `source` is '-'."""
    try:
        if str(source) == "-":
            document = load_text(stdin_text or "", "<stdin>")
        else:
            path = Path(source)
            if path.is_dir():
                raise CaseError(f"'{source}' is a folder, not a case file", Position(str(source), 1, 1),
                                hint="give a YAML or JSON file with the case's facts")
            if not path.is_file():
                raise CaseError(f"the case file '{source}' does not exist", Position(str(source), 1, 1))
            document = load_file(source)
    except YamlError as error:
        hint = error.hint
        if error.message == "the file is empty":
            hint = "a case needs at least one 'fact: value' line, e.g. registered_on: 2016-04-01"
        raise CaseError(error.message, error.position, hint) from None
    return facts_from_document(document, vocabulary)


def facts_from_document(document: Document, vocabulary) -> dict[str, Any]:
    if not isinstance(document.data, dict):
        raise CaseError("a case must be a block of 'fact: value' lines", document.position(()),
                        hint="for example:  registered_on: 2016-04-01")
    return convert_facts(document.data, vocabulary, document)


def convert_facts(data: dict[str, Any], vocabulary, document: Document | None = None,
                  base: tuple = ()) -> dict[str, Any]:
    """Typed facts from a plain mapping (as an application would pass them).

    `document` and `base` (the path of the mapping inside it) let errors point at the file.
    """
    facts, problems = {}, []
    nowhere = Position("<case>", 1, 1)  # one for all values: building a Position costs more than converting
    for name, raw in data.items():
        where = document.position(base + (name,)) if document else nowhere
        fact = vocabulary.facts.get(name)
        try:
            if name == RULES_ON and fact is None:
                if raw is not None:
                    facts[name] = convert_value(raw, t.DATE, name, where, document, vocabulary)
                continue
            if fact is None:
                raise CaseError(f"unknown fact '{name}'" + aside(did_you_mean(name, vocabulary.facts)),
                                document.key_position(base + (name,)) if document else where,
                                hint="the facts are listed in catalogue/facts.yaml", code="unknown-fact")
            if raw is None:
                continue  # written but left empty: not known yet
            facts[name] = convert_value(raw, fact.type, name, where, document, vocabulary)
        except CaseError as error:  # every wrong fact of the case, so that one round of fixes does for all
            error.fact = name
            problems.append(error)
    raise_all(problems)
    return facts


def convert_value(raw: Any, type_: t.Type, name: str, where: Position, document, vocabulary) -> Any:
    # The error is built only when the value is wrong: its message costs more than a right value's conversion.
    def wrong() -> CaseError:
        return CaseError(f"'{name}' must be {t.describe(type_)}, not '{raw}'", where, hint=_hint(type_))

    if type_ == t.DATE:
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        if not isinstance(raw, str):
            raise wrong()
        try:
            return parse_date(raw, where)
        except RuleSyntaxError as error:
            raise CaseError(f"'{name}': {error.message}", where, error.hint) from None
    if type_ in (t.MONEY, t.NUMBER):
        if isinstance(raw, bool):
            raise wrong()
        if isinstance(raw, (int, Decimal)):
            return checked_number(Decimal(raw), name, where, vocabulary)
        text = str(raw).strip() if isinstance(raw, str) else ""
        if len(text) > MAX_NUMBER_CHARS:  # not read: no number of the domain is that long
            if (MONEY_TEXT if type_ == t.MONEY else _NUMBER).fullmatch(text[:MAX_NUMBER_CHARS]):
                raise _out_of_domain(name, f"has {len(text):,} characters, more than any number of the domain", where)
            raise wrong()
        match = (MONEY_TEXT if type_ == t.MONEY else _NUMBER).fullmatch(text)
        if match:
            return checked_number(Decimal(match.group(1) if type_ == t.MONEY else text), name, where, vocabulary)
        raise wrong()
    if type_ == t.PERCENT:
        match = _PERCENT.fullmatch(str(raw).strip()) if isinstance(raw, str) and len(raw) <= MAX_NUMBER_CHARS else None
        if not match:
            raise wrong()
        value = checked_number(Decimal(match.group(1)), name, where, None)
        if not 0 <= value <= 100:
            raise CaseError(f"'{name}' is {raw}: a percentage must be between 0% and 100%", where,
                            hint='write the percentage as a number from 0 to 100 with a % sign, e.g. "90%"')
        return value
    if type_ == t.BOOL:
        if not isinstance(raw, bool):
            raise wrong()
        return raw
    if type_ == t.TEXT:
        if not isinstance(raw, str):
            raise wrong()
        return raw
    if type_ == t.DURATION:
        match = _DURATION.fullmatch(str(raw).strip()) if isinstance(raw, str) and len(raw) <= MAX_NUMBER_CHARS else None
        if not match:
            raise wrong()
        if len(match.group(1)) > len(str(MAX_DURATION)) or int(match.group(1)) > MAX_DURATION:
            raise CaseError(f"'{name}' is longer than {MAX_DURATION:,} of any unit", where,
                            hint="no deadline lies that far away; check the number")
        return Duration(int(match.group(1)), UNITS[" ".join(match.group(2).split())])
    if isinstance(type_, t.EnumType):
        return _member(raw, type_, name, where)
    if isinstance(type_, t.SetType):
        if not isinstance(raw, list):
            raise wrong()
        if len(raw) > len(type_.enum.members):  # before any item is read: a list of a million costs nothing
            raise CaseError(f"'{name}' lists {len(raw):,} items, but it has only {len(type_.enum.members)} choices",
                            where, hint="name each choice at most once: " + ", ".join(type_.enum.members))
        return frozenset(_member(item, type_.enum, name, where) for item in raw)
    raise wrong()


def checked_number(value: Decimal, name: str, where: Position, vocabulary) -> Decimal:
    """A money or number fact inside the number domain and its sign rule (the vocabulary's `minimum`)."""
    problem = number_problem(value)
    if problem:
        raise _out_of_domain(name, problem, where)
    fact = vocabulary.facts.get(name) if vocabulary is not None else None
    minimum = getattr(fact, "minimum", None)
    if minimum is not None and value < minimum:
        raise CaseError(f"'{name}' is {value}, but it cannot be less than {minimum}", where,
                        hint=f"{name} is at least {minimum} (catalogue/facts.yaml)")
    return value


def _out_of_domain(name: str, problem: str, where: Position) -> CaseError:
    return CaseError(f"'{name}' {problem}", where,
                     hint="amounts and numbers are exact decimals of at most 15 digits before and 10 after the "
                          "decimal point; NaN and infinity are not numbers")


def _member(raw: Any, enum: t.EnumType, name: str, where: Position) -> str:
    text = str(raw)
    if text not in enum.members:
        raise CaseError(f"'{text}' is not a valid {enum.name} for '{name}'"
                        + aside(did_you_mean(text, enum.members, cutoff=0.5)), where,
                        hint="choose one of: " + ", ".join(enum.members))
    return text


def _hint(type_: t.Type) -> str:
    if type_ == t.DATE:
        return "write dates as YYYY-MM-DD, e.g. 2016-04-01"
    if type_ == t.MONEY:
        return 'write amounts as 4000, 4000.00 or "€4000" (a decimal point, no thousands separator)'
    if type_ == t.PERCENT:
        return 'write percentages in quotes with a % sign, e.g. "60%"'
    if type_ == t.BOOL:
        return "write true or false"
    if isinstance(type_, t.SetType):
        return "write a list, e.g. [orientation, mediation]"
    if isinstance(type_, t.EnumType):
        return "choose one of: " + ", ".join(type_.members)
    return ""


# -- converters for many cases at once (batch rows, service bodies) --------------------------------

BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "ja": True, "nee": False,
            "1": True, "0": False}
BOOL_HINT = "write true or false (also yes/no, ja/nee or 1/0)"
SET_SEPARATORS = re.compile(r"[,;|\s]+")

_NOWHERE = Position("<case>", 1, 1)  # converters raise with this; the row's reader puts the real place in
_from_iso = dt.date.fromisoformat


# One converter per fact, made once: a fast path for the usual spellings, and for anything else the
# case files' own conversion, so that a value means the same and is refused with the same message.

def _slow(fact, vocabulary) -> Callable[[Any], Any]:
    def convert(raw):
        return convert_value(raw, fact.type, fact.name, _NOWHERE, None, vocabulary)
    return convert


def case_fields(vocabulary) -> dict[str, Any]:
    """What a case row may hold: the facts, and the date whose rules apply to the case (a date, not a fact)."""
    if vocabulary.facts.get(RULES_ON) is None:
        return {**vocabulary.facts, RULES_ON: Fact(RULES_ON, t.DATE, "rules on")}
    return vocabulary.facts


def cell_converter(fact, vocabulary) -> Callable[[str], Any]:
    """The converter for a CSV cell (text, already stripped and not empty) of this fact."""
    type_, slow = fact.type, _slow(fact, vocabulary)
    if type_ == t.DATE:
        return _date_converter(slow)
    if type_ == t.MONEY:
        return _money_cell_converter(fact, vocabulary, slow)
    if type_ == t.BOOL:
        def boolean(cell):
            value = BOOLEANS.get(cell.lower())
            if value is None:
                raise CaseError(f"'{fact.name}' must be {t.describe(type_)}, not '{cell}'", _NOWHERE, hint=BOOL_HINT)
            return value
        return boolean
    if type_ == t.TEXT:
        return str
    if isinstance(type_, t.EnumType):
        return _member_converter(frozenset(type_.members), slow)
    if isinstance(type_, t.SetType):
        members = frozenset(type_.enum.members)

        def members_of(cell):
            # Members separated by , ; | or spaces: "orientation mediation", "orientation;mediation".
            names = [name for name in SET_SEPARATORS.split(cell) if name]
            return frozenset(names) if members.issuperset(names) else slow(names)
        return members_of
    return slow  # number, percent, duration: written in a cell as in a case file


# A money cell as nearly every one is written: an amount the number domain surely holds (at most 15
# digits before the point, no leading zero to count past, at most 10 after it), so it needs none of
# checked_number's look at its digits. Anything else, even a number inside the domain written with
# leading zeros, takes the full path, whose messages it keeps. Matches only what MONEY_TEXT matches.
_PLAIN_MONEY = re.compile(r"€?\s*(-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,10})?)")


def _money_cell_converter(fact, vocabulary, slow) -> Callable[[str], Any]:
    plain = _PLAIN_MONEY.fullmatch
    minimum = getattr(fact, "minimum", None)  # checked_number's sign rule, looked up once, not per cell

    def checked_money(cell):
        match = MONEY_TEXT.fullmatch(cell) if len(cell) <= MAX_NUMBER_CHARS else None
        if match is None:
            return slow(cell)
        return checked_number(Decimal(match.group(1)), fact.name, _NOWHERE, vocabulary)

    def money(cell):
        match = plain(cell) if len(cell) <= MAX_NUMBER_CHARS else None
        if match is not None:
            value = Decimal(match.group(1))
            if minimum is None or value >= minimum:
                return value
        return checked_money(cell)  # outside the plain spellings, or below the minimum: its message
    return money


def value_converter(fact, vocabulary) -> Callable[[Any], Any]:
    """The converter for a JSON value (not null) of this fact: exactly the case files' rules."""
    type_, slow = fact.type, _slow(fact, vocabulary)
    if type_ == t.DATE:
        return _date_converter(slow)
    if type_ == t.MONEY:
        def money(raw):
            kind = type(raw)
            if kind is int or kind is Decimal:
                return checked_number(Decimal(raw), fact.name, _NOWHERE, vocabulary)
            return slow(raw)
        return money
    if type_ == t.BOOL:
        return lambda raw: raw if type(raw) is bool else slow(raw)
    if isinstance(type_, t.EnumType):
        return _member_converter(frozenset(type_.members), slow)
    if isinstance(type_, t.SetType):
        members = frozenset(type_.enum.members)

        def members_of(raw):
            # the case files' bound too: no list longer than the choices, even of known ones
            if type(raw) is list and len(raw) <= len(members) and all(type(item) is str for item in raw) \
                    and members.issuperset(raw):
                return frozenset(raw)
            return slow(raw)
        return members_of
    return slow


def _date_converter(slow) -> Callable[[Any], Any]:
    def date(raw):
        # fromisoformat also takes 20160401 and week dates: only YYYY-MM-DD takes the short cut.
        if type(raw) is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
            try:
                return _from_iso(raw)
            except ValueError:
                pass  # the case files' parser says what is wrong with it
        return slow(raw)
    return date


def _member_converter(members: frozenset, slow) -> Callable[[Any], Any]:
    return lambda raw: raw if type(raw) is str and raw in members else slow(raw)
