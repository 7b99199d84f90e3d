"""The loaded catalogue and how to get one: from the on-disk cache when its files are unchanged, else loaded."""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import types as t
from .calendar import Calendar
from .errors import LookupProblem, Position, SchemaError
from .model import Product

BUNDLED = Path(__file__).resolve().parent.parent / "catalogue"


def default_root() -> Path:
    """The catalogue used when none is named: $CATALOGUE_DIR, else the bundled one."""
    named = os.environ.get("CATALOGUE_DIR")
    return Path(named) if named else BUNDLED


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


def card_paths(root: Path) -> list[Path]:
    """The card files of a catalogue, in the order they are loaded (test files are not cards)."""
    return [path for path in sorted((root / "products").rglob("*.yaml")) if not path.name.endswith(".tests.yaml")]


def catalogue_hash(root: Path, contents: dict[Path, bytes]) -> str:
    """The catalogue's fingerprint in receipts: every file it was loaded from, by name and content."""
    digest = hashlib.sha256()
    for path in sorted(contents):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(contents[path] + b"\0")
    return digest.hexdigest()


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

    def codes(self) -> list[str]:
        return list(self.products)

    def editions(self, code: str) -> list[Product]:
        """Every edition of product `code`, oldest first."""
        editions = self.products.get(code)
        if editions is None:
            close = difflib.get_close_matches(code, list(self.products), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else "run 'catalogue list' to see the product codes"
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


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def load_catalogue(root: Path | str | None = None, cache: bool = True) -> Catalogue:
    """Load and check a whole catalogue; raises every problem found at once.

    With `cache`, a catalogue whose files (and interpreter) are unchanged since the last load comes
    from the on-disk cache instead (see interpreter.cache); that skips YAML, schema, parsing and checking.
    """
    root = Path(root) if root else default_root()
    if cache:
        from .store import load_whole  # per card: only what changed since the last load is checked again
        return load_whole(root)
    return _load(root)


def _load(root: Path) -> Catalogue:
    from .loader import Loader  # the whole load pipeline: only imported when the cache cannot help
    return Loader(root).load()
