"""`catalogue batch`: many cases from CSV or JSON Lines, a result row per case, bad rows reported and skipped.

Expected values are worked out by hand from the fixture's U-XR card (tests/fixtures/catalogue/products/uwv/U-XR.yaml):
- plan_due = registered_on + 56 days: "Het Re-integratieplan moet binnen maximaal 56 kalenderdagen zijn
  ingediend, nadat de klant door UWV is aangemeld." Registered 2016-04-01: 2016-05-27.
- work_resumed_due = registered_on + 26 weeks for orientation and mediation only, else + 104 weeks: "Dan
  dient de klant op uiterlijk 26 weken na datum aanmelding het werk hervat te hebben". Registered
  2016-04-01: 2016-09-30 (182 days); with other phases 2018-03-30 (728 days).
- the fee splits 60/40: "No cure less pay in de verhouding 60 procent inspanningsverplichting en 40 procent
  resultaatsverplichting", and 80/20 under the Protocol Zeer Moeilijk Plaatsbaar. €4000: 2400.00 and
  1600.00; hard to place: 3200.00 and 800.00.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from cards import CASES, FIXTURE, invoke
from interpreter import batch, cases, rows
from interpreter.api import Engine

SCRIPT = Path(sys.executable).with_name("catalogue")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "import cli; cli.run()"]

HEADER = "id,registered_on,price,phases,hard_to_place,benefit,district,plan_submitted_on\n"
# c1: the card's worked example without dates after registration; c2: hard to place, plan submitted in
# time; c3: all four phases, so 104 weeks.
GOOD_ROWS = (
    "c1,2016-04-01,4000,orientation mediation,false,WGA,D03,\n"
    "c2,2016-04-01,€4000,orientation;mediation,ja,Wajong,D05,2016-05-20\n"
    'c3,2016-04-01,4000.00,"orientation,preparation,strengthening,mediation",no,ZW,D01,\n'
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(*args, input: str | None = None):
    return invoke("batch", *args, input=input)


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def leftovers(folder: Path) -> list[str]:
    """Temporary files a run left in the output folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- CSV in, CSV out -----------------------------------------------------------------------------

def test_csv_to_csv_gives_a_row_per_case_in_the_products_columns(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out, "--jobs", 1, "--as-of", "2016-04-01")
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out)
    assert [row["id"] for row in rows] == ["c1", "c2", "c3"]
    assert [row["row"] for row in rows] == ["1", "2", "3"]
    c1, c2, c3 = rows
    assert (c1["as_of"], c1["rules_on"]) == ("2016-04-01", "2016-04-01")  # rules_on: the registration date
    assert (c1["plan_due.date"], c1["plan_due.status"]) == ("2016-05-27", "open")
    assert (c1["work_resumed_due.date"], c1["work_resumed_due.status"]) == ("2016-09-30", "open")
    assert (c1["effort.amount"], c1["result.amount"]) == ("2400.00", "1600.00")
    assert (c2["plan_due.date"], c2["plan_due.status"]) == ("2016-05-27", "met")  # submitted 2016-05-20
    assert (c2["effort.amount"], c2["result.amount"]) == ("3200.00", "800.00")  # "ja": hard to place
    assert c3["work_resumed_due.date"] == "2018-03-30"  # 104 weeks
    assert (c3["effort.amount"], c3["result.amount"]) == ("2400.00", "1600.00")  # "no": not hard to place
    # Values as evaluate's JSON writes them: money with two decimals, lists space-separated.
    assert c1["max_price"] == "5000.00"
    assert c1["order_number"] == "U-XR’X’ D03"
    assert c1["price_within_guideline.passed"] == "true"
    # A payment names the fact it is paid on while that is unknown: plan approval, return to work.
    assert c1["error"] == "" and c1["missing"] == ("contract_end_on contract_started_on estimated_value "
                                                   "plan_approved_on work_resumed_on")
    assert "Wajong" in c1["client_groups"].split()
    assert result.stderr.startswith("3 cases: 3 evaluated, 0 bad rows; wrote ")


def test_csv_columns_come_from_the_card_not_from_the_cases(tmp_path):
    cases = write(tmp_path / "cases.csv", "id,registered_on\nx,2016-04-01\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:5] == ["row", "id", "as_of", "rules_on", "edition"]
    assert header[5:9] == ["plan_due.date", "plan_due.status", "work_resumed_due.date", "work_resumed_due.status"]
    assert {"effort.amount", "result.amount", "contract_evaluation.dates", "price_within_guideline.passed",
            "max_price", "drempelbedrag"} <= set(header)
    assert header[-2:] == ["missing", "error"]
    assert header == rows.result_columns(rows.rule_ids(Engine(FIXTURE).catalogue.products["U-XR"]))


def test_an_empty_cell_is_an_unknown_fact(tmp_path):
    cases = write(tmp_path / "cases.csv", "id,registered_on,phases,price\nx,2016-04-01,,\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    [row] = read_csv(out)
    assert row["plan_due.date"] == "2016-05-27"
    # Without phases the 26-or-104-weeks choice is open, and the missing facts are named.
    assert (row["work_resumed_due.date"], row["work_resumed_due.status"]) == ("", "unknown")
    assert row["effort.amount"] == ""
    assert {"phases", "price"} <= set(row["missing"].split())


@pytest.mark.parametrize("cell, hard", [("true", True), ("TRUE", True), ("yes", True), ("Ja", True), ("1", True),
                                        ("false", False), ("No", False), ("nee", False), ("0", False)])
def test_boolean_cells(tmp_path, cell, hard):
    cases = write(tmp_path / "cases.csv", f"registered_on,price,hard_to_place\n2016-04-01,4000,{cell}\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    assert read_csv(out)[0]["effort.amount"] == ("3200.00" if hard else "2400.00")


@pytest.mark.parametrize("cell", ["orientation mediation", "orientation;mediation", "orientation|mediation",
                                  "orientation, mediation", "  mediation   orientation "])
def test_set_cells_take_any_separator(tmp_path, cell):
    cases = write(tmp_path / "cases.csv", f'registered_on,phases\n2016-04-01,"{cell}"\n')
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    assert read_csv(out)[0]["work_resumed_due.date"] == "2016-09-30"  # exactly {orientation, mediation}


def test_semicolon_separated_csv_as_dutch_spreadsheets_write_it(tmp_path):
    cases = write(tmp_path / "cases.csv",
                  "id;registered_on;price;phases;hard_to_place\nnl;2016-04-01;4000;orientation,mediation;nee\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    [row] = read_csv(out)
    assert (row["id"], row["effort.amount"], row["work_resumed_due.date"]) == ("nl", "2400.00", "2016-09-30")


def test_a_byte_order_mark_and_blank_lines_are_not_rows(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_bytes(b"\xef\xbb\xbfid,registered_on\r\n\r\na,2016-04-01\r\n,\r\nb,2016-04-02\r\n\r\n")
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out)
    assert [(r["row"], r["id"], r["plan_due.date"]) for r in rows] == [("1", "a", "2016-05-27"),
                                                                      ("2", "b", "2016-05-28")]


def test_id_column_can_be_named(tmp_path):
    cases = write(tmp_path / "cases.csv", "client,registered_on\nK-17,2016-04-01\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out, "--id-column", "client").exit_code == 0
    assert read_csv(out)[0]["id"] == "K-17"


def test_as_of_judges_every_case_and_each_keeps_its_own_rules(tmp_path):
    cases = write(tmp_path / "cases.csv", "registered_on\n2016-04-01\n2016-05-02\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out, "--as-of", "2016-06-01").exit_code == 0
    first, second = read_csv(out)
    assert (first["as_of"], first["rules_on"]) == ("2016-06-01", "2016-04-01")
    assert (second["as_of"], second["rules_on"]) == ("2016-06-01", "2016-05-02")
    assert first["plan_due.status"] == "overdue"  # due 2016-05-27, nothing submitted by 2016-06-01
    assert second["plan_due.status"] == "open"  # due 2016-06-27


def test_without_as_of_every_case_is_judged_today(tmp_path):
    cases = write(tmp_path / "cases.csv", "registered_on\n2016-04-01\n")
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    [row] = read_csv(out)
    assert (row["as_of"], row["rules_on"]) == (dt.date.today().isoformat(), "2016-04-01")
    assert row["plan_due.status"] == "overdue"  # due 2016-05-27, long before today


def test_rules_on_as_an_option_and_as_a_column(tmp_path):
    # Registered before U-XR's only edition (from 2016-04-01): no rules of its own registration date.
    cases = write(tmp_path / "cases.csv", "id,registered_on,rules_on\nown,2016-03-06,2016-04-01\nnone,2016-03-06,\n")
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out, "--as-of", "2016-04-01")
    assert result.exit_code == 1
    own, none = read_csv(out)
    assert (own["rules_on"], own["plan_due.date"]) == ("2016-04-01", "2016-05-01")  # 2016-03-06 + 56 days
    assert "no edition of U-XR is valid on 2016-03-06" in none["error"]
    result = run("U-XR", cases, "--out", out, "--as-of", "2016-04-01", "--rules-on", "2016-04-02")
    assert result.exit_code == 0, result.stderr
    assert [row["rules_on"] for row in read_csv(out)] == ["2016-04-02", "2016-04-02"]  # the option wins
    lines = write(tmp_path / "cases.jsonl", '{"registered_on": "2016-03-06", "rules_on": "2016-04-01"}\n')
    assert run("U-XR", lines, "--out", out, "--as-of", "2016-04-01").exit_code == 0
    assert read_csv(out)[0]["rules_on"] == "2016-04-01"


# -- JSON Lines ----------------------------------------------------------------------------------

def test_jsonl_to_jsonl_passes_ids_through_and_skips_blank_lines(tmp_path):
    cases = write(tmp_path / "cases.jsonl",
                  '{"id": 7, "registered_on": "2016-04-01", "price": 4000, "phases": ["orientation", "mediation"],'
                  ' "hard_to_place": false}\n'
                  "\n"
                  '{"id": "b", "registered_on": "2016-04-01", "price": "€1234.56", "hard_to_place": null}\n')
    out = tmp_path / "out.jsonl"
    result = run("U-XR", cases, "--out", out)
    assert result.exit_code == 0, result.stderr
    first, second = read_jsonl(out)
    assert (first["row"], first["id"], second["row"], second["id"]) == (1, 7, 2, "b")
    assert "receipt" not in first
    effort = next(p for p in first["payments"] if p["id"] == "effort")
    assert (effort["share"], effort["amount"]) == ("60%", "2400.00")
    # hard_to_place null: not known, so the share is open and names the fact.
    effort = next(p for p in second["payments"] if p["id"] == "effort")
    assert effort["amount"] is None and effort["missing"] == ["hard_to_place", "plan_approved_on"]
    assert effort["status"] == "unknown"


def test_csv_to_jsonl_is_what_evaluate_prints_for_the_same_case(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    out = tmp_path / "out.jsonl"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    case = write(tmp_path / "c2.yaml", "registered_on: 2016-04-01\nprice: 4000\nphases: [orientation, mediation]\n"
                                       "hard_to_place: true\nbenefit: Wajong\ndistrict: D05\n"
                                       "plan_submitted_on: 2016-05-20\n")
    evaluated = invoke("evaluate", "U-XR", case)
    assert evaluated.exit_code == 0, evaluated.stderr
    expected = json.loads(evaluated.stdout)
    del expected["receipt"]
    got = read_jsonl(out)[1]
    assert (got.pop("row"), got.pop("id")) == (2, "c2")
    assert got == expected


def test_jsonl_in_csv_out_equals_csv_in(tmp_path):
    rows = list(csv.DictReader(io.StringIO(HEADER + GOOD_ROWS)))
    lines = []
    for row in rows:
        case = {"id": row["id"], "registered_on": row["registered_on"], "price": row["price"],
                "phases": row["phases"].replace(",", " ").replace(";", " ").split(),
                "hard_to_place": row["hard_to_place"] in ("ja", "true"), "benefit": row["benefit"],
                "district": row["district"]}
        if row["plan_submitted_on"]:
            case["plan_submitted_on"] = row["plan_submitted_on"]
        lines.append(json.dumps(case, ensure_ascii=False))
    from_json, from_csv = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run("U-XR", write(tmp_path / "cases.jsonl", "\n".join(lines) + "\n"), "--out", from_json).exit_code == 0
    assert run("U-XR", write(tmp_path / "cases.csv", HEADER + GOOD_ROWS), "--out", from_csv).exit_code == 0
    assert from_json.read_bytes() == from_csv.read_bytes()


def test_cases_from_standard_input(tmp_path):
    out = tmp_path / "out.csv"
    result = run("U-XR", "-", "--out", out, input=HEADER + GOOD_ROWS)
    assert result.exit_code == 0, result.stderr
    assert [r["plan_due.date"] for r in read_csv(out)] == ["2016-05-27"] * 3
    out = tmp_path / "out.jsonl"
    result = run("U-XR", "-", "--out", out, input='{"registered_on": "2016-04-01"}\n')
    assert result.exit_code == 0, result.stderr
    assert read_jsonl(out)[0]["deadlines"][0]["date"] == "2016-05-27"


# -- bad rows ------------------------------------------------------------------------------------

BAD = (HEADER
       + "ok1,2016-04-01,4000,orientation mediation,false,WGA,D03,\n"            # line 2, row 1
       + "feb,2016-02-30,4000,,,,,\n"                                           # line 3, row 2
       + "many,2016-04-01,lots,orientation,maybe,XYZ,D03,\n"                    # line 4, row 3
       + "short,2016-04-01\n"                                                   # line 5, row 4
       + "early,2015-01-01,,,,,,\n"                                             # line 6, row 5: no edition
       + "ok2,2016-04-02,4000,orientation mediation,true,WGA,D03,\n")           # line 7, row 6


def test_bad_rows_are_reported_with_row_and_line_and_the_good_ones_still_evaluated(tmp_path):
    cases = write(tmp_path / "cases.csv", BAD)
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    no_traceback(result)
    assert result.exit_code == 1
    rows = read_csv(out)
    assert [r["id"] for r in rows] == ["ok1", "feb", "many", "short", "early", "ok2"]
    good = [r for r in rows if not r["error"]]
    assert [(r["id"], r["plan_due.date"]) for r in good] == [("ok1", "2016-05-27"), ("ok2", "2016-05-28")]
    errors = {r["id"]: r["error"] for r in rows if r["error"]}
    assert errors["feb"] == "'registered_on': '2016-02-30' is not a date: February 2016 has 29 days"
    # Every wrong cell of a row at once, so that one edit fixes the row.
    assert errors["many"] == ("'price' must be an amount of money, not 'lots'; "
                              "'hard_to_place' must be a yes/no value, not 'maybe'; "
                              "'XYZ' is not a valid benefit for 'benefit'")
    assert errors["short"] == "the row has 2 cells, the header 8 columns"
    assert errors["early"].startswith("no edition of U-XR is valid on 2015-01-01")
    assert all(r["plan_due.date"] == "" for r in rows if r["error"])
    stderr = result.stderr
    assert f"{cases}:row 2 (line 3): 'registered_on': '2016-02-30' is not a date" in stderr
    assert f"{cases}:row 3 (line 4): 'price' must be an amount of money, not 'lots'" in stderr
    assert f"{cases}:row 3 (line 4): 'hard_to_place' must be a yes/no value, not 'maybe'" in stderr
    assert "hint: write true or false (also yes/no, ja/nee or 1/0)" in stderr
    assert f"{cases}:row 4 (line 5): the row has 2 cells" in stderr
    assert f"{cases}:row 5 (line 6): no edition of U-XR is valid on 2015-01-01" in stderr
    assert stderr.rstrip().splitlines()[-1].startswith(f"6 cases: 2 evaluated, 4 bad rows; wrote {out} (engine ")


def test_bad_rows_in_jsonl_output(tmp_path):
    cases = write(tmp_path / "cases.csv", BAD)
    out = tmp_path / "out.jsonl"
    assert run("U-XR", cases, "--out", out).exit_code == 1
    lines = read_jsonl(out)
    assert lines[1] == {"row": 2, "id": "feb",
                        "error": "'registered_on': '2016-02-30' is not a date: February 2016 has 29 days"}
    assert lines[0]["deadlines"][0]["date"] == "2016-05-27" and "error" not in lines[0]


def test_row_numbers_count_rows_and_lines_count_lines_across_quoted_newlines(tmp_path):
    cases = write(tmp_path / "cases.csv",
                  'id,registered_on,phases\n"two\nlines",2016-04-01,orientation\n\nx,2016-13-01,\n')
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    assert result.exit_code == 1
    assert read_csv(out)[0]["id"] == "two\nlines"
    assert f"{cases}:row 2 (line 5): 'registered_on': '2016-13-01' is not a date: there is no month 13" in result.stderr


def test_bad_jsonl_lines_are_rows_too(tmp_path):
    cases = write(tmp_path / "cases.jsonl",
                  '{"id": "a", "registered_on": "2016-04-01", "prise": 4000}\n'
                  "[1, 2]\n"
                  "{broken\n"
                  '{"id": "b", "registered_on": "2016-04-01", "phases": "orientation"}\n'
                  '{"id": "c", "registered_on": "2016-04-01"}\n')
    out = tmp_path / "out.jsonl"
    result = run("U-XR", cases, "--out", out)
    no_traceback(result)
    assert result.exit_code == 1
    lines = read_jsonl(out)
    assert [line.get("error") for line in lines] == [
        "unknown fact 'prise' (did you mean 'price'?)",
        "a line must hold one JSON object of facts",
        "not a JSON object: Expecting property name enclosed in double quotes",
        "'phases' must be a set of phase, not 'orientation'",
        None]
    assert lines[4]["deadlines"][0]["date"] == "2016-05-27"
    assert f"{cases}:row 3 (line 3): not a JSON object" in result.stderr
    assert "5 cases: 1 evaluated, 4 bad rows" in result.stderr


def test_a_line_that_is_not_utf8_spoils_only_its_row(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_bytes(b"id,registered_on\nJos\xe9,2016-04-01\nok,2016-04-01\n")
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    assert result.exit_code == 1
    rows = read_csv(out)
    assert rows[0]["error"] == "line 2 is not UTF-8 text"
    assert rows[1]["plan_due.date"] == "2016-05-27"
    assert "hint: save the file as UTF-8" in result.stderr


def test_stderr_lists_the_first_hundred_bad_rows_and_counts_the_rest(tmp_path):
    cases = write(tmp_path / "cases.csv", "registered_on\n" + "nope\n" * 150)
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    assert result.exit_code == 1
    assert result.stderr.count("is not a date") == 100
    assert f"... and 50 more bad rows, each in {out} with its error" in result.stderr
    assert len(read_csv(out)) == 150


# -- errors that stop the run before anything is written ------------------------------------------

def test_unknown_column_stops_before_evaluating_and_suggests_the_fact(tmp_path):
    cases = write(tmp_path / "cases.csv", "id,registerd_on,price\nx,2016-04-01,4000\n")
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    no_traceback(result)
    assert result.exit_code == 1
    assert (f"{cases}:1:4: unknown fact 'registerd_on' (did you mean 'registered_on'?): the column is not a fact"
            in result.stderr)
    assert "--id-column" in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_every_unknown_column_is_reported_at_once(tmp_path):
    cases = write(tmp_path / "cases.csv", "client,registered_on,prise\nx,2016-04-01,4000\n")
    result = run("U-XR", cases, "--out", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert "unknown fact 'client'" in result.stderr and "unknown fact 'prise'" in result.stderr
    assert "2 problems found" in result.stderr


def test_unknown_product_is_an_error_before_anything_is_written(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    out = tmp_path / "out.csv"
    result = run("U-XX", cases, "--out", out)
    assert result.exit_code == 1
    assert "unknown product 'U-XX'" in result.stderr and "did you mean 'U-XR'?" in result.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_rules_on_outside_every_edition_is_an_error_before_reading(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    result = run("U-XR", cases, "--out", tmp_path / "out.csv", "--rules-on", "2015-01-01")
    assert result.exit_code == 1
    assert "no edition of U-XR is valid on 2015-01-01" in result.stderr


@pytest.mark.parametrize("cases_name, out_name, message", [
    ("cases.txt", "out.csv", "Invalid value for CASES: '.txt' is not a format batch knows: use .csv, or .jsonl"),
    ("cases.json", "out.csv", "a .json file holds one JSON document, not a case per line"),
    ("cases.csv", "out.xlsx", "Invalid value for '--out': '.xlsx' is not a format batch knows"),
    ("cases.csv", "out", "/out' has no extension: use .csv, or .jsonl or .ndjson for JSON Lines"),
])
def test_unknown_extension_is_a_usage_error(tmp_path, cases_name, out_name, message):
    cases = write(tmp_path / cases_name, HEADER + GOOD_ROWS)
    result = run("U-XR", cases, "--out", tmp_path / out_name)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / out_name).exists()


@pytest.mark.parametrize("args, message", [
    (["--due-within", "-1"], "-1 is not in the range 0<=x<=36600"),
    # issue 11: a window past 9999-12-31 crashed with OverflowError; a hundred years is the limit
    (["--due-within", "2932896"], "2932896 is not in the range 0<=x<=36600"),
    (["--jobs", "0"], "0 is not in the range 1<=x<=64"),
    # every worker is a process holding the catalogue: a million of them is refused before any starts
    (["--jobs", "1000000"], "1000000 is not in the range 1<=x<=64"),
    (["--as-of", "2016-02-30"], "February 2016 has 29 days"),
])
def test_bad_options_are_usage_errors(tmp_path, args, message):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    result = run("U-XR", cases, "--out", tmp_path / "out.csv", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_cases_file_and_missing_output_folder(tmp_path):
    result = run("U-XR", tmp_path / "nope.csv", "--out", tmp_path / "out.csv")
    assert result.exit_code == 1 and "does not exist" in result.stderr
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    result = run("U-XR", cases, "--out", tmp_path / "no" / "such" / "out.csv")
    no_traceback(result)
    assert result.exit_code == 1 and "cannot write" in result.stderr


def test_an_empty_csv_file_has_no_header(tmp_path):
    result = run("U-XR", write(tmp_path / "cases.csv", ""), "--out", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert "is empty" in result.stderr and "header row" in result.stderr


def test_a_header_without_rows_gives_a_header_without_rows(tmp_path):
    out = tmp_path / "out.csv"
    result = run("U-XR", write(tmp_path / "cases.csv", HEADER), "--out", out)
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").count("\n") == 1
    assert result.stderr.startswith("0 cases: 0 evaluated, 0 bad rows")


def test_a_failing_run_leaves_the_previous_output_and_no_temporary_file(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS * 3)
    out = write(tmp_path / "out.csv", "the previous results\n")
    engine = Engine(FIXTURE)
    calls = []

    def interrupted(position, count):  # as if Ctrl-C came after the first chunk
        calls.append(count)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(engine, "U-XR", str(cases), out, on_progress=interrupted, chunk_rows=2)
    assert calls == [2]
    assert out.read_text(encoding="utf-8") == "the previous results\n"
    assert leftovers(tmp_path) == []


def test_a_bug_in_the_middle_of_a_run_leaves_nothing_half_written(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS * 3)
    out = tmp_path / "out.csv"
    engine = Engine(FIXTURE)
    made = engine.evaluator
    seen = []

    def evaluator(*args, **kwargs):  # the batch evaluates each case with the function this makes
        real = made(*args, **kwargs)

        def broken(*case):
            seen.append(1)
            if len(seen) == 5:
                raise RuntimeError("a bug")
            return real(*case)
        return broken

    engine.evaluator = evaluator
    with pytest.raises(RuntimeError):
        batch.run_batch(engine, "U-XR", str(cases), out, chunk_rows=2)
    assert not out.exists() and leftovers(tmp_path) == []


def test_the_output_gets_the_permissions_of_a_new_file(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    out = tmp_path / "out.csv"
    assert run("U-XR", cases, "--out", out).exit_code == 0
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # not the 0600 of a temporary file


# -- the signalling list: --due-within -----------------------------------------------------------

def test_due_within_window_edges(tmp_path, engine):
    # As of 2016-05-01 with 26 days: the window is 2016-05-01 .. 2016-05-27.
    cases = write(tmp_path / "cases.csv",
                  "id,registered_on,plan_submitted_on\n"
                  "edge,2016-04-01,\n"            # plan_due 2016-05-27 = as_of + 26 days: in
                  "after,2016-04-02,\n"           # plan_due 2016-05-28, one day later: out
                  "met,2016-04-01,2016-04-20\n"   # plan_due 2016-05-27 but submitted: out
                  "early,2016-04-04,\n")          # plan_due 2016-05-30: out
    out = tmp_path / "due.csv"
    result = run("U-XR", cases, "--out", out, "--as-of", "2016-05-01", "--due-within", 26)
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out)
    assert list(rows[0]) == ["row", "id", "product", "deadline", "label", "date", "days_left", "source", "error"]
    assert [(r["id"], r["deadline"], r["date"], r["days_left"]) for r in rows] == [
        ("edge", "plan_due", "2016-05-27", "26")]
    assert rows[0]["label"] == "Re-integratieplan ingediend"
    assert rows[0]["source"] == engine.product("U-XR").rules["plan_due"].source
    assert rows[0]["row"] == "1"
    assert "4 cases: 4 evaluated, 0 bad rows; 1 deadline due 2016-05-01 to 2016-05-27; wrote" in result.stderr
    # plan_due on as_of itself is in the window: as of 2016-05-30, "early" is due that day.
    result = run("U-XR", cases, "--out", out, "--as-of", "2016-05-30", "--due-within", 0)
    assert [(r["id"], r["date"], r["days_left"]) for r in read_csv(out)] == [("early", "2016-05-30", "0")]


def test_due_within_leaves_out_overdue_deadlines_and_orders_a_case_by_date(tmp_path, engine):
    # Orientation and mediation: work_resumed_due 2016-09-30. As of 2016-05-28 plan_due (05-27) is overdue.
    cases = write(tmp_path / "cases.csv", "id,registered_on,phases\nx,2016-04-01,orientation mediation\n")
    out = tmp_path / "due.jsonl"
    assert run("U-XR", cases, "--out", out, "--as-of", "2016-05-28", "--due-within", 365).exit_code == 0
    first_due = read_jsonl(out)[0]
    assert read_jsonl(out) == [{"row": 1, "id": "x", "product": "U-XR", "deadline": "work_resumed_due",
                                "label": "Werk hervat, of eindrapportage met de reden waarom niet",
                                "date": "2016-09-30", "days_left": 125,
                                "source": {"document": "000_d89555a14140057d.txt",
                                           "title": first_due["source"]["title"],
                                           "section": engine.product("U-XR").rules["work_resumed_due"].citation.section,
                                           "quote": first_due["source"]["quote"]}}]
    assert "Bestaat een Innovatief Re-integratietraject uit een" in first_due["source"]["quote"]
    # As of 2016-05-01 both are open: plan_due first, then work_resumed_due.
    assert run("U-XR", cases, "--out", out, "--as-of", "2016-05-01", "--due-within", 365).exit_code == 0
    assert [(d["deadline"], d["days_left"]) for d in read_jsonl(out)] == [("plan_due", 26),
                                                                          ("work_resumed_due", 152)]


def test_due_within_without_as_of_counts_from_today(tmp_path):
    today = dt.date.today()
    registered = today - dt.timedelta(days=50)  # plan_due = today + 6 days
    cases = write(tmp_path / "cases.csv", f"id,registered_on\nx,{registered.isoformat()}\n")
    out = tmp_path / "due.csv"
    result = run("U-XR", cases, "--out", out, "--due-within", 7)
    assert result.exit_code == 0, result.stderr
    [row] = read_csv(out)
    assert (row["deadline"], row["days_left"]) == ("plan_due", "6")
    assert f"due {today.isoformat()} to {(today + dt.timedelta(days=7)).isoformat()}" in result.stderr


def test_due_within_writes_bad_rows_too(tmp_path):
    cases = write(tmp_path / "cases.csv", "id,registered_on\nbad,2016-04-31\nok,2016-04-01\n")
    out = tmp_path / "due.csv"
    result = run("U-XR", cases, "--out", out, "--as-of", "2016-05-01", "--due-within", 30)
    assert result.exit_code == 1
    rows = read_csv(out)
    assert [(r["id"], r["deadline"], r["error"][:30]) for r in rows] == [
        ("bad", "", "'registered_on': '2016-04-31' "), ("ok", "plan_due", "")]


# -- the worker pool -----------------------------------------------------------------------------

def many_cases(path: Path, count: int) -> Path:
    """`count` U-XR cases over three years, a bad one every 997 rows."""
    lines = [HEADER.rstrip("\n")]
    start = dt.date(2016, 4, 1)
    for number in range(1, count + 1):
        day = start + dt.timedelta(days=number % 1000)
        price = "lots" if number % 997 == 0 else str(1000 + number % 4000)
        phases = "orientation mediation" if number % 3 else "orientation preparation mediation"
        hard = ("true", "false", "")[number % 3]
        submitted = (day + dt.timedelta(days=number % 70)).isoformat() if number % 2 else ""
        lines.append(f"n{number},{day.isoformat()},{price},{phases},{hard},WGA,D{1 + number % 11:02d},{submitted}")
    return write(path, "\n".join(lines) + "\n")


def test_two_jobs_write_exactly_what_one_job_writes(tmp_path):
    cases = many_cases(tmp_path / "cases.csv", 2 * batch.CHUNK_ROWS + 500)  # three chunks: a pool is used
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    first = run("U-XR", cases, "--out", one, "--jobs", 1)
    second = run("U-XR", cases, "--out", two, "--jobs", 2)
    assert first.exit_code == second.exit_code == 1  # the bad rows
    assert one.read_bytes() == two.read_bytes()
    assert first.stderr.replace(str(one), "OUT") == second.stderr.replace(str(two), "OUT")
    assert "4500 cases: 4496 evaluated, 4 bad rows" in second.stderr
    rows = read_csv(two)
    assert [int(r["row"]) for r in rows] == list(range(1, 4501))


def test_console_script_with_a_pool_jsonl_and_due_within(tmp_path):
    cases = many_cases(tmp_path / "cases.csv", 2 * batch.CHUNK_ROWS + 500)
    for args in (["--out", tmp_path / "x.jsonl"], ["--out", tmp_path / "due.csv", "--as-of", "2017-01-01",
                                                  "--due-within", "30"]):
        outputs = []
        for jobs in ("1", "2"):
            done = subprocess.run(COMMAND + ["batch", "U-XR", str(cases), "--jobs", jobs, "--no-progress"]
                                  + [str(a) for a in args], capture_output=True, text=True, timeout=300)
            assert done.returncode == 1, done.stderr
            assert "Traceback" not in done.stderr
            assert done.stdout == ""
            outputs.append(Path(args[1]).read_bytes())
        assert outputs[0] == outputs[1]
    assert leftovers(tmp_path) == []


def test_console_script_usage_error_exits_2_without_traceback(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    done = subprocess.run(COMMAND + ["batch", "U-XR", str(cases), "--out", str(tmp_path / "out.txt")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "'.txt' is not a format batch knows" in done.stderr


# -- progress ------------------------------------------------------------------------------------

def test_no_progress_bar_when_standard_error_is_not_a_terminal(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + GOOD_ROWS)
    result = run("U-XR", cases, "--out", tmp_path / "out.csv")
    assert result.stderr.count("\n") == 1  # the summary, and nothing else


def test_progress_can_be_forced_and_bad_rows_follow_the_bar(tmp_path):
    cases = write(tmp_path / "cases.csv", BAD)
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out, "--progress")
    assert result.exit_code == 1
    assert result.stderr.index("U-XR") < result.stderr.index("row 2 (line 3)")  # the bar's label first
    assert len(read_csv(out)) == 6


# -- cells into facts: the fast paths mean what the case files mean --------------------------------

@pytest.mark.parametrize("name, cells", [
    ("registered_on", ["2016-04-01", " 2016-04-01", "2016-02-29", "2016-02-30", "20160401", "2016-W01-1",
                       "0000-01-01", "2016-4-1", "٢٠١٦-٠٤-٠١"]),
    ("price", ["4000", "4000.00", "€4000", "€ 4000.5", "-1", "4,000", "1e3", "NaN", "٤٠٠٠"]),
    ("benefit", ["WGA", "wga", "Wajong", "X"]),
    ("introduction_hours", ["1.5", "2", "x"]),
    ("success_rate", ["60%", "60", "101%"]),
])
def test_cell_converters_agree_with_case_files(engine, name, cells):
    vocabulary = engine.catalogue.vocabulary
    fact = vocabulary.facts[name]
    convert = cases.cell_converter(fact, vocabulary)
    for cell in cells:
        expected = outcome(lambda: engine.facts({name: cell})[name])
        assert outcome(lambda: convert(cell.strip())) == expected, cell


# Money cells around the fast path's edges: the number domain holds 15 digits before the point and 10 after
# it (docs/robustness.md), a price is at least 0 (facts.yaml `minimum: 0`), and a cell is read up to 64 characters.
MONEY_CELLS = [
    "0", "-0", "0.00", "-0.00", "€0", "€ 12", "€  12.5", "€12", "12", "4000.00", "4000.5000000000",
    "999999999999999", "999999999999999.9999999999", "-999999999999999", "1000000000000000", "9999999999999999",
    "0.0000000001", "0.00000000001", "1.10000000000", "1.12345678901",
    "0001", "00.5", "000000000000000000001", "-01", "€ -3", "-1", "-0.01", "€-0.01",
    "1.", ".5", "+5", "1e3", "12 €", "€", "", "1" * 64, "1" * 65, "0." + "0" * 62, "€ " + "1" * 62,
]


def _converted(compute):
    """A value and its exact text (4000.00 is not 4000 here), or the message and hint of its error."""
    kind, *rest = outcome(compute)
    return (kind, rest[0], str(rest[0])) if kind == "value" else (kind, *rest)


@pytest.mark.parametrize("minimum", [Decimal(0), None, Decimal("10.50"), Decimal("-5")])
def test_money_cells_mean_what_the_case_files_mean_at_every_bound(engine, minimum):
    # The fast path takes a plain amount the domain surely holds and above the minimum; every other cell
    # must come out as the case files' conversion says, value or error.
    vocabulary = replace(engine.catalogue.vocabulary)
    vocabulary.facts = {**vocabulary.facts, "price": replace(vocabulary.facts["price"], minimum=minimum)}
    convert = cases.cell_converter(vocabulary.facts["price"], vocabulary)
    for cell in MONEY_CELLS:
        expected = _converted(lambda: cases.convert_facts({"price": cell}, vocabulary)["price"])
        assert _converted(lambda: convert(cell.strip())) == expected, cell


def test_money_cells_out_of_the_domain_keep_their_messages(engine):
    vocabulary = engine.catalogue.vocabulary
    convert = cases.cell_converter(vocabulary.facts["price"], vocabulary)
    refused = {"1000000000000000": "has more than 15 digits before the decimal point",
               "1.12345678901": "has more than 10 digits after the decimal point",
               "1" * 65: "has 65 characters, more than any number of the domain",
               "-0.01": "is -0.01, but it cannot be less than 0"}
    for cell, message in refused.items():
        with pytest.raises(cases.CaseError) as error:
            convert(cell)
        assert error.value.message == f"'price' {message}", cell
    assert str(convert("€ 12")) == "12" and str(convert("0.50")) == "0.50" and str(convert("0001")) == "1"


@pytest.mark.parametrize("name, values", [
    ("registered_on", ["2016-04-01", "2016-02-30", 20160401, "2016-04-01T10:00", True]),
    ("price", [4000, "4000.00", True, 4000.5, "€4000", [1]]),
    ("hard_to_place", [True, "true", 1]),
    ("phases", [["orientation", "mediation"], ["orientation", "x"], "orientation", [1]]),
    ("district", ["D01", "D12", 1]),
])
def test_value_converters_agree_with_case_files(engine, name, values):
    vocabulary = engine.catalogue.vocabulary
    convert = cases.value_converter(vocabulary.facts[name], vocabulary)
    for value in values:
        assert outcome(lambda: convert(value)) == outcome(lambda: engine.facts({name: value})[name]), value


def outcome(compute):
    """A value, or the message and hint of the error it raises."""
    try:
        return "value", compute()
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        return "error", type(error).__name__, getattr(error, "message", str(error)), getattr(error, "hint", None)


def test_the_demo_caseload_gives_the_signalling_list_of_make_demo(tmp_path):
    # U-XR: "Het Re-integratieplan moet binnen maximaal 56 kalenderdagen zijn ingediend, nadat de klant
    # door UWV is aangemeld." As of 2016-05-01 with 45 days ahead (up to 2016-06-15), by hand:
    # case-1 (2016-04-01) and case-3 (2016-04-11) submitted their plans; case-2 2016-04-04 + 56 = 2016-05-30
    # (29 days left); case-4 2016-04-18 + 56 = 2016-06-13 (43 days left); case-5 2016-05-02 + 56 = 2016-06-27
    # lies after the window.
    caseload = CASES / "u-xr-cases.csv"
    out = tmp_path / "due.csv"
    result = invoke("batch", "U-XR", caseload, "--out", out, "--due-within", "45", "--as-of", "2016-05-01")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["id"], r["deadline"], r["date"], r["days_left"]) for r in rows] == [
        ("case-2", "plan_due", "2016-05-30", "29"), ("case-4", "plan_due", "2016-06-13", "43")]


# -- hostile rows (issue 11, defect 7): each spoils only its own row, and nothing written runs -------

def test_hostile_jsonl_rows_are_bad_rows_and_the_run_goes_on(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        '{"id": "ok1", "registered_on": "2016-04-01"}',
        '{"id": "huge", "registered_on": "2016-04-01", "price": 100000000000000000000000000}',
        '{"id": "deep", "registered_on": %s}' % deep,
        '{"id": "\\ud800", "registered_on": "2016-04-01"}',
        '{"id": 1e999999, "registered_on": "2016-04-01"}',
        '{"id": 12345678901234567890.5, "registered_on": "2016-04-01"}',
        '{"id": "ok2", "registered_on": "2016-04-02"}',
    ]
    cases = write(tmp_path / "cases.jsonl", "\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = run("U-XR", cases, "--out", out)
    no_traceback(result)
    assert result.exit_code == 1  # bad rows were reported
    text = out.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines()]  # strict JSON: no Infinity, no NaN
    assert "Infinity" not in text
    assert [row["row"] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert rows[1]["error"] == "'price' has more than 15 digits before the decimal point"
    assert rows[2]["error"] == "not a case: the JSON is nested far too deep"
    assert rows[3]["id"] == "\ud800" and "error" not in rows[3]  # the id comes back as it was sent
    assert rows[4]["id"] == "1E+999999"  # too large for a JSON number a reader can hold: its exact text
    assert rows[5]["id"] == "12345678901234567890.5"  # a float would lose digits
    assert "error" not in rows[0] and "error" not in rows[6]


def test_a_row_over_the_size_limit_is_a_bad_row(tmp_path):
    from interpreter.limits import MAX_ROW_CHARS
    cases = write(tmp_path / "cases.csv", "id,registered_on\nbig," + "x" * MAX_ROW_CHARS + "\nok,2016-04-01\n")
    out = tmp_path / "out.csv"
    result = run("U-XR", cases, "--out", out)
    no_traceback(result)
    rows = read_csv(out)
    # 'big,' (4 characters), the cell and the line break
    assert rows[0]["error"] == f"the row has {MAX_ROW_CHARS + 5:,} characters, more than {MAX_ROW_CHARS:,}"
    assert rows[1]["id"] == "ok" and not rows[1]["error"]


def test_a_header_over_the_column_limit_is_refused_at_once(tmp_path):
    from interpreter.limits import MAX_COLUMNS
    cases = write(tmp_path / "cases.csv", ",".join(f"c{i}" for i in range(10_000)) + "\n")
    result = run("U-XR", cases, "--out", tmp_path / "out.csv")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"cases.csv:1:1: the header has 10,000 columns, more than {MAX_COLUMNS:,}" in result.stderr


def test_a_row_of_many_wrong_cells_names_each_column(tmp_path, engine):
    # Before, each wrong cell counted the columns before it again: quadratic in the row's length.
    from interpreter.batch import run_batch
    cases = write(tmp_path / "cases.csv", 'id,registered_on,price,benefit\nr1,nope,"lots, really",XYZ\n')
    bad = []
    run_batch(engine, "U-XR", str(cases), tmp_path / "out.csv", on_bad_row=bad.append)
    # r1 is columns 1-2, nope 4-7, the quoted cell 9-22, XYZ from 24.
    assert [(e.position.line, e.position.column) for e in bad[0].errors] == [(2, 4), (2, 9), (2, 24)]


@pytest.mark.parametrize("ident", ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"])
def test_csv_output_escapes_cells_a_spreadsheet_would_run(tmp_path, ident):
    cases = write(tmp_path / "cases.csv", "id,registered_on\n" + _csv_cell(ident) + ",2016-04-01\n"
                  + _csv_cell(ident) + ",nope\n")
    out = tmp_path / "out.csv"
    run("U-XR", cases, "--out", out)
    rows = read_csv(out)
    # OWASP: a cell starting with = + - @ (or a tab or carriage return, which the id loses when it is
    # stripped) gets a ' in front, so that it stays text.
    assert [row["id"] for row in rows] == ["'" + ident, "'" + ident]


def test_csv_output_keeps_negative_numbers_as_numbers():
    from interpreter.rows import csv_text
    # A value such as -3 (days) or -0.50 is a number to a spreadsheet, not a formula: left as it is.
    assert csv_text([["-3", "-0.50", "-2+3", "=1", "\tx", 5, None]]) == "-3,-0.50,'-2+3,'=1,'\tx,5,\n"


def test_a_window_that_reaches_past_9999_ends_on_9999_12_31(tmp_path):
    cases = write(tmp_path / "cases.csv", "id,registered_on\nc1,9999-12-01\n")
    out = tmp_path / "due.csv"
    result = run("U-XR", cases, "--out", out, "--as-of", "9999-12-31", "--due-within", "1")
    no_traceback(result)
    # The window 9999-12-31 ... 9999-12-31 + 1 day stops at the last day there is; the card's deadlines
    # for a case registered on 9999-12-01 lie past it, or cannot be computed: never an OverflowError.
    assert result.exit_code in (0, 1), result.output
    assert "9999-12-31" in result.stderr and "OverflowError" not in result.output


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_json_lines_output_escapes_the_characters_other_readers_split_lines_at(tmp_path):
    # Found by the fuzz suite: an error message echoing "a\u2028b" held a raw U+2028, at which
    # str.splitlines() and JavaScript before ES2019 end a line.
    cases = write(tmp_path / "cases.jsonl", '{"id": "x\\u2028y\\u0085z", "registered_on": "2016-04-01"}\n')
    out = tmp_path / "out.jsonl"
    run("U-XR", cases, "--out", out)
    text = out.read_text(encoding="utf-8")
    assert "\u2028" not in text and "\x85" not in text and len(text.splitlines()) == 1
    assert json.loads(text)["id"] == "x\u2028y\x85z"


# -- workers writing into the output themselves ----------------------------------------------------

def test_ordered_writes_put_chunks_in_input_order_whatever_order_they_finish_in(tmp_path, monkeypatch):
    import multiprocessing
    import threading

    path = tmp_path / "out.jsonl"
    with open(path, "wb") as handle:
        handle.write(b"head\n")
        handle.flush()
        writes = batch._OrderedWrites(multiprocessing.get_context(), handle.fileno(), 5)
        # The kernel may write less than asked for: the rest must follow at the right place.
        real = os.pwritev
        monkeypatch.setattr(os, "pwritev", lambda fd, parts, at: real(fd, [b"".join(parts)[:3]], at))
        chunks = {index: [f"chunk {index} part {p}\n".encode() for p in range(1500)] for index in range(3)}
        # Chunk 2 and 1 finish first: each waits for the one before it to claim its place.
        late = [threading.Thread(target=writes.write, args=(index, chunks[index])) for index in (2, 1)]
        for thread in late:
            thread.start()
        writes.write(0, chunks[0])
        for thread in late:
            thread.join(timeout=30)
        assert writes.end.value == 5 + sum(len(part) for parts in chunks.values() for part in parts)
    expected = b"head\n" + b"".join(part for index in range(3) for part in chunks[index])
    assert path.read_bytes() == expected


def test_a_chunk_waiting_to_write_gives_up_when_the_run_stops(tmp_path, monkeypatch):
    # One worker writes at a time; a worker that died holding the turn to write must not keep the others
    # waiting forever: when the run stops, a waiting chunk is abandoned (nothing of it written).
    import multiprocessing

    monkeypatch.setattr(batch._OrderedWrites, "POLL_SECONDS", 0.05)
    path = tmp_path / "out.jsonl"
    with open(path, "wb") as handle:
        writes = batch._OrderedWrites(multiprocessing.get_context(), handle.fileno(), 0)
        assert writes.writing.acquire(timeout=1)  # as a worker that died while writing leaves it
        writes.stop.value = 1
        with pytest.raises(batch._Abandoned):
            writes.write(0, [b"never written\n"])
        assert writes.end.value == len(b"never written\n")  # its place was claimed before the stop was seen
    assert path.read_bytes() == b""


def test_a_pool_writes_the_same_rows_as_one_process(tmp_path):
    cases = write(tmp_path / "cases.csv", HEADER + "".join(
        f"c{i},2016-{4 + i % 9:02d}-{1 + i % 28:02d},{1000 + i},orientation mediation,{'true' if i % 3 else 'false'},"
        f"WGA,D0{1 + i % 9},\n" for i in range(700)))
    engine = Engine(FIXTURE)
    outputs = {}
    for fmt in ("csv", "jsonl"):
        for jobs in (1, 2):
            out = tmp_path / f"out-{jobs}.{fmt}"
            summary = batch.run_batch(engine, "U-XR", str(cases), out, as_of=dt.date(2017, 1, 1), jobs=jobs,
                                      chunk_rows=50)
            assert summary.cases == summary.evaluated == 700
            outputs[fmt, jobs] = out.read_bytes()
        assert outputs[fmt, 1] == outputs[fmt, 2]
    assert len(outputs["jsonl", 1].splitlines()) == 700 and len(outputs["csv", 1].splitlines()) == 701
    assert [json.loads(line)["id"] for line in outputs["jsonl", 2].splitlines()] == [f"c{i}" for i in range(700)]


@pytest.mark.parametrize("jobs", [1, 2])  # one process writes its JSON Lines chunks as the workers do
def test_a_worker_that_cannot_write_stops_the_run_with_a_message_and_no_file(tmp_path, monkeypatch, jobs):
    import errno

    from interpreter.errors import CatalogueError

    cases = write(tmp_path / "cases.csv", HEADER + "".join(f"c{i},2016-04-01,4000,,,,,\n" for i in range(300)))
    out = tmp_path / "out.jsonl"

    def full(fd, parts, at):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwritev", full)  # the forked workers inherit it
    with pytest.raises(CatalogueError) as raised:
        batch.run_batch(Engine(FIXTURE), "U-XR", str(cases), out, as_of=dt.date(2017, 1, 1), jobs=jobs,
                        chunk_rows=50)
    assert raised.value.message == f"cannot write '{out}': No space left on device"
    assert not out.exists() and leftovers(tmp_path) == []


# -- a run that stops early ends its workers and never hangs --------------------------------------

def _plan_cases(tmp_path: Path, count: int) -> Path:
    return write(tmp_path / "cases.csv", "id,registered_on\n" + "".join(f"c{i},2016-04-01\n" for i in range(count)))


def _finishes(run_it, seconds: float = 60):
    """What run_it raised, failing the test if it has not returned within `seconds` (a hang)."""
    import threading

    raised: list[BaseException] = []

    def target():
        try:
            run_it()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            raised.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the run hung"
    return raised[0] if raised else None


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_worker_that_dies_with_a_chunk_stops_the_run_with_a_message_and_no_file(tmp_path, monkeypatch, fmt):
    import multiprocessing

    from cards import PLAN_CARD, card_engine
    from interpreter.errors import CatalogueError

    engine = card_engine(tmp_path, PLAN_CARD)
    cases = _plan_cases(tmp_path, 400)
    real = batch.Job.run

    def dies_on_the_first_chunk(self, records, joined=True):  # the chunks after it wait for its turn
        if records[0][0] == 1:
            os._exit(9)  # as a worker killed for want of memory
        return real(self, records, joined)

    monkeypatch.setattr(batch.Job, "run", dies_on_the_first_chunk)  # the forked workers inherit it
    out = tmp_path / f"out.{fmt}"
    error = _finishes(lambda: batch.run_batch(engine, "T-1", str(cases), out, as_of=dt.date(2017, 1, 1), jobs=2,
                                              chunk_rows=50))
    assert isinstance(error, CatalogueError)
    assert error.message == "a worker process stopped unexpectedly (exit code 9); the run is stopped"
    assert not out.exists() and leftovers(tmp_path) == []
    assert multiprocessing.active_children() == []


def test_a_chunk_that_fails_while_later_ones_wait_for_their_turn_stops_the_run(tmp_path, monkeypatch):
    import multiprocessing
    import time

    from cards import PLAN_CARD, card_engine

    engine = card_engine(tmp_path, PLAN_CARD)
    cases = _plan_cases(tmp_path, 400)
    real = batch.Job.run

    def fails_late(self, records, joined=True):
        if records[0][0] == 1:
            time.sleep(1)  # the workers' other chunks are done and waiting to write
            raise ZeroDivisionError("a bug")
        return real(self, records, joined)

    monkeypatch.setattr(batch.Job, "run", fails_late)
    out = tmp_path / "out.jsonl"
    error = _finishes(lambda: batch.run_batch(engine, "T-1", str(cases), out, as_of=dt.date(2017, 1, 1), jobs=2,
                                              chunk_rows=50))
    assert isinstance(error, ZeroDivisionError)
    assert not out.exists() and leftovers(tmp_path) == []
    assert multiprocessing.active_children() == []


def test_ctrl_c_during_a_run_ends_the_workers_and_leaves_no_file(tmp_path):
    import multiprocessing

    from cards import PLAN_CARD, card_engine

    engine = card_engine(tmp_path, PLAN_CARD)
    cases = _plan_cases(tmp_path, 2000)

    def interrupted(position, count):
        raise KeyboardInterrupt  # as Ctrl-C arrives in the main process while the workers run

    out = tmp_path / "out.jsonl"
    error = _finishes(lambda: batch.run_batch(engine, "T-1", str(cases), out, as_of=dt.date(2017, 1, 1), jobs=2,
                                              chunk_rows=50, on_progress=interrupted))
    assert isinstance(error, KeyboardInterrupt)
    assert not out.exists() and leftovers(tmp_path) == []
    assert multiprocessing.active_children() == []
