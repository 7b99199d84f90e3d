"""The SVG timeline: every dated result on its date, coloured by status, labels that never overlap."""
from __future__ import annotations

import datetime as dt
import itertools
import xml.etree.ElementTree as ET

import pytest

from interpreter import Engine
from interpreter.timeline import Box, table_rows, timeline_of
from cards import CARD_HEAD, FIXTURE, catalogue_with, invoke, load_errors

SVG = "{http://www.w3.org/2000/svg}"

CARD = CARD_HEAD + """\
  valid_from: 2016-01-01
deadlines:
  plan_due:
    label: Plan ingediend <&>
    due: registered_on + 56 days
    met_by: plan_submitted_on
    source: {section: "1", quote: "Het plan binnen 56 dagen."}
  start_due:
    label: Start
    due: registered_on + 14 days
    met_by: started_on
    source: {section: "1", quote: "De start binnen 14 dagen."}
payments:
  fee:
    label: Vergoeding
    base: price
    source: {section: "2", quote: "De vergoeding bij akkoord."}
    parts:
      all:
        label: Vergoeding bij akkoord
        share: 100%
        on: plan_approved_on
reports:
  progress:
    label: Voortgang
    date: every 1 weeks from started_on until ended_on
    source: {section: "3", quote: "Elke week een rapport."}
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return Engine(catalogue_with(tmp_path_factory.mktemp("timeline"), FIXTURE, {"T-1.yaml": CARD}))


def evaluate(engine: Engine, facts: dict, as_of: str):
    typed = engine.facts(facts)
    return engine.evaluate("T-1", typed, as_of=dt.date.fromisoformat(as_of), typed=True), typed


def svg_of(engine: Engine, facts: dict, as_of: str):
    result, typed = evaluate(engine, facts, as_of)
    return result, ET.fromstring(timeline_of(engine, result, typed))


def marks(root) -> list:
    return [g for g in root.iter(f"{SVG}g") if "mark" in g.get("class", "").split()]


def label_boxes(root) -> list[Box]:
    boxes = []
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("class") == "label-box":
            x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
            boxes.append(Box(x, y, x + w, y + h))
    return boxes


CASE = {"registered_on": "2016-04-01", "plan_submitted_on": "2016-05-20", "plan_approved_on": "2016-05-23",
        "price": "1000", "started_on": "2016-04-20"}


def test_every_dated_result_is_a_mark_on_its_date(engine):
    result, root = svg_of(engine, CASE, "2016-06-01")
    dates = {(g.get("class").split()[1], g.get("data-date")) for g in marks(root)}
    # plan: 2016-04-01 + 56 days = 2016-05-27; start: + 14 days = 2016-04-15.
    assert ("deadline", "2016-05-27") in dates and ("deadline", "2016-04-15") in dates
    assert {("deadline", d.date.isoformat()) for d in result.deadlines if d.date} <= dates
    assert {("payment", p.date.isoformat()) for p in result.payments if p.date} == {("payment", "2016-05-23")}
    assert {("event", v) for v in ("2016-04-01", "2016-05-20", "2016-05-23", "2016-04-20")} <= dates


def test_marks_are_coloured_by_status(engine):
    # Started 2016-04-20, after the start deadline of 2016-04-15: overdue; the plan came in time: met.
    _, root = svg_of(engine, CASE, "2016-06-01")
    status = {g.get("data-date"): g.get("class") for g in marks(root) if "deadline" in g.get("class")}
    assert "status-overdue" in status["2016-04-15"]
    assert "status-met" in status["2016-05-27"]


def test_labels_never_overlap_even_when_crowded(engine):
    # Weekly reports from 2016-04-20 until 2017-04-20 (365 days): 7, 14, ..., 364 days after the start,
    # 52 marks a week apart, with labels far wider than a week.
    crowded = {**CASE, "ended_on": "2017-04-20"}
    result, root = svg_of(engine, crowded, "2016-06-01")
    assert len([r for r in result.reports if r.date]) == 52
    boxes = label_boxes(root)
    assert len(boxes) == len(marks(root))
    width = float(root.get("width"))
    assert all(0 <= b.x0 and b.x1 <= width for b in boxes)
    assert not [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]


def test_a_span_runs_between_the_dates_the_vocabulary_pairs(engine):
    # facts.yaml: ended_on has span_from: started_on.
    _, root = svg_of(engine, {**CASE, "ended_on": "2016-06-20"}, "2016-06-01")
    circles = {g.get("data-date"): float(g.find(f"{SVG}circle").get("cx")) for g in marks(root)
               if "event" in g.get("class")}
    spans = [g for g in root.iter(f"{SVG}g") if g.get("class") == "span"]
    assert len(spans) == 1
    rect = spans[0].find(f"{SVG}rect")
    x0, width = float(rect.get("x")), float(rect.get("width"))
    assert x0 == pytest.approx(circles["2016-04-20"], abs=0.1)
    assert x0 + width == pytest.approx(circles["2016-06-20"], abs=0.2)  # both ends rounded to 0.1


def test_non_working_days_are_shaded_on_a_short_axis(engine):
    result, root = svg_of(engine, {"registered_on": "2016-04-01"}, "2016-04-01")
    shaded = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "non-working"]
    calendar = engine.catalogue.product("T-1").calendar
    first, last = dt.date(2016, 4, 1), dt.date(2016, 5, 27)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    non_working = [d for d in days if not calendar.is_working_day(d)]
    assert len(shaded) >= len(non_working) > 0
    names = {r.find(f"{SVG}title").text for r in shaded}
    assert {calendar.holiday_name(d) for d in non_working if calendar.holiday_name(d)} <= names


def test_no_shading_on_a_long_axis(engine):
    _, root = svg_of(engine, {**CASE, "ended_on": "2017-04-20"}, "2016-06-01")
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "non-working"]


def test_every_mark_has_a_title_and_text_is_escaped(engine):
    _, root = svg_of(engine, CASE, "2016-06-01")
    assert root.find(f"{SVG}title").text.startswith("Tijdlijn T-1")
    titles = [g.find(f"{SVG}title").text for g in marks(root)]
    assert all(titles) and any("Plan ingediend <&>" in t for t in titles)


def test_a_case_without_dates_says_so(engine):
    _, root = svg_of(engine, {}, "2016-06-01")
    assert not marks(root)
    assert "Nog geen datum bekend." in "".join(root.itertext())


def test_evaluate_writes_the_svg(engine, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("registered_on: 2016-04-01\nstarted_on: 2016-04-20\n", encoding="utf-8")
    outcome = invoke("--catalogue", engine.catalogue.root, "evaluate", "T-1", case, "--as-of", "2016-06-01",
                     "--format", "svg")
    assert outcome.exit_code == 0, outcome.output
    root = ET.fromstring(outcome.output)
    assert root.tag == f"{SVG}svg"
    assert {g.get("data-date") for g in marks(root)} >= {"2016-05-27", "2016-04-15", "2016-04-01"}


@pytest.mark.parametrize("spec, message", [
    ("{type: money, label: prijs, span_from: started_on}", "has span_from but is not a date"),
    ("{type: date, label: einde, span_from: price}", "which is not a date fact"),
    ("{type: date, label: einde, span_from: nothing_here}", "which is not a date fact"),
])
def test_span_from_must_pair_two_date_facts(tmp_path, spec, message):
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": CARD})
    facts = root / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + f"  odd_fact: {spec}\n", encoding="utf-8")
    errors = load_errors(root)
    assert any(message in e.message and e.position.line > 1 for e in errors), [str(e) for e in errors]


def test_each_instalment_of_a_payment_schedule_is_a_mark_on_its_date(tmp_path):
    card = CARD_HEAD + """\
  valid_from: 2016-01-01
payments:
  coaching:
    label: Begeleiding per kwartaal
    schedule: every 3 months from started_on until ended_on
    amount: €100
"""
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card}))
    # from 2016-01-15: 2016-04-15 and 2016-07-15, then the last (shorter) period ends 2016-09-01;
    # as of 2016-05-01 the first is due, the others pending
    result, root = svg_of(engine, {"started_on": "2016-01-15", "ended_on": "2016-09-01"}, "2016-05-01")
    payments = sorted((g.get("data-date"), g.get("class").split()[2]) for g in marks(root)
                      if "payment" in g.get("class"))
    assert payments == [("2016-04-15", "status-due"), ("2016-07-15", "status-pending"),
                        ("2016-09-01", "status-pending")]
    # the table beside the picture says each status in Dutch, a pending one too (it was left blank)
    assert [row["status"] for row in table_rows(result) if row["what"] == "betaling"] == [
        "te betalen", "nog niet te betalen", "nog niet te betalen"]
