"""The compiled backend against the reference tree walker: identical results on every card, case and expression."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interpreter import nodes as n
from interpreter.api import Engine
from interpreter.checker import Checker
from interpreter.compiler import compile_expression, compile_product
from interpreter import types as t
from interpreter.errors import CatalogueError, EvaluationError, Position
from interpreter.evaluator import Evaluation
from interpreter.model import DecisionTable, Expr, LookupTable, TableRow
from interpreter.values import Duration
from interpreter.parser import parse
from interpreter.results import to_json
from interpreter.policy.testing import discover, load_tests

from cards import CARD_HEAD, catalogue_with


def outcome(engine: Engine, code: str, facts: dict, as_of: dt.date | None, backend: str,
            rules_on: dt.date | None = None):
    """The JSON result, or the error (type, message, position) when the evaluation fails."""
    try:
        return to_json(engine.evaluate(code, facts, as_of=as_of, rules_on=rules_on, typed=True, backend=backend))
    except CatalogueError as error:
        return (type(error).__name__, error.message, str(error.position))


def same_on_both(engine: Engine, code: str, facts: dict, as_of: dt.date | None,
                 rules_on: dt.date | None = None) -> None:
    reference = outcome(engine, code, facts, as_of, "reference", rules_on)
    compiled = outcome(engine, code, facts, as_of, "compiled", rules_on)
    assert compiled == reference


# -- every YAML test case and every worked example of the fixture catalogue -------------------

def _test_files():
    from cards import FIXTURE
    return discover(FIXTURE)


@pytest.mark.parametrize("path", _test_files(), ids=lambda p: p.name)
def test_every_yaml_test_case_gives_identical_results(engine, path):
    cases = load_tests(path, engine)
    assert cases
    for case in cases:
        same_on_both(engine, case.product, case.facts, case.as_of, case.rules_on)


def test_every_worked_example_gives_identical_results(engine):
    products = [p for editions in engine.catalogue.products.values() for p in editions]
    assert len(products) >= 15
    for product in products:
        if product.example_facts is not None:
            same_on_both(engine, product.code, product.example_facts, product.example_as_of,
                         product.example_rules_on)
        same_on_both(engine, product.code, {}, dt.date(2016, 4, 1))  # nothing known yet


# -- generated cases ---------------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(2014, 1, 1), max_value=dt.date(2030, 12, 31))
AMOUNTS = st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False, allow_infinity=False)


def fact_values(engine: Engine):
    """A strategy per fact of the vocabulary, giving typed values as convert_facts would."""
    from interpreter import types as t
    by_type = {
        t.DATE: DAYS, t.MONEY: AMOUNTS, t.BOOL: st.booleans(),
        t.NUMBER: st.integers(min_value=0, max_value=400).map(Decimal),
        t.PERCENT: st.integers(min_value=0, max_value=100).map(Decimal),
    }
    strategies = {}
    for name, fact in engine.catalogue.vocabulary.facts.items():
        type_ = fact.type
        if isinstance(type_, t.SetType):
            strategies[name] = st.frozensets(st.sampled_from(type_.enum.members))
        elif isinstance(type_, t.EnumType):
            strategies[name] = st.sampled_from(type_.members)
        else:
            strategies[name] = by_type[type_]
    return strategies


@st.composite
def cases(draw, engine: Engine):
    strategies = fact_values(engine)
    names = draw(st.lists(st.sampled_from(sorted(strategies)), unique=True, max_size=len(strategies)))
    return {name: draw(strategies[name]) for name in names}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_cases_give_identical_results_on_every_product(engine, data):
    code = data.draw(st.sampled_from(sorted(engine.catalogue.products)))
    facts = data.draw(cases(engine))
    as_of = data.draw(st.one_of(st.none(), DAYS))
    same_on_both(engine, code, facts, as_of)


# -- generated expressions ---------------------------------------------------------------------

DATE_FACTS = ["registered_on", "started_on", "intake_on", "ended_on", "plan_approved_on"]
MONEY_FACTS = ["price", "estimated_value"]
BOOL_FACTS = ["hard_to_place", "full_pay", "reduced_reporting"]
UNITS = ["days", "working days", "weeks", "months", "years"]


def _date_literal(day: dt.date) -> str:
    return day.isoformat()


def expressions():
    """Well-typed expression texts of every kind the language has, as (type name, text)."""
    dates, money, numbers, percents, bools = kinds()
    every = st.builds(lambda k, unit, d, e: f"every {k} {unit} from {d} until {e}",
                      st.integers(min_value=1, max_value=12), st.sampled_from(["weeks", "months", "working days"]),
                      dates, dates)
    texts = st.one_of(st.builds(lambda e: f"text({e})", st.one_of(money, dates, bools, percents)),
                      st.builds(lambda e: f'product_code + " " + text({e}) + edition_name', dates))
    return st.one_of(dates, money, numbers, percents, bools, every, texts)


def kinds():
    """Expression texts by kind: (dates, money, numbers, percents, bools), nested three levels deep."""
    date_leaf = st.one_of(st.sampled_from(DATE_FACTS + ["as_of"]),
                          st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2028, 12, 31)).map(_date_literal))
    # Odd cents: half of them lands exactly on half a cent, where rounding half up matters.
    money_leaf = st.one_of(st.sampled_from(MONEY_FACTS), AMOUNTS.map(lambda a: f"€{a}"),
                           st.sampled_from(["€0.05", "€2.25", "€1.15", "€0.01", "caps[benefit].cap"]))
    number_leaf = st.integers(min_value=0, max_value=60).map(str)
    percent_leaf = st.one_of(st.integers(min_value=0, max_value=100).map(lambda p: f"{p}%"),
                             st.sampled_from(["50%", "10%", "success_rate"]))
    bool_leaf = st.one_of(st.sampled_from(BOOL_FACTS), st.sampled_from(["true", "false", "caps[benefit].flag"]))
    duration = st.builds(lambda k, unit: f"{k} {unit}", st.integers(min_value=0, max_value=40), st.sampled_from(UNITS))

    def extend(kinds):
        dates, money, numbers, percents, bools = kinds
        return (
            st.one_of(
                date_leaf,
                st.builds(lambda d, op, k: f"({d} {op} {k})", dates, st.sampled_from("+-"), duration),
                st.builds(lambda d: f"({d} + caps[benefit].lead)", dates),
                st.builds(lambda d, e: f"({d} ?? {e})", dates, dates),
                st.builds(lambda b, d, e: f"(if {b} then {d} else {e})", bools, dates, dates),
                st.builds(lambda f, d, e: f"{f}({d}, {e})", st.sampled_from(["min", "max", "earliest"]), dates, dates),
                st.builds(lambda d, e, f: f"earliest({d}, {e}, {f})", dates, dates, dates),
                st.builds(lambda d: f"next_working_day({d})", dates),
            ),
            st.one_of(
                money_leaf,
                st.builds(lambda m, p: f"({m} * {p})", money, percents),
                st.builds(lambda m, op, o: f"({m} {op} {o})", money, st.sampled_from("+-"), money),
                st.builds(lambda m, op, k: f"({m} {op} {k})", money, st.sampled_from("*/"), numbers),
                st.builds(lambda m, o: f"min({m}, {o})", money, money),
                st.builds(lambda m: f"round({m})", money),
                st.builds(lambda b, m, o: f"(if {b} then {m} else {o})", bools, money, money),
                st.builds(lambda m, o: f"({m} ?? {o})", money, money),
                st.builds(lambda word, m: f"({word} {m})", st.sampled_from(["circa", "about"]), money),
            ),
            st.one_of(
                number_leaf,
                st.builds(lambda d, e: f"({d} - {e})", dates, dates),
                st.builds(lambda a, op, b: f"({a} {op} {b})", numbers, st.sampled_from("+-*/"), numbers),
                st.builds(lambda a: f"-{a}", numbers),
            ),
            st.one_of(
                percent_leaf,
                st.builds(lambda b, p, q: f"(if {b} then {p} else {q})", bools, percents, percents),
                st.builds(lambda p, q: f"({p} ?? {q})", percents, percents),
                st.builds(lambda p, q: f"max({p}, {q})", percents, percents),
            ),
            st.one_of(
                bool_leaf,
                st.builds(lambda a, op, b: f"({a} {op} {b})", money, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
                          money),
                st.builds(lambda a, op, b: f"({a} {op} {b})", dates, st.sampled_from(["<", "<=", "=="]), dates),
                st.builds(lambda a, op, b: f"({a} {op} {b})", bools, st.sampled_from(["and", "or"]), bools),
                st.builds(lambda a: f"(not {a})", bools),
                st.builds(lambda a, b: f"({a} ?? {b})", bools, bools),
                st.sampled_from(["benefit in {WGA, ZW}", "benefit not in {Wajong}", "benefit == Wajong",
                                 "phases == {orientation, mediation}", "orientation in phases"]),
                st.builds(lambda op, members: f"(phases {op} of {{{', '.join(members)}}})",
                          st.sampled_from(["subset", "superset"]),
                          st.lists(st.sampled_from(["orientation", "preparation", "strengthening", "mediation"]),
                                   min_size=1, max_size=4, unique=True)),
            ),
        )

    leaves = (date_leaf, money_leaf, number_leaf, percent_leaf, bool_leaf)
    kinds = leaves
    for _ in range(3):  # three levels of nesting: enough for every combination of two operators
        kinds = extend(kinds)
    return kinds


# A lookup the generated expressions use: caps[benefit].cap, .lead and .flag.
CAPS = LookupTable("caps", "Caps", Position("<lookup>", 1, 1), "<lookup>", "benefit",
                   (("cap", t.MONEY), ("lead", t.DURATION), ("flag", t.BOOL)),
                   (("WGA", (Decimal("4000"), Duration(2, "weeks"), True)),
                    ("ZW", (Decimal("3000.50"), Duration(10, "working_days"), False)),
                    ("WAO", (Decimal("0.05"), Duration(1, "months"), True)),
                    ("WAZ", (Decimal("1.15"), Duration(0, "days"), False)),
                    ("Wajong", (Decimal("2500"), Duration(1, "years"), True))))


def checked(engine: Engine, text: str, tables: dict | None = None) -> n.Node:
    node = parse(text, lambda offset: Position("<expression>", 1, offset + 1))
    return check_node(engine, node, tables)


def check_node(engine: Engine, node: n.Node, tables: dict | None = None) -> n.Node:
    vocabulary = engine.catalogue.vocabulary
    # the built-in names as the product the expressions run on (U-XR) has them
    product = engine.catalogue.product("U-XR")
    checker = Checker(vocabulary.fact_types, vocabulary.enums, {}, tables=tables, lookups={"caps": CAPS},
                      builtins={"product_code": product.code, "edition_name": product.edition})
    node = checker.check(node)
    if checker.errors:
        raise checker.errors[0]
    return node


def walk(product, facts, as_of, node):
    """The tree walker on one expression, in the decimal context every evaluation runs in (as
    evaluator.evaluate and the compiled code enter it)."""
    from decimal import localcontext

    from interpreter.values import DOMAIN
    with localcontext(DOMAIN):
        return Evaluation(product, facts, as_of).eval(node)


def run(function, *args):
    try:
        value = function(*args)
    except EvaluationError as error:
        return ("error", error.message, str(error.position))
    return ("value", repr(value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data(), text=expressions())
def test_generated_expressions_give_identical_values(engine, data, text):
    try:
        node = checked(engine, text)
    except CatalogueError:
        return  # a combination the type checker rejects (e.g. `- 3 - 2` read differently): nothing to compare
    product = engine.catalogue.product("U-XR")
    facts = data.draw(cases(engine))
    as_of = data.draw(DAYS)
    reference = run(lambda: walk(product, facts, as_of, node))
    compiled = run(compile_expression(node, product.calendar), facts, as_of)
    assert compiled == reference, text


# Generated decision tables: inputs of both kinds, cells of generated expressions. Under the hit policy
# 'first' random tests and a last row of '-' only, so that the table is complete; under 'unique' a row for
# every combination of the inputs' values, in random order.
TABLE_INPUTS = [("hard", "hard_to_place", None), ("full", "full_pay ?? false", None), ("benefit", "benefit", "benefit")]
BENEFITS = ["WGA", "ZW", "WAO", "WAZ", "Wajong"]


@st.composite
def decision_tables(draw):
    inputs = draw(st.lists(st.sampled_from(TABLE_INPUTS), min_size=1, max_size=3, unique=True))
    money = kinds()[1]
    tests_of = {
        None: st.one_of(st.none(), st.booleans().map(lambda b: n.BoolLit(b, pos=POS))),
        "benefit": st.one_of(st.none(), st.sampled_from(BENEFITS).map(lambda m: n.Name(m, pos=POS)),
                             st.lists(st.sampled_from(BENEFITS), min_size=1, max_size=3, unique=True).map(
                                 lambda ms: n.SetLit(tuple(ms), pos=POS))),
    }
    unique = draw(st.booleans())
    if unique:  # a row for every combination, in any order: complete and without overlaps
        domains = [[n.BoolLit(True, pos=POS), n.BoolLit(False, pos=POS)] if enum is None
                   else [n.Name(m, pos=POS) for m in BENEFITS] for _, _, enum in inputs]
        tests = draw(st.permutations(list(itertools.product(*domains))))
    else:
        count = draw(st.integers(min_value=0, max_value=4))
        tests = [tuple(draw(tests_of[enum]) for _, _, enum in inputs) for _ in range(count)]
        tests.append(tuple(None for _ in inputs))
    cells = [parse(draw(money), lambda offset: POS) for _ in tests]
    rows = tuple(TableRow(Position("<table>", i + 1, 1), ()) for i in range(len(tests)))
    table = DecisionTable("g", "Generated", POS, "<table>",
                          tuple((name, Expr(text, parse(text, lambda offset: POS), POS)) for name, text, _ in inputs),
                          (("out", "Out"),), rows, "unique" if unique else "first")
    node = n.Decide("g", "out", tuple(expr.node for _, expr in table.inputs), tuple(tests), tuple(cells),
                    first=not unique, rows=tuple(row.pos for row in rows), pos=POS)
    return table, node


POS = Position("<table>", 1, 1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data(), generated=decision_tables())
def test_generated_decision_tables_give_identical_values(engine, data, generated):
    table, node = generated
    try:
        node = check_node(engine, node, {"g": table})
    except CatalogueError:
        return  # a row the rows above it already cover: refused at load, nothing to compare
    product = engine.catalogue.product("U-XR")
    facts = data.draw(cases(engine))
    as_of = data.draw(DAYS)
    reference = run(lambda: walk(product, facts, as_of, node))
    compiled = run(compile_expression(node, product.calendar), facts, as_of)
    assert compiled == reference


# -- what the compiler makes -------------------------------------------------------------------

NASTY = 'x"); import os; os.system("echo pwned") #'


def test_generated_source_holds_no_text_from_the_card(tmp_path, catalogue_root):
    card = CARD_HEAD + (
        "parameters:\n"
        f"  note:\n    label: '{NASTY}'\n    value: '\"{NASTY.replace(chr(34), '')}\"'\n"
        "values:\n"
        "  plan_due_day:\n    label: Plan\n    value: registered_on + 56 days\n"
        "checks:\n"
        f"  cheap:\n    label: '{NASTY}'\n    test: price <= €5000\n    message: '{NASTY}'\n"
    )
    engine = Engine(catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": card}))
    product = engine.catalogue.product("T-1")
    compiled = compile_product(product, engine.catalogue.vocabulary.fact_labels)
    for text in ("import os", "pwned", "plan_due_day", "registered_on", "cheap", "5000", "56"):
        assert text not in compiled.source
    result = to_json(compiled({"registered_on": dt.date(2016, 4, 1), "price": Decimal(6000)}, dt.date(2016, 4, 1)))
    # 2016-04-01 + 56 days = 2016-05-27; € 6000 > € 5000 fails the check with the card's own message.
    assert result["values"]["plan_due_day"]["value"] == "2016-05-27"
    assert result["checks"][0]["passed"] is False and result["checks"][0]["message"] == NASTY


def test_a_runtime_error_points_at_the_card_line(tmp_path, catalogue_root):
    card = CARD_HEAD + (
        "values:\n"                                   # line 8
        "  per_hour:\n"                               # line 9
        "    label: Price per hour\n"                 # line 10
        "    value: price / introduction_hours\n"     # line 11
    )
    engine = Engine(catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": card}))
    facts = engine.facts({"price": 1000, "introduction_hours": 0})
    errors = []
    for backend in ("compiled", "reference"):
        with pytest.raises(EvaluationError) as caught:
            engine.evaluate("T-1", facts, as_of=dt.date(2016, 4, 1), typed=True, backend=backend)
        errors.append((caught.value.message, caught.value.position.file, caught.value.position.line))
    assert errors[0] == errors[1]
    message, file, line = errors[0]
    assert message == "division by zero in 'price / introduction_hours'"
    assert file.endswith("T-1.yaml") and line == 11


def test_shares_that_do_not_add_up_fail_alike(tmp_path, catalogue_root):
    card = CARD_HEAD + (
        "payments:\n"
        "  fee:\n"
        "    label: Fee\n"
        "    base: price\n"
        "    parts:\n"
        "      first:\n        label: First\n        share: if price > €5000 then 70% else 60%\n"
        "      second:\n        label: Second\n        share: 40%\n"
    )
    engine = Engine(catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": card}))
    # Shares read a money fact, so only the evaluation can find that 70% + 40% is not 100%.
    facts = engine.facts({"price": 6000})
    reference = outcome(engine, "T-1", facts, dt.date(2016, 4, 1), "reference")
    assert reference[1] == "the shares of payment 'fee' add up to 110%, not 100%"
    assert outcome(engine, "T-1", facts, dt.date(2016, 4, 1), "compiled") == reference
    # 60% + 40% of € 1000: € 600 and € 400.
    facts = engine.facts({"price": 1000})
    result = outcome(engine, "T-1", facts, dt.date(2016, 4, 1), "compiled")
    assert [p["amount"] for p in result["payments"]] == ["600.00", "400.00"]


def test_the_compiled_backend_is_the_default_and_explain_uses_the_reference(engine):
    assert engine.backend == "compiled"
    result = engine.evaluate("U-XR", {"registered_on": "2016-04-01"}, explain=True)
    assert result.trace and result.trace[0]["location"]
    assert not engine.evaluate("U-XR", {"registered_on": "2016-04-01"}).trace


def test_an_unknown_backend_is_refused(engine):
    with pytest.raises(ValueError, match="unknown backend"):
        Engine(backend="fast")
    with pytest.raises(ValueError, match="unknown backend 'fast'; choose one of compiled, reference"):
        engine.evaluate("U-XR", {}, backend="fast")


def test_the_command_line_gives_the_same_json_on_both_backends():
    import json

    from cards import CASES, invoke
    case = CASES / "u-xr-case.yaml"
    outputs = []
    for backend in ("compiled", "reference"):
        result = invoke("--backend", backend, "evaluate", "U-XR", case)
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.output))
    assert outputs[0] == outputs[1]
    # U-XR: "binnen maximaal 56 kalenderdagen ... nadat de klant door UWV is aangemeld".
    registered = dt.date.fromisoformat(outputs[0]["deadlines"][0]["date"]) - dt.timedelta(days=56)
    assert outputs[0]["deadlines"][0]["id"] == "plan_due"
    assert registered.isoformat() in case.read_text(encoding="utf-8")
    bad = invoke("--backend", "fast", "evaluate", "U-XR", case)
    assert bad.exit_code == 2 and "fast" in bad.output


# -- a card with every kind of rule, on generated cases ---------------------------------------

EVERY_KIND = CARD_HEAD + """\
parameters:
  cap:
    label: Cap
    value:
      2015-01-01: €4000
      2017-01-01: €4500
    valid_until: 2018-12-31
  lead:
    label: Lead time
    value: 10 working days
tables:
  tier:
    label: Tier
    inputs:
      hard: hard_to_place
      benefit: benefit
    outputs:
      tier_share: Tier share
      tier_due: Tier due
    rows:
      - [true, "{WGA, ZW}", 80%, registered_on + 2 weeks]
      - [true, "{WAO, WAZ, Wajong}", 70%, intake_on ?? (registered_on + 1 month)]
      - [false, -, 60%, started_on + 10 working days]
lookups:
  limits:
    label: Limits
    key: benefit
    fields:
      cap: {type: money, label: cap}
      lead: {type: duration, label: lead}
      flag: {type: bool, label: flag}
    entries:
      WGA: {cap: €4000, lead: 2 weeks, flag: true}
      ZW: {cap: €3000.50, lead: 10 working days, flag: false}
      WAO: {cap: €0.05, lead: 1 month, flag: true}
      WAZ: {cap: €1.15, lead: 0 days, flag: false}
      Wajong: {cap: €2500, lead: 1 year, flag: true}
values:
  tier_amount:
    label: Tier amount
    value: min(price * tier.tier_share, limits[benefit].cap)
  tier_date:
    label: Tier date
    value: if limits[benefit].flag then tier_due + limits[benefit].lead else tier_due
  intake_by:
    label: Intake by
    when: benefit in {WGA, ZW}
    value: intake_on ?? (registered_on + lead)
  capped:
    label: Capped price
    value: min(price, cap)
  effort_later:
    label: Effort amount plus a bonus
    value: effort + €100
  closing:
    label: Closing
    when: intake_by > registered_on + 5 days
    value: if hard_to_place then intake_by + 3 months else intake_by + 1 year
deadlines:
  plan_due:
    label: Plan
    when: not full_pay
    due: registered_on + 56 days
    met_by: plan_submitted_on
    roll: next_working_day
  work_due:
    label: Work
    due: if phases == {orientation, mediation} then registered_on + 26 weeks else registered_on + 104 weeks
    met_by: earliest(work_resumed_on, final_report_on)
  extension_due:
    label: Extension (a right)
    due: planned_end_on - 1 month
    optional: true
    met_by: extension_requested_on ?? earliest(plan_approved_on, intake_on, 2016-06-01)
reports:
  progress:
    label: Progress
    when: started_on < ended_on ?? true
    date: every 3 months from started_on until ended_on ?? (started_on + 1 year)
    roll: next_working_day
payments:
  fee:
    label: Fee
    when: price > €0
    base: capped
    parts:
      effort:
        label: Effort
        share: if hard_to_place then 80% else 60%
        on: plan_approved_on
      result:
        label: Result
        share: if hard_to_place then 20% else 40%
        on: work_resumed_on
checks:
  within_cap:
    label: Within the cap
    test: price <= cap
    message: Too expensive
  closing_after_intake:
    label: Closing after intake
    test: closing >= intake_by
"""


@pytest.fixture(scope="module")
def every_kind_engine(tmp_path_factory):
    from cards import FIXTURE
    return Engine(catalogue_with(tmp_path_factory.mktemp("every-kind"), FIXTURE, {"T-1.yaml": EVERY_KIND}))


def test_the_card_with_every_kind_of_rule_computes_what_it_says(every_kind_engine):
    facts = every_kind_engine.facts({"registered_on": "2016-04-01", "benefit": "WGA", "price": 5000,
                                     "hard_to_place": False, "full_pay": False, "started_on": "2016-04-01",
                                     "ended_on": "2016-12-01"})
    out = outcome(every_kind_engine, "T-1", facts, dt.date(2016, 4, 1), "compiled")
    # 10 working days after Friday 2016-04-01: 2016-04-15; the cap in 2016 is € 4000 (edition 2015-01-01).
    assert out["values"]["intake_by"]["value"] == "2016-04-15" and out["values"]["capped"]["value"] == "4000.00"
    # 2016-04-01 + 56 days = Friday 2016-05-27, a working day: no roll. 60% of € 4000 = € 2400, + € 100.
    assert out["deadlines"][0]["date"] == "2016-05-27" and out["values"]["effort_later"]["value"] == "2500.00"
    # Not hard to place: the table's row 3, 60% of € 5000 = € 3000, under WGA's cap of € 4000; its date
    # 10 working days after Friday 2016-04-01 = 2016-04-15, and WGA's flag adds its lead of 2 weeks: 2016-04-29.
    assert out["values"]["tier_amount"]["value"] == "3000.00" and out["values"]["tier_date"]["value"] == "2016-04-29"
    # Every 3 months from 2016-04-01 before 2016-12-01: 07-01 (Friday), 10-01 (a Saturday, rolled to 10-03).
    assert [r["date"] for r in out["reports"]] == ["2016-07-01", "2016-10-03"]
    assert same_on_both(every_kind_engine, "T-1", facts, dt.date(2016, 4, 1)) is None


# Both cards of every kind (the second holds what issue 14 added: tables, lookups, schedules, circa).
@pytest.mark.parametrize("card", ["every_kind_engine", "every_kind_b_engine"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_kind_of_rule_gives_identical_results_on_generated_cases(request, card, data):
    engine = request.getfixturevalue(card)
    facts = data.draw(cases(engine))
    as_of = data.draw(st.one_of(st.none(), DAYS))
    rules_on = data.draw(st.one_of(st.none(), DAYS))
    same_on_both(engine, "T-1", facts, as_of, rules_on)


# -- every generated line names its card position ----------------------------------------------

def test_every_generated_line_maps_back_to_the_card(engine):
    for code in ("U-XR", "LN-3"):
        product = engine.catalogue.product(code)
        compiled = compile_product(product, engine.catalogue.vocabulary.fact_labels)
        lines = compiled.source.splitlines()
        assert set(compiled.places) == set(range(1, len(lines) + 1))
        # the card's own file, and the family files its inherited rules were written in
        assert {place.file for place in compiled.places.values()} == {product.file} | {
            rule.pos.file for rule in product.rules.values()}


def test_an_unexpected_exception_in_compiled_code_names_the_card_line(tmp_path, monkeypatch):
    import linecache
    import traceback

    from cards import card_engine
    import interpreter.compiler as compiler

    def broken(*args):
        raise TypeError("a bug in the engine")

    # A bug where the card's `due: registered_on + 2 months` is computed (CARD_HEAD is 7 lines, so
    # `due:` is line 12 of T-1.yaml; the addition stands at its operator, column 24).
    monkeypatch.setitem(compiler.RUNTIME, "add_months", broken)
    engine = card_engine(tmp_path, "  valid_from: 2016-01-01\ndeadlines:\n  plan_due:\n    label: Plan ingediend\n"
                                   "    due: registered_on + 2 months\n")
    compiled = compile_product(engine.catalogue.product("T-1"))
    with pytest.raises(TypeError) as caught:
        compiled({"registered_on": dt.date(2016, 4, 1)}, dt.date(2016, 4, 2))
    place = str(caught.value.__notes__[0]).removeprefix("in the compiled rules of ")
    assert place.endswith("T-1.yaml:12:24")
    shown = "".join(traceback.format_exception(caught.value))
    assert f"# {place}" in shown and "add_months(" in shown  # the generated line, from linecache
    assert compiled._filename in linecache.cache


# -- overrides, payment schedules, indications, subsets and built-in names, on generated cases -------------

EVERY_KIND_B_FAMILY = """\
family: every-kind-b
title: Family of the second card with every kind of rule
source: {document: test.txt, section: "F"}
parameters:
  cap:
    label: Cap of the family
    value: €9000
checks:
  within_cap:
    label: Within the family's cap
    test: price <= cap
"""

EVERY_KIND_B = CARD_HEAD.replace("title: Test card\n", "title: Test card\nfamily: every-kind-b\n") + """\
  valid_from: 2016-01-01
parameters:
  cap:
    overrides: This card has a cap of its own.
    label: Cap
    value: €4000
  about_term:
    label: Term, circa
    value: circa 6 months
values:
  code:
    label: Order number
    value: 'product_code + "-" + text(district) + " (" + edition_name + ")"'
  core_phases:
    label: Only core phases
    value: phases subset of {orientation, mediation}
  has_core:
    label: Has the core phases
    value: phases superset of {orientation, mediation}
  about_end:
    label: About the end
    value: started_on + about_term
payments:
  coaching:
    label: Coaching per quarter
    when: not (reduced_reporting ?? false)
    schedule: every 3 months from started_on until ended_on ?? (started_on + 1 year)
    amount: intake_hours * (price ?? €0) / 10
  fee:
    label: Fee
    base: min(price, cap)
    parts:
      all:
        label: All
        share: 100%
        on: work_resumed_on
checks:
  long_enough:
    label: About six months or longer
    test: ended_on >= about_end
    message: Shorter than about six months
"""


@pytest.fixture(scope="module")
def every_kind_b_engine(tmp_path_factory):
    from cards import FIXTURE
    root = catalogue_with(tmp_path_factory.mktemp("every-kind-b"), FIXTURE, {"T-1.yaml": EVERY_KIND_B},
                          {"every-kind-b.yaml": EVERY_KIND_B_FAMILY})
    return Engine(root)


def test_the_second_card_with_every_kind_of_rule_computes_what_it_says(every_kind_b_engine):
    facts = every_kind_b_engine.facts({"started_on": "2016-01-15", "ended_on": "2016-05-01", "price": 5000,
                                       "intake_hours": 3, "district": "D03", "phases": ["orientation"]})
    out = outcome(every_kind_b_engine, "T-1", facts, dt.date(2016, 4, 1), "compiled")
    values = {key: value["value"] for key, value in out["values"].items()}
    assert values["code"] == "T-1-D03 (Test edition)" and values["cap"] == "4000.00"
    assert values["core_phases"] is True and values["has_core"] is False and values["about_end"] == "2016-07-15"
    by_id = {c["id"]: c for c in out["checks"]}
    # the card's cap (€ 4000) replaced the family's (€ 9000): € 5000 is over it
    assert by_id["within_cap"]["passed"] is False
    # ended 2016-05-01 before 2016-07-15 (circa 6 months): said, never failed
    assert by_id["long_enough"] == {**by_id["long_enough"], "passed": True, "indicative": True,
                                    "message": "Shorter than about six months"}
    coaching = next(p for p in out["payments"] if p["id"] == "coaching")
    # 3 hours x € 5000 / 10 = € 1500 a quarter; 2016-01-15 + 3 months = 2016-04-15; the last period to
    # 2016-05-01 is 16 of the 91 days to 2016-07-15: 1500 x 16 / 91 = 263.736... = € 263.74
    assert [(i["date"], i["amount"]) for i in coaching["instalments"]] == [("2016-04-15", "1500.00"),
                                                                          ("2016-05-01", "263.74")]
    assert coaching["amount"] == "1763.74"
    assert same_on_both(every_kind_b_engine, "T-1", facts, dt.date(2016, 4, 1)) is None
