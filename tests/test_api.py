"""The Python API: load a catalogue once, evaluate many cases, typed results, plain-value facts."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import interpreter
import interpreter.checker
import interpreter.parser
import interpreter.catalogue
import interpreter.store
from interpreter import loader as catalogue_module
from interpreter.api import Engine
from interpreter.catalogue import load_catalogue
from interpreter.store import LazyCatalogue
from interpreter.errors import CaseError, CatalogueError, LookupProblem
from interpreter.results import Result, to_json
from cards import CASES, FIXTURE, FROZEN_FROM

REPO = Path(__file__).resolve().parent.parent

PLAIN_U_XR = {"registered_on": "2016-04-01", "phases": ["orientation", "mediation"],
              "price": 4000, "hard_to_place": False}
TYPED_U_XR = {"registered_on": dt.date(2016, 4, 1), "phases": frozenset({"orientation", "mediation"}),
              "price": Decimal("4000"), "hard_to_place": False}


def by_id(items, id_):
    matches = [item for item in items if item.id == id_]
    assert matches, f"no {id_} in {[item.id for item in items]}"
    return matches[0]


def walk(value):
    """Every leaf value inside a result: dataclasses, mappings and collections opened up."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from walk(getattr(value, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(key)
            yield from walk(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from walk(item)
    else:
        yield value


@pytest.fixture
def percent_engine(tmp_path) -> Engine:
    """The fixture catalogue plus a percent fact, to test "60%" as a case value."""
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    facts = root / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("  ")  # the facts block is the last one
    facts.write_text(text.rstrip("\n") + "\n  discount: {type: percent, label: korting}\n", encoding="utf-8")
    return Engine(root)


# -- loading -------------------------------------------------------------------------------------

def test_without_a_catalogue_named_the_engine_loads_the_bundled_one(monkeypatch):
    from interpreter import catalogue
    monkeypatch.delenv("CATALOGUE_DIR")
    assert Engine().catalogue.root == catalogue.BUNDLED


def test_engine_loads_the_catalogue_of_catalogue_dir_by_default():
    engine = Engine()  # conftest names the fixture in $CATALOGUE_DIR
    assert isinstance(engine.catalogue, LazyCatalogue)  # its cards are loaded when a product is asked for
    assert engine.catalogue.root == FIXTURE
    assert engine.catalogue.hash == load_catalogue(FIXTURE).hash
    assert {"U-XR", "LN-3", "T2-A"} <= set(engine.catalogue.codes())
    assert engine.receipt == {"engine": interpreter.__version__, "catalogue_hash": engine.catalogue.hash}
    assert re.fullmatch(r"[0-9a-f]{64}", engine.catalogue.hash)


def test_engine_accepts_a_path_a_string_or_a_loaded_catalogue():
    engine = Engine(FIXTURE)
    assert Engine(str(FIXTURE)).catalogue.hash == engine.catalogue.hash
    assert Engine(engine.catalogue).catalogue is engine.catalogue


def test_the_package_exports_engine():
    assert interpreter.Engine is Engine
    assert issubclass(interpreter.CatalogueError, Exception)


def test_a_missing_catalogue_folder_is_a_catalogue_error(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        Engine(tmp_path / "missing")
    assert "does not exist" in caught.value.message
    assert caught.value.position.file == str(tmp_path / "missing")


def test_load_once_then_evaluate_many_without_parsing_again(monkeypatch):
    engine = Engine()
    engine.evaluate("U-XR", PLAIN_U_XR)  # each product's cards are loaded (or read from the cache) on first use
    engine.evaluate("LN-3", {"registered_on": "2024-03-04"})

    def forbidden(*args, **kwargs):
        raise AssertionError("the catalogue was parsed or checked again during an evaluation")

    for name in ("parse", "check_rules", "load_file"):
        monkeypatch.setattr(catalogue_module, name, forbidden)
    monkeypatch.setattr(interpreter.catalogue, "load_catalogue", forbidden)
    monkeypatch.setattr(interpreter.store, "load_whole", forbidden)
    monkeypatch.setattr(interpreter.store, "_check_cards", forbidden)
    monkeypatch.setattr(interpreter.parser, "parse", forbidden)
    monkeypatch.setattr(interpreter.checker, "check_rules", forbidden)

    start = dt.date(2016, 4, 1)
    for offset in range(60):
        registered = start + dt.timedelta(days=offset)
        result = engine.evaluate("U-XR", {**PLAIN_U_XR, "registered_on": registered.isoformat(),
                                          "price": 1000 + offset})
        assert by_id(result.deadlines, "plan_due").date == registered + dt.timedelta(days=56)
        assert by_id(result.payments, "effort").amount == (Decimal(1000 + offset) * Decimal("0.6")).quantize(
            Decimal("0.01"))
    leon = engine.evaluate("LN-3", {"registered_on": "2024-03-04"})
    assert by_id(leon.deadlines, "intake_due").date == dt.date(2024, 3, 18)


def test_results_of_one_case_do_not_leak_into_the_next(engine):
    first = engine.evaluate("U-XR", PLAIN_U_XR)
    second = engine.evaluate("U-XR", {"registered_on": "2016-04-01"})
    third = engine.evaluate("U-XR", PLAIN_U_XR)
    assert by_id(second.payments, "effort").amount is None
    assert to_json(first) == to_json(third)


# -- typed results -------------------------------------------------------------------------------

def test_results_are_typed(engine):
    result = engine.evaluate("U-XR", PLAIN_U_XR, as_of=dt.date(2016, 4, 1), explain=True)
    assert isinstance(result, Result)
    assert result.as_of == dt.date(2016, 4, 1) and result.rules_on == dt.date(2016, 4, 1)
    plan = by_id(result.deadlines, "plan_due")
    assert type(plan.date) is dt.date and plan.date == dt.date(2016, 5, 27)
    assert plan.status == "open" and plan.missing == ()
    effort = by_id(result.payments, "effort")
    assert isinstance(effort.amount, Decimal) and effort.amount == Decimal("2400.00")
    assert str(effort.amount) == "2400.00"  # cents, exactly
    assert isinstance(effort.share, Decimal) and effort.share == Decimal("60")
    assert isinstance(result.values["max_price"], Decimal) and result.values["max_price"] == Decimal("5000")
    assert by_id(result.checks, "price_within_guideline").passed is True
    assert result.receipt == engine.receipt


@pytest.mark.parametrize("code, facts", [
    ("U-XR", PLAIN_U_XR),
    ("U-XR", {**PLAIN_U_XR, "price": "4000.005", "hard_to_place": True, "plan_approved_on": "2016-05-01"}),
    ("LN-3", {"registered_on": "2024-03-04", "started_on": "2024-04-02", "planned_end_on": "2024-09-30",
                "price": "€6000.01", "annual_volume": 80000, "plan_approved_on": "2024-03-25"}),
    ("T2-A", {"started_on": "2025-04-15"}),
])
def test_never_a_float_anywhere_in_a_result(engine, code, facts):
    result = engine.evaluate(code, facts, explain=True)
    for leaf in walk(result):
        assert not isinstance(leaf, float), leaf
    for leaf in walk(to_json(result, explain=True)):
        assert not isinstance(leaf, float), leaf


def test_a_split_adds_up_to_the_base_exactly(engine):
    facts = {"registered_on": "2024-03-04", "price": "1000.01", "plan_approved_on": "2024-03-25"}
    result = engine.evaluate("LN-3", facts)
    amounts = [payment.amount for payment in result.payments]
    assert amounts == [Decimal("500.01"), Decimal("500.00")]  # half up, the remainder to the last part
    assert sum(amounts) == Decimal("1000.01")
    approval = by_id(result.payments, "on_plan_approval")
    assert approval.date == dt.date(2024, 3, 25)


def test_open_results_name_the_missing_facts(engine):
    result = engine.evaluate("U-XR", {"registered_on": "2016-04-01"})
    effort = by_id(result.payments, "effort")
    assert effort.amount is None and effort.share is None
    assert "price" in effort.missing and "hard_to_place" in effort.missing
    work = by_id(result.deadlines, "work_resumed_due")
    assert (work.date, work.status) == (None, "unknown")
    assert "phases" in work.missing
    assert {"price", "phases", "hard_to_place"} <= set(result.missing)


def test_explain_fills_the_trace_only_when_asked(engine):
    assert engine.evaluate("U-XR", PLAIN_U_XR).trace == []
    trace = engine.evaluate("U-XR", PLAIN_U_XR, explain=True).trace
    entry = next(e for e in trace if e.get("rule") == "plan_due" and e.get("part") == "due")
    assert entry["expression"] == "registered_on + 56 days"
    assert entry["value"] == "2016-05-27"
    assert re.search(r"U-XR\.yaml:\d+:\d+$", entry["location"])
    assert "56 kalenderdagen" in entry["source"]["quote"]


def test_month_arithmetic_clamps_and_the_trace_says_so(engine):
    facts = {"registered_on": "2024-01-02", "planned_end_on": "2024-03-31"}
    result = engine.evaluate("LN-3", facts, explain=True)
    assert by_id(result.deadlines, "extension_request_due").date == dt.date(2024, 2, 29)
    entry = next(e for e in result.trace if e.get("rule") == "extension_request_due" and "steps" in e)
    assert any("clamp" in step.get("note", "") for step in entry["steps"])


# -- plain-value facts ---------------------------------------------------------------------------

def test_plain_values_are_converted(engine):
    facts = engine.facts({
        "registered_on": "2016-04-01",
        "price": 4000,
        "estimated_value": "150000.00",
        "annual_volume": "€4000",
        "phases": ["orientation", "mediation"],
        "hard_to_place": False,
        "benefit": "WGA",
        "district": "D03",
        "ended_on": None,  # written but empty: not known yet
    })
    assert facts == {
        "registered_on": dt.date(2016, 4, 1),
        "price": Decimal("4000"),
        "estimated_value": Decimal("150000.00"),
        "annual_volume": Decimal("4000"),
        "phases": frozenset({"orientation", "mediation"}),
        "hard_to_place": False,
        "benefit": "WGA",
        "district": "D03",
    }
    assert type(facts["registered_on"]) is dt.date
    assert all(type(facts[name]) is Decimal for name in ("price", "estimated_value", "annual_volume"))


@pytest.mark.parametrize("raw", [4000, "4000", "4000.00", "€4000", "€ 4000", "€4000.00", Decimal("4000")])
def test_money_in_every_accepted_spelling(engine, raw):
    assert engine.facts({"price": raw}) == {"price": Decimal("4000")}
    result = engine.evaluate("U-XR", {**PLAIN_U_XR, "price": raw})
    assert by_id(result.payments, "effort").amount == Decimal("2400.00")


def test_percent_facts(percent_engine):
    assert percent_engine.facts({"discount": "60%"}) == {"discount": Decimal("60")}
    assert percent_engine.facts({"discount": "12.5 %"}) == {"discount": Decimal("12.5")}
    with pytest.raises(CaseError) as caught:
        percent_engine.facts({"discount": "60"})
    assert "'discount' must be" in caught.value.message
    assert "%" in caught.value.hint


def test_plain_and_typed_facts_give_the_same_result(engine):
    plain = engine.evaluate("U-XR", PLAIN_U_XR)
    typed = engine.evaluate("U-XR", TYPED_U_XR, typed=True)
    assert to_json(plain) == to_json(typed)
    assert engine.facts(PLAIN_U_XR) == TYPED_U_XR


def test_typed_facts_are_used_as_given(engine):
    result = engine.evaluate("U-XR", {**TYPED_U_XR, "price": Decimal("4000.50")}, typed=True)
    assert by_id(result.payments, "effort").amount == Decimal("2400.30")
    assert by_id(result.payments, "result").amount == Decimal("1600.20")


def test_date_objects_are_accepted_as_plain_values(engine):
    # An application naturally holds dates as datetime.date; Decimal is accepted for money likewise.
    facts = engine.facts({"registered_on": dt.date(2016, 4, 1), "price": Decimal("4000")})
    assert facts == {"registered_on": dt.date(2016, 4, 1), "price": Decimal("4000")}


def test_read_case_from_a_file(engine):
    facts = engine.read_case(CASES / "u-xr-case.yaml")
    assert facts["registered_on"] == dt.date(2016, 4, 1)
    assert facts["price"] == Decimal("4000")
    assert facts["phases"] == frozenset({"orientation", "mediation"})
    assert engine.read_case("-", "registered_on: 2016-04-01\n") == {"registered_on": dt.date(2016, 4, 1)}


# -- the two dates: rules_on and as_of -----------------------------------------------------------

def test_the_two_dates_and_their_defaults(engine):
    registered = {"registered_on": dt.date(2016, 4, 1)}
    today = dt.date.today()
    # as_of: as given, else today; rules_on: as given, else the family's reference fact, else as_of
    assert engine.dates("U-XR", registered, dt.date(2016, 6, 1)) == (dt.date(2016, 6, 1), dt.date(2016, 4, 1))
    assert engine.dates("U-XR", registered) == (today, dt.date(2016, 4, 1))
    assert engine.dates("U-XR", {}) == (today, today)
    assert engine.dates("U-XR", {}, dt.date(2020, 1, 1)) == (dt.date(2020, 1, 1), dt.date(2020, 1, 1))
    assert engine.dates("U-XR", registered, None, dt.date(2016, 5, 1)) == (today, dt.date(2016, 5, 1))
    # the case's own rules_on (not a fact) comes before the reference fact
    assert engine.dates("U-XR", {**registered, "rules_on": dt.date(2016, 5, 2)}) == (today, dt.date(2016, 5, 2))


def test_as_of_judges_the_statuses_and_defaults_to_today(engine):
    facts = {"registered_on": "2016-04-01"}
    # 000 §5.2: the plan is due 8 weeks after registration: 2016-04-01 + 56 days = 2016-05-27
    result = engine.evaluate("U-XR", facts)
    assert result.as_of == dt.date.today() and result.rules_on == dt.date(2016, 4, 1)
    assert by_id(result.deadlines, "plan_due").status == "overdue"  # every day since 2016-05-28
    early = engine.evaluate("U-XR", facts, as_of=dt.date(2016, 4, 1))
    assert by_id(early.deadlines, "plan_due").status == "open"
    late = engine.evaluate("U-XR", facts, as_of=dt.date(2016, 6, 1))
    assert late.as_of == dt.date(2016, 6, 1) and late.rules_on == dt.date(2016, 4, 1)
    assert by_id(late.deadlines, "plan_due").status == "overdue"
    met = engine.evaluate("U-XR", {**facts, "plan_submitted_on": "2016-05-27"}, as_of=dt.date(2016, 6, 1))
    assert by_id(met.deadlines, "plan_due").status == "met"


def test_without_the_reference_fact_both_dates_are_as_of(engine):
    result = engine.evaluate("T2-A", {"signalled_on": "2025-04-15"}, as_of=dt.date(2025, 5, 1))
    assert result.as_of == result.rules_on == dt.date(2025, 5, 1)
    assert engine.evaluate("T2-A", {"signalled_on": "2025-04-15"}).as_of == dt.date.today()


def test_rules_on_picks_the_edition_and_a_case_keeps_it(engine):
    with pytest.raises(LookupProblem) as caught:
        engine.evaluate("LN-3", {"registered_on": "2030-01-01"}, as_of=dt.date(2028, 12, 31))
    assert "no edition of LN-3 is valid on 2030-01-01" in caught.value.message
    result = engine.evaluate("LN-3", {"registered_on": "2030-01-01"}, rules_on=dt.date(2028, 12, 31))
    assert result.rules_on == dt.date(2028, 12, 31) and result.as_of == dt.date.today()
    with pytest.raises(LookupProblem):
        engine.evaluate("U-XR", {"registered_on": "2016-03-31"})  # the edition starts 2016-04-01
    # asked long after the edition ended, a case registered inside it keeps its rules
    old = engine.evaluate("LN-3", {"registered_on": "2028-06-01"}, as_of=dt.date(2029, 1, 20))
    assert old.rules_on == dt.date(2028, 6, 1) and old.edition == engine.product("LN-3").edition
    assert engine.product("U-XR").code == "U-XR"


# -- errors ---------------------------------------------------------------------------------------

def test_unknown_product(engine):
    with pytest.raises(LookupProblem) as caught:
        engine.evaluate("U-XT", PLAIN_U_XR)
    assert caught.value.message == "unknown product 'U-XT'"
    assert caught.value.hint == "did you mean 'U-XR'?"
    assert isinstance(caught.value, CatalogueError)


@pytest.mark.parametrize("facts, message", [
    ({"registerd_on": "2016-04-01"}, "unknown fact 'registerd_on' (did you mean 'registered_on'?)"),
    ({"registered_on": "2016-13-01"}, "'registered_on': '2016-13-01' is not a date: there is no month 13"),
    ({"registered_on": "2016-02-31"}, "'registered_on': '2016-02-31' is not a date: February 2016 has 29 days"),
    ({"price": "abc"}, "'price' must be an amount of money, not 'abc'"),
    ({"price": True}, "'price' must be an amount of money, not 'True'"),
    ({"phases": "WGA"}, "'phases' must be a set of phase, not 'WGA'"),
    ({"phases": ["orientation", "mediaton"]}, "'mediaton' is not a valid phase for 'phases' (did you mean 'mediation'?)"),
    ({"hard_to_place": "maybe"}, "'hard_to_place' must be a yes/no value, not 'maybe'"),
    ({"benefit": "XYZ"}, "'XYZ' is not a valid benefit for 'benefit'"),
])
def test_bad_facts_raise_case_error(engine, facts, message):
    with pytest.raises(CaseError) as caught:
        engine.evaluate("U-XR", {"registered_on": "2016-04-01", **facts})
    assert caught.value.message == message
    assert isinstance(caught.value, CatalogueError)
    with pytest.raises(CaseError):
        engine.facts(facts)


def test_case_errors_from_a_file_carry_its_position(engine, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("registered_on: 2016-04-01\nhard_to_place: maybe\n", encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        engine.read_case(case)
    assert (caught.value.position.file, caught.value.position.line, caught.value.position.column) == \
        (str(case), 2, 16)


# -- the README ----------------------------------------------------------------------------------

def test_readme_python_example_runs():
    readme = REPO / "README.md"
    blocks = re.findall(r"^```python\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M)
    assert blocks, "README.md has no ```python block"
    for block in blocks:
        # Engine() reads the fixture ($CATALOGUE_DIR): the example runs on the frozen copy of its card,
        # under the fixture's code for it, so a policy edit to catalogue/ leaves it green.
        on_fixture = re.sub(r'evaluate\("([A-Z0-9][A-Z0-9-]*)"',
                            lambda match: f'evaluate("{FROZEN_FROM[match.group(1)]}"', block)
        exec(compile(on_fixture, str(readme), "exec"), {"__name__": "readme_example"})


# -- the two dates on a small catalogue: a family declares the reference fact ----------------------

DATED_FAMILY = """\
family: dated
title: A family whose cases keep the rules of their registration
reference_fact: registered_on
source: {document: test.txt, section: "1"}
"""
CHILD_FAMILY = """\
family: dated-child
extends: dated
title: A family that inherits the reference fact
source: {document: test.txt, section: "1"}
"""
DATED_CARD = """\
code: T-1
title: Test card
family: {family}
source: {{document: test.txt, section: "1"}}
edition: {{name: only, valid_from: 2016-01-01, valid_until: 2016-12-31}}
parameters:
  threshold:
    label: threshold
    value: {{2016-01-01: €100, 2016-07-01: €200}}
deadlines:
  plan_due: {{label: plan, due: registered_on + 10 days, met_by: plan_submitted_on}}
values:
  judged_on: {{label: judged on, value: as_of}}
"""


def dated_engine(tmp_path: Path, family: str = "dated") -> Engine:
    from cards import catalogue_with
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": DATED_CARD.format(family=family)},
                          {"dated.yaml": DATED_FAMILY, "dated-child.yaml": CHILD_FAMILY})
    return Engine(root)


@pytest.mark.parametrize("backend", ["compiled", "reference"])
@pytest.mark.parametrize("family", ["dated", "dated-child"])
def test_the_familys_reference_fact_picks_the_rules_and_as_of_the_status(tmp_path, backend, family):
    engine = dated_engine(tmp_path, family)
    assert engine.product("T-1").reference_fact == "registered_on"
    # Registered 2016-03-01: the threshold of 2016-01-01 (€100) applies for the case's whole life, and
    # plan_due = 2016-03-01 + 10 days = 2016-03-11, overdue when judged on 2016-08-01.
    result = engine.evaluate("T-1", {"registered_on": "2016-03-01"}, as_of=dt.date(2016, 8, 1), backend=backend)
    assert (result.rules_on, result.as_of) == (dt.date(2016, 3, 1), dt.date(2016, 8, 1))
    assert result.values["threshold"] == Decimal("100")
    assert result.values["judged_on"] == dt.date(2016, 8, 1)  # the rule language's as_of: the judging day
    assert by_id(result.deadlines, "plan_due").status == "overdue"
    # The same case under the rules of 2016-07-01 (--rules-on): the later value, the same status.
    later = engine.evaluate("T-1", {"registered_on": "2016-03-01"}, as_of=dt.date(2016, 8, 1),
                            rules_on=dt.date(2016, 7, 1), backend=backend)
    assert later.values["threshold"] == Decimal("200") and later.rules_on == dt.date(2016, 7, 1)
    # Judged in 2017, after the edition's valid_until: still computed under the edition of 2016.
    after = engine.evaluate("T-1", {"registered_on": "2016-12-31"}, as_of=dt.date(2017, 1, 5), backend=backend)
    assert after.edition == "only" and by_id(after.deadlines, "plan_due").date == dt.date(2017, 1, 10)
    assert by_id(after.deadlines, "plan_due").status == "open"
    j = to_json(after)
    assert (j["edition"], j["rules_on"], j["as_of"]) == ("only", "2016-12-31", "2017-01-05")


def test_without_a_family_the_rules_are_those_of_as_of(tmp_path):
    from cards import catalogue_with
    card = DATED_CARD.format(family="x").replace("family: x\n", "")
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))
    assert engine.product("T-1").reference_fact is None
    result = engine.evaluate("T-1", {"registered_on": "2016-03-01"}, as_of=dt.date(2016, 8, 1))
    assert result.rules_on == dt.date(2016, 8, 1) and result.values["threshold"] == Decimal("200")


@pytest.mark.parametrize("fact, message", [
    ("price", "reference_fact 'price' is not a date fact"),
    ("registerd_on", "reference_fact 'registerd_on' is not a fact (did you mean 'registered_on'?)"),
])
def test_a_reference_fact_must_be_a_date_fact(tmp_path, fact, message):
    from cards import catalogue_with, load_errors
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": DATED_CARD.format(family="dated")},
                          {"dated.yaml": DATED_FAMILY.replace("registered_on", fact)})
    errors = load_errors(root)
    assert [e.message for e in errors] == [message]
    position = errors[0].position
    assert (Path(position.file).name, position.line, position.column) == ("dated.yaml", 3, 17)


def test_rules_on_is_not_a_fact_name(tmp_path):
    from cards import load_errors
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    facts = root / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(
        "facts:\n", "facts:\n  rules_on: {type: date, label: x}\n", 1), encoding="utf-8")
    assert [e.message for e in load_errors(root)] == ["'rules_on' is reserved for the dates of an evaluation"]
