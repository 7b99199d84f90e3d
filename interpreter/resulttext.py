"""A result as Dutch text for a person at a terminal (`catalogue evaluate --format text`)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from .model import Product
from .results import Result
from .sheets.words import STATUS_WORDS, number_text, percent_text, value_text

CHECK_STATUS = {True: "voldaan", False: "NIET VOLDAAN", None: "open"}
INDICATION_NOT_MET = "let op"  # an indicative check ('circa') is never failed; its message is said
UNKNOWN = "onbekend"


def result_text(engine, result: Result, explain: bool = False) -> str:
    """The result of `engine` in Dutch: card labels for rules, the vocabulary's labels for facts."""
    editions = engine.catalogue.editions(result.product)
    product = next((p for p in editions if p.edition == result.edition), editions[-1])
    return to_text(result, product, engine.catalogue.vocabulary, explain)


def to_text(result: Result, product: Product, vocabulary, explain: bool = False) -> str:
    said = _Words(product, vocabulary)
    lines = [f"{result.product} — {result.title}",
             f"editie: {result.edition}; regels van {_date(result.rules_on)}; stand per {_date(result.as_of)}", ""]
    if result.deadlines:
        lines.append("Termijnen")
        width = max(len(STATUS_WORDS.get(d.status, d.status)) for d in result.deadlines)
        for d in result.deadlines:
            done = f", gedaan op {_date(d.done_on)}" if d.done_on else ""
            status = STATUS_WORDS.get(d.status, d.status)
            lines.append(f"  {_date(d.date):<10}  {status:<{width}}  {d.label}{done}{said.needs(d.missing)}")
    if result.payments:
        lines.append("Betalingen")
        for p in result.payments:
            share = percent_text(p.share) if p.share is not None else ("" if p.instalments is not None else "?")
            amount = number_text(p.amount, 2) if p.amount is not None else UNKNOWN
            lines.append(f"  {share:>5}  € {amount:>10}  {p.label}{said.on(p.label, p.trigger, p.date)}"
                         f"{said.needs(p.missing)}")
            for i in p.instalments or ():
                part = number_text(i.amount, 2) if i.amount is not None else UNKNOWN
                lines.append(f"         € {part:>10}    {_date(i.date)}  {STATUS_WORDS.get(i.status, i.status)}, "
                             f"periode {_date(i.period_start)} – {_date(i.period_end)}")
    if result.reports:
        lines.append("Rapportages")
        for r in result.reports:
            lines.append(f"  {_date(r.date):<10}  {r.label}{said.needs(r.missing)}")
    if result.checks:
        lines.append("Controles")
        marks = [INDICATION_NOT_MET if c.indicative and c.message else CHECK_STATUS[c.passed] for c in result.checks]
        width = max(map(len, marks))
        for c, mark in zip(result.checks, marks):
            shown = c.passed is False or (c.indicative and c.message)  # a failure, or an indication not met
            message = f": {c.message}" if shown and c.message != c.label else ""
            lines.append(f"  {mark:<{width}}  {c.label}{message}{said.needs(c.missing)}")
    if result.values:
        lines.append("Waarden")
        for key, value in result.values.items():
            about = "circa " if key in result.indicative else ""
            lines.append(f"  {said.rule(key)}: {about}{value_text(value, result.value_types.get(key), vocabulary)}")
    if result.not_applicable:
        lines.append("Niet van toepassing: " + "; ".join(said.rule(key) for key in result.not_applicable))
    if explain:
        lines += ["", "Uitleg (de regels zoals ze op de kaart staan)"]
        lines += _explanation(result, said)
    lines.append("")
    receipt = result.receipt
    lines.append(f"kenmerk: engine {receipt.get('engine', '?')}, catalogus {receipt.get('catalogue_hash', '?')[:16]}")
    return "\n".join(lines)


def _explanation(result: Result, said: "_Words") -> list[str]:
    # The expressions are the card's own rule language; only what surrounds them is Dutch.
    lines = []
    for entry in result.trace:
        if "note" in entry:
            lines.append(f"  {said.rule(entry['rule'])}: {entry['note']}")
            continue
        lines.append(f"  {said.rule(entry['rule'])} — {entry['rule']}.{entry['part']} = {_shown(entry['value'])}"
                     f"   [{entry['location']}]")
        lines.append(f"      {entry['expression']}")
        for step in entry["steps"]:
            if "note" in step:
                lines.append(f"      let op: {step['note']}")
            else:
                lines.append(f"      {step['expression']} = {_shown(step['value'])}")
        if entry.get("source", {}).get("quote"):
            src = entry["source"]
            lines.append(f"      bron {src['title']}, {src['section']}: “{src['quote']}”")
    return lines


class _Words:
    """The Dutch names of a product's rules and of the vocabulary's facts."""

    def __init__(self, product: Product, vocabulary):
        self.rules = {rule_id: rule.label for rule_id, rule in product.rules.items()}
        self.facts = {name: fact.label for name, fact in vocabulary.facts.items()}

    def rule(self, rule_id: str) -> str:
        return self.rules.get(rule_id, rule_id)

    def needs(self, missing) -> str:
        if not missing:
            return ""
        return " (nodig: " + ", ".join(self.facts.get(name, name) for name in missing) + ")"

    @staticmethod
    def on(label: str, trigger: str, day: dt.date | None) -> str:
        """', bij <trigger> (date)'; the trigger is left out when the label says it already."""
        said = f", bij {trigger}" if trigger and trigger.casefold() not in label.casefold() else ""
        return said + (f" ({_date(day)})" if day else "")


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else UNKNOWN


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
