"""The abstract syntax tree of rule expressions: small frozen nodes that know where they stood."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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


CONSTANTS = LITERALS + (EnumLit,)


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


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, in reading order."""
    if isinstance(node, (Negate, Not)):
        return (node.operand,)
    if isinstance(node, (Arithmetic, Compare, And, Or, Coalesce)):
        return (node.left, node.right)
    if isinstance(node, Member):
        return (node.element, node.container)
    if isinstance(node, If):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Every):
        return (node.step, node.start, node.until)
    return ()


def walk(node: Node):
    """Every node of a tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)
