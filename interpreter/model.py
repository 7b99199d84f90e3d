"""The loaded form of the catalogue: products, their rules and the expressions in them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import Position
from .nodes import Node
from .types import Type


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: the source document, its section and the sentence quoted."""

    document: str
    section: str
    quotes: tuple[str, ...] = ()
    title: str = ""  # the document's title (catalogue.yaml `documents:`); its file name when none is given

    def __post_init__(self) -> None:
        if not self.title:
            object.__setattr__(self, "title", self.document)

    @cached_property
    def quote(self) -> str | None:
        return " … ".join(self.quotes) if self.quotes else None

    def short(self) -> str:
        return f"{self.document[:3]} {self.section}"


@dataclass(frozen=True)
class Expr:
    """One expression of a rule, as written and as parsed (typed after checking)."""

    text: str
    node: Node
    pos: Position

    @property
    def type(self) -> Type | None:
        return self.node.type


@dataclass(frozen=True)
class Edition:
    """One effective-dated value of a parameter."""

    valid_from: dt.date | None
    valid_until: dt.date | None
    expr: Expr


@dataclass(frozen=True)
class Rule:
    """A named rule of a card. Which expressions it has depends on its section.

    - parameters: editions (effective-dated values)
    - values:     value
    - deadlines:  due, met_by (optional); roll; optional (a right, not a duty)
    - payments:   base, share, on (optional); `group` names the split it belongs to
    - reports:    date (a date or a list of dates)
    - checks:     test; message
    Every rule may have `when`: the rule applies only when it is true.
    """

    id: str
    section: str
    label: str
    pos: Position
    origin: str  # the file the rule was written in (card or family)
    citation: Citation | None = None
    exprs: dict[str, Expr] = field(default_factory=dict)
    editions: tuple[Edition, ...] = ()
    roll: str | None = None
    message: str | None = None
    group: str | None = None
    group_label: str | None = None
    optional: bool = False  # a deadline that is a right: unused by its date it lapses, it is not overdue
    indicative: bool = False  # rests on a 'circa' value (set by the checker): shown, a check never fails on it
    override_reason: str | None = None  # `overrides:` why this rule replaces its family's rule of the same id
    overridden: Position | None = None  # where the replaced family rule stands (set by the loader)
    table: str | None = None  # a value that is an output column of this decision table

    def expr(self, slot: str) -> Expr | None:
        return self.exprs.get(slot)

    @cached_property
    def source(self) -> str:
        """The short citation shown with every result entry ("000 §5.2, 12XR")."""
        return self.citation.short() if self.citation else ""


SECTIONS = ("parameters", "values", "deadlines", "payments", "reports", "checks")


@dataclass(frozen=True)
class TableRow:
    """One row of a decision table as written: its cells in column order (inputs, then outputs)."""

    pos: Position
    cells: tuple[str, ...]


@dataclass(frozen=True)
class DecisionTable:
    """A decision table as written on a card or family: for the sheet, `show` and `catalogue diff`.

    Its outputs are values of the card (rules with `table` set), evaluated through n.Decide nodes."""

    id: str
    label: str
    pos: Position
    origin: str
    inputs: tuple[tuple[str, Expr], ...]  # column name, expression
    outputs: tuple[tuple[str, str], ...]  # column name, label
    rows: tuple[TableRow, ...]
    hit: str = "unique"
    citation: Citation | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.inputs) + tuple(name for name, _ in self.outputs)


@dataclass(frozen=True)
class LookupTable:
    """A named map from the members of a list of choices to typed values: `districts[district].name`."""

    id: str
    label: str
    pos: Position
    origin: str
    key: str  # the enum whose members are the keys
    fields: tuple[tuple[str, Type], ...]
    entries: tuple[tuple[str, tuple[Any, ...]], ...]  # member, the values of the fields in order
    citation: Citation | None = None
    field_labels: tuple[str, ...] = ()  # the Dutch label of each field, as the sheet shows it

    def field_label(self, name: str) -> str:
        return dict(zip((field for field, _ in self.fields), self.field_labels)).get(name, name)

    def field_type(self, name: str) -> Type | None:
        return dict(self.fields).get(name)

    def column(self, name: str) -> tuple[tuple[str, Any], ...]:
        """(member, value) of one field for every member."""
        index = [field for field, _ in self.fields].index(name)
        return tuple((member, values[index]) for member, values in self.entries)


@dataclass(frozen=True)
class Assumption:
    id: str
    text: str
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Product:
    code: str
    title: str
    family: str | None
    file: str
    citation: Citation
    edition: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    calendar: Any  # interpreter.calendar.Calendar
    rules: dict[str, Rule]
    assumptions: tuple[Assumption, ...] = ()
    description: dict[str, Any] = field(default_factory=dict)
    pos: Position | None = None
    example_facts: dict[str, Any] | None = None  # typed facts of the sheet's worked example
    example_as_of: dt.date | None = None
    example_rules_on: dt.date | None = None
    # The date fact whose value picks the edition and the effective-dated values of a case (its
    # family declares it); a case keeps the rules of that day for its whole life.
    reference_fact: str | None = None
    tables: dict[str, DecisionTable] = field(default_factory=dict)
    lookups: dict[str, LookupTable] = field(default_factory=dict)

    @cached_property
    def payment_groups(self) -> dict[str, list[Rule]]:
        """The parts of each payment split, in card order; worked out once per product."""
        groups: dict[str, list[Rule]] = {}
        for rule in self.rules.values():
            if rule.section == "payments":
                groups.setdefault(rule.group, []).append(rule)
        return groups

    def in_section(self, section: str) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.section == section]

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)
