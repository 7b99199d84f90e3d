"""JSON Lines result rows: the rows that JsonRows splices from bytes are exactly the published
result contract, to_json of the engine's result (catalogue/schemas/result.schema.json), for every product,
for cases with any facts missing, for bad rows and for ids of any kind."""
from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import orjson
import pytest

from cards import FIXTURE, card_engine
from interpreter import types as t
from interpreter.api import Engine
from cards import BUNDLED
from interpreter.batch import run_batch
from interpreter.errors import CatalogueError
from interpreter import jsonrows, results
from interpreter.results import to_json
from interpreter.jsonrows import JsonRows
from interpreter.rows import Spliced, json_line_parts, json_lines, result_object

FIRST_DAY = dt.date(2015, 6, 1)


def contract_row(row: int, ident, result) -> bytes:
    """The row as the contract has it: to_json of the result (without the receipt, which the run's summary
    holds once), after the row number and the id, encoded as the service encodes a result."""
    data = {key: value for key, value in to_json(result).items() if key != "receipt"}
    return orjson.dumps({"row": row, "id": ident, **data})


def plain_value(fact, rng: random.Random):
    """A value of the fact's type as a case file writes it."""
    type_ = fact.type
    if type_ == t.DATE:
        return (FIRST_DAY + dt.timedelta(days=rng.randrange(4000))).isoformat()
    if type_ == t.MONEY:
        return f"{rng.randrange(0, 700000) / 100:.2f}" if rng.random() < 0.8 else rng.randrange(0, 300000)
    if type_ == t.PERCENT:
        return f"{rng.randrange(0, 101)}%"
    if type_ == t.NUMBER:
        return rng.choice([0, 1, 2, 7, 40, "2.5"])
    if type_ == t.BOOL:
        return rng.random() < 0.5
    if isinstance(type_, t.SetType):
        return [m for m in type_.enum.members if rng.random() < 0.6]
    if isinstance(type_, t.EnumType):
        return rng.choice(type_.members)
    raise AssertionError(f"no generator for {type_!r}")  # a new fact type: teach this test to write one


def random_cases(engine: Engine, count: int, seed: int, codes: list[str] | None = None):
    """(product, plain facts, as_of): every product in turn, each fact present or missing at random."""
    rng = random.Random(seed)
    facts = list(engine.catalogue.vocabulary.facts.values())
    codes = codes or sorted(engine.catalogue.products)
    for index in range(count):
        share = rng.choice([0.0, 0.3, 0.7, 1.0])  # nothing known, little, most, everything
        case = {fact.name: plain_value(fact, rng) for fact in facts if rng.random() < share}
        yield codes[index % len(codes)], case, FIRST_DAY + dt.timedelta(days=rng.randrange(4500))


@pytest.mark.parametrize("backend, memo_size, root", [("compiled", None, FIXTURE), ("reference", None, FIXTURE),
                                                      ("compiled", 3, FIXTURE), ("compiled", None, BUNDLED)])
def test_json_rows_are_to_json_byte_for_byte_for_every_product(backend, memo_size, root, monkeypatch):
    # An invariant of any catalogue, so the bundled one too: whatever its cards hold, the rows are to_json.
    written = []  # the layouts as they write their row function out for a shape
    real_write_out = jsonrows._Layout._write_out
    monkeypatch.setattr(jsonrows._Layout, "_write_out", lambda layout: (written.append(layout), real_write_out(layout)))
    if memo_size:  # memos that fill up at once: fields and entries made every time, rules turned direct, also
        # after a layout has written its function out (which then writes it again)
        monkeypatch.setattr(jsonrows, "MEMO_SIZE", memo_size)
        monkeypatch.setattr(jsonrows, "ENTRY_MEMO_SIZE", memo_size)
        monkeypatch.setattr(jsonrows, "LEARN_ROWS", 2)
        monkeypatch.setattr(jsonrows, "VALUE_TRIES", 4)  # values that no memo keeps: encoded into their template
    engine = Engine(root, backend=backend)
    made = JsonRows()
    compared, open_results, by_product = 0, 0, set()
    for row, (code, case, as_of) in enumerate(random_cases(engine, 1500 if backend == "compiled" else 300, 16),
                                              start=1):
        try:
            result = engine.evaluate(code, case, as_of=as_of)
        except CatalogueError:
            continue  # no edition on the case's date: a bad row, tested through the batch below
        spliced = made.result(row, f"c{row}", result, as_of, None)
        assert [piece.__class__ for piece in spliced] == [Spliced]  # never to_json and a whole encoding
        line = b"".join(json_line_parts(spliced))
        assert line == contract_row(row, f"c{row}", result) + b"\n", (code, case, as_of)
        compared += 1
        open_results += bool(result.missing)
        by_product.add(code)
    # Not a walk over nothing: most cases evaluate, many with facts missing, and every product is seen.
    assert compared > (1000 if backend == "compiled" else 200)
    assert open_results > compared // 4
    assert by_product == set(engine.catalogue.products)
    # Each edition's rows written out for their shape, once it has made enough rows to learn it.
    learned = {layout for layout in made._layouts.values() if layout.rows[0] > jsonrows.LEARN_ROWS}
    assert learned <= set(written) and (learned or backend == "reference")
    if memo_size:
        turned = [rule for layout in made._layouts.values() for rule in layout.rules.values() if rule.heads.direct]
        assert turned, "no rule's entries were made directly"
        assert len(written) > len(set(written))  # a shape written out again after a rule turned direct
        assert any(place.template for layout in made._layouts.values() for place in layout.places)


def test_json_rows_are_what_the_object_rows_give_for_ids_of_any_kind(engine):
    # An id is passed through from the cases file as it was read: JSON Lines gives any JSON value, a number
    # with a fraction as a Decimal. Rows spliced from bytes must write each as the object rows do.
    result = engine.evaluate("U-XR", {"registered_on": "2016-04-01", "price": 4000}, as_of=dt.date(2016, 6, 1))
    made = JsonRows()
    ids = [None, "", "c1", 7, -3, 2**70, Decimal("0.1"), Decimal("1E+400"), True, "x\u2028y\x85z\u2029",
           "\ud800", "\u00e9\u20ac\U0001f600", ["a", 1], {"k": Decimal("2.50")}]
    for row, ident in enumerate(ids, start=1):
        line = b"".join(made.result(row, ident, result, None, None)[0])
        assert line == json_lines(result_object(row, ident, result, None, None)), ident
        assert b"\xe2\x80\xa8" not in line and b"\xc2\x85" not in line and line.count(b"\n") == 1


def test_json_rows_follow_each_edition_and_escape_line_separators_from_the_card(tmp_path):
    # Two editions with their own title and labels: each row takes the constant parts of its own edition.
    # A label and a text value holding U+2028 must not end the line for readers that split there.
    card_engine(tmp_path, """\
      valid_from: 2016-01-01
      valid_until: 2016-12-31
    parameters:
      note:
        label: "Notitie\\u2028met regelscheiding"
        value: "\\"een\\u2028twee\\""
    deadlines:
      plan_due:
        label: "Plan\\u2029ingediend"
        due: registered_on + 56 days
    """)
    card = tmp_path / "cat" / "products" / "T-1.yaml"
    second = card.read_text(encoding="utf-8").replace("Test edition", "Second edition").replace(
        "valid_from: 2016-01-01", "valid_from: 2017-01-01").replace("valid_until: 2016-12-31", "valid_until: 2017-12-31")
    (tmp_path / "cat" / "products" / "T-1-2017.yaml").write_text(second.replace("Plan\\u2029ingediend", "Plan (2017)"),
                                                                encoding="utf-8")
    engine = Engine(tmp_path / "cat")
    made = JsonRows()
    lines = []
    for row, registered in enumerate(["2016-03-01", "2017-03-01", "2016-05-01", None], start=1):
        facts = {"registered_on": registered} if registered else {}
        result = engine.evaluate("T-1", facts, as_of=dt.date(2016, 6, 1),
                                 rules_on=dt.date(2017, 2, 1) if row == 2 else dt.date(2016, 2, 1))
        line = b"".join(made.result(row, row, result, None, None)[0])
        assert line == json_lines(result_object(row, row, result, None, None))
        assert json.loads(line) == json.loads(contract_row(row, row, result))
        lines.append(json.loads(line))
    assert [line["edition"] for line in lines] == ["Test edition", "Second edition", "Test edition", "Test edition"]
    assert [line["deadlines"][0]["label"] for line in lines] == ["Plan\u2029ingediend", "Plan (2017)",
                                                                 "Plan\u2029ingediend", "Plan\u2029ingediend"]
    # The plan is due 56 calendar days after registration (cards.PLAN_CARD: "Het plan moet binnen 56
    # kalenderdagen na aanmelding zijn ingediend"): 2016-03-01 + 56 days = 2016-04-26 (30 days to March 31,
    # 26 into April); 2017-03-01 + 56 = 2017-04-26; 2016-05-01 + 56 = 2016-06-26 (30 to May 31, 26 into June).
    assert [line["deadlines"][0]["date"] for line in lines] == ["2016-04-26", "2017-04-26", "2016-06-26", None]
    assert lines[3]["deadlines"][0]["missing"] == ["registered_on"]
    assert lines[0]["values"]["note"]["value"] == "een\u2028twee"


def test_a_batch_to_json_lines_writes_to_json_for_good_rows_and_errors_for_bad_ones(tmp_path, engine):
    rng = random.Random(2026)
    cases = []
    for index, (_, case, _) in enumerate(random_cases(engine, 300, 12, ["U-XR"])):
        if index % 7 == 0:
            case = dict(case, registered_on="2016-02-30")  # no such day: a bad row
        elif index % 11 == 0:
            case = dict(case, pirce=rng.randrange(100))  # no such fact: a bad row
        cases.append({"id": f"c{index}", **case})
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    as_of = dt.date(2018, 5, 1)
    for jobs in (1, 2):
        summary = run_batch(engine, "U-XR", str(path), out, as_of=as_of, jobs=jobs, chunk_rows=25)
        lines = out.read_bytes().splitlines()
        assert len(lines) == len(cases) == summary.cases
        bad = 0
        for row, (case, line) in enumerate(zip(cases, lines), start=1):
            facts = {key: value for key, value in case.items() if key != "id"}
            try:
                result = engine.evaluate("U-XR", facts, as_of=as_of)
            except CatalogueError:
                bad += 1
                assert set(json.loads(line)) == {"row", "id", "error"}
                assert json.loads(line)["id"] == case["id"]
                continue
            assert line == contract_row(row, case["id"], result)
        assert bad == summary.bad > 10
        assert summary.evaluated == len(cases) - bad > 200


@pytest.mark.parametrize("learn_rows", [2, 1000])  # written out for their shape, or made the general way
def test_rows_with_instalments_or_circa_values_are_spliced_and_to_json_too(tmp_path, monkeypatch, learn_rows):
    # to_json adds a payment's instalments and a value's `indicative` only where they apply; such rows are
    # spliced like any other (the instalments encoded per row after the payment's kept source). A schedule
    # "every 3 months from started_on until ended_on", invoiced afterwards: started 2016-01-01, ended
    # 2016-07-01, so two periods, due 2016-04-01 and 2016-07-01, each the rate of €250; ended 2016-10-01,
    # a third, due 2016-10-01. On 2016-05-01 the first is due, the others pending. Without the end the
    # schedule is unknown: no instalments. The hours are circa 12: a check on them (at most 10) is shown,
    # never failed.
    monkeypatch.setattr(jsonrows, "LEARN_ROWS", learn_rows)
    engine = card_engine(tmp_path, """\
      valid_from: 2016-01-01
    parameters:
      rate:
        label: Tarief per kwartaal
        value: €250
      hours:
        label: Uren per kwartaal
        value: circa 12
      interval:
        label: Factuurinterval
        value: 3 months
    payments:
      invoicing:
        label: Facturatie per kwartaal
        schedule: every interval from started_on until ended_on
        amount: rate
    checks:
      few_hours:
        label: Ten hoogste 10 uur per kwartaal
        test: hours <= 10
    """)
    made = JsonRows()
    cases = [{"started_on": "2016-01-01", "ended_on": "2016-07-01"}, {"started_on": "2016-01-01"}, {},
             {"started_on": "2016-01-01", "ended_on": "2016-10-01"}]
    lines = []
    for row, case in enumerate(cases * 3, start=1):
        result = engine.evaluate("T-1", case, as_of=dt.date(2016, 5, 1), rules_on=dt.date(2016, 2, 1))
        spliced = made.result(row, row, result, None, None)
        assert [piece.__class__ for piece in spliced] == [Spliced]
        line = b"".join(json_line_parts(spliced))
        assert line == contract_row(row, row, result) + b"\n", case
        lines.append(json.loads(line))
    instalments = [line["payments"][0].get("instalments") for line in lines[:4]]
    assert [[i["date"] for i in each] if each else each for each in instalments] == [
        ["2016-04-01", "2016-07-01"], None, None, ["2016-04-01", "2016-07-01", "2016-10-01"]]
    assert [i["status"] for i in instalments[3]] == ["due", "pending", "pending"]
    assert {i["amount"] for i in instalments[3]} == {"250.00"}
    assert lines[0]["values"]["hours"]["indicative"] is True
    assert lines[0]["checks"][0]["indicative"] is True and lines[0]["checks"][0]["passed"] is True
    layout = next(iter(made._layouts.values()))
    assert (layout.shape is not None) == (learn_rows == 2)


def test_amounts_are_encoded_as_to_jsons_helper_has_them_whatever_their_form():
    # An amount is encoded the quick way (its str()) only when its text has exactly two places; every other
    # amount (more or fewer places, an exponent, a negative, zero, not a Decimal) goes through to_json's helper.
    rng = random.Random(5)
    amounts = [Decimal("0.00"), Decimal("-0.00"), Decimal("-12.50"), Decimal("1727.36"), Decimal("5000"),
               Decimal("5000.0"), Decimal("5000.000"), Decimal("0.1"), Decimal("1E+3"), Decimal("1.23E+5"),
               Decimal("1.2E-7"), Decimal("12.5E-1"), Decimal("9.99E+2"), Decimal("123456789012345678901.25"), 7, None]
    amounts += [Decimal(rng.randrange(-10**9, 10**9)).scaleb(-rng.randrange(0, 5)) for _ in range(2000)]
    amounts += [Decimal(rng.randrange(1, 1000)).scaleb(rng.randrange(-12, 12)) for _ in range(2000)]
    quick = 0
    for amount in amounts:
        expected = orjson.dumps(results.money_json(amount))
        assert jsonrows._money_bytes(amount) == expected, amount
        quick += amount.__class__ is Decimal and str(amount)[-3:-2] == "."
    assert quick > 300  # both ways are walked: many amounts have the two places of the quick way


def test_a_row_splices_each_entrys_tail_as_kept_and_joins_the_short_pieces_between(engine, monkeypatch):
    # The quoted sources go to the file as the very bytes kept for the edition (never copied per row); what
    # lies between them is one piece each, so a chunk is a few pieces a row for the kernel, not a hundred.
    # Written out for the rows' shape, a tail also takes the constant text after it (the next entry's id
    # and label, when its head is made per row): only text with per-case fields in it is made per row.
    cases = [{"registered_on": f"2016-04-{day:02d}", "price": 4000 + day, "benefit": "WGA",
              "phases": ["orientation", "mediation"], "max_end_set_on": f"2016-04-{day:02d}"} for day in range(1, 29)]
    results_ = [engine.evaluate("U-XR", case, as_of=dt.date(2016, 6, 1)) for case in cases * 3]
    monkeypatch.setattr(jsonrows, "ENTRY_MEMO_SIZE", 4)  # the deadlines' heads, a date each day, made directly
    made = JsonRows()
    rows_made = [made.result(row, "a", result, None, None)[0] for row, result in enumerate(results_, start=1)]
    layout = next(iter(made._layouts.values()))
    general, written_out = rows_made[0], rows_made[-1]
    assert layout.shape is not None and not layout.learning  # the last rows were made by the written-out function
    entries = sum(len(getattr(results_[0], kind)) for kind in jsonrows.ENTRY_KINDS)
    assert entries > 5 and len(general) == 2 * entries + 1
    tails = [tail for kind in jsonrows.ENTRY_KINDS for entry in layout.entries[kind].values() for tail in entry[1:3]]
    assert all(len(tail) > 200 and b'"source":' in tail for tail in tails)
    assert all(any(piece is tail for tail in tails) for piece in general[1::2])
    # Written out: as many tails, each the same object row after row, the values a piece of their own.
    assert len(written_out) == 2 * entries + 2
    assert all(piece is before and b'"source":' in piece
               for piece, before in zip(written_out[1:-3:2], rows_made[-2][1:-3:2]))
    # Made per row (not the same object as in the row before): after the first piece (the row's start, with
    # the first entry's head), none holds a label or a source.
    made_per_row = [piece for piece, before in zip(written_out, rows_made[-2]) if piece is not before]
    assert len(made_per_row) > 3
    assert all(b'"label":' not in piece and b'"source":' not in piece for piece in made_per_row[1:])


def test_unknown_values_and_parameters_are_encoded_as_to_json_has_them_row_after_row(tmp_path):
    # An unknown value is kept by the facts it misses (all its JSON holds), a parameter by being the same
    # object as in the row before: rows that alternate between known, unknown for other facts and unknown
    # for the same facts must each be to_json. The plan's end is 30 months after registration (a value of
    # the card below): 2016-03-01 + 30 months = 2018-09-01; 2016-01-31 + 30 months = 2018-07-31.
    engine = card_engine(tmp_path, """\
      valid_from: 2016-01-01
    parameters:
      cap:
        label: Maximum
        value: €5000
    values:
      plan_end:
        label: Einde plan
        value: registered_on + 30 months
      within_cap:
        label: Binnen het maximum
        value: price <= cap
    """)
    made = JsonRows()
    cases = [{}, {"registered_on": "2016-03-01"}, {"price": "4000.00"}, {}, {"registered_on": "2016-01-31",
                                                                          "price": "6000.00"}, {"price": "10"}]
    lines = []
    for row, case in enumerate(cases * 2, start=1):
        result = engine.evaluate("T-1", case, as_of=dt.date(2016, 5, 1), rules_on=dt.date(2016, 2, 1))
        line = b"".join(json_line_parts(made.result(row, row, result, None, None)))
        assert line == contract_row(row, row, result) + b"\n", case
        lines.append(json.loads(line)["values"])
    assert [line["plan_end"]["value"] for line in lines[:6]] == [None, "2018-09-01", None, None, "2018-07-31", None]
    assert [line["plan_end"]["missing"] for line in lines[:3]] == [["registered_on"], [], ["registered_on"]]
    assert [line["within_cap"]["value"] for line in lines[:6]] == [None, None, True, None, False, True]
    assert {line["cap"]["value"] for line in lines} == {"5000.00"}


@pytest.mark.parametrize("value_plans", [64, 1])  # a function for each set of values, or beyond that the loop
def test_rows_of_another_shape_are_made_the_general_way_until_their_shape_is_learned(tmp_path, monkeypatch,
                                                                                      value_plans):
    # An edition's row function is written out for the shape most of its first rows had (which rules, in
    # which order, and whether a payment has its schedule's instalments). A rule that applies only to some
    # cases changes the shape: such rows are made the general way, and when most rows are, their shape is
    # learned instead. Every row is to_json whichever way it is made.
    monkeypatch.setattr(jsonrows, "LEARN_ROWS", 4)
    monkeypatch.setattr(jsonrows, "VALUE_PLANS", value_plans)
    engine = card_engine(tmp_path, """\
      valid_from: 2016-01-01
    deadlines:
      plan_due:
        label: Plan ingediend
        due: registered_on + 56 days
      wajong_review:
        label: Evaluatie Sluitende Aanpak
        when: benefit == Wajong
        due: registered_on + 30 months
    values:
      closing_approach_until:
        label: Einde van de Sluitende Aanpak Wajong
        when: benefit == Wajong
        value: registered_on + 30 months
    """)
    made = JsonRows()
    written = []
    real_write_out = jsonrows._Layout._write_out
    monkeypatch.setattr(jsonrows._Layout, "_write_out", lambda layout: (written.append(layout.shape),
                                                                     real_write_out(layout)))
    other = {"registered_on": "2016-03-01", "benefit": "WGA"}
    wajong = {"registered_on": "2016-03-01", "benefit": "Wajong"}
    lines = []
    cases = [other] * 10 + [wajong, other, {"benefit": "Wajong"}, other] * 3 + [wajong] * 60
    for row, case in enumerate(cases, start=1):
        result = engine.evaluate("T-1", case, as_of=dt.date(2016, 5, 1), rules_on=dt.date(2016, 2, 1))
        line = b"".join(json_line_parts(made.result(row, row, result, None, None)))
        assert line == contract_row(row, row, result) + b"\n", (row, case)
        lines.append(json.loads(line))
        if row == 22:  # six Wajong rows made the general way, the other shape's still written out
            layout = next(iter(made._layouts.values()))
            assert layout.misses == 6 and layout.relearns == 0
    assert [[ident for ident, _ in shape[0]] for shape in written] == [["plan_due"], ["plan_due", "wajong_review"]]
    assert layout.relearns == 1 and layout.misses == 0
    assert len(layout.plans) == min(2, value_plans)  # the values with and without the Wajong one
    # Plan: 56 days after registration (cards.PLAN_CARD: "Het plan moet binnen 56 kalenderdagen na aanmelding
    # zijn ingediend"): 2016-03-01 + 56 = 2016-04-26. The Sluitende Aanpak runs 2.5 years, 30 months (12XR:
    # "gedurende een periode van maximaal 2,5 jaar"): 2016-03-01 + 30 months = 2018-09-01.
    assert [entry["date"] for entry in lines[10]["deadlines"]] == ["2016-04-26", "2018-09-01"]
    assert [entry["date"] for entry in lines[11]["deadlines"]] == ["2016-04-26"]
    assert lines[12]["deadlines"][1]["missing"] == ["registered_on"]
    assert lines[-1]["values"]["closing_approach_until"]["value"] == "2018-09-01"
    assert "closing_approach_until" not in lines[11]["values"]
