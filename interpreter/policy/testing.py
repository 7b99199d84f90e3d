"""Run the YAML test cases that sit next to the product cards, and say what differs in words."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import schema as s
from ..api import Engine
from ..cases import convert_facts
from ..errors import CatalogueError, LookupProblem, Position, did_you_mean, raise_all
from ..parser import parse_date
from ..results import to_json
from ..yamlsource import Document, display_path, load_file


@dataclass
class CaseOutcome:
    file: str
    name: str
    position: Position
    source: str | None
    failures: list[str] = field(default_factory=list)
    product: str | None = None
    rules_on: dt.date | None = None  # the date whose rules the case was evaluated under

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class TestCase:
    product: str
    name: str
    source: str | None
    as_of: dt.date
    rules_on: dt.date | None
    facts: dict[str, Any]
    expect: dict[str, Any]
    document: Document
    path: tuple

    @property
    def position(self) -> Position:
        return self.document.position(self.path)


def discover(root: Path) -> list[Path]:
    return sorted((root / "products").rglob("*.tests.yaml"))


def select_test_files(catalogue, cards: tuple[str, ...] | list[str]) -> list[Path]:
    """The test files of the given product codes or card files; all of them when none are given."""
    files = discover(catalogue.root)
    if not cards:
        return files
    chosen = []
    for card in cards:
        if card in catalogue.products:
            cards_of_code = [Path(p.file) for p in catalogue.products[card]]
            stems = {path.name.removesuffix(".yaml") for path in cards_of_code}
            matches = [f for f in files if f.name.removesuffix(".tests.yaml") in stems]
            if not matches:
                first = cards_of_code[0]
                raise LookupProblem(f"{card} has no test cases yet", Position("<command line>", 1, 1),
                                    hint=f"write them in {first.with_name(first.stem + '.tests.yaml')}, "
                                         "beside the card")
        else:
            path = Path(card)
            name = path.name.removesuffix(".yaml").removesuffix(".tests")
            matches = [f for f in files if f.name.removesuffix(".tests.yaml") == name]
        if not matches:
            raise LookupProblem(f"'{card}' is neither a product code nor a card with test cases",
                                Position("<command line>", 1, 1),
                                hint=f"{did_you_mean(card, catalogue.products, cutoff=0.5)} ".lstrip()
                                + "give a product code (catalogue list) or a card file")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def load_tests(path: Path, engine: Engine) -> list[TestCase]:
    """Read one test file; its facts are checked against the vocabulary like any case."""
    document = load_file(path, display_path(path))
    problems = s.validate(document, s.TEST_FILE, "test")
    raise_all(problems)
    product = document.data["product"]
    if product not in engine.catalogue.products:
        raise LookupProblem(f"the test cases are for product '{product}', which the catalogue does not have",
                            document.position(("product",)),
                            hint=f"{did_you_mean(product, engine.catalogue.products, cutoff=0.5)} ".lstrip()
                            + "write the code of the card these cases belong to")
    cases = []
    for index, spec in enumerate(document.data["cases"]):
        path_ = ("cases", index)
        # Both dates are stated or follow from the facts: a test's outcome never depends on today.
        as_of = parse_date(str(spec["as_of"]), document.position(path_ + ("as_of",)))
        rules_on = None
        if "rules_on" in spec:
            rules_on = parse_date(str(spec["rules_on"]), document.position(path_ + ("rules_on",)))
        facts = convert_facts(spec["facts"], engine.catalogue.vocabulary, document, path_ + ("facts",))
        cases.append(TestCase(product, spec["name"], spec.get("source"), as_of, rules_on, facts, spec["expect"],
                              document, path_))
    return cases


def run_case(case: TestCase, engine: Engine) -> CaseOutcome:
    outcome = CaseOutcome(case.document.file, case.name, case.position, case.source, product=case.product)
    try:
        result = to_json(engine.evaluate(case.product, case.facts, as_of=case.as_of, rules_on=case.rules_on,
                                         typed=True))
        outcome.rules_on = dt.date.fromisoformat(result["rules_on"])
    except CatalogueError as error:
        outcome.failures.append(f"evaluation failed: {error.position}: {error.message}"
                                + (f" ({error.hint})" if error.hint else ""))
        return outcome
    for section, expected in case.expect.items():
        where = case.document.position(case.path + ("expect", section))
        if section in ("missing", "not_applicable"):
            _compare(outcome, where, section, sorted(str(x) for x in expected), sorted(result[section]))
            continue
        known = engine.catalogue.product(case.product, dt.date.fromisoformat(result["rules_on"])).rules
        for rule_id, want in expected.items():
            path = case.path + ("expect", section, rule_id)
            if section == "reports" and want == [] and rule_id in known \
                    and rule_id not in result["not_applicable"]:
                # A schedule that applies but has no date yet leaves no entry: that is the [] expected.
                found = [item["date"] for item in result["reports"] if item["id"] == rule_id]
                _compare(outcome, case.document.position(path), f"reports.{rule_id}", [], found)
                continue
            _expect(outcome, case.document, path, section, rule_id, want, result)
    return outcome


def _expect(outcome: CaseOutcome, document: Document, path: tuple, section: str, rule_id: str, want: Any,
            result: dict) -> None:
    where = document.position(path)
    if section == "values":
        if rule_id not in result["values"]:
            outcome.failures.append(f"{where}: values.{rule_id} is not in the result")
            return
        _compare(outcome, where, f"values.{rule_id}", _plain(want), _plain(result["values"][rule_id]["value"]))
        return
    items = [item for item in result[section] if item["id"] == rule_id]
    if not items:
        outcome.failures.append(f"{where}: {section}.{rule_id} is not in the result "
                                "(unknown name, or it does not apply to this case)")
        return
    if section == "reports":
        dates = [item["date"] for item in items]
        wanted = want if isinstance(want, list) else [want]
        _compare(outcome, where, f"reports.{rule_id}", [_plain(w) for w in wanted], dates)
        return
    item = items[0]
    main_key = {"deadlines": "date", "payments": "amount", "checks": "passed"}[section]
    fields = want if isinstance(want, dict) else {main_key: want}
    for key, value in fields.items():
        # Point at the expected value itself: {date: ..., status: ...} may hold several on one line.
        at = document.position(path + (key,)) if isinstance(want, dict) else where
        if key not in item:
            outcome.failures.append(f"{at}: {section}.{rule_id} has no '{key}'")
            continue
        if key == "instalments" and isinstance(value, list):
            _compare(outcome, at, f"{section}.{rule_id}.instalments", _plain(value),
                     _instalments_like(value, item[key]))
            continue
        _compare(outcome, at, f"{section}.{rule_id}.{key}", _plain(value), _plain(item[key]))


def _plain(value: Any) -> Any:
    """Expected and actual values in one comparable form (YAML gives Decimals and dates as text)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _instalments_like(expected: list, actual: list[dict] | None) -> Any:
    """A schedule's instalments with only the fields the test names ({date, amount, status})."""
    if actual is None:
        return None
    keys = [k for want in expected if isinstance(want, dict) for k in want]
    return [{k: _plain(entry.get(k)) for k in dict.fromkeys(keys)} for entry in actual]


def _compare(outcome: CaseOutcome, where: Position, what: str, expected: Any, actual: Any) -> None:
    if expected != actual:
        outcome.failures.append(f"{where}: {what}: expected {_words(expected)}, got {_words(actual)}")


def _words(value: Any) -> str:
    if value is None:
        return "unknown (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def run_all(engine: Engine, paths: list[Path]) -> list[CaseOutcome]:
    outcomes = []
    for path in paths:
        for case in load_tests(path, engine):
            outcomes.append(run_case(case, engine))
    return outcomes + untested_editions(engine, outcomes)


def untested_editions(engine: Engine, outcomes: list[CaseOutcome]) -> list[CaseOutcome]:
    """A failure for every edition of a tested product that no test case was evaluated under."""
    missing = []
    for code in dict.fromkeys(o.product for o in outcomes if o.product):
        days = [o.rules_on for o in outcomes if o.product == code and o.rules_on is not None]
        for product in engine.catalogue.products.get(code, []):
            if any(product.valid_on(day) for day in days):
                continue
            span = f"{product.valid_from or '…'} to {product.valid_until or '…'}"
            card = Path(product.file)
            missing.append(CaseOutcome(
                product.file, f"edition '{product.edition}' of {code} has no test cases",
                product.pos or Position(product.file, 1, 1), None,
                [f"{product.pos or product.file}: add test cases to {card.with_name(card.stem + '.tests.yaml')} "
                 f"whose rules date ({product.reference_fact or 'as_of'}, or a rules_on: line) lies in {span}, "
                 "with their expected values computed by hand"], product=code))
    return missing
