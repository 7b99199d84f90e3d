"""Load a catalogue folder: vocabulary, calendars, families and cards, parsed and type-checked once."""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from pathlib import Path
from typing import Any

from . import schema as s
from . import types as t
from .calendar import WEEKDAYS, Calendar, HolidayRule
from .cases import RULES_ON, convert_facts
from .catalogue import Catalogue, Fact, Vocabulary, display_path
from .checker import AS_OF, check_rules, evaluation_order
from .errors import (CatalogueError, Position, RuleSyntaxError, SchemaError, TypeCheckError,
                     raise_all)
from .model import SECTIONS, Assumption, Citation, Edition, Expr, Product, Rule
from .parser import parse, parse_date
from .splits import check_splits
from .yamlsource import Document, load_file


def _did_you_mean(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def expression_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Loader:
    """Reads every file of a catalogue folder and builds the checked Catalogue, collecting all errors."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[CatalogueError] = []
        self.files: list[Path] = []

    def load(self) -> Catalogue:
        if not self.root.is_dir():
            raise SchemaError(f"the catalogue directory '{self.root}' does not exist", Position(str(self.root), 1, 1),
                              hint="give the folder that holds catalogue.yaml and facts.yaml with --catalogue")
        settings = self._document("catalogue.yaml", s.SETTINGS, "catalogue settings", required=True)
        vocabulary = self._vocabulary()
        calendars = self._calendars()
        default_calendar = settings.data.get("default_calendar") if settings else None
        if settings and default_calendar not in calendars:
            self.errors.append(SchemaError(f"the default calendar '{default_calendar}' is not in calendars/",
                                           settings.position(("default_calendar",))))
        families = self._families()
        products: dict[str, list[Product]] = {}
        if vocabulary is not None:
            for path in sorted((self.root / "products").rglob("*.yaml")):
                if path.name.endswith(".tests.yaml"):
                    continue
                product = self._product(path, vocabulary, calendars, families, default_calendar)
                if product is not None:
                    products.setdefault(product.code, []).append(product)
        self._check_editions(products)
        raise_all(self.errors)
        return Catalogue(self.root, vocabulary, calendars,
                         {code: products[code] for code in sorted(products)},
                         self.files, self._hash())

    # -- files -------------------------------------------------------------------------------

    def _read(self, path: Path) -> Document | None:
        self.files.append(path)
        try:
            return load_file(path, display_path(path))
        except CatalogueError as error:
            self.errors.append(error)
            return None

    def _document(self, relative: str, schema: dict, what: str, required: bool = False,
                  path: Path | None = None) -> Document | None:
        path = path or self.root / relative
        if not path.exists():
            if required:
                self.errors.append(SchemaError(f"the catalogue has no {relative}", Position(display_path(path), 1, 1),
                                               hint=f"every catalogue folder needs a {relative}"))
            return None
        document = self._read(path)
        if document is None:
            return None
        problems = s.validate(document, schema, what)
        if problems:
            self.errors.extend(problems)
            return None
        return document

    def _hash(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(set(self.files)):
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()

    # -- vocabulary and calendars --------------------------------------------------------------

    def _vocabulary(self) -> Vocabulary | None:
        document = self._document("facts.yaml", s.VOCABULARY, "fact vocabulary", required=True)
        if document is None:
            return None
        enums, labels = {}, {}
        for name, spec in document.data["enums"].items():
            enums[name] = t.EnumType(name, tuple(spec["members"]))
            labels[name] = dict(spec["members"])
        facts = {}
        for name, spec in document.data["facts"].items():
            type_ = t.parse_type(spec["type"], enums)
            if name in (AS_OF, RULES_ON):
                self.errors.append(SchemaError(f"'{name}' is reserved for the dates of an evaluation",
                                               document.key_position(("facts", name))))
            elif type_ is None:
                self.errors.append(SchemaError(
                    f"unknown type '{spec['type']}' for fact '{name}'", document.position(("facts", name, "type")),
                    hint="use one of: " + ", ".join(t.type_names(enums))))
            else:
                facts[name] = Fact(name, type_, spec["label"], spec.get("phrase"), spec.get("span_from"))
        self._check_spans(document, facts)
        return Vocabulary(enums, labels, facts)

    def _check_spans(self, document, facts: dict[str, Fact]) -> None:
        """A span runs from one date fact to another: both ends must be known date facts."""
        for name, fact in facts.items():
            if fact.span_from is None:
                continue
            start = facts.get(fact.span_from)
            if fact.type != t.DATE:
                self.errors.append(SchemaError(
                    f"fact '{name}' has span_from but is not a date", document.position(("facts", name, "span_from")),
                    hint="only a date can close a span; remove span_from here"))
            elif start is None or start.type != t.DATE:
                self.errors.append(SchemaError(
                    f"span_from of '{name}' names '{fact.span_from}', which is not a date fact",
                    document.position(("facts", name, "span_from")),
                    hint="name the date fact where the span starts, e.g. span_from: started_on"))

    def _calendars(self) -> dict[str, Calendar]:
        calendars = {}
        for path in sorted((self.root / "calendars").glob("*.yaml")):
            document = self._document("", s.CALENDAR, "calendar", path=path)
            if document is None:
                continue
            rules = []
            for index, spec in enumerate(document.data["holidays"]):
                where = ("holidays", index)
                if "date" in spec:
                    month, day = (int(x) for x in spec["date"].split("-"))
                    try:
                        dt.date(2000, month, day)
                    except ValueError:
                        self.errors.append(SchemaError(f"'{spec['date']}' is not a day of the year (MM-DD)",
                                                       document.position(where + ("date",))))
                        continue
                    rules.append(HolidayRule(spec["name"], month, day, None, spec.get("if_sunday", 0),
                                             spec.get("from_year"), spec.get("until_year")))
                elif "easter" in spec:
                    rules.append(HolidayRule(spec["name"], easter_offset=spec["easter"],
                                             from_year=spec.get("from_year"), until_year=spec.get("until_year")))
                else:
                    self.errors.append(SchemaError("a holiday needs 'date: MM-DD' or 'easter: DAYS'",
                                                   document.position(where)))
            rules.extend(self._decreed_days(document))
            name = document.data["calendar"]
            calendars[name] = Calendar(name, document.data["title"],
                                       tuple(WEEKDAYS.index(d) for d in document.data["weekend"]),
                                       tuple(rules), display_path(path))
        return calendars

    def _decreed_days(self, document: Document) -> list[HolidayRule]:
        """The dated days a decree equates with the holidays, each naming its decree."""
        days = []
        for index, spec in enumerate(document.data.get("decreed", [])):
            day = self._date(document, ("decreed", index, "date"))
            if day is not None:
                days.append(HolidayRule(spec["name"], on=day, decree=spec["decree"]))
        return days

    # -- families and cards --------------------------------------------------------------------

    def _families(self) -> dict[str, Document]:
        families = {}
        for path in sorted((self.root / "families").glob("*.yaml")):
            document = self._document("", s.FAMILY, "family", path=path)
            if document is not None:
                families[document.data["family"]] = document
        return families

    def _family_chain(self, card: Document, families: dict[str, Document]) -> list[Document] | None:
        chain: list[Document] = []
        name = card.data.get("family")
        where, path = card, ("family",)
        while name:
            family = families.get(name)
            if family is None:
                close = difflib.get_close_matches(name, list(families), n=1)
                self.errors.append(SchemaError(
                    f"unknown family '{name}'", where.position(path),
                    hint=(f"did you mean '{close[0]}'? " if close else "")
                    + "the families are: " + ", ".join(sorted(families))))
                return None
            if family in chain:
                self.errors.append(SchemaError(f"family '{name}' extends itself", family.position(("extends",))))
                return None
            chain.insert(0, family)
            name, where, path = family.data.get("extends"), family, ("extends",)
        return chain

    def _product(self, path: Path, vocabulary: Vocabulary, calendars: dict[str, Calendar],
                 families: dict[str, Document], default_calendar: str | None) -> Product | None:
        card = self._document("", s.CARD, "product card", path=path)
        if card is None:
            return None
        chain = self._family_chain(card, families)
        if chain is None:
            return None
        before = len(self.errors)
        card_source = card.data["source"]
        rules: dict[str, Rule] = {}
        assumptions: list[tuple[Assumption, Document, tuple]] = []
        calendar_name, calendar_at = default_calendar, card.position(("calendar",))
        for document in chain + [card]:
            source = document.data["source"]
            if "calendar" in document.data:
                calendar_name, calendar_at = document.data["calendar"], document.position(("calendar",))
            for section in SECTIONS:
                for rule in self._rules(document, section, source.get("document", card_source.get("document", ""))):
                    if rule.id in rules:
                        first = rules[rule.id]
                        self.errors.append(SchemaError(
                            f"'{rule.id}' is defined twice (first at {first.pos})", rule.pos,
                            hint="rule names must be unique across a card and its family; rename one"))
                    else:
                        rules[rule.id] = rule
            for index, item in enumerate(document.data.get("assumptions", [])):
                assumption = Assumption(item["id"], item["text"], tuple(item.get("applies_to", [])))
                assumptions.append((assumption, document, ("assumptions", index, "applies_to")))
        reference_fact = self._reference_fact(chain, vocabulary)
        calendar = calendars.get(calendar_name)
        if calendar is None:
            self.errors.append(SchemaError(f"unknown calendar '{calendar_name}'", calendar_at,
                                           hint="the calendars are: " + ", ".join(sorted(calendars))))
        for assumption, document, path in assumptions:
            for index, target in enumerate(assumption.applies_to):
                if target not in rules:
                    self.errors.append(SchemaError(
                        f"assumption '{assumption.id}' applies to unknown rule '{target}'"
                        + _did_you_mean(target, rules), document.position(path + (index,)),
                        hint="list the names of rules of this card or its family under applies_to"))
        if len(self.errors) > before:
            return None
        checked, problems = check_rules(vocabulary.fact_types, vocabulary.enums, rules)
        if problems:
            self.errors.extend(problems)
            return None
        try:
            evaluation_order(checked)  # a split that needs its own part's amount can never be evaluated
        except TypeCheckError as error:
            self.errors.append(error)
            return None
        edition = card.data["edition"]
        self.errors.extend(check_splits(checked, vocabulary, card.file))
        valid_from = self._date(card, ("edition", "valid_from"))
        valid_until = self._date(card, ("edition", "valid_until"))
        example_facts, example_as_of = self._example(card, vocabulary)
        return Product(
            code=card.data["code"], title=card.data["title"], family=card.data.get("family"), file=card.file,
            citation=self._citation(card, card_source, ""),
            edition=edition["name"], valid_from=valid_from, valid_until=valid_until, calendar=calendar,
            rules=checked, assumptions=tuple(a for a, _, _ in assumptions),
            description=card.data.get("description", {}),
            pos=card.position(("edition", "valid_from")), example_facts=example_facts, example_as_of=example_as_of,
            example_rules_on=self._date(card, ("example", "rules_on")), reference_fact=reference_fact)

    def _reference_fact(self, chain: list[Document], vocabulary: Vocabulary) -> str | None:
        """The date fact whose rules apply to a case, as the nearest family that declares one says."""
        for family in reversed(chain):
            name = family.data.get("reference_fact")
            if name is None:
                continue
            fact = vocabulary.facts.get(name)
            if fact is None or fact.type != t.DATE:
                what = "not a fact" + _did_you_mean(name, vocabulary.facts) if fact is None else "not a date fact"
                self.errors.append(SchemaError(
                    f"reference_fact '{name}' is {what}", family.position(("reference_fact",)),
                    hint="name a date fact of catalogue/facts.yaml, e.g. registered_on"))
                return None
            return name
        return None

    def _example(self, card: Document, vocabulary: Vocabulary) -> tuple[dict | None, dt.date | None]:
        """The card's worked example, its facts checked like any case file."""
        spec = card.data.get("example")
        if spec is None:
            return None, None
        try:
            facts = convert_facts(spec["facts"], vocabulary, card, ("example", "facts"))
        except CatalogueError as error:
            self.errors.append(error)
            return None, None
        return facts, self._date(card, ("example", "as_of")) if "as_of" in spec else None

    def _date(self, document: Document, path: tuple) -> dt.date | None:
        try:
            raw = document.sub(path)
        except (KeyError, IndexError):
            return None
        try:
            return parse_date(str(raw), document.position(path))
        except RuleSyntaxError as error:
            self.errors.append(error)
            return None

    def _expr(self, document: Document, path: tuple) -> Expr | None:
        text = expression_text(document.sub(path))
        try:
            node = parse(text, lambda offset: document.position(path, offset))
        except RuleSyntaxError as error:
            self.errors.append(error)
            return None
        return Expr(text, node, document.position(path))

    def _citation(self, document: Document, spec: dict | None, default_document: str) -> Citation | None:
        if not spec:
            return None
        quotes = spec.get("quote") or ()
        if isinstance(quotes, str):
            quotes = (quotes,)
        return Citation(spec.get("document", default_document), spec["section"], tuple(quotes))

    def _rules(self, document: Document, section: str, default_document: str) -> list[Rule]:
        rules = []
        for rule_id, spec in document.data.get(section, {}).items():
            path = (section, rule_id)
            common = dict(label=spec["label"], pos=document.key_position(path), origin=document.file,
                          citation=self._citation(document, spec.get("source"), default_document))
            exprs = {}
            for slot in ("when", "value", "due", "met_by", "date", "test"):
                if slot in spec and not (section == "parameters" and slot == "value"):
                    expr = self._expr(document, path + (slot,))
                    if expr is not None:
                        exprs[slot] = expr
            if section == "parameters":
                rules.append(Rule(rule_id, section, editions=self._editions(document, path, spec),
                                  exprs=exprs, **common))
            elif section == "payments":
                rules.extend(self._payment_parts(document, path, spec, exprs, default_document))
            else:
                roll = spec.get("roll")
                rules.append(Rule(rule_id, section, exprs=exprs, roll=None if roll == "none" else roll,
                                  message=spec.get("message"), optional=spec.get("optional", False), **common))
        return rules

    def _editions(self, document: Document, path: tuple, spec: dict) -> tuple[Edition, ...]:
        value = spec["value"]
        valid_until = self._date(document, path + ("valid_until",)) if "valid_until" in spec else None
        if not isinstance(value, dict):
            expr = self._expr(document, path + ("value",))
            return (Edition(None, valid_until, expr),) if expr else ()
        dated = []
        for key in value:
            start = self._date_key(document, path + ("value", key), key)
            expr = self._expr(document, path + ("value", key))
            if start and expr:
                dated.append((start, expr))
        dated.sort(key=lambda item: item[0])
        editions = []
        for index, (start, expr) in enumerate(dated):
            end = dated[index + 1][0] - dt.timedelta(days=1) if index + 1 < len(dated) else valid_until
            editions.append(Edition(start, end, expr))
        return tuple(editions)

    def _date_key(self, document: Document, path: tuple, key: str) -> dt.date | None:
        try:
            return parse_date(key, document.key_position(path))
        except RuleSyntaxError as error:
            self.errors.append(error)
            return None

    def _payment_parts(self, document: Document, path: tuple, spec: dict, group_exprs: dict,
                       default_document: str) -> list[Rule]:
        base = self._expr(document, path + ("base",))
        parts = []
        for part_id, part in spec["parts"].items():
            part_path = path + ("parts", part_id)
            exprs = {key: value for key, value in group_exprs.items() if key == "when"}
            if base is not None:
                exprs["base"] = base
            for slot in ("share", "on"):
                if slot in part:
                    expr = self._expr(document, part_path + (slot,))
                    if expr is not None:
                        exprs[slot] = expr
            citation = self._citation(document, part.get("source") or spec.get("source"), default_document)
            parts.append(Rule(part_id, "payments", part["label"], document.key_position(part_path), document.file,
                              citation, exprs, group=path[-1], group_label=spec["label"]))
        return parts

    def _check_editions(self, products: dict[str, list[Product]]) -> None:
        far_past, far_future = dt.date.min, dt.date.max
        for code, editions in products.items():
            editions.sort(key=lambda p: p.valid_from or far_past)
            for earlier, later in zip(editions, editions[1:]):
                if (earlier.valid_until or far_future) >= (later.valid_from or far_past):
                    self.errors.append(SchemaError(
                        f"two editions of {code} are valid at the same time ({earlier.file} and {later.file})",
                        later.pos, hint="give the earlier edition a valid_until before the later one's valid_from"))

