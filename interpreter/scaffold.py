"""Write a new, valid card and its test file for policy staff to fill in."""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import yaml

from . import nodes as n
from .errors import LookupProblem, Position, SchemaError
from .yamlsource import load_file

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

description:
  summary: "TODO: what the product is for (quoted from the source)"

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
      missing: []
"""

CODE = re.compile(r"[A-Z0-9][A-Z0-9-]*")


def family_needs(catalogue, family: str) -> tuple[str, dict]:
    """Rules a family's rules refer to but leave to each card, as written on a sibling card.

    Returns the sibling's file name and a mapping ready to dump as the new card's `parameters`.
    """
    for editions in catalogue.products.values():
        sibling = editions[-1]
        if sibling.family != family:
            continue
        needed = {}
        for rule in sibling.rules.values():
            if rule.origin == sibling.file:
                continue
            nodes = [node for expr in rule.exprs.values() for node in n.walk(expr.node)]
            nodes += [node for edition in rule.editions for node in n.walk(edition.expr.node)]
            for node in nodes:
                if isinstance(node, n.RuleRef) and sibling.rules[node.name].origin == sibling.file:
                    needed[node.name] = sibling.rules[node.name]
        return Path(sibling.file).name, {name: _as_parameter(rule) for name, rule in needed.items()}
    return "", {}


def _as_parameter(rule) -> dict:
    out = {"label": f"TODO (copied from a sibling card, check it): {rule.label}"}
    if rule.editions:
        out["value"] = rule.editions[-1].expr.text
    if rule.citation:
        out["source"] = {"section": rule.citation.section}
        if rule.citation.quotes:
            out["source"]["quote"] = list(rule.citation.quotes) if len(rule.citation.quotes) > 1 \
                else rule.citation.quotes[0]
    return out


def new_card(root: Path, code: str, family: str, today: str, catalogue=None) -> list[Path]:
    """Create products/<folder>/<CODE>.yaml and its test file; nothing is written on any error."""
    if not CODE.fullmatch(code):
        raise LookupProblem(f"'{code}' is not a valid product code", Position("<command line>", 1, 1),
                            hint="use capital letters, digits and '-', e.g. LEON-6 or 12XR")
    families = {path.stem: path for path in (root / "families").glob("*.yaml")}
    if family not in families:
        close = difflib.get_close_matches(family, list(families), n=1)
        raise LookupProblem(f"unknown family '{family}'", Position("<command line>", 1, 1),
                            hint=(f"did you mean '{close[0]}'? " if close else "")
                            + "the families are: " + ", ".join(sorted(families)))
    if any(p.stem == code for p in (root / "products").rglob("*.yaml")):
        raise LookupProblem(f"a card for {code} already exists", Position("<command line>", 1, 1),
                            hint="for a new edition, copy the card and give it a later edition.valid_from")
    folder = _family_folder(root, family)
    card, tests = folder / f"{code}.yaml", folder / f"{code}.tests.yaml"
    schemas = Path(os.path.relpath(root / "schemas", folder)).as_posix()
    document = load_file(families[family]).data.get("source", {}).get("document", "TODO.txt")
    values = dict(code=code, family=family, document=document, today=today, schemas=schemas,
                  parameters="parameters: {}")
    if catalogue is not None:
        sibling, needed = family_needs(catalogue, family)
        if needed:
            body = yaml.safe_dump(needed, allow_unicode=True, sort_keys=False, width=100)
            values["parameters"] = (f"# The family's rules need these from every card; copied from {sibling}.\n"
                                    "parameters:\n" + "".join(f"  {line}\n" for line in body.splitlines()))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for path, template in ((card, CARD_TEMPLATE), (tests, TESTS_TEMPLATE)):
            temporary = path.with_suffix(".tmp")
            temporary.write_text(template.format(**values), encoding="utf-8")
            temporary.replace(path)
            written.append(path)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        raise SchemaError(f"cannot write the new card: {error.strerror}", Position(str(folder), 1, 1)) from None
    return written


def _family_folder(root: Path, family: str) -> Path:
    """Where the family's cards already live, else products/<family>/."""
    for card in sorted((root / "products").rglob("*.yaml")):
        if card.name.endswith(".tests.yaml"):
            continue
        try:
            if load_file(card).data.get("family") == family:
                return card.parent
        except Exception:  # noqa: BLE001 - a broken card is reported by validate, not here
            continue
    return root / "products" / family
