"""The evaluator and result assembly: unknowns, logic, statuses, splits, editions and the trace."""
from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from decimal import Decimal

import pytest

from interpreter.api import Engine
from interpreter.errors import CatalogueError, EvaluationError, LookupProblem
from interpreter.results import to_json
from cards import FIXTURE, catalogue_with

CARD_HEAD = """\
code: T-1
title: Test product
source: {document: test.txt, section: "1"}
edition: {name: first, valid_from: 2016-01-01, valid_until: 2016-12-31}
"""


def make_engine(tmp_path, body: str, extra_cards: dict[str, str] | None = None) -> Engine:
    """A catalogue with the fixture's vocabulary and calendars and one test card."""
    root = tmp_path / "cat"
    root.mkdir()
    for name in ("catalogue.yaml", "facts.yaml"):
        shutil.copy(FIXTURE / name, root / name)
    shutil.copytree(FIXTURE / "calendars", root / "calendars")
    (root / "families").mkdir()
    (root / "products").mkdir()
    (root / "products" / "T-1.yaml").write_text(CARD_HEAD + textwrap.dedent(body), encoding="utf-8")
    for name, text in (extra_cards or {}).items():
        (root / "products" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return Engine(root)


def value(engine: Engine, expr: str, facts: dict, as_of=dt.date(2016, 6, 1)):
    return to_json(engine.evaluate("T-1", facts, as_of=as_of))["values"]["x"]["value"]


@pytest.fixture
def expr_engine(tmp_path):
    def build(expr: str) -> Engine:
        return make_engine(tmp_path, f"values:\n  x:\n    label: x\n    value: '{expr}'\n")
    return build


@pytest.mark.parametrize("expr, facts, expected", [
    # Kleene logic: a known false side decides 'and', a known true side decides 'or'.
    ("hard_to_place and full_pay", {"hard_to_place": False}, False),
    ("hard_to_place and full_pay", {"hard_to_place": True}, None),
    ("hard_to_place or full_pay", {"full_pay": True}, True),
    ("hard_to_place or full_pay", {"full_pay": False}, None),
    ("not hard_to_place", {"hard_to_place": False}, True),
    ("intake_on ?? (registered_on + 2 weeks)", {"registered_on": "2024-03-04"}, "2024-03-18"),
    ("intake_on ?? (registered_on + 2 weeks)", {"registered_on": "2024-03-04", "intake_on": "2024-03-06"},
     "2024-03-06"),
    ("min(price, €5000)", {"price": "6000"}, "5000.00"),
    ("max(price, €5000)", {"price": "6000"}, "6000.00"),
    ("price * 60%", {"price": "1001.05"}, "600.63"),   # 600.630 exactly
    ("price * 60%", {"price": "0.05"}, "0.03"),        # 0.030 → 0.03
    ("price * 50%", {"price": "0.05"}, "0.03"),        # 0.025 rounds half up
    ("price / 3", {"price": "100"}, "33.33"),
    ("price / €50", {"price": "100"}, "2"),
    ("ended_on - started_on", {"started_on": "2016-01-01", "ended_on": "2016-03-01"}, "60"),
    ("benefit in {WGA, ZW}", {"benefit": "ZW"}, True),
    ("benefit not in {WGA, ZW}", {"benefit": "ZW"}, False),
    ("phases == {mediation, orientation}", {"phases": ["orientation", "mediation"]}, True),
    ("if hard_to_place then 80% else 60%", {"hard_to_place": True}, "80%"),
    ("if hard_to_place then 80% else 60%", {}, None),
    ("next_working_day(2016-05-05)", {}, "2016-05-06"),  # 5 May 2016 is Thursday and Ascension Day
    ("every 6 weeks from started_on until ended_on",
     # 2016-01-04 + 6 weeks = 2016-02-15; + 12 weeks = 2016-03-28 is the end itself, so not included.
     {"started_on": "2016-01-04", "ended_on": "2016-03-28"}, ["2016-02-15"]),
    ("as_of + 1 day", {}, "2016-06-02"),
])
def test_expression_values(expr_engine, expr, facts, expected):
    assert value(expr_engine(expr), expr, facts) == expected


def test_open_result_names_every_missing_fact(expr_engine):
    engine = expr_engine("price * 60% + (ended_on - started_on) * €1")
    result = to_json(engine.evaluate("T-1", {"price": 100}, as_of=dt.date(2016, 6, 1)))
    assert result["values"]["x"]["value"] is None
    trace = engine.evaluate("T-1", {"price": 100}, as_of=dt.date(2016, 6, 1), explain=True).trace
    assert "needs ended_on, started_on" in trace[-1]["value"]


DEADLINE_CARD = """\
deadlines:
  plan_due:
    label: Plan
    due: registered_on + 56 days
    met_by: plan_submitted_on
    source: {section: "1.1", quote: "binnen 56 kalenderdagen"}
  rolled:
    label: Rolled
    due: registered_on + 1 day
    roll: next_working_day
"""


@pytest.mark.parametrize("facts, as_of, status", [
    ({"registered_on": "2016-04-01"}, "2016-05-27", "open"),      # the due day itself is still allowed
    ({"registered_on": "2016-04-01"}, "2016-05-28", "overdue"),
    ({"registered_on": "2016-04-01", "plan_submitted_on": "2016-05-27"}, "2016-07-01", "met"),
    ({"registered_on": "2016-04-01", "plan_submitted_on": "2016-05-28"}, "2016-07-01", "overdue"),
    ({}, "2016-05-01", "unknown"),
])
def test_deadline_status(tmp_path, facts, as_of, status):
    engine = make_engine(tmp_path, DEADLINE_CARD)
    result = to_json(engine.evaluate("T-1", facts, as_of=dt.date.fromisoformat(as_of)))
    plan = result["deadlines"][0]
    assert plan["status"] == status
    assert plan["missing"] == ([] if facts else ["registered_on"])


OPTIONAL_CARD = """\
deadlines:
  request_due:
    label: Request (a right, not a duty)
    due: registered_on + 10 days
    optional: true
    met_by: extension_requested_on
  either_due:
    label: Work resumed or a final report
    due: registered_on + 10 days
    met_by: earliest(work_resumed_on, final_report_on)
"""


@pytest.mark.parametrize("backend", ["compiled", "reference"])
@pytest.mark.parametrize("requested, as_of, status", [
    # registered 2016-04-01: due 2016-04-11
    (None, "2016-04-11", "open"),            # unused, and its last day is today: still open
    (None, "2016-04-12", "lapsed"),          # unused after its date: lapsed, not overdue
    ("2016-04-11", "2016-05-01", "met"),     # used on its last day
    ("2016-04-12", "2016-05-01", "late"),    # used after its date: late, not overdue
])
def test_an_optional_deadline_is_open_met_late_or_lapsed(tmp_path, backend, requested, as_of, status):
    engine = make_engine(tmp_path, OPTIONAL_CARD)
    facts = {"registered_on": "2016-04-01"} | ({"extension_requested_on": requested} if requested else {})
    result = engine.evaluate("T-1", facts, as_of=dt.date.fromisoformat(as_of), backend=backend)
    request = next(d for d in result.deadlines if d.id == "request_due")
    assert (request.date, request.status) == (dt.date(2016, 4, 11), status)


@pytest.mark.parametrize("backend", ["compiled", "reference"])
@pytest.mark.parametrize("resumed, report, status, done", [
    # registered 2016-04-01: due 2016-04-11; judged on 2016-06-01
    ("2016-05-10", "2016-04-08", "met", "2016-04-08"),     # the report in time; the late work does not hide it
    ("2016-04-08", "2016-05-10", "met", "2016-04-08"),
    (None, "2016-04-11", "met", "2016-04-11"),             # one event alone, on the last day
    ("2016-04-12", None, "overdue", "2016-04-12"),         # the only event that happened came late
    (None, None, "overdue", None),
])
def test_a_duty_either_of_two_events_fulfils_is_met_by_the_earliest(tmp_path, backend, resumed, report, status,
                                                                     done):
    engine = make_engine(tmp_path, OPTIONAL_CARD)
    facts = {"registered_on": "2016-04-01"}
    facts |= {"work_resumed_on": resumed} if resumed else {}
    facts |= {"final_report_on": report} if report else {}
    result = engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1), backend=backend)
    either = next(d for d in result.deadlines if d.id == "either_due")
    assert (either.status, either.done_on) == (status, dt.date.fromisoformat(done) if done else None)


def test_earliest_needs_dates(tmp_path):
    with pytest.raises(CatalogueError) as caught:  # the card is checked when it is first used
        make_engine(tmp_path, OPTIONAL_CARD.replace("earliest(work_resumed_on, final_report_on)",
                                                    "earliest(price)")).product("T-1")
    assert caught.value.message == "earliest(...) needs two or more dates"


def test_roll_moves_a_deadline_to_the_next_working_day_and_says_so(tmp_path):
    engine = make_engine(tmp_path, DEADLINE_CARD)
    # 2016-04-29 (Friday) + 1 day = Saturday 30 April → Monday 2 May 2016.
    result = engine.evaluate("T-1", {"registered_on": "2016-04-29"}, as_of=dt.date(2016, 4, 29), explain=True)
    rolled = next(d for d in result.deadlines if d.id == "rolled")
    assert rolled.date == dt.date(2016, 5, 2)
    assert any("rolled to 2016-05-02" in entry.get("note", "") for entry in result.trace)


def test_trace_carries_location_source_and_clamping(tmp_path):
    engine = make_engine(tmp_path, """\
        values:
          x:
            label: x
            value: started_on + 1 month
            source: {section: "2", quote: "een maand"}
        """)
    result = engine.evaluate("T-1", {"started_on": "2016-01-31"}, as_of=dt.date(2016, 6, 1), explain=True)
    assert result.values["x"] == dt.date(2016, 2, 29)
    entry = next(e for e in result.trace if e.get("rule") == "x" and "steps" in e)
    assert entry["location"].endswith("T-1.yaml:8:12")
    # test.txt has no title under catalogue.yaml documents: its file name stands in
    assert entry["source"] == {"document": "test.txt", "title": "test.txt", "section": "2",
                               "quote": "een maand"}
    notes = [s["note"] for s in entry["steps"] if "note" in s]
    assert notes and "clamped" in notes[0] and "2016-02-29" in notes[0]


SPLIT_CARD = """\
payments:
  fee:
    label: Fee
    base: price
    parts:
      first: {label: First, share: "if hard_to_place then 80% else 60%", on: plan_approved_on}
      second: {label: Second, share: "if hard_to_place then 20% else 40%", on: work_resumed_on}
"""


def test_split_gives_the_remainder_to_the_last_part(tmp_path):
    engine = make_engine(tmp_path, SPLIT_CARD)
    result = to_json(engine.evaluate("T-1", {"price": "3333.33", "hard_to_place": False,
                                             "plan_approved_on": "2016-02-01"}, as_of=dt.date(2016, 6, 1)))
    first, second = result["payments"]
    # 3333.33 × 60% = 1999.998 → 2000.00; the rest, 1333.33, goes to the last part.
    assert (first["amount"], second["amount"]) == ("2000.00", "1333.33")
    assert first["share"] == "60%" and first["date"] == "2016-02-01" and second["date"] is None
    assert first["trigger"] == {"fact": "plan_approved_on", "label": "akkoord Re-integratieplan"}
    assert (first["status"], second["status"]) == ("due", "pending")  # approved before as_of; no result date


def test_split_that_cannot_make_100_is_rejected_at_load(tmp_path):
    with pytest.raises(CatalogueError) as caught:
        make_engine(tmp_path, SPLIT_CARD.replace("20% else 40%", "20% else 30%")).catalogue.load_whole()
    # Only the case hard_to_place = false goes wrong: 60% + 30% = 90%.
    assert "90%" in caught.value.message and "hard_to_place = false" in caught.value.message
    assert (caught.value.position.line, caught.value.position.column) == (10, 7)


def test_split_depending_on_an_amount_is_checked_when_evaluated(tmp_path):
    card = SPLIT_CARD.replace("if hard_to_place then 80% else 60%", "if price > €1000 then 60% else 50%") \
                     .replace("if hard_to_place then 20% else 40%", "40%")
    engine = make_engine(tmp_path, card)
    assert engine.evaluate("T-1", {"price": 2000}, as_of=dt.date(2016, 6, 1)).payments[1].amount == Decimal("800.00")
    with pytest.raises(EvaluationError) as caught:
        engine.evaluate("T-1", {"price": 500}, as_of=dt.date(2016, 6, 1))
    assert "90%" in caught.value.message and caught.value.position.line == 10


def test_rule_with_false_when_is_left_out(tmp_path):
    engine = make_engine(tmp_path, """\
        values:
          x: {label: x, value: "registered_on + 30 months", when: "benefit == Wajong"}
        """)
    wga = to_json(engine.evaluate("T-1", {"registered_on": "2016-04-01", "benefit": "WGA"}, as_of=dt.date(2016, 6, 1)))
    assert "x" not in wga["values"] and wga["not_applicable"] == ["x"]
    wajong = to_json(engine.evaluate("T-1", {"registered_on": "2016-04-01", "benefit": "Wajong"},
                                     as_of=dt.date(2016, 6, 1)))
    assert wajong["values"]["x"]["value"] == "2018-10-01"   # 2016-04-01 + 30 months


def test_effective_dated_parameter_and_editions(tmp_path):
    second = CARD_HEAD.replace("first", "second").replace("valid_from: 2016-01-01, valid_until: 2016-12-31",
                                                          "valid_from: 2017-01-01")
    engine = make_engine(tmp_path, """\
        parameters:
          x:
            label: threshold
            value: {2016-01-01: €209000, 2016-07-01: €210000}
            valid_until: 2016-12-31
        """, extra_cards={"T-1-2017.yaml": second})
    assert value(engine, "", {}, as_of=dt.date(2016, 3, 1)) == "209000.00"
    assert value(engine, "", {}, as_of=dt.date(2016, 7, 1)) == "210000.00"
    assert engine.evaluate("T-1", {}, as_of=dt.date(2017, 3, 1)).edition == "second"
    with pytest.raises(LookupProblem):
        engine.evaluate("T-1", {}, as_of=dt.date(2015, 3, 1))


def test_parameter_outside_its_validity_is_open(tmp_path):
    engine = make_engine(tmp_path, """\
        parameters:
          x: {label: threshold, value: {2016-01-01: €209000}, valid_until: 2016-06-30}
        """)
    assert value(engine, "", {}, as_of=dt.date(2016, 9, 1)) is None


def test_money_values_are_decimal(tmp_path):
    engine = make_engine(tmp_path, SPLIT_CARD)
    result = engine.evaluate("T-1", {"price": 4000, "hard_to_place": True}, as_of=dt.date(2016, 6, 1))
    amounts = [p.amount for p in result.payments]
    assert amounts == [Decimal("3200.00"), Decimal("800.00")]
    assert all(type(a) is Decimal for a in amounts)


@pytest.mark.parametrize("expr, facts, expected", [
    ('"U-XR " + text(district)', {"district": "D03"}, "U-XR D03"),
    ('"prijs " + text(price)', {"price": 4000}, "prijs 4000.00"),
    ('text(registered_on)', {"registered_on": "2016-04-01"}, "2016-04-01"),
    ('text(hard_to_place)', {"hard_to_place": True}, "true"),
    ("round(12.5%)", {}, "13%"),      # half up, not to even
    ("round(price)", {"price": "10.005"}, "10.01"),
])
def test_text_and_rounding(expr_engine, expr, facts, expected):
    assert value(expr_engine(expr), expr, facts) == expected


# -- subset and superset, indicative values, the product's own names ---------------------------------

@pytest.mark.parametrize("expr, facts, expected", [
    # every phase of the case is one of the two: a trajectory of orientation only is a subset
    ("phases subset of {orientation, mediation}", {"phases": ["orientation"]}, True),
    ("phases subset of {orientation, mediation}", {"phases": ["orientation", "preparation"]}, False),
    # the empty set is a subset of every set, and a set is a subset and a superset of itself
    ("phases subset of {orientation}", {"phases": []}, True),
    ("phases superset of {orientation, mediation}", {"phases": ["mediation", "orientation"]}, True),
    ("phases superset of {orientation, mediation}", {"phases": ["orientation", "preparation"]}, False),
    ("{orientation} subset of phases", {"phases": ["orientation", "mediation"]}, True),
    ("phases superset of {orientation}", {}, None),
    # 'circa' changes nothing in the value: 2016-01-31 + 1 month clamps to 2016-02-29 either way
    ("started_on + circa 1 month", {"started_on": "2016-01-31"}, "2016-02-29"),
    ("about €250", {}, "250.00"),
    # the card's own code and edition name (CARD_HEAD: code T-1, edition 'first')
    ('product_code + " / " + edition_name', {}, "T-1 / first"),
    ('text(district) + " " + product_code', {"district": "D03"}, "D03 T-1"),
])
@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_set_relations_indications_and_built_in_names(expr_engine, expr, facts, expected, backend):
    engine = expr_engine(expr)
    result = to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1), backend=backend))
    assert result["values"]["x"]["value"] == expected
    assert result["values"]["x"].get("indicative", False) == ("circa" in expr or "about" in expr)


INDICATIVE_CARD = """\
parameters:
  about_six_months:
    label: Kortste looptijd, circa
    value: circa 6 months
values:
  about_end:
    label: Circa zes maanden na de start
    value: started_on + about_six_months
checks:
  long_enough:
    label: Loopt circa zes maanden
    test: ended_on >= about_end
    message: Korter dan circa zes maanden
  within_term:
    label: Binnen de termijn
    test: ended_on <= started_on + 1 year
    message: Te lang
"""


@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_a_check_on_an_indicative_value_never_fails_but_says_so(tmp_path, backend):
    engine = make_engine(tmp_path, INDICATIVE_CARD)
    # started 2016-01-04, ended 2016-05-02: before 2016-01-04 + circa 6 months = 2016-07-04
    short = to_json(engine.evaluate("T-1", {"started_on": "2016-01-04", "ended_on": "2016-05-02"},
                                    as_of=dt.date(2016, 6, 1), backend=backend))
    check = next(c for c in short["checks"] if c["id"] == "long_enough")
    assert check == {**check, "passed": True, "indicative": True, "message": "Korter dan circa zes maanden"}
    assert short["values"]["about_end"] == {"type": "date", "value": "2016-07-04", "missing": [],
                                            "indicative": True}
    # an exact check beside it still fails: ended 2017-02-01, after 2016-01-04 + 1 year = 2017-01-04
    long = to_json(engine.evaluate("T-1", {"started_on": "2016-01-04", "ended_on": "2017-02-01"},
                                   as_of=dt.date(2016, 6, 1), backend=backend))
    by_id = {c["id"]: c for c in long["checks"]}
    assert by_id["within_term"]["passed"] is False and "indicative" not in by_id["within_term"]
    assert by_id["long_enough"] == {**by_id["long_enough"], "passed": True, "message": None}



def test_the_text_result_says_an_indication_not_met_as_a_note(tmp_path):
    from interpreter.resulttext import result_text
    engine = make_engine(tmp_path, INDICATIVE_CARD)
    result = engine.evaluate("T-1", {"started_on": "2016-01-04", "ended_on": "2016-05-02"}, as_of=dt.date(2016, 6, 1))
    lines = result_text(engine, result).splitlines()
    assert "  let op   Loopt circa zes maanden: Korter dan circa zes maanden" in lines
    assert "  Circa zes maanden na de start: circa 4 juli 2016" in lines


# -- payment schedules --------------------------------------------------------------------------------

SCHEDULE_CARD = """\
payments:
  coaching:
    label: Begeleiding per kwartaal, achteraf
    schedule: every 3 months from started_on until ended_on
    amount: intake_hours * price
values:
  total:
    label: Totaal
    value: coaching
"""


@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_a_schedule_pays_each_period_at_its_end_and_the_last_shorter_one_pro_rata(tmp_path, backend):
    engine = make_engine(tmp_path, SCHEDULE_CARD)
    facts = {"started_on": "2016-01-31", "ended_on": "2016-09-15", "intake_hours": "3", "price": "33.33"}
    out = to_json(engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1), backend=backend))
    payment = out["payments"][0]
    # 3 x € 33.33 = € 99.99 a period. From 2016-01-31 every 3 months, counted from the start and clamped:
    # 2016-04-30, 2016-07-31; the next would be 2016-10-31, after the end 2016-09-15, so the last period
    # 2016-07-31 .. 2016-09-15 is 46 of the 92 days to 2016-10-31: 99.99 x 46 / 92 = 49.995 -> 50.00 (half up).
    assert [(i["date"], i["amount"], i["status"]) for i in payment["instalments"]] == [
        ("2016-04-30", "99.99", "due"), ("2016-07-31", "99.99", "pending"), ("2016-09-15", "50.00", "pending")]
    assert [i["period"] for i in payment["instalments"]] == [
        {"start": "2016-01-31", "end": "2016-04-30"}, {"start": "2016-04-30", "end": "2016-07-31"},
        {"start": "2016-07-31", "end": "2016-09-15"}]
    # the total is the exact sum of the instalments, and a reference to the payment gives it
    assert payment["amount"] == "249.98" == out["values"]["total"]["value"]
    assert payment["status"] == "pending" and payment["date"] == "2016-09-15" and payment["share"] is None


@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_a_schedule_whose_amount_is_unknown_still_has_its_dates(tmp_path, backend):
    engine = make_engine(tmp_path, SCHEDULE_CARD)
    # 2016-01-01 + 3 and + 6 months; the end 2016-07-01 is a whole period after 2016-04-01
    out = to_json(engine.evaluate("T-1", {"started_on": "2016-01-01", "ended_on": "2016-07-01"},
                                  as_of=dt.date(2016, 6, 1), backend=backend))
    payment = out["payments"][0]
    assert payment["amount"] is None and payment["status"] == "unknown"
    assert payment["missing"] == ["intake_hours", "price"]
    assert [(i["date"], i["amount"]) for i in payment["instalments"]] == [("2016-04-01", None), ("2016-07-01", None)]
    no_dates = to_json(engine.evaluate("T-1", {"intake_hours": "1", "price": "10"}, as_of=dt.date(2016, 6, 1),
                                       backend=backend))["payments"][0]
    assert "instalments" not in no_dates and no_dates["missing"] == ["ended_on", "started_on"]


def test_a_negative_amount_per_period_is_refused_on_both_backends(tmp_path):
    engine = make_engine(tmp_path, SCHEDULE_CARD.replace("intake_hours * price", "price - €100"))
    facts = {"started_on": "2016-01-01", "ended_on": "2016-07-01", "price": "10"}
    messages = set()
    for backend in ("compiled", "reference"):
        with pytest.raises(EvaluationError) as raised:
            engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1), backend=backend)
        messages.add((raised.value.message, str(raised.value.position)))
    # one message, at the card's 'amount:' (line 9 of the card: 4 lines of CARD_HEAD, then SCHEDULE_CARD's 5th)
    assert len(messages) == 1
    message, where = messages.pop()
    assert message == "the amount per period of payment 'coaching' is negative (-90.00)"
    assert where.endswith("T-1.yaml:9:13")


# -- overrides ------------------------------------------------------------------------------------------

FAMILY = """\
family: test-family
title: Test family
source: {document: test.txt, section: "F"}
checks:
  price_ok:
    label: Prijs binnen het maximum van de familie
    test: price <= €5000
    source: {section: "F.1", quote: "Alle maxima"}
"""


def test_a_card_overrides_a_family_rule_in_its_place_and_says_why(tmp_path):
    card = CARD_HEAD.replace("title: Test product\n", "title: Test product\nfamily: test-family\n") + textwrap.dedent("""\
        checks:
          price_ok:
            overrides: Dit product heeft een eigen maximum.
            label: Prijs binnen het eigen maximum
            test: price <= €650
            source: {section: "2", quote: "Maximaal 650"}
        """)
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}, families={"test.yaml": FAMILY}))
    rule = engine.catalogue.product("T-1").rules["price_ok"]
    assert rule.override_reason == "Dit product heeft een eigen maximum."
    assert str(rule.overridden).endswith("families/test.yaml:5:3")
    assert rule.citation.quote == "Maximaal 650"
    for backend in ("compiled", "reference"):
        # € 700 is within the family's € 5000 but over the card's € 650: the card's rule decides
        out = to_json(engine.evaluate("T-1", {"price": "700"}, as_of=dt.date(2016, 6, 1), backend=backend))
        assert [(c["id"], c["passed"]) for c in out["checks"]] == [("price_ok", False)]


def test_a_family_overrides_the_family_it_extends(tmp_path):
    # the same override one level up: a family that extends test-family replaces its check for all its cards
    child = textwrap.dedent("""\
        family: test-child
        extends: test-family
        title: Child family
        source: {document: test.txt, section: "G"}
        checks:
          price_ok:
            overrides: De kindfamilie heeft een lager maximum.
            label: Prijs binnen het maximum van de kindfamilie
            test: price <= €1000
        """)
    card = CARD_HEAD.replace("title: Test product\n", "title: Test product\nfamily: test-child\n")
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card},
                                   families={"test.yaml": FAMILY, "child.yaml": child}))
    rule = engine.catalogue.product("T-1").rules["price_ok"]
    assert rule.override_reason == "De kindfamilie heeft een lager maximum." and rule.origin.endswith("child.yaml")
    # € 2000 is within test-family's € 5000, over the child's € 1000
    out = to_json(engine.evaluate("T-1", {"price": "2000"}, as_of=dt.date(2016, 6, 1)))
    assert [(c["id"], c["passed"]) for c in out["checks"]] == [("price_ok", False)]
