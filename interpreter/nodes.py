"""The abstract syntax tree of rule expressions: small frozen nodes that know where they stood."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

from .errors import Position


@dataclass(frozen=True, kw_only=True)
class Node:
    pos: Position = field(compare=False)
    # Filled in by the checker: the node's static type.
    type: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class NumberLit(Node):
    value: Decimal


@dataclass(frozen=True)
class MoneyLit(Node):
    value: Decimal


@dataclass(frozen=True)
class PercentLit(Node):
    value: Decimal  # as written: 60 for 60%


@dataclass(frozen=True)
class DateLit(Node):
    value: dt.date


@dataclass(frozen=True)
class DurationLit(Node):
    amount: int
    unit: str  # days, working_days, weeks, months, years


@dataclass(frozen=True)
class TextLit(Node):
    value: str


@dataclass(frozen=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True)
class SetLit(Node):
    members: tuple[str, ...]


# The values a rule writes down as they are (numbers, amounts, percentages, dates, durations, texts,
# yes/no, sets); with the choices names resolve to, the constants of a checked tree.
LITERALS = (NumberLit, MoneyLit, PercentLit, DateLit, DurationLit, TextLit, BoolLit, SetLit)


@dataclass(frozen=True)
class Name(Node):
    """A name as written; the checker replaces it by one of the resolved references below."""

    name: str
    qualifier: str | None = None


@dataclass(frozen=True)
class FactRef(Node):
    name: str


@dataclass(frozen=True)
class RuleRef(Node):
    """A parameter, value, deadline, payment part, report or check of the same card."""

    name: str


@dataclass(frozen=True)
class AsOfRef(Node):
    """`as_of` in a rule: the day the evaluation judges statuses on."""


@dataclass(frozen=True)
class EnumLit(Node):
    enum: str
    member: str




@dataclass(frozen=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True)
class Arithmetic(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class Member(Node):
    element: Node
    container: Node
    negated: bool = False


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Coalesce(Node):
    """`left ?? right`: left when it is known, else right."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Every(Node):
    """`every STEP from START until END`: START + STEP, START + 2*STEP, ... before END."""

    step: Node
    start: Node
    until: Node


# -- subset and superset, indicative values, the product's own names ------------------------


@dataclass(frozen=True)
class SetRelation(Node):
    """`left subset of right` (every member of left is in right) or `left superset of right`."""

    op: str  # subset | superset
    left: Node
    right: Node


@dataclass(frozen=True)
class Indicative(Node):
    """`circa X` / `about X`: X, shown as an indication; a check that rests on it never fails."""

    word: str  # circa | about
    operand: Node


@dataclass(frozen=True)
class BuiltIn(Node):
    """`product_code` or `edition_name`: the card's own code or edition, filled in by the checker."""

    name: str
    value: str = ""
# -- decision tables and lookups -------------------------------------------------------------


@dataclass(frozen=True)
class Decide(Node):
    """One output column of a decision table: its cell in the row whose tests the inputs pass.

    `tests` has a row per table row and in it a test per input: a choice, yes/no or set of choices
    the input must equal (or be in), or None for '-' (any value). Under the hit policy 'unique' the
    checker proved that exactly one row applies to every combination; under 'first' the first does.
    """

    table: str
    output: str
    inputs: tuple[Node, ...]
    tests: tuple[tuple[Node | None, ...], ...]
    cells: tuple[Node, ...]
    first: bool = False  # hit policy 'first' (else 'unique')
    rows: tuple[Position, ...] = field(default=(), compare=False)

    @property
    def test_values(self) -> tuple[tuple, ...]:
        """The tests as plain values (None, a member, a bool or a frozenset), as both backends match them."""
        return tuple(tuple(test_value(test) for test in row) for row in self.tests)


def test_value(test: Node | None):
    if test is None:
        return None
    if isinstance(test, SetLit):
        return frozenset(test.members)
    if isinstance(test, EnumLit):
        return test.member
    return test.value  # BoolLit


@dataclass(frozen=True)
class Lookup(Node):
    """`districts[district].name`: a field of the entry of a lookup for a choice value.

    The parser leaves `entries` empty; the checker fills in (member, value) for every member."""

    lookup: str
    key: Node
    field: str
    entries: tuple[tuple[str, Any], ...] = ()


# Filled in around the tree, not part of it: where a node stood and the type the checker gave it.
_NOT_CHILDREN = frozenset({"pos", "type"})


class _ChildFields(dict):
    """Node class -> the names of its fields that can hold sub-expressions, in declaration order."""

    def __missing__(self, cls: type) -> tuple[str, ...]:
        names = self[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _NOT_CHILDREN)
        return names


_CHILD_FIELDS = _ChildFields()


def iter_fields(node: Node) -> Iterator[tuple[str, Any]]:
    """The (name, value) of each field of a node that can hold sub-expressions, in declaration order."""
    for name in _CHILD_FIELDS[type(node)]:
        yield name, getattr(node, name)


def iter_child_nodes(node: Node) -> Iterator[Node]:
    """The direct sub-expressions of a node, in field order; tuples (a table's rows of tests) are looked into."""
    for _, value in iter_fields(node):
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            yield from _nodes_in(value)


def _nodes_in(items: tuple) -> Iterator[Node]:
    for item in items:
        if isinstance(item, Node):
            yield item
        elif isinstance(item, tuple):
            yield from _nodes_in(item)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, in reading order."""
    return tuple(iter_child_nodes(node))


def walk(node: Node):
    """Every node of a tree, parents before children."""
    yield node
    for child in iter_child_nodes(node):
        yield from walk(child)


# The constants of a checked tree: literals, the choices names resolve to, and the built-in names
# (the product code and edition) that each card fixes.
CONSTANTS = LITERALS + (EnumLit, BuiltIn)
