"""Parse rule expressions with Lark into AST nodes whose positions point into the YAML file."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import nodes as n
from .errors import Position, RuleSyntaxError

GRAMMAR_FILE = Path(__file__).resolve().parent.parent / "grammar" / "rules.lark"

Locate = Callable[[int], Position]

UNITS = {
    "day": "days", "days": "days",
    "working day": "working_days", "working days": "working_days",
    "week": "weeks", "weeks": "weeks",
    "month": "months", "months": "months",
    "year": "years", "years": "years",
}

# How each terminal is described to someone who is not a programmer.
_TERMINAL_WORDS = {
    "DATE": "a date like 2016-04-01",
    "MONEY": "an amount like €5000",
    "PERCENT": "a percentage like 60%",
    "NUMBER": "a number",
    "UNIT": "a unit (days, working days, weeks, months, years)",
    "STRING": 'a text in double quotes',
    "NAME": "a name (a fact, parameter or rule)",
    "COMPARATOR": "a comparison (==, !=, <, <=, >, >=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'", "RBRACE": "'}'",
    "COMMA": "','", "DOT": "'.'", "MINUS": "'-'",
    "$END": "the end of the expression",
}
_OPERATOR_TERMINALS = {"COMPARATOR", "ADD_OP", "MUL_OP", "AND", "OR", "IN", "NOT", "__ANON_0", "QMARK"}

_DUTCH_MONEY = re.compile(r"€\s?\d{1,3}(\.\d{3})+(,\d+)?|€\s?\d+,\d+")
_DUTCH_UNITS = {"dagen": "days", "dag": "days", "kalenderdagen": "days", "werkdagen": "working days",
                "werkdag": "working days", "weken": "weeks", "week": "weeks", "maanden": "months",
                "maand": "months", "jaar": "years", "jaren": "years"}


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, built once per process."""
    return Lark(GRAMMAR_FILE.read_text(encoding="utf-8"), parser="lalr",
                propagate_positions=True, maybe_placeholders=True)


def parse(text: str, locate: Locate) -> n.Node:
    """Parse one expression; `locate` turns an offset in `text` into a file position."""
    _reject_common_mistakes(text, locate)
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(error, text, locate) from None
    try:
        return _ToNodes(locate).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, RuleSyntaxError):
            raise error.orig_exc from None
        raise


def _reject_common_mistakes(text: str, locate: Locate) -> None:
    match = _DUTCH_MONEY.search(text)
    if match:
        written = match.group(0)
        amount = written.replace("€", "").strip().replace(".", "").replace(",", ".")
        raise RuleSyntaxError(
            f"'{written}' is written the Dutch way", locate(match.start()),
            hint=f"write amounts with a decimal point and no thousands separator: €{amount}")


def _syntax_error(error: UnexpectedInput, text: str, locate: Locate) -> RuleSyntaxError:
    offset = getattr(error, "pos_in_stream", None)
    if isinstance(error, UnexpectedToken):
        offset = error.token.start_pos if error.token.start_pos is not None else len(text)
    if offset is None:
        offset = len(text)
    position = locate(min(offset, len(text)))
    shown = _show(text, offset)

    if isinstance(error, UnexpectedCharacters):
        char = text[offset] if offset < len(text) else ""
        hint = "names use letters, digits and '_'; amounts start with €; texts go in double quotes"
        if char == ",":
            hint = "decimals use a point (12.5%), not a comma"
        if char == "'":
            hint = "texts in a rule use double quotes"
        return RuleSyntaxError(f"unexpected character '{char}' in {shown}", position, hint)

    expected = _describe_expected(getattr(error, "expected", set()) or set())
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        return RuleSyntaxError(f"the expression {shown} ends too early; expected {expected}", position,
                               hint="complete the expression, or check for a missing ')' or 'else'")
    token = error.token
    hint = None
    if token.type == "NAME" and str(token) in _DUTCH_UNITS:
        hint = f"units are written in English: '{_DUTCH_UNITS[str(token)]}' instead of '{token}'"
    elif token.type == "NAME" and _previous_is_number(text, offset):
        hint = "after a number comes a unit (days, working days, weeks, months, years) or an operator"
    return RuleSyntaxError(f"unexpected '{token}' in {shown}; expected {expected}", position, hint)


def _previous_is_number(text: str, offset: int) -> bool:
    return bool(re.search(r"\d\s+$", text[:offset]))


def _show(text: str, offset: int) -> str:
    flat = " ".join(text.split())
    return f"'{flat}'" if len(flat) <= 60 else f"'{flat[:57]}...'"


def _describe_expected(expected: set[str]) -> str:
    names = set(expected)
    words = []
    if names & _OPERATOR_TERMINALS and len(names) > 3:
        words.append("an operator (such as +, -, ==, and, or)")
        names -= _OPERATOR_TERMINALS
    value_starts = {"NAME", "NUMBER", "MONEY", "PERCENT", "DATE", "STRING", "LPAR", "LBRACE", "MINUS"}
    if {"NAME", "NUMBER", "MONEY"} <= names:
        words.append("a value (a name, number, amount, percentage, date, '(' or '{')")
        names -= value_starts | {"TRUE", "FALSE", "IF", "EVERY", "NOT"}
    grammar = lark_parser()
    for name in sorted(names):
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = grammar.get_terminal(name).pattern.value
            words.append(f"'{pattern}'")
        except KeyError:
            words.append(name.lower())
    if not words:
        return "something else"
    if len(words) > 6:
        words = words[:6] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


@v_args(meta=True, inline=True)
class _ToNodes(Transformer):
    """Turn the Lark tree into AST nodes, one method per grammar alternative."""

    def __init__(self, locate: Locate):
        super().__init__()
        self._locate = locate

    def _pos(self, meta) -> Position:
        return self._locate(getattr(meta, "start_pos", 0) or 0)

    def _token_pos(self, token: Token) -> Position:
        return self._locate(token.start_pos or 0)

    def date(self, meta, token):
        return n.DateLit(parse_date(str(token), self._token_pos(token)), pos=self._pos(meta))

    def money(self, meta, token):
        return n.MoneyLit(Decimal(str(token).replace("€", "").strip()), pos=self._pos(meta))

    def percent(self, meta, token):
        return n.PercentLit(Decimal(str(token)[:-1]), pos=self._pos(meta))

    def number(self, meta, token):
        return n.NumberLit(Decimal(str(token)), pos=self._pos(meta))

    def duration(self, meta, amount, unit):
        if "." in str(amount):
            raise RuleSyntaxError(f"a duration needs a whole number, not {amount}", self._token_pos(amount),
                                  hint="write for example '2 weeks' or '14 days' instead of a fraction")
        return n.DurationLit(int(str(amount)), UNITS[" ".join(str(unit).split())], pos=self._pos(meta))

    def text(self, meta, token):
        return n.TextLit(str(token)[1:-1], pos=self._pos(meta))

    def true(self, meta):
        return n.BoolLit(True, pos=self._pos(meta))

    def false(self, meta):
        return n.BoolLit(False, pos=self._pos(meta))

    def reference(self, meta, first, second):
        if second is None:
            return n.Name(str(first), pos=self._pos(meta))
        return n.Name(str(second), qualifier=str(first), pos=self._pos(meta))

    def call(self, meta, name, *args):
        return n.Call(str(name), tuple(a for a in args if a is not None), pos=self._pos(meta))

    def set_of(self, meta, *members):
        return n.SetLit(tuple(str(m) for m in members if m is not None), pos=self._pos(meta))

    def negate(self, meta, operand):
        return n.Negate(operand, pos=self._pos(meta))

    # Binary operators take the operator's position, where a type error is best shown.
    def arithmetic(self, meta, left, op, right):
        return n.Arithmetic(str(op), left, right, pos=self._token_pos(op))

    def compare(self, meta, left, op, right):
        symbol = "==" if str(op) == "=" else str(op)
        return n.Compare(symbol, left, right, pos=self._token_pos(op))

    def member(self, meta, element, container):
        return n.Member(element, container, pos=self._pos(meta))

    def not_member(self, meta, element, container):
        return n.Member(element, container, negated=True, pos=self._pos(meta))

    def and_expr(self, meta, left, right):
        return n.And(left, right, pos=self._pos(meta))

    def or_expr(self, meta, left, right):
        return n.Or(left, right, pos=self._pos(meta))

    def not_expr(self, meta, operand):
        return n.Not(operand, pos=self._pos(meta))

    def if_expr(self, meta, condition, then, otherwise):
        return n.If(condition, then, otherwise, pos=self._pos(meta))

    def coalesce(self, meta, left, right):
        return n.Coalesce(left, right, pos=self._pos(meta))

    def every(self, meta, step, start, until):
        return n.Every(step, start, until, pos=self._pos(meta))


def parse_date(text: str, position: Position) -> dt.date:
    """An ISO date, with a message that says what is wrong with an impossible one."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        raise RuleSyntaxError(f"'{text}' is not a date", position, hint="write dates as YYYY-MM-DD, e.g. 2016-04-01")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise RuleSyntaxError(f"'{text}' is not a date: there is no month {month}", position,
                              hint="write dates as YYYY-MM-DD, e.g. 2016-04-01")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        month_name = dt.date(year, month, 1).strftime("%B")
        raise RuleSyntaxError(f"'{text}' is not a date: {month_name} {year} has {last} days", position,
                              hint="check the day and the month")
    return dt.date(year, month, day)
