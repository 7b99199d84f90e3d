"""Load a catalogue folder: vocabulary, calendars, families and cards, parsed and type-checked once."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema as s
from . import types as t
from .calendar import WEEKDAYS, Calendar, HolidayRule
from .cases import RULES_ON, convert_facts
from . import nodes as n
from .checker import AS_OF, BUILTIN_NAMES, SECTION_WORDS, check_rules, evaluation_order
from .errors import (CatalogueError, Position, RuleSyntaxError, SchemaError, TypeCheckError, aside, did_you_mean,
                     raise_all, raise_once)
from .limits import number_problem
from .model import (SECTIONS, Assumption, Base, Catalogue, Citation, DecisionTable, Edition, Expr, Fact, LookupTable,
                    Product, Rule, TableRow, Vocabulary, Words, family_chain, overlapping_editions)
from .values import Duration
from .parser import parse, parse_date
from .splits import check_splits
from .yamlsource import Document, card_paths, catalogue_hash, display_path, load_file


def _span(valid_from: dt.date | None, valid_until: dt.date | None) -> str:
    return f"{valid_from or '…'} to {valid_until or '…'}"


def expression_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Loader:
    """Reads a catalogue folder and builds the checked Catalogue, collecting all errors.

    In phases, so that interpreter.store can check and cache each card on its own: `load_base`
    (settings, vocabulary, calendars, families), `load_card` for each card, then `finish`
    (the checks across cards). `load` runs them all.
    """

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[CatalogueError] = []
        self.files: list[Path] = []
        self.refused_calendars: set[str] = set()  # named in an error already; cards using them are not blamed
        self._parsed_rules: dict[tuple, tuple[list[Rule], list[CatalogueError], Document]] = {}
        self.documents: dict[str, str] = {}  # the titles of the source documents, from the base

    def load(self) -> Catalogue:
        base = self.load_base()
        products: dict[str, list[Product]] = {}
        for path in self.card_paths():
            product = self.load_card(path, base)
            if product is not None:
                products.setdefault(product.code, []).append(product)
        return self.finish(base, products)

    def load_base(self) -> Base:
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
        documents = {str(name): " ".join(str(title).split())
                     for name, title in ((settings.data.get("documents") if settings else None) or {}).items()}
        return Base(vocabulary, calendars, families, default_calendar, frozenset(self.refused_calendars),
                    tuple(self.files), documents)

    def card_paths(self) -> list[Path]:
        return card_paths(self.root)

    def load_card(self, path: Path, base: Base) -> Product | None:
        """One card, checked against the base; its problems join `errors`."""
        if base.vocabulary is None:
            return None
        self.refused_calendars.update(base.refused_calendars)
        self.documents = base.documents
        return self._product(path, base.vocabulary, base.calendars, base.families, base.default_calendar)

    def finish(self, base: Base, products: dict[str, list[Product]], files: list[Path] | None = None,
               digest: str | None = None) -> Catalogue:
        """The checks across cards, every problem raised at once, else the Catalogue."""
        self._check_editions(products)
        self._refuse_yml()
        raise_once(self.errors)
        return Catalogue(self.root, base.vocabulary, base.calendars,
                         {code: products[code] for code in sorted(products)},
                         files if files is not None else self.files, digest or self._hash(), base.families)

    # -- files -------------------------------------------------------------------------------

    def _refuse_yml(self) -> None:
        """A '.yml' file would be skipped, and a card that is silently not there is worse than an error."""
        for path in sorted(self.root.rglob("*.yml")):
            self.errors.append(SchemaError(
                f"'{path.name}' ends in .yml; the catalogue reads only .yaml files", Position(display_path(path), 1, 1),
                hint=f"rename it to '{path.stem}.yaml'"))

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
        return catalogue_hash(self.root, {path: path.read_bytes() for path in set(self.files)})

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
                facts[name] = Fact(name, type_, spec["label"], spec.get("phrase"), spec.get("span_from"),
                                   minimum=self._minimum(document, name, spec, type_))
        self._check_spans(document, facts)
        return Vocabulary(enums, labels, facts, self._words())

    def _words(self) -> Words:
        """The nouns of words.yaml (optional) whose article or number the sheets cannot guess."""
        document = self._document("words.yaml", s.WORDS, "word list")
        if document is None:
            return Words()
        nouns = document.data.get("nouns") or {}
        return Words(**{key: frozenset(word.lower() for word in nouns.get(key) or ())
                        for key in ("het", "het_whole", "singular_en")})

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

    def _minimum(self, document: Document, name: str, spec: dict, type_: t.Type) -> Decimal | None:
        if "minimum" not in spec:
            return None
        where = document.position(("facts", name, "minimum"))
        if type_ not in (t.MONEY, t.NUMBER):
            self.errors.append(SchemaError(f"only a money or number fact can have a minimum, not '{name}'", where,
                                           hint="remove 'minimum'"))
            return None
        value = Decimal(spec["minimum"])
        problem = number_problem(value)
        if problem:
            self.errors.append(SchemaError(f"the minimum of '{name}' {problem}", where))
            return None
        return value

    def _calendars(self) -> dict[str, Calendar]:
        calendars = {}
        for path in sorted((self.root / "calendars").glob("*.yaml")):
            document = self._read(path)
            if document is None:
                continue
            problems = s.validate(document, s.CALENDAR, "calendar")
            if problems:
                self.errors.extend(problems)
                named = document.data.get("calendar") if isinstance(document.data, dict) else None
                if isinstance(named, str):
                    self.refused_calendars.add(named)  # its errors say what is wrong; not the cards using it
                continue
            rules = []
            for index, spec in enumerate(document.data["holidays"]):
                where = ("holidays", index)
                if "from_year" in spec and "until_year" in spec and spec["from_year"] > spec["until_year"]:
                    self.errors.append(SchemaError(
                        f"the holiday '{spec['name']}' ends (until_year {spec['until_year']}) before it starts "
                        f"(from_year {spec['from_year']})", document.position(where + ("until_year",))))
                    continue
                if "date" in spec:
                    month, day = (int(x) for x in spec["date"].split("-"))
                    try:
                        dt.date(2001, month, day)  # not a leap year: the date must exist in every year
                    except ValueError:
                        leap_day = (month, day) == (2, 29)
                        self.errors.append(SchemaError(
                            f"'{spec['date']}' is not a day of every year" if leap_day
                            else f"'{spec['date']}' is not a day of the year (MM-DD)",
                            document.position(where + ("date",)),
                            hint="29 February exists only in leap years; a holiday needs a date of every year"
                            if leap_day else "write the month, then the day: 12-25 for 25 December"))
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
            weekend = document.data["weekend"]
            repeated = sorted({day for day in weekend if weekend.count(day) > 1}, key=WEEKDAYS.index)
            if repeated:
                self.errors.append(SchemaError(f"the weekend names {', '.join(repeated)} more than once",
                                               document.position(("weekend",)), hint="name each day once"))
                self.refused_calendars.add(name)
                continue
            if len(set(weekend)) == len(WEEKDAYS):
                self.errors.append(SchemaError("a calendar needs at least one working day, but every day of the "
                                               "week is in its weekend", document.position(("weekend",)),
                                               hint="list only the days without work, e.g. [saturday, sunday]"))
                self.refused_calendars.add(name)
                continue
            calendars[name] = Calendar(name, document.data["title"],
                                       tuple(WEEKDAYS.index(d) for d in weekend),
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
        where, path = card, ("family",)
        for name, family in family_chain(card.data.get("family"), families):
            if family is None:
                self.errors.append(SchemaError(
                    f"unknown family '{name}'", where.position(path),
                    hint=f"{did_you_mean(name, families)} the families are: ".lstrip() + ", ".join(sorted(families))))
                return None
            if family in chain:
                self.errors.append(SchemaError(f"family '{name}' extends itself", family.position(("extends",))))
                return None
            chain.insert(0, family)
            where, path = family, ("extends",)
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
        tables: dict[str, DecisionTable] = {}
        lookups: dict[str, LookupTable] = {}
        assumptions: list[tuple[Assumption, Document, tuple]] = []
        calendar_name, calendar_at = default_calendar, card.position(("calendar",))
        for document in chain + [card]:
            source = document.data["source"]
            if "calendar" in document.data:
                calendar_name, calendar_at = document.data["calendar"], document.position(("calendar",))
            for section in SECTIONS:
                default_document = source.get("document", card_source.get("document", ""))
                # A family's rules are the same for each of its cards: parsed once per load.
                parse_rules = self._rules if document is card else self._parsed
                for rule in parse_rules(document, section, default_document):
                    self._add_rule(rules, rule)
            default_document = source.get("document", card_source.get("document", ""))
            self._tables_and_lookups(document, default_document, vocabulary, rules, tables, lookups)
            for index, item in enumerate(document.data.get("assumptions", [])):
                assumption = Assumption(item["id"], item["text"], tuple(item.get("applies_to", [])))
                assumptions.append((assumption, document, ("assumptions", index, "applies_to")))
        reference_fact = self._reference_fact(chain, vocabulary)
        calendar = calendars.get(calendar_name)
        if calendar is None and calendar_name not in self.refused_calendars:
            self.errors.append(SchemaError(f"unknown calendar '{calendar_name}'", calendar_at,
                                           hint="the calendars are: " + ", ".join(sorted(calendars))))
        for assumption, document, path in assumptions:
            for index, target in enumerate(assumption.applies_to):
                if target not in rules:
                    self.errors.append(SchemaError(
                        f"assumption '{assumption.id}' applies to unknown rule '{target}'"
                        + aside(did_you_mean(target, rules)), document.position(path + (index,)),
                        hint="list the names of rules of this card or its family under applies_to"))
        if len(self.errors) > before:
            return None
        builtins = {"product_code": card.data["code"], "edition_name": card.data["edition"]["name"]}
        checked, problems = check_rules(vocabulary.fact_types, vocabulary.enums, rules, tables=tables,
                                        lookups=lookups, builtins=builtins)
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
        dates_before = len(self.errors)
        valid_from = self._date(card, ("edition", "valid_from"))
        valid_until = self._date(card, ("edition", "valid_until"))
        if len(self.errors) > dates_before:
            return None  # one mistake, one message: no overlap of editions guessed from a date that is not one
        example_facts, example_as_of = self._example(card, vocabulary)
        product = Product(
            code=card.data["code"], title=card.data["title"], family=card.data.get("family"), file=card.file,
            citation=self._citation(card, card_source, ""),
            edition=edition["name"], valid_from=valid_from, valid_until=valid_until, calendar=calendar,
            rules=checked, assumptions=tuple(a for a, _, _ in assumptions),
            description=card.data.get("description", {}),
            pos=card.position(("edition", "valid_from")), example_facts=example_facts, example_as_of=example_as_of,
            example_rules_on=self._date(card, ("example", "rules_on")), reference_fact=reference_fact,
            tables=tables, lookups=lookups)
        self._check_example_edition(product, card)
        return product

    def _add_rule(self, rules: dict[str, Rule], rule: Rule) -> None:
        """Add a rule of a family or card; one with `overrides:` replaces the family rule of its id in place."""
        first = rules.get(rule.id)
        if first is None:
            if rule.override_reason is not None:
                family_rules = [r.id for r in rules.values() if r.section == rule.section]
                self.errors.append(SchemaError(
                    f"'{rule.id}' overrides nothing: its family has no {rule.section[:-1]} '{rule.id}'"
                    + aside(did_you_mean(rule.id, family_rules)), rule.pos,
                    hint="'overrides' replaces a family rule of the same name; check the name, or remove "
                         "'overrides' for a rule of this card's own"))
            else:
                rules[rule.id] = rule
            return
        if rule.override_reason is None or first.origin == rule.origin:
            self.errors.append(SchemaError(
                f"'{rule.id}' is defined twice (first at {first.pos})", rule.pos,
                hint="rule names must be unique across a card and its family; rename one"
                + ("" if first.origin == rule.origin else
                   f", or replace the family's rule with 'overrides: <the reason>' under {rule.id}")))
        elif first.section != rule.section:
            self.errors.append(SchemaError(
                f"'{rule.id}' overrides a rule of {first.section} ({first.pos}), but stands in {rule.section}",
                rule.pos, hint=f"an override replaces a rule of the same kind: move it under {first.section}"))
        else:
            rules[rule.id] = dataclasses.replace(rule, overridden=first.pos)

    def _check_example_edition(self, product: Product, card: Document) -> None:
        """A worked example must follow the rules of its own card: its rules_on inside the card's edition."""
        if product.example_facts is None:
            return
        day = product.example_rules_on or product.example_facts.get(product.reference_fact or "") \
            or product.example_as_of
        if day is None or product.valid_on(day):
            return
        where = "rules_on" if product.example_rules_on else (
            "facts" if product.example_facts.get(product.reference_fact or "") else "as_of")
        path = ("example", "facts", product.reference_fact) if where == "facts" else ("example", where)
        self.errors.append(SchemaError(
            f"the worked example follows the rules of {day.isoformat()}, outside this card's edition "
            f"'{product.edition}' ({_span(product.valid_from, product.valid_until)})", card.position(path),
            hint="give the example a date inside the edition: its "
                 + (product.reference_fact or "as_of") + " (or an example rules_on)"))

    def _reference_fact(self, chain: list[Document], vocabulary: Vocabulary) -> str | None:
        """The date fact whose rules apply to a case, as the nearest family that declares one says."""
        for family in reversed(chain):
            name = family.data.get("reference_fact")
            if name is None:
                continue
            fact = vocabulary.facts.get(name)
            if fact is None or fact.type != t.DATE:
                what = "not a fact" + aside(did_you_mean(name, vocabulary.facts)) if fact is None else "not a date fact"
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
        name = spec.get("document", default_document)
        return Citation(name, spec["section"], tuple(quotes), self.documents.get(name, ""))

    def _parsed(self, document: Document, section: str, default_document: str) -> list[Rule]:
        """The rules of one section, parsed once per load even when every card of a family needs them.

        The problems found the first time are reported again each time, so that a card built on a
        broken family rule is still refused (and `raise_once` keeps one message of each)."""
        key = (id(document), section, default_document)
        cached = self._parsed_rules.get(key)
        if cached is None or cached[2] is not document:
            before = len(self.errors)
            rules = self._rules(document, section, default_document)
            # The document is kept with its rules, so that its id cannot be reused while the entry lives.
            cached = self._parsed_rules[key] = (rules, self.errors[before:], document)
        else:
            self.errors.extend(cached[1])
        return cached[0]

    def _rules(self, document: Document, section: str, default_document: str) -> list[Rule]:
        rules = []
        for rule_id, spec in document.data.get(section, {}).items():
            path = (section, rule_id)
            common = dict(label=spec["label"], pos=document.key_position(path), origin=document.file,
                          citation=self._citation(document, spec.get("source"), default_document),
                          override_reason=" ".join(spec["overrides"].split()) if "overrides" in spec else None)
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
        if not self._payment_form(document, path, spec):
            return []
        if "schedule" in spec:
            return [self._scheduled_payment(document, path, spec, group_exprs, default_document)]
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

    def _payment_form(self, document: Document, path: tuple, spec: dict) -> bool:
        """A payment is either a split (base and parts) or a schedule (schedule and amount), complete."""
        split = [key for key in ("base", "parts") if key in spec]
        scheduled = [key for key in ("schedule", "amount") if key in spec]
        name = path[-1]
        if split and scheduled:
            self.errors.append(SchemaError(
                f"payment '{name}' has both {' and '.join(split)} (a split) and {' and '.join(scheduled)} "
                "(a schedule)", document.key_position(path + (scheduled[0],)),
                hint="a payment is either split in parts (base: and parts:) or paid in instalments "
                     "(schedule: every ... from ... until ... and amount: per period); make two payments"))
            return False
        wanted = ("base", "parts") if split or not scheduled else ("schedule", "amount")
        missing = [key for key in wanted if key not in spec]
        if missing:
            what = {"base": "the amount to split", "parts": "the parts with their shares",
                    "schedule": "every ... from ... until ...", "amount": "the amount of each period"}
            self.errors.append(SchemaError(
                f"payment '{name}' needs {' and '.join(f'{key}: ({what[key]})' for key in missing)}",
                document.key_position(path),
                hint="a payment is either split in parts (base: and parts:) or paid in instalments "
                     "(schedule: every ... from ... until ... and amount: per period)"))
            return False
        return True

    def _scheduled_payment(self, document: Document, path: tuple, spec: dict, group_exprs: dict,
                           default_document: str) -> Rule:
        """A payment in instalments: one rule whose value is the total of its instalments."""
        exprs = {key: value for key, value in group_exprs.items() if key == "when"}
        for slot in ("schedule", "amount"):
            expr = self._expr(document, path + (slot,))
            if expr is not None:
                exprs[slot] = expr
        return Rule(path[-1], "payments", spec["label"], document.key_position(path), document.file,
                    self._citation(document, spec.get("source"), default_document), exprs,
                    group=path[-1], group_label=spec["label"])

    def _check_editions(self, products: dict[str, list[Product]]) -> None:
        self.errors.extend(overlapping_editions(products))


    # -- decision tables and lookups -----------------------------------------------------------

    def _tables_and_lookups(self, document: Document, default_document: str, vocabulary: Vocabulary,
                            rules: dict[str, Rule], tables: dict[str, DecisionTable],
                            lookups: dict[str, LookupTable]) -> None:
        """The tables of one card or family (each output a value among `rules`) and its lookups."""
        for table_id, spec in document.data.get("tables", {}).items():
            if self._reserved(document, ("tables", table_id), table_id):
                continue
            parsed = self._table(document, table_id, spec, default_document)
            if parsed is None:
                continue
            table, outputs = parsed
            if table_id in tables or table_id in lookups:
                self._twice(table_id, tables.get(table_id) or lookups[table_id], table.pos)
                continue
            tables[table_id] = table
            for rule in outputs:
                self._add_rule(rules, rule)
        for lookup_id, spec in document.data.get("lookups", {}).items():
            if self._reserved(document, ("lookups", lookup_id), lookup_id):
                continue
            lookup = self._lookup(document, lookup_id, spec, vocabulary, default_document)
            if lookup is None:
                continue
            if lookup_id in tables or lookup_id in lookups:
                self._twice(lookup_id, tables.get(lookup_id) or lookups[lookup_id], lookup.pos)
                continue
            lookups[lookup_id] = lookup

    def _reserved(self, document: Document, path: tuple, name: str) -> bool:
        """A table or lookup may not take a name that already means something before a '.' or on its own."""
        if name not in BUILTIN_NAMES and name not in SECTION_WORDS and name != AS_OF:
            return False
        meaning = BUILTIN_NAMES.get(name) or ("the evaluation's date" if name == AS_OF else
                                              f"the part '{SECTION_WORDS[name]}' of a card")
        self.errors.append(SchemaError(
            f"'{name}' cannot name a {path[0][:-1]}: it already means {meaning}", document.key_position(path),
            hint="give it a name of its own, e.g. split, code_matrix or districts"))
        return True

    def _twice(self, name: str, first, pos: Position) -> None:
        self.errors.append(SchemaError(
            f"'{name}' is defined twice (first at {first.pos})", pos,
            hint="the names of rules, table outputs, tables and lookups must be unique across a card and its "
                 "family; rename one"))

    def _table(self, document: Document, table_id: str, spec: dict,
               default_document: str) -> tuple[DecisionTable, list[Rule]] | None:
        """A decision table as written, and one value rule per output column (an n.Decide expression)."""
        path = ("tables", table_id)
        before = len(self.errors)
        inputs = [(column, self._expr(document, path + ("inputs", column))) for column in spec["inputs"]]
        outputs = list(spec["outputs"].items())
        columns = [column for column, _ in inputs] + [column for column, _ in outputs]
        repeated = sorted(set(c for c in columns if columns.count(c) > 1))
        if repeated:
            self.errors.append(SchemaError(
                f"table '{table_id}' has an input and an output both named {', '.join(repeated)}",
                document.key_position(path + ("outputs", repeated[0])), hint="give every column its own name"))
        tests: list[tuple] = []
        cells: list[list] = [[] for _ in outputs]
        rows: list[TableRow] = []
        for index, row in enumerate(spec["rows"]):
            row_path = path + ("rows", index)
            if len(row) != len(columns):
                self.errors.append(SchemaError(
                    f"row {index + 1} of table '{table_id}' has {len(row)} cells, but the table has "
                    f"{len(columns)} columns ({', '.join(columns)})", document.position(row_path),
                    hint="write one cell per column: first the inputs, then the outputs, in the order they are "
                         "listed; '-' in an input column means any value"))
                continue
            row_tests = []
            for column, cell in enumerate(row[:len(inputs)]):
                if expression_text(cell).strip() == "-":
                    row_tests.append(None)
                else:
                    expr = self._expr(document, row_path + (column,))
                    row_tests.append(expr.node if expr else None)
            tests.append(tuple(row_tests))
            for k, cell in enumerate(row[len(inputs):]):
                expr = self._expr(document, row_path + (len(inputs) + k,))
                cells[k].append(expr.node if expr else None)
            rows.append(TableRow(document.position(row_path), tuple(expression_text(c) for c in row)))
        when = self._expr(document, path + ("when",)) if "when" in spec else None
        if len(self.errors) > before:
            return None
        citation = self._citation(document, spec.get("source"), default_document)
        table = DecisionTable(table_id, spec["label"], document.key_position(path), document.file,
                              tuple((column, expr) for column, expr in inputs), tuple(outputs), tuple(rows),
                              spec.get("hit", "unique"), citation)
        rules = []
        for k, (output, label) in enumerate(outputs):
            where = document.key_position(path + ("outputs", output))
            node = n.Decide(table_id, output, tuple(expr.node for _, expr in inputs), tuple(tests), tuple(cells[k]),
                            first=table.hit == "first", rows=tuple(row.pos for row in rows), pos=where)
            exprs = {"value": Expr(f"{table_id}.{output}", node, where)}
            if when is not None:
                exprs["when"] = when
            rules.append(Rule(output, "values", label, where, document.file, citation, exprs, table=table_id))
        return table, rules

    def _lookup(self, document: Document, lookup_id: str, spec: dict, vocabulary: Vocabulary,
                default_document: str) -> LookupTable | None:
        """A lookup with an entry for every member of its list of choices, each field of its type."""
        path = ("lookups", lookup_id)
        before = len(self.errors)
        enum = vocabulary.enums.get(spec["key"])
        if enum is None:
            self.errors.append(SchemaError(
                f"the key of lookup '{lookup_id}' names '{spec['key']}', which is not a list of choices"
                + aside(did_you_mean(spec["key"], vocabulary.enums)), document.position(path + ("key",)),
                hint="the lists of choices (enums in catalogue/facts.yaml) are: " + ", ".join(sorted(vocabulary.enums))))
            return None
        fields, labels = [], []
        for name, field_spec in spec["fields"].items():
            written = field_spec["type"]
            labels.append(field_spec["label"])
            type_ = t.parse_type(written, vocabulary.enums)
            if type_ is None or isinstance(type_, t.SetType):
                self.errors.append(SchemaError(
                    f"unknown type '{written}' for field '{name}' of lookup '{lookup_id}'",
                    document.position(path + ("fields", name, "type")),
                    hint="use one of: " + ", ".join(sorted(t.SIMPLE_TYPES) + sorted(vocabulary.enums))))
            else:
                fields.append((name, type_))
        entries = spec["entries"]
        missing = [member for member in enum.members if member not in entries]
        if missing:
            self.errors.append(SchemaError(
                f"lookup '{lookup_id}' has no entry for {', '.join(missing)}", document.key_position(path + ("entries",)),
                hint=f"a lookup needs an entry for every member of {enum.name}: {', '.join(enum.members)}"))
        for key in entries:
            if key not in enum.members:
                self.errors.append(SchemaError(
                    f"'{key}' in lookup '{lookup_id}' is not a {enum.name}" + aside(did_you_mean(key, enum.members)),
                    document.key_position(path + ("entries", key)),
                    hint=f"the members of {enum.name} are: {', '.join(enum.members)}"))
        if len(self.errors) > before:
            return None
        names = [name for name, _ in fields]
        rows = []
        for member in enum.members:
            entry_path = path + ("entries", member)
            entry = entries[member]
            for name in entry:
                if name not in names:
                    self.errors.append(SchemaError(
                        f"entry {member} of lookup '{lookup_id}' has a field '{name}' the lookup does not declare"
                        + aside(did_you_mean(name, names)), document.key_position(entry_path + (name,)),
                        hint="the fields of this lookup are: " + ", ".join(names)))
            values = []
            for name, type_ in fields:
                if name not in entry:
                    self.errors.append(SchemaError(
                        f"entry {member} of lookup '{lookup_id}' has no '{name}'", document.key_position(entry_path),
                        hint=f"give every entry a value for each field: {', '.join(names)}"))
                    continue
                values.append(self._lookup_value(document, entry_path + (name,), type_, vocabulary))
            rows.append((member, tuple(values)))
        if len(self.errors) > before:
            return None
        return LookupTable(lookup_id, spec["label"], document.key_position(path), document.file, enum.name,
                           tuple(fields), tuple(rows), self._citation(document, spec.get("source"), default_document),
                           tuple(labels))

    def _lookup_value(self, document: Document, path: tuple, type_: t.Type, vocabulary: Vocabulary) -> Any:
        """One fixed value of a lookup: a text as written, anything else a literal of the rule language."""
        raw = document.sub(path)
        if type_ == t.TEXT:
            return expression_text(raw)
        text = expression_text(raw)
        try:
            node = parse(text, lambda offset: document.position(path, offset))
        except RuleSyntaxError:
            node = None  # not a value at all: said below as not being of the field's type
        literal = {n.NumberLit: t.NUMBER, n.MoneyLit: t.MONEY, n.PercentLit: t.PERCENT, n.DateLit: t.DATE,
                   n.DurationLit: t.DURATION, n.BoolLit: t.BOOL}.get(type(node))
        if literal == type_:
            return Duration(node.amount, node.unit) if isinstance(node, n.DurationLit) else node.value
        if isinstance(type_, t.EnumType) and isinstance(node, n.Name) and node.qualifier is None \
                and node.name in type_.members:
            return node.name
        self.errors.append(TypeCheckError(
            f"'{text.strip()}' is not {t.describe(type_)}", document.position(path),
            hint="a lookup holds fixed values of the field's type, such as €5000, 60%, 2016-04-01, 2 weeks, "
                 "true or a member of the list of choices; no calculations or names of facts"))
        return None
