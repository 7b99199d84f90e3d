"""Write a new, valid card and its test file for policy staff to fill in."""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import yaml

from .. import nodes as n
from ..model import SECTIONS, family_chain
from ..errors import CatalogueError, LookupProblem, Position, SchemaError, did_you_mean
from ..files import write_whole
from ..results import to_json

CARD_TEMPLATE = """\
# yaml-language-server: $schema={schemas}/card.schema.json
# New card for {code}. Fill in every TODO, then run `catalogue validate` and `catalogue test {code}`.
# Each rule cites the section of the source it encodes and quotes the sentence verbatim;
# what the source leaves open goes under assumptions.
code: {code}
family: {family}
title: "TODO: the product's Dutch title"
source:
  document: {document}
  section: "TODO: the section of the source"
edition:
  name: "TODO: the name of the framework or agreement, e.g. Werkafspraken 2024–2028"
  valid_from: {today}

{description}
# Constants of the product: prices, caps, percentages, durations. Example:
#   max_price:
#     label: Richtlijn maximumprijs (excl. btw)
#     value: €5000
#     source: {{section: "…", quote: "…"}}
{parameters}

# Deadlines: due is the last allowed day; met_by the fact that shows it was met. Example:
#   plan_due:
#     label: Re-integratieplan ingediend
#     due: registered_on + 56 days
#     met_by: plan_submitted_on
#     source: {{section: "…", quote: "…"}}
deadlines: {{}}

# Payments: a split of a base amount; the shares add up to 100%. Example:
#   fee:
#     label: Prijs van het traject
#     base: price
#     parts:
#       effort: {{label: Inspanningsdeel, share: 60%, on: plan_approved_on}}
#       result: {{label: Resultaatdeel, share: 40%, on: work_resumed_on}}
payments: {{}}

# Reports: a date, or recurring dates. Example:
#   progress_report:
#     label: Voortgangsrapportage
#     date: every 3 months from started_on until ended_on
reports: {{}}

# Checks: a yes/no test and the message when it fails. Example:
#   price_within_guideline:
#     label: Prijs binnen de richtlijn
#     test: price <= max_price
#     message: De prijs ligt boven de richtlijn.
checks: {{}}

# Values computed for a case. Example:
#   social_return:
#     label: Social return
#     value: if annual_volume > €50000 then 5% else 0%
values: {{}}

assumptions: []
"""

TESTS_TEMPLATE = """\
# yaml-language-server: $schema={schemas}/tests.schema.json
# Test cases for {code}: compute every expected value by hand from the source and quote the sentence.
product: {code}
cases:
  - name: an empty case leaves every result open
    source: "TODO: the source sentence this case checks"
    as_of: {today}
    facts: {{}}
    expect:
      # Every fact an open result of this card needs{missing_note}.
      missing: [{missing}]
"""

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]*")


def _description(catalogue) -> str:
    """The card's description under the first heading the catalogue declares (none: no description)."""
    keys = catalogue.vocabulary.description_keys
    return f'description:\n  {keys[0]}: "TODO: what the product is for (quoted from the source)"\n' if keys else ""


def _chain_rule_ids(families: dict, family: str) -> tuple[set[str], set[str]] | None:
    """The family names of `family`'s chain (itself and what it extends) and the rule names they define."""
    names, ids = set(), set()
    for name, document in family_chain(family, families):
        if document is None or name in names:
            break
        names.add(name)
        data = document.data
        for section in SECTIONS:
            rules = data.get(section) or {}
            if not isinstance(rules, dict):
                continue
            ids.update(rules)
            if section == "payments":
                for spec in rules.values():
                    if isinstance(spec, dict) and isinstance(spec.get("parts"), dict):
                        ids.update(spec["parts"])
    return (names, ids) if names else None


def family_needs(catalogue, family: str) -> tuple[str, dict]:
    """Rules a family's rules refer to but leave to each card, as written on a sibling card.

    A sibling is a card of the family, or of a family that extends it (LEON-3 for the family leon,
    through leon-lang). Returns the sibling's file name and a mapping ready to dump as the new card's
    `parameters`.
    """
    chain = _chain_rule_ids(catalogue.families, family)
    if chain is None:
        return "", {}
    _, family_ids = chain
    siblings = [editions[-1] for editions in catalogue.products.values()]
    # Cards of the family itself first, then cards of families built on it.
    siblings.sort(key=lambda product: product.family != family)
    for sibling in siblings:
        sibling_chain = _chain_rule_ids(catalogue.families, sibling.family) if sibling.family else None
        if sibling_chain is None or family not in sibling_chain[0]:
            continue
        needed: dict = {}
        todo = [rule_id for rule_id in sibling.rules if rule_id in family_ids]
        seen = set(todo)
        while todo:
            rule = sibling.rules[todo.pop(0)]
            nodes = [node for expr in rule.all_exprs() for node in n.walk(expr.node)]
            for node in nodes:
                if isinstance(node, n.RuleRef) and node.name not in family_ids and node.name not in seen \
                        and node.name in sibling.rules:
                    seen.add(node.name)
                    needed[node.name] = sibling.rules[node.name]
                    todo.append(node.name)
        return Path(sibling.file).name, {name: _as_parameter(rule) for name, rule in needed.items()}
    return "", {}


def _as_parameter(rule) -> dict:
    out = {"label": f"TODO (copied from a sibling card, check it): {rule.label}"}
    if rule.editions:
        out["value"] = rule.editions[-1].expr.text
    elif rule.expr("value") is not None:
        out["value"] = rule.expr("value").text
    if rule.citation:
        out["source"] = {"section": rule.citation.section}
        if rule.citation.quotes:
            out["source"]["quote"] = list(rule.citation.quotes) if len(rule.citation.quotes) > 1 \
                else rule.citation.quotes[0]
    return out


def new_card(root: Path, code: str, family: str, today: str, catalogue) -> list[Path]:
    """Create products/<folder>/<CODE>.yaml and its test file; nothing is written on any error.

    `catalogue` is `root` loaded whole: its families and cards are read from it, never again from disk.
    """
    if not CODE.fullmatch(code):
        raise LookupProblem(f"'{code}' is not a valid product code", Position("<command line>", 1, 1),
                            hint="use capital letters, digits and '-', e.g. AB-6 or 12XY")
    families = catalogue.families
    if family not in families:
        raise LookupProblem(f"unknown family '{family}'", Position("<command line>", 1, 1),
                            hint=f"{did_you_mean(family, families)} the families are: ".lstrip()
                            + ", ".join(sorted(families)))
    if any(p.stem == code for p in (root / "products").rglob("*.yaml")) or code in catalogue.products:
        raise LookupProblem(f"a card for {code} already exists", Position("<command line>", 1, 1),
                            hint="for a new edition, copy the card and give it a later edition.valid_from")
    folder = _family_folder(root, family, catalogue)
    card, tests = folder / f"{code}.yaml", folder / f"{code}.tests.yaml"
    schemas = Path(os.path.relpath(root / "schemas", folder)).as_posix()
    document = families[family].data.get("source", {}).get("document", "TODO.txt")
    values = dict(code=code, family=family, document=document, today=today, schemas=schemas,
                  parameters="parameters: {}", description=_description(catalogue))
    sibling, needed = family_needs(catalogue, family)
    if needed:
        body = yaml.safe_dump(needed, allow_unicode=True, sort_keys=False, width=100)
        values["parameters"] = (f"# The family's rules need these from every card; copied from {sibling}.\n"
                                "parameters:\n" + "".join(f"  {line}\n" for line in body.splitlines()))
    created = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        write_whole(card, CARD_TEMPLATE.format(**values))
        written.append(card)
        # The new card must leave the catalogue valid; its empty case tells which facts the family's rules need.
        missing = _missing_of_empty_case(root, code, today)
        values["missing"] = ", ".join(missing)
        values["missing_note"] = " (the family's rules; check the list as you add rules)" if missing else ""
        write_whole(tests, TESTS_TEMPLATE.format(**values))
        written.append(tests)
    except (OSError, CatalogueError) as error:
        for path in written:
            path.unlink(missing_ok=True)
        for parent in created:  # innermost first: only folders this call made, and only when empty
            try:
                parent.rmdir()
            except OSError:
                break
        if isinstance(error, CatalogueError):
            raise
        raise SchemaError(f"cannot write the new card: {error.strerror}", Position(str(folder), 1, 1)) from None
    return written


def _missing_of_empty_case(root: Path, code: str, today: str) -> list[str]:
    """The facts an empty case of the new card lacks: the first test case then passes as written."""
    from ..api import Engine  # here, not at the top: the engine loads the catalogue, scaffolding does not need it

    engine = Engine(root)
    engine.catalogue.load_whole()  # a CatalogueError here says what the new card lacks; the caller removes it
    try:
        result = to_json(engine.evaluate(code, {}, as_of=dt.date.fromisoformat(today), typed=True))
    except (CatalogueError, ValueError):
        return []
    return sorted(result["missing"])


def _family_folder(root: Path, family: str, catalogue) -> Path:
    """Where the family's cards already live, else products/<family>/."""
    cards = sorted(Path(product.file).resolve() for editions in catalogue.products.values() for product in editions
                   if product.family == family)
    return cards[0].parent if cards else root / "products" / family
