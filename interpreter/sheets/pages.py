"""Page assembly: what one product sheet shows, collected from the loaded catalogue and the engine.

The rule sentences come from `sentences`, then quotes and citations, assumptions, tables and the
worked example computed by the engine. Nothing here names a product: every word about a product
comes from its card.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markupsafe

from .. import __version__
from .. import nodes as n
from .. import timeline  # an attribute lookup at use: timeline itself says its dates with words.date_text
from .. import types as t
from ..errors import CatalogueError, Position, raise_all
from ..evaluator import Evaluation
from ..model import Product, Rule
from ..printer import to_text
from ..values import Open
from .context import RenderError
from .sentences import check_product, expression, payment_group, rule_applies, rule_sentence
from .words import STATUS_WORDS, capitalize, date_text, enum_label, money_text, percent_text, validity_text, value_text

# The parts of a card, in the order a reader needs them (their headings are in templates/headings.j2).
SECTIONS = ("deadlines", "payments", "reports", "checks", "values", "parameters")


class SheetError(RenderError):
    """A product sheet that cannot be made (e.g. a worked example outside the card's edition)."""


# -- the data of a sheet ---------------------------------------------------------------------------

@dataclass
class Sheet:
    product: Product
    file: str
    context: dict[str, Any] = field(default_factory=dict)


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-{name}".replace("_", "-")


def _lines(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [" ".join(str(v).split()) for v in value]
    return [" ".join(str(value).split())]


class Builder:
    """Collects the sheet data of every product of one catalogue."""

    def __init__(self, engine, out_dir: Path | None = None):
        self.engine = engine
        self.catalogue = engine.catalogue
        self.vocabulary = self.catalogue.vocabulary
        self.out_dir = out_dir
        self.settings = self.catalogue.settings  # kept by the loader: the sheets read no YAML of their own
        self.family_titles = {name: " ".join(title.split()) for name, title in self.catalogue.family_titles.items()}

    def source_href(self, document: str) -> str | None:
        """A link from the sheet to the source document, when it can be found.

        `sources:` of catalogue.yaml is read relative to the catalogue folder, then to the folder
        that holds it (the checkout); $CATALOGUE_SOURCES comes first, as for the tests.
        """
        if not document:
            return None
        root = Path(self.catalogue.root)
        folders = [Path(os.environ["CATALOGUE_SOURCES"])] if os.environ.get("CATALOGUE_SOURCES") else []
        sources = self.settings.get("sources")
        if sources:
            folders += [root / str(sources), root.parent / str(sources)]
        path = next((folder / document for folder in folders if (folder / document).is_file()), None)
        if path is None:
            return None
        path = path.resolve()
        if self.out_dir is None:
            return path.as_uri()
        return Path(os.path.relpath(path, self.out_dir.resolve())).as_posix()

    def catalogue_context(self) -> dict[str, Any]:
        return {
            "title": " ".join(str(self.settings.get("catalogue") or "Productcatalogus").split()),
            "hash": self.catalogue.hash,
            "engine": __version__,
        }

    # -- files ----------------------------------------------------------------------------------

    def files(self) -> dict[tuple[str, int], str]:
        """The file stem of each edition: CODE for the latest, CODE-<valid from> for older ones."""
        stems = {}
        for code, editions in self.catalogue.products.items():
            for index, product in enumerate(editions):
                if index == len(editions) - 1:
                    stems[(code, index)] = code
                else:
                    since = product.valid_from.isoformat() if product.valid_from else f"editie-{index + 1}"
                    stems[(code, index)] = f"{code}-{since}"
        return stems

    # -- one product ----------------------------------------------------------------------------

    def sheet(self, product: Product, stem: str, others: list[dict]) -> dict[str, Any]:
        errors = check_product(product, self.vocabulary)
        if errors:
            raise_all(errors)
        rules = self.sections(product)
        return {
            "catalogue": self.catalogue_context(),
            "product": self.product_context(product),
            "file": stem,
            "other_editions": others,
            "description": self.description(product),
            "sections": rules,
            "tables": self.tables(product),
            "example": self.example(product),
            "assumptions": self.assumptions(product),
        }

    def product_context(self, product: Product) -> dict[str, Any]:
        citation = product.citation
        return {
            "code": product.code,
            "title": " ".join(product.title.split()),
            "family": product.family or "",
            "family_title": self.family_titles.get(product.family or "", product.family or ""),
            "edition": " ".join(product.edition.split()),
            # A card gives no dates when its source gives none (spoor 2): the sheet says so, not a made-up date.
            "validity": validity_text(product.valid_from, product.valid_until) or "niet vermeld in de bron",
            "valid_from": date_text(product.valid_from) if product.valid_from else "",
            "valid_until": date_text(product.valid_until) if product.valid_until else "",
            "source": self.citation(citation) if citation else None,
            "calendar": getattr(product.calendar, "title", "") or "",
            "decreed": decreed_days(product.calendar),
        }

    def citation(self, citation) -> dict[str, Any]:
        return {
            "document": citation.title,  # the loader's title (catalogue.yaml `documents:`); the file name in href
            "file": citation.document,
            "section": citation.section,
            "quotes": [" ".join(q.split()) for q in citation.quotes],
            "href": self.source_href(citation.document),
        }

    def description(self, product: Product) -> list[dict[str, Any]]:
        items = []
        for key, value in product.description.items():
            # The heading is the template's; `name` is what a key it does not know shows.
            items.append({"key": key, "name": capitalize(key.replace("_", " ")), "lines": _lines(value)})
        return items

    def assumption_links(self, product: Product, rule_ids: set[str]) -> list[dict[str, str]]:
        return [{"id": a.id, "anchor": _anchor("aanname", a.id)} for a in product.assumptions
                if rule_ids & set(a.applies_to)]

    def sections(self, product: Product) -> list[dict[str, Any]]:
        sections = []
        for section in SECTIONS:
            rules = product.in_section(section)
            if not rules:
                continue
            items = self.payment_items(product, rules) if section == "payments" else [
                self.rule_item(product, rule) for rule in rules]
            applicable = [item for item in items if item["applies"]]
            inapplicable = [item for item in items if not item["applies"]]
            sections.append({"id": _anchor("regels", section), "section": section,
                             "rules": applicable, "not_applicable": inapplicable})
        return sections

    def rule_item(self, product: Product, rule: Rule) -> dict[str, Any]:
        code = []
        for edition in rule.editions:
            span = validity_text(edition.valid_from, edition.valid_until)
            code.append(f"{to_text(edition.expr.node)}" + (f"   ({span})" if span else ""))
        for slot, expr in rule.exprs.items():
            code.append(f"{slot}: {to_text(expr.node)}")
        if rule.roll:
            code.append(f"roll: {rule.roll}")
        table = product.tables.get(rule.table) if rule.table else None
        return {
            "id": rule.id,
            "anchor": _anchor("regel", rule.id),
            "label": " ".join(rule.label.split()),
            "sentence": rule_sentence(rule, product, self.vocabulary),
            "applies": rule_applies(rule, product, self.vocabulary) is not False,
            "code": code,
            "message": " ".join(rule.message.split()) if rule.message else "",
            "origin": rule.origin,
            "overrides": " ".join(rule.override_reason.split()) if rule.override_reason else "",
            "citations": [] if table else self.rule_citations(product, rule),
            "assumptions": self.assumption_links(product, {rule.id}),
            "parts": [],
            # An output of a decision table: its sources stand once, with the table.
            "table": {"anchor": _anchor("tabel", table.id), "label": " ".join(table.label.split())} if table else None,
        }

    def rule_citations(self, product: Product, rule: Rule) -> list[dict[str, Any]]:
        """A rule's citation; when it quotes nothing itself (a family rule over a value each card sets, such
        as the price cap), the quoted sentences of this card's rules it refers to."""
        if rule.citation is None:
            return []
        citations = [self.citation(rule.citation)]
        if not rule.citation.quotes:
            for name in dict.fromkeys(node.name for expr in rule.exprs.values() for node in n.walk(expr.node)
                                      if isinstance(node, n.RuleRef)):
                other = product.rules.get(name)
                if other is not None and other.citation is not None and other.citation.quotes:
                    citations.append(self.citation(other.citation))
        return citations

    def payment_items(self, product: Product, rules: list[Rule]) -> list[dict[str, Any]]:
        items, seen = [], set()
        for rule in rules:
            group = rule.group or rule.id
            if group in seen:
                continue
            seen.add(group)
            if "schedule" in rule.exprs:  # instalments: one rule, said in one sentence, no parts
                items.append(self.rule_item(product, rule))
                continue
            parts = payment_group(rule, product)
            item = self.rule_item(product, rule)
            item["id"] = group
            item["anchor"] = _anchor("regel", group)
            item["label"] = " ".join((rule.group_label or rule.label).split())
            code = [f"base: {to_text(parts[0].exprs['base'].node)}"] if "base" in parts[0].exprs else []
            citations, keys = [], set()
            for part in parts:
                code.append(f"{part.id}: share {to_text(part.exprs['share'].node)}"
                            + (f", on {to_text(part.exprs['on'].node)}" if "on" in part.exprs else ""))
                if part.citation and (part.citation.section, part.citation.quotes) not in keys:
                    keys.add((part.citation.section, part.citation.quotes))
                    citations.append(self.citation(part.citation))
            item["code"] = code
            item["citations"] = citations
            item["assumptions"] = self.assumption_links(product, {group} | {p.id for p in parts})
            item["parts"] = [{
                "id": part.id, "anchor": _anchor("regel", part.id), "label": " ".join(part.label.split()),
                "share": expression(part.exprs["share"].node, self.vocabulary, product),
                "on": self.table_date(part.exprs["on"].node, product) if "on" in part.exprs else "",
            } for part in parts]
            items.append(item)
        return items

    def table_date(self, node: n.Node, product: Product) -> str:
        """A date in a table cell: a fact by its label (as in the worked example), else in words."""
        if isinstance(node, n.FactRef) and node.name in self.vocabulary.facts:
            return " ".join(self.vocabulary.facts[node.name].label.split())
        return expression(node, self.vocabulary, product)

    def assumptions(self, product: Product) -> list[dict[str, Any]]:
        items = []
        for assumption in product.assumptions:
            targets, groups_done = [], set()
            for target in assumption.applies_to:
                rule = product.rules.get(target)
                if rule is None:
                    continue
                label = " ".join(rule.label.split())
                group_anchor = _anchor("regel", rule.group) if rule.group else ""
                if rule.section == "payments":
                    # A part is named with its payment; all parts of a payment, by the payment alone.
                    parts = payment_group(rule, product)
                    group = rule.group or rule.id
                    group_label = " ".join((rule.group_label or rule.label).split())
                    if group in groups_done:
                        continue
                    if len(parts) == 1 or {p.id for p in parts} <= set(assumption.applies_to):
                        groups_done.add(group)
                        targets.append({"label": group_label, "anchor": _anchor("regel", group),
                                        "group_anchor": _anchor("regel", group)})
                        continue
                    label = f"{group_label}: {label}" if group_label != label else label
                targets.append({"label": label, "anchor": _anchor("regel", target), "group_anchor": group_anchor})
            items.append({"id": assumption.id, "anchor": _anchor("aanname", assumption.id),
                          "text": " ".join(assumption.text.split()), "applies_to": targets})
        return items

    # -- tables -----------------------------------------------------------------------------------

    def reference_day(self, product: Product) -> dt.date:
        """The day whose rules the sheet shows: that of its worked example, else the edition's first day."""
        facts = product.example_facts or {}
        day = product.example_rules_on or facts.get(product.reference_fact or "")
        if day is not None and product.valid_on(day):
            return day
        return product.valid_from or product.example_as_of or dt.date.today()

    def tables(self, product: Product) -> list[dict[str, Any]]:
        """The sheet's tables. A caption or column is {"label": text from the card} or {"key": a fixed
        heading}, said by templates/headings.j2."""
        tables = []
        prices = self.price_table(product)
        if prices:
            tables.append(prices)
        tables.extend(self.decision_tables(product))
        tables.extend(self.lookup_tables(product))
        sets = self.set_tables(product)
        tables.extend(sets.values())
        for rule, fact, enum in self.by_choice_rules(product):
            values = self.values_by_member(product, rule, fact, enum)
            if values is None:
                continue
            column = " ".join(rule.label.split())
            matching = [table for table in sets.values() if table["enum"] == enum.name]
            if len(matching) == 1:
                table = matching[0]
                table["columns"].append({"label": column})
                table["cell_classes"].append("")
                for row in table["rows"]:
                    row["cells"].append(values.get(row["member"], ""))
                table["notes"].append({"label": column, "anchor": _anchor("regel", rule.id)})
            else:
                rows = [{"member": m, "head": m, "cells": [enum_label(self.vocabulary, enum.name, m), values[m]]}
                        for m in enum.members]
                label = self.vocabulary.facts[fact].label
                tables.append({"id": _anchor("tabel", rule.id), "caption": {"label": column}, "enum": enum.name,
                               "columns": [{"key": "code"}, {"label": capitalize(label)}, {"label": column}],
                               "cell_classes": ["", ""],
                               "rows": rows,
                               "notes": [{"label": column, "anchor": _anchor("regel", rule.id)}]})
        return tables

    # -- decision tables and lookups, shown as the tables they are ---------------------------------

    def decision_tables(self, product: Product) -> list[dict[str, Any]]:
        """Each decision table as written: a column per input (its fact or rule label), one per output."""
        tables = []
        for table in product.tables.values():
            outputs = [rule for rule in product.rules.values() if rule.table == table.id]
            node = outputs[0].exprs["value"].node
            columns = [{"label": self.input_heading(product, name, value)}
                       for (name, _), value in zip(table.inputs, node.inputs)]
            columns += [{"label": " ".join(label.split())} for _, label in table.outputs]
            cells = {rule.id: rule.exprs["value"].node.cells for rule in outputs}
            rows = []
            for index, tests in enumerate(node.tests):
                said = [self.test_text(test) for test in tests]
                said += [expression(cells[name][index], self.vocabulary, product) for name, _ in table.outputs]
                rows.append({"member": str(index + 1), "head": said[0], "cells": said[1:]})
            tables.append({"id": _anchor("tabel", table.id), "caption": {"label": " ".join(table.label.split())},
                           "enum": "", "columns": columns, "cell_classes": [""] * (len(columns) - 1), "rows": rows,
                           "notes": [{"label": " ".join(rule.label.split()), "anchor": _anchor("regel", rule.id)}
                                     for rule in outputs],
                           "source": self.citation(table.citation) if table.citation else None})
        return tables

    def input_heading(self, product: Product, name: str, node: n.Node) -> str:
        """An input column's heading: the label of the fact or rule it reads, else its name on the card."""
        if isinstance(node, n.Coalesce):
            node = node.left
        if isinstance(node, n.FactRef):
            return capitalize(self.vocabulary.facts[node.name].label)
        if isinstance(node, n.RuleRef):
            return " ".join(product.rules[node.name].label.split())
        return name

    def test_text(self, test: n.Node | None) -> str:
        if test is None:
            return "elke"
        if isinstance(test, n.BoolLit):
            return "ja" if test.value else "nee"
        if isinstance(test, n.EnumLit):
            return enum_label(self.vocabulary, test.enum, test.member) or test.member
        enum = test.type.enum
        return " of ".join(enum_label(self.vocabulary, enum.name, m) or m for m in test.members)

    def lookup_tables(self, product: Product) -> list[dict[str, Any]]:
        """Each lookup: a row per choice, a column per field, and the rules that read it."""
        tables = []
        for lookup in product.lookups.values():
            readers = [rule for rule in product.rules.values()
                       if any(isinstance(node, n.Lookup) and node.lookup == lookup.id
                              for expr in rule.exprs.values() for node in n.walk(expr.node))]
            rows = [{"member": member, "head": member,
                     "cells": [value_text(value, type_, self.vocabulary) for value, (_, type_)
                               in zip(values, lookup.fields)]} for member, values in lookup.entries]
            tables.append({"id": _anchor("tabel", lookup.id), "caption": {"label": " ".join(lookup.label.split())},
                           "enum": lookup.key,
                           "columns": [{"key": "code"}] + [{"label": capitalize(label)} for label in lookup.field_labels],
                           "cell_classes": [""] * len(lookup.fields), "rows": rows,
                           "notes": [{"label": " ".join(rule.label.split()), "anchor": _anchor("regel", rule.id)}
                                     for rule in readers]})
        return tables

    def price_table(self, product: Product) -> dict[str, Any] | None:
        rows = []
        for rule in product.in_section("parameters"):
            if not rule.editions or rule.editions[0].expr.type != t.MONEY:
                continue
            for edition in rule.editions:
                rows.append({"member": rule.id, "head": " ".join(rule.label.split()), "cells": [
                    expression(edition.expr.node, self.vocabulary, product),
                    validity_text(edition.valid_from, edition.valid_until) or "altijd"]})
        if not rows:
            return None
        return {"id": "tabel-bedragen", "caption": {"key": "amounts"}, "enum": "",
                "columns": [{"key": "description"}, {"key": "amount"}, {"key": "validity"}],
                "cell_classes": ["amount", ""],
                "rows": rows, "notes": []}

    def set_tables(self, product: Product) -> dict[str, dict[str, Any]]:
        """A table of members for every parameter or value that is a fixed set of choices."""
        tables = {}
        run = Evaluation(product, {}, self.reference_day(product))
        for rule in product.rules.values():
            if rule.section not in ("parameters", "values"):
                continue
            type_ = rule.editions[0].expr.type if rule.section == "parameters" and rule.editions else (
                rule.exprs["value"].type if "value" in rule.exprs else None)
            if not isinstance(type_, t.SetType):
                continue
            try:
                value = run.rule_value(rule)
            except CatalogueError:
                continue
            if isinstance(value, Open):
                continue
            enum = type_.enum
            rows = [{"member": m, "head": m, "cells": [enum_label(self.vocabulary, enum.name, m) or m]}
                    for m in enum.members if m in value]
            tables[rule.id] = {"id": _anchor("tabel", rule.id), "caption": {"label": " ".join(rule.label.split())},
                               "enum": enum.name, "columns": [{"key": "code"}, {"key": "description"}],
                               "cell_classes": [""],
                               "rows": rows,
                               "notes": [{"label": " ".join(rule.label.split()),
                                          "anchor": _anchor("regel", rule.id)}]}
        return tables

    def facts_used(self, product: Product, rule: Rule, seen: set[str] | None = None) -> set[str] | None:
        """The facts a rule reads, through the rules it refers to; None if it reads the reference date."""
        seen = seen if seen is not None else set()
        if rule.id in seen:
            return set()
        seen.add(rule.id)
        names: set[str] = set()
        exprs = list(rule.exprs.values()) + [e.expr for e in rule.editions]
        if rule.section == "payments":
            exprs = [e for part in payment_group(rule, product) for e in part.exprs.values()]
        for expr in exprs:
            for node in n.walk(expr.node):
                if isinstance(node, n.AsOfRef):
                    return None
                if isinstance(node, n.FactRef):
                    names.add(node.name)
                elif isinstance(node, n.RuleRef) and node.name in product.rules:
                    inner = self.facts_used(product, product.rules[node.name], seen)
                    if inner is None:
                        return None
                    names |= inner
        return names

    def by_choice_rules(self, product: Product) -> list[tuple[Rule, str, t.EnumType]]:
        """Values that depend on exactly one choice fact (e.g. an order number per district)."""
        found = []
        for rule in product.rules.values():
            if rule.section not in ("values", "parameters"):
                continue
            if "value" in rule.exprs and isinstance(rule.exprs["value"].node, n.Lookup):
                continue  # the lookup's own table shows it already
            facts = self.facts_used(product, rule)
            if not facts or len(facts) != 1:
                continue
            fact = next(iter(facts))
            type_ = self.vocabulary.facts[fact].type if fact in self.vocabulary.facts else None
            if isinstance(type_, t.EnumType):
                found.append((rule, fact, type_))
        return found

    def values_by_member(self, product: Product, rule: Rule, fact: str, enum: t.EnumType) -> dict[str, str] | None:
        day = self.reference_day(product)
        values = {}
        for member in enum.members:
            run = Evaluation(product, {fact: member}, day)
            try:
                value = run.rule_value(rule)
            except CatalogueError:
                return None
            type_ = rule.editions[0].expr.type if rule.section == "parameters" else rule.exprs["value"].type
            values[member] = "n.v.t." if isinstance(value, Open) else value_text(value, type_, self.vocabulary)
        return values

    # -- the worked example -----------------------------------------------------------------------

    def example(self, product: Product) -> dict[str, Any] | None:
        if product.example_facts is None:
            return None
        facts = product.example_facts
        result = self.engine.evaluate(product.code, facts, as_of=product.example_as_of,
                                      rules_on=product.example_rules_on, typed=True)
        if result.edition != product.edition or not product.valid_on(result.rules_on):
            raise SheetError(
                f"the worked example of {product.code} follows the rules of {result.rules_on.isoformat()}, outside "
                f"the edition '{product.edition}'", product.pos or Position(product.file, 1, 1),
                hint="give the example a rules_on (or a reference fact such as registered_on) inside the "
                     "edition's validity")
        labels = self.vocabulary.fact_labels
        rules = product.rules

        def missing(names) -> str:
            return ", ".join(labels.get(name, name) for name in names)

        fact_rows = []
        for name, value in facts.items():
            fact = self.vocabulary.facts.get(name)
            fact_rows.append({"label": capitalize(fact.label) if fact else name,
                              "value": value_text(value, fact.type if fact else None, self.vocabulary)})
        deadlines = [{
            "label": d.label, "anchor": _anchor("regel", d.id),
            "date": date_text(d.date) if d.date else f"onbekend (nodig: {missing(d.missing)})" if d.missing
            else "onbekend",
            "status": STATUS_WORDS.get(d.status, d.status),
            "done_on": date_text(d.done_on) if d.done_on else "",
        } for d in result.deadlines]
        payments = []
        for p in result.payments:
            rule = rules.get(p.id)
            if p.instalments:  # a schedule: one row per instalment, each with its period
                payments.extend({
                    "group": "", "label": f"{p.label}, termijn {i.sequence} ({date_text(i.period_start)} – "
                                          f"{date_text(i.period_end)})",
                    "anchor": _anchor("regel", p.id), "share": "per periode",
                    "amount": money_text(i.amount) if i.amount is not None else (
                        f"onbekend (nodig: {missing(p.missing)})" if p.missing else "onbekend"),
                    "trigger": "einde van de periode", "date": date_text(i.date)} for i in p.instalments)
                payments.append({"group": "", "label": f"{p.label}, totaal", "anchor": _anchor("regel", p.id),
                                 "share": "", "amount": money_text(p.amount) if p.amount is not None else "onbekend",
                                 "trigger": "", "date": ""})
                continue
            group = " ".join((rule.group_label or "").split()) if rule else ""
            if rule is not None and (len(payment_group(rule, product)) == 1 or group == " ".join(p.label.split())):
                group = ""  # a payment of one part is named once ('Matchingsfee', not 'Matchingsfee: Matchingsfee')
            payments.append({
                "group": group,
                "label": p.label, "anchor": _anchor("regel", rule.group if rule and rule.group else p.id),
                "share": percent_text(p.share) if p.share is not None else "onbekend",
                "amount": money_text(p.amount) if p.amount is not None else (
                    f"onbekend (nodig: {missing(p.missing)})" if p.missing else "onbekend"),
                "trigger": p.trigger,
                "date": date_text(p.date) if p.date else "",
            })
        # In date order, as they fall; reports without a date last, in card order.
        ordered = sorted(enumerate(result.reports), key=lambda item: (item[1].date is None, item[1].date or dt.date.min,
                                                                      item[0]))
        reports = [{
            "label": r.label, "anchor": _anchor("regel", r.id), "sequence": r.sequence or "",
            "date": date_text(r.date) if r.date else f"onbekend (nodig: {missing(r.missing)})" if r.missing
            else "geen",
        } for _, r in ordered]
        checks = [{
            "label": c.label, "anchor": _anchor("regel", c.id),
            "outcome": {True: "voldaan", False: "niet voldaan", None: "onbekend"}[c.passed]
            + (f" (nodig: {missing(c.missing)})" if c.missing else ""),
            "passed": c.passed,
            "message": c.message if c.passed is False and c.message else "",
        } for c in result.checks]
        values = []
        for key, value in result.values.items():
            rule = rules.get(key)
            if rule is not None and rule.section == "parameters" and len(rule.editions) == 1 and not (
                    rule.editions[0].valid_from or rule.editions[0].valid_until):
                continue  # a fixed value: it stands in the rules above and does not depend on the case
            values.append({"label": rule.label if rule else key, "anchor": _anchor("regel", key),
                           "value": value_text(value, result.value_types.get(key), self.vocabulary)})
        not_applicable = [{"label": rules[key].label if key in rules else key,
                           "anchor": _anchor("regel", rules[key].group or key) if key in rules else ""}
                          for key in result.not_applicable]
        return {
            "as_of": date_text(result.as_of),
            "rules_on": date_text(result.rules_on),
            "edition": result.edition,
            "facts": fact_rows,
            "deadlines": deadlines,
            "payments": payments,
            "reports": reports,
            "checks": checks,
            "value_rows": values,
            "not_applicable": not_applicable,
            "missing": [labels.get(name, name) for name in result.missing],
            # The same result as a picture (inline in HTML, a file of its own beside a Markdown sheet).
            "timeline": markupsafe.Markup(timeline.timeline_of(self.engine, result, facts,
                                                      title=f"Tijdlijn van het rekenvoorbeeld van {product.code}")),
            "timeline_rows": timeline.table_rows(result, facts, labels),
        }

    # -- all products -----------------------------------------------------------------------------

    def build(self) -> list[Sheet]:
        stems = self.files()
        sheets, errors = [], []
        for code, editions in self.catalogue.products.items():
            for index, product in enumerate(editions):
                others = [{"edition": p.edition, "validity": validity_text(p.valid_from, p.valid_until),
                           "file": stems[(code, i)]} for i, p in enumerate(editions) if i != index]
                stem = stems[(code, index)]
                try:
                    context = self.sheet(product, stem, others)
                except CatalogueError as error:
                    errors.extend(getattr(error, "errors", [error]))
                    continue
                sheets.append(Sheet(product, stem, context))
        raise_all(errors)
        return sheets

    def index(self, sheets: list[Sheet]) -> dict[str, Any]:
        products = []
        for sheet in sheets:
            context = sheet.context["product"]
            products.append({**context, "file": sheet.file, "latest": sheet.file == sheet.product.code})
        return {"catalogue": self.catalogue_context(), "products": products}


def decreed_days(calendar) -> list[dict[str, str]]:
    """The days a decree equates with the holidays, grouped by their decree, for the sheet's header."""
    groups: dict[str, list[str]] = {}
    for rule in getattr(calendar, "decreed", ()):
        groups.setdefault(rule.decree, []).append(date_text(rule.on))
    return [{"decree": decree, "days": ", ".join(days)} for decree, days in groups.items()]
