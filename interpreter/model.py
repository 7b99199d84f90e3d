"""The loaded form of the catalogue: products, their rules and the expressions in them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from . import types as t
from .calendar import Calendar
from .errors import LookupProblem, Position, SchemaError, did_you_mean
from .nodes import FactRef, Node
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

    def all_exprs(self) -> list[Expr]:
        """Every expression of the rule: its slots, then each edition's value."""
        return [*self.exprs.values(), *(edition.expr for edition in self.editions)]

    @cached_property
    def source(self) -> str:
        """The short citation shown with every result entry ("000 §5.2, 12XR")."""
        return self.citation.short() if self.citation else ""

    @cached_property
    def trigger_fact(self) -> str | None:
        """The fact a payment part is paid on, when its `on` names one fact; worked out once per rule."""
        on = self.exprs.get("on")
        return on.node.name if on is not None and isinstance(on.node, FactRef) else None


SECTIONS = ("parameters", "values", "deadlines", "payments", "reports", "checks")


def payment_groups(rules: dict[str, Rule]) -> dict[str, list[Rule]]:
    """The parts of each payment split (the rules of one `group`), in card order."""
    groups: dict[str, list[Rule]] = {}
    for rule in rules.values():
        if rule.section == "payments":
            groups.setdefault(rule.group, []).append(rule)
    return groups


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
        return payment_groups(self.rules)

    @cached_property
    def indicative_values(self) -> frozenset[str]:
        """The parameters and values that rest on a 'circa' value; worked out once per product."""
        return frozenset(rule.id for rule in self.rules.values()
                         if rule.indicative and rule.section in ("parameters", "values"))

    def in_section(self, section: str) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.section == section]

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Fact:
    name: str
    type: t.Type
    label: str
    phrase: str | None = None  # the fact inside a Dutch sentence; the label when absent
    span_from: str | None = None  # the date fact whose duration this date closes (for timelines)
    minimum: Decimal | None = None  # the sign rule of a money or number fact: a price is at least 0


@dataclass(frozen=True)
class Words:
    """The Dutch nouns of words.yaml whose grammar the sheets cannot guess: which take 'het', and which
    end in -en yet are singular. A catalogue without words.yaml says 'de' before every noun."""

    het: frozenset[str] = frozenset()  # also found as the last part of a compound (drempelbedrag)
    het_whole: frozenset[str] = frozenset()  # too short to look for inside a compound (uur, deel)
    singular_en: frozenset[str] = frozenset()


@dataclass
class Vocabulary:
    enums: dict[str, t.EnumType]
    enum_labels: dict[str, dict[str, str]]
    facts: dict[str, Fact]
    words: Words = field(default_factory=Words)
    description_keys: tuple[str, ...] = ()  # catalogue.yaml `descriptions:`: the headings a card's description may use

    @property
    def fact_types(self) -> dict[str, t.Type]:
        return {name: fact.type for name, fact in self.facts.items()}

    @property
    def fact_labels(self) -> dict[str, str]:
        return {name: fact.label for name, fact in self.facts.items()}

    @property
    def span_starts(self) -> dict[str, str]:
        """Per date fact that closes a duration, the date fact that opens it."""
        return {name: fact.span_from for name, fact in self.facts.items() if fact.span_from}


@dataclass
class Base:
    """What every card is checked against: the vocabulary, the calendars and the families."""

    vocabulary: Vocabulary | None
    calendars: dict[str, Calendar]
    families: dict  # family name -> its interpreter.yamlsource.Document
    default_calendar: str | None
    refused_calendars: frozenset[str] = frozenset()
    files: tuple[Path, ...] = ()
    documents: dict[str, str] = field(default_factory=dict)  # source file name -> its title (catalogue.yaml)
    settings: dict = field(default_factory=dict)  # catalogue.yaml as read: the sheets' title and sources

    @property
    def family_titles(self) -> dict[str, str]:
        return {name: str(document.data["title"]) for name, document in self.families.items()}


def family_chain(name: str | None, families: dict[str, Any]):
    """A family and the families it extends, in turn: (name, family document) pairs, the document None
    for an unknown name (the walk ends there). A family met again is yielded again: the caller ends a circle."""
    while name:
        family = families.get(name)
        yield name, family
        if family is None:
            return
        name = family.data.get("extends")


def overlapping_editions(products: dict[str, list[Product]]) -> list[SchemaError]:
    """Sort each product's editions by their start; two that are valid on one day are an error."""
    far_past, far_future = dt.date.min, dt.date.max
    problems = []
    for code, editions in products.items():
        editions.sort(key=lambda p: p.valid_from or far_past)
        for earlier, later in zip(editions, editions[1:]):
            if (earlier.valid_until or far_future) >= (later.valid_from or far_past):
                problems.append(SchemaError(
                    f"two editions of {code} are valid at the same time ({earlier.file} and {later.file})",
                    later.pos, hint="give the earlier edition a valid_until before the later one's valid_from"))
    return problems


@dataclass
class Catalogue:
    root: Path
    vocabulary: Vocabulary
    calendars: dict[str, Calendar]
    products: dict[str, list[Product]]
    files: list[Path] = field(default_factory=list)
    hash: str = ""
    families: dict = field(default_factory=dict)  # family name -> its interpreter.yamlsource.Document
    settings: dict = field(default_factory=dict)  # catalogue.yaml, as the base holds it

    @property
    def family_titles(self) -> dict[str, str]:
        return {name: str(document.data["title"]) for name, document in self.families.items()}

    def codes(self) -> list[str]:
        return list(self.products)

    def editions(self, code: str) -> list[Product]:
        """Every edition of product `code`, oldest first."""
        editions = self.products.get(code)
        if editions is None:
            hint = did_you_mean(code, self.products, cutoff=0.5) or "run 'catalogue list' to see the product codes"
            raise LookupProblem(f"unknown product '{code}'", Position("<command line>", 1, 1), hint)
        return editions

    def load_whole(self) -> "Catalogue":
        return self  # loaded whole already

    def product(self, code: str, on: dt.date | None = None) -> Product:
        """The edition of product `code` valid on `on` (the latest edition when `on` is None)."""
        return edition_on(code, self.editions(code), on)


def edition_on(code: str, editions: list[Product], on: dt.date | None) -> Product:
    """The edition valid on `on` (the latest when `on` is None); a LookupProblem when none is."""
    if on is None:
        return editions[-1]
    for product in editions:
        if product.valid_on(on):
            return product
    spans = ", ".join(f"{p.valid_from or '…'} to {p.valid_until or '…'}" for p in editions)
    raise LookupProblem(f"no edition of {code} is valid on {on.isoformat()} (editions: {spans})",
                        editions[0].pos or Position(editions[0].file, 1, 1),
                        hint="the rules of a case are those of its reference date (e.g. registered_on); "
                             "give --rules-on a date inside an edition's validity")
