"""Parse rule expressions with Lark into AST nodes whose positions point into the YAML file."""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import nodes as n
from .errors import Position, RuleSyntaxError
from .calendar import MONTHS
from .limits import MAX_DURATION, MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, digits_problem
from .values import DUTCH_UNIT_WORDS, UNIT_NAMES, UNIT_PATTERN, UNITS

GRAMMAR_FILE = Path(__file__).resolve().parent.parent / "grammar" / "rules.lark"

Locate = Callable[[int], Position]


# How each terminal is described to someone who is not a programmer.
_TERMINAL_WORDS = {
    "DATE": "a date like 2016-04-01",
    "MONEY": "an amount like €5000",
    "PERCENT": "a percentage like 60%",
    "NUMBER": "a number",
    "UNIT": f"a unit ({UNIT_NAMES})",
    "STRING": 'a text in double quotes',
    "NAME": "a name (a fact, parameter or rule)",
    "COMPARATOR": "a comparison (==, !=, <, <=, >, >=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'", "RBRACE": "'}'",
    "LSQB": "'['", "RSQB": "']'",
    "COMMA": "','", "DOT": "'.'", "MINUS": "'-'",
    "$END": "the end of the expression",
    "INDICATIVE": "'circa' or 'about'",
}
_BINARY_OPERATORS = {"COMPARATOR", "ADD_OP", "MUL_OP", "AND", "OR", "__ANON_0", "QMARK"}
_OPERATOR_TERMINALS = {"COMPARATOR", "ADD_OP", "MUL_OP", "AND", "OR", "IN", "NOT", "__ANON_0", "QMARK",
                       "SUBSET", "SUPERSET"}

# Characters that come along when a rule is copied from a word processor, and what to write instead.
_CHARACTER_HINTS = {
    "×": "multiply with *", "÷": "divide with /", "–": "write a minus as -", "—": "write a minus as -",
    "≤": "write 'at most' as <=", "≥": "write 'at least' as >=", "≠": "write 'not equal' as !=",
    **dict.fromkeys("“”‘’", 'texts in a rule use straight double quotes: "..."'),
    "'": 'texts in a rule use double quotes: "..."',
    '"': 'a text in double quotes must be closed on the same line: "..."',
    "%": "write the percent sign right after the number, without a space: 60%",
    ",": "decimals use a point (12.5%), not a comma; a comma only separates the items of min(...), max(...) "
         "and {...}",
}
# Dates written day first (01-04-2016) or without leading zeros (2016-4-1).
_LOOSE_DATE = re.compile(r"(?<![\w.-])(?:(\d{1,2})-(\d{1,2})-(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2}))(?![\w.-])")
# €5.000 / €1350,50 / €5000,- : thousands points, decimal commas and the ',-' of whole euros.
_DUTCH_MONEY = re.compile(r"€\s?[1-9]\d{0,2}(\.\d{3})+(,(\d+|-{1,2}))?|€\s?\d+,(\d+|-{1,2})")
_DUTCH_UNITS = {word: unit.replace("_", " ") for unit, words in DUTCH_UNIT_WORDS.items() for word in words}


_OPTIONS = dict(parser="lalr", propagate_positions=True, maybe_placeholders=True)


def grammar_text() -> str:
    """grammar/rules.lark with the units of time of interpreter.values in its UNIT terminal."""
    return GRAMMAR_FILE.read_text(encoding="utf-8").replace("%UNITS%", UNIT_PATTERN)


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser, built once per process. Its tables are kept in the catalogue cache as an
    authenticated entry (interpreter/cache.py), never through Lark's own cache, which unpickles
    whatever file it finds before checking it."""
    from . import cache
    grammar = grammar_text()
    name = _tables_name(grammar)
    data = cache.read_bytes(name) if cache.cache_dir() is not None else None
    if data is not None:
        try:
            return Lark.load(io.BytesIO(data))  # bytes this user's key authenticated
        except Exception:  # noqa: BLE001 - tables of another Lark: built again below
            pass
    parser = Lark(grammar, **_OPTIONS)
    if cache.cache_dir() is not None:
        buffer = io.BytesIO()
        parser.save(buffer)
        cache.write_bytes(name, buffer.getvalue())
    return parser


def _tables_name(grammar: str) -> str:
    """The cache entry of the tables of this grammar, these options and this Lark."""
    import lark
    digest = hashlib.sha256(f"{lark.__version__}\0{sorted(_OPTIONS.items())}\0{grammar}".encode())
    return "lark-tables-" + digest.hexdigest()[:32]


def parse(text: str, locate: Locate) -> n.Node:
    """Parse one expression; `locate` turns an offset in `text` into a file position."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise RuleSyntaxError(f"the expression is too long: {len(text):,} characters, at most "
                              f"{MAX_EXPRESSION_CHARS:,}", locate(0),
                              hint="split it into parameters or values that refer to each other by name")
    _reject_common_mistakes(text, locate)
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(error, text, locate) from None
    _check_depth(tree, locate)
    try:
        return _ToNodes(locate).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, RuleSyntaxError):
            raise error.orig_exc from None
        raise


def _check_depth(tree: Tree, locate: Locate) -> None:
    """Refuse a tree nested deeper than every later stage (all of them recursive) can walk."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH:
            raise RuleSyntaxError(
                f"the expression is nested more than {MAX_EXPRESSION_DEPTH} deep", locate(node.meta.start_pos or 0),
                hint="each operator, 'not', '-', bracket or function call nests one deeper; split the expression "
                     "into parameters or values that refer to each other by name")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _reject_common_mistakes(text: str, locate: Locate) -> None:
    match = _DUTCH_MONEY.search(text)
    if match:
        written = match.group(0)
        amount = re.sub(r",-+$", "", written.replace("€", "").strip()).replace(".", "").replace(",", ".")
        raise RuleSyntaxError(
            f"'{written}' is written the Dutch way", locate(match.start()),
            hint=f"write amounts with a decimal point and no thousands separator: €{amount}")
    for match in _LOOSE_DATE.finditer(text):
        if match.group(1):
            day, month, year = match.group(1), match.group(2), match.group(3)
        else:
            year, month, day = match.group(4), match.group(5), match.group(6)
        iso = f"{year}-{int(month):02d}-{int(day):02d}"
        if match.group(0) != iso:
            raise RuleSyntaxError(f"'{match.group(0)}' is not written as a date the rules understand",
                                  locate(match.start()),
                                  hint=f"write dates as year-month-day with two-digit month and day: {iso}")


def _syntax_error(error: UnexpectedInput, text: str, locate: Locate) -> RuleSyntaxError:
    offset = getattr(error, "pos_in_stream", None)
    at_end = isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END")
    if at_end:
        # Lark gives the end its last token's position; the place something is missing is after it.
        offset = len(text.rstrip())
    elif isinstance(error, UnexpectedToken):
        offset = error.token.start_pos if error.token.start_pos is not None else len(text)
    if offset is None:
        offset = len(text)
    position = locate(min(offset, len(text)))
    shown = _show(text, offset)

    if isinstance(error, UnexpectedCharacters):
        char = text[offset] if offset < len(text) else ""
        hint = _CHARACTER_HINTS.get(char, "names use letters, digits and '_'; amounts start with €; "
                                          "texts go in double quotes")
        written = f'"{char}"' if char == "'" else f"'{char}'"
        expected = _describe_expected(_expected_terminals(error))
        return RuleSyntaxError(f"unexpected character {written} in {shown}; expected {expected}", position, hint)

    terminals = _expected_terminals(error)
    expected = _describe_expected(terminals)
    if at_end:
        hint = "complete the expression, or check for a missing ')' or 'else'"
        opened = _unclosed_parenthesis(text) if "RPAR" in terminals else None
        if opened is not None:
            where = locate(opened)
            hint = f"the '(' on line {where.line}, column {where.column} is never closed: add the missing ')'"
        elif terminals == {"ELSE"}:
            hint = "'if' needs both parts: if CONDITION then VALUE else OTHER VALUE"
        return RuleSyntaxError(f"the expression {shown} ends too early; expected {expected}", position, hint)
    token = error.token
    hint = None
    if token.type == "NAME" and str(token).lower() in _RELATIVE_WORDS:
        hint = _relative_date_hint(text, offset, str(token))
    elif token.type == "NAME" and str(token) in _DUTCH_UNITS:
        hint = f"units are written in English: '{_DUTCH_UNITS[str(token)]}' instead of '{token}'"
    elif token.type == "NAME" and str(token).lower() in ("euro", "euros", "eur"):
        hint = "write amounts with the euro sign in front: €5000"
    elif token.type == "COMMA":
        hint = _CHARACTER_HINTS[","]
    elif token.type == "NAME" and _previous_is_number(text, offset):
        hint = f"after a number comes a unit ({UNIT_NAMES}) or an operator"
    return RuleSyntaxError(f"unexpected '{token}' in {shown}; expected {expected}", position, hint)


def _expected_terminals(error: UnexpectedInput) -> set[str]:
    """What the parser could have accepted at the error, as precisely as Lark can tell."""
    expected = set(getattr(error, "expected", None) or ())
    interactive = getattr(error, "interactive_parser", None)
    if interactive is not None:
        try:
            # Unlike `expected`, this leaves out what only fits in another context (e.g. 'else' with no 'if').
            expected = set(interactive.accepts())
        except Exception:  # pragma: no cover - fall back to Lark's coarser list
            pass
    return expected


def _unclosed_parenthesis(text: str) -> int | None:
    """The offset of the last '(' that has no matching ')', outside texts in double quotes."""
    open_at: list[int] = []
    in_text = False
    for offset, char in enumerate(text):
        if char == '"':
            in_text = not in_text
        elif not in_text and char == "(":
            open_at.append(offset)
        elif not in_text and char == ")" and open_at:
            open_at.pop()
    return open_at[-1] if open_at else None


# "6 weeks after registered_on", as people say it, instead of "registered_on + 6 weeks".
_RELATIVE_WORDS = {"after": "+", "before": "-", "na": "+", "voor": "-"}
_DURATION_BEFORE = re.compile(r"(\d+\s+(?:working\s+)?[a-z]+)\s*$")
_NAME_AFTER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)")


def _relative_date_hint(text: str, offset: int, word: str) -> str:
    duration = _DURATION_BEFORE.search(text[:offset])
    name = _NAME_AFTER.match(text, offset + len(word))
    if duration and name:
        return (f"write the date first and then the duration: "
                f"{name.group(1)} {_RELATIVE_WORDS[word.lower()]} {' '.join(duration.group(1).split())}")
    return "write the date first and then the duration, e.g. registered_on + 6 weeks"


def _previous_is_number(text: str, offset: int) -> bool:
    return bool(re.search(r"\d\s+$", text[:offset]))


def _show(text: str, offset: int) -> str:
    flat = " ".join(text.split())
    return f"'{flat}'" if len(flat) <= 60 else f"'{flat[:57]}...'"


def _describe_expected(expected: set[str]) -> str:
    names = set(expected)
    words = []
    if names & _BINARY_OPERATORS and len(names) > 3:
        words.append("an operator (such as +, -, ==, and, or)")
        names -= _OPERATOR_TERMINALS
        # '.', '(' and '[' could continue a name (deadlines.plan_due, min(...), districts[...]); naming them only confuses.
        names -= {"DOT", "LPAR", "LSQB"}
    value_starts = {"NAME", "NUMBER", "MONEY", "PERCENT", "DATE", "STRING", "LPAR", "LBRACE", "MINUS"}
    if {"NAME", "NUMBER", "MONEY"} <= names:
        words.append("a value (a name, number, amount, percentage, date, '(' or '{')")
        names -= value_starts | {"TRUE", "FALSE", "IF", "EVERY", "NOT", "INDICATIVE"}
    at_end = "$END" in names
    names.discard("$END")
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
    if len(words) > 6:
        words = words[:6] + ["..."]
    if at_end:
        words.append(_TERMINAL_WORDS["$END"])
    if not words:
        return "something else"
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

    def _decimal(self, token: Token, digits: str) -> Decimal:
        problem = digits_problem(digits)
        if problem:
            raise RuleSyntaxError(f"the number {_shorten(str(token))} {problem}", self._token_pos(token),
                                  hint="amounts, numbers and percentages are exact decimals of at most 15 digits "
                                       "before and 10 after the decimal point")
        return Decimal(digits)

    def money(self, meta, token):
        return n.MoneyLit(self._decimal(token, str(token).replace("€", "").strip()), pos=self._pos(meta))

    def percent(self, meta, token):
        return n.PercentLit(self._decimal(token, str(token)[:-1]), pos=self._pos(meta))

    def number(self, meta, token):
        return n.NumberLit(self._decimal(token, str(token)), pos=self._pos(meta))

    def duration(self, meta, amount, unit):
        if "." in str(amount):
            raise RuleSyntaxError(f"a duration needs a whole number, not {_shorten(str(amount))}",
                                  self._token_pos(amount),
                                  hint="write for example '2 weeks' or '14 days' instead of a fraction")
        written = str(amount).lstrip("0")
        if len(written) > len(str(MAX_DURATION)) or int(written or 0) > MAX_DURATION:
            raise RuleSyntaxError(f"the duration {_shorten(str(amount))} is longer than {MAX_DURATION:,} of any unit",
                                  self._token_pos(amount), hint="no deadline lies that far away; check the number")
        return n.DurationLit(int(written or 0), UNITS[" ".join(str(unit).split())], pos=self._pos(meta))

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

    def subset(self, meta, left, right):
        return n.SetRelation("subset", left, right, pos=self._pos(meta))

    def superset(self, meta, left, right):
        return n.SetRelation("superset", left, right, pos=self._pos(meta))

    def indicative(self, meta, word, operand):
        return n.Indicative(str(word), operand, pos=self._pos(meta))

    def lookup(self, meta, name, key, field):
        return n.Lookup(str(name), key, str(field), pos=self._pos(meta))


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-10:]} ({len(text)} characters)"


def parse_date(text: str, position: Position) -> dt.date:
    """An ISO date, with a message that says what is wrong with an impossible one."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        raise RuleSyntaxError(f"'{text}' is not a date", position, hint="write dates as YYYY-MM-DD, e.g. 2016-04-01")
    year, month, day = (int(g) for g in match.groups())
    if year < dt.MINYEAR:
        raise RuleSyntaxError(f"'{text}' is not a date: there is no year 0", position,
                              hint="write dates as YYYY-MM-DD, e.g. 2016-04-01")
    if not 1 <= month <= 12:
        raise RuleSyntaxError(f"'{text}' is not a date: there is no month {month}", position,
                              hint="write dates as YYYY-MM-DD, e.g. 2016-04-01")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        month_name = MONTHS[month - 1]  # not strftime: that follows the machine's language
        raise RuleSyntaxError(f"'{text}' is not a date: {month_name} {year} has {last} days", position,
                              hint="check the day and the month")
    return dt.date(year, month, day)
