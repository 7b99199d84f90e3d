"""The `catalogue` command line: every command, every kind of bad input, exit codes, no tracebacks.

Most tests drive `cli.main` through click's CliRunner; a few run the real console script in a
subprocess to prove that what a user sees on stderr is a message, never a Python traceback.
Error positions are asserted exactly (file:line:column) wherever the test writes the YAML itself.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from interpreter import __version__
from interpreter.api import Engine
from cards import CARD_HEAD, CASES, FIXTURE, catalogue_with

REPO = Path(__file__).resolve().parent.parent


def case_code(case: Path) -> str:
    """The product a case file of tests/fixtures/cases is for, by its name: u-xr-case.yaml -> U-XR."""
    return case.name.split("-case.")[0].upper()


SCRIPT = Path(sys.executable).with_name("catalogue")
VIA_IMPORT = [sys.executable, "-c", "import cli; cli.run()"]
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else VIA_IMPORT

CASE_U_XR = """\
registered_on: 2016-04-01
phases: [orientation, mediation]
price: 4000
hard_to_place: false
"""

# A LN-3 case whose planned end is the 31st of a month after a February of 29 days.
CASE_LN_3_CLAMP = """\
registered_on: 2024-01-02
started_on: 2024-01-08
planned_end_on: 2024-03-31
"""

TEST_CARD_HEAD = """\
code: T-1
title: Test product
source: {document: test.txt, section: "1"}
edition: {name: first, valid_from: 2016-01-01}
"""


# -- helpers -------------------------------------------------------------------------------------

def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli.main, list(args), input=input)


def ok(*args: str, input: str | None = None):
    result = invoke(*args, input=input)
    assert result.exception is None, result.stderr
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result


def bad_input(*args: str, input: str | None = None):
    """Exit 1, a message on stderr, nothing on stdout, and no exception escaped the command."""
    result = invoke(*args, input=input)
    assert isinstance(result.exception, SystemExit), (
        f"an exception escaped the command: {result.exception!r}")
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == ""
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr
    return result


def usage_error(*args: str):
    result = invoke(*args)
    assert isinstance(result.exception, SystemExit)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr
    return result


def evaluate_json(*args: str, input: str | None = None) -> dict:
    return json.loads(ok("evaluate", *args, input=input).stdout)


def run_script(*args: str, input: str | None = None, cwd: Path | None = None,
               command: list[str] = COMMAND) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "CATALOGUE_TRACEBACK"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([*command, *args], input=input, capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd or REPO, env=env, timeout=120)


def position_of(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based line and column of `needle` (plus `offset` characters) in `text`."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Work inside tmp_path, so that files are reported by their short relative names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cat(workdir) -> Path:
    """A private copy of the fixture catalogue at ./cat, free to edit."""
    shutil.copytree(FIXTURE, workdir / "cat")
    return workdir / "cat"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def by_id(items: list[dict], id_: str) -> dict:
    matches = [item for item in items if item["id"] == id_]
    assert matches, f"no {id_} in {[item['id'] for item in items]}"
    return matches[0]


# -- validate, list, show ------------------------------------------------------------------------

def test_validate_accepts_the_default_catalogue():
    result = ok("validate")
    engine = Engine(FIXTURE)
    count = sum(len(editions) for editions in engine.catalogue.products.values())
    assert result.stdout.startswith(f"ok: {count} product cards")
    assert engine.catalogue.hash[:16] in result.stdout


def test_list_gives_a_line_per_product_with_code_title_and_source():
    lines = ok("list").stdout.splitlines()
    products = Engine(FIXTURE).catalogue.products
    assert len(lines) == len(products)
    for line, (code, editions) in zip(lines, products.items()):
        product = editions[-1]
        assert line.split()[0] == code
        assert product.title in line
        # the document by its title from catalogue.yaml `documents:`, as results and the service name it
        assert product.citation.title != product.citation.document
        assert product.citation.title in line and product.citation.section in line
    codes = [line.split()[0] for line in lines]
    for public in ("U-XR", "LN-3", "T2-A"):
        assert public in codes


def test_show_prints_rules_expressions_quotes_and_assumptions():
    out = ok("show", "U-XR").stdout
    product = Engine(FIXTURE).product("U-XR")
    assert out.splitlines()[0] == f"U-XR — {product.title}"
    assert "Deadlines" in out and "Payments" in out and "Checks" in out
    assert "plan_due: Re-integratieplan ingediend" in out
    assert "due = registered_on + 56 days" in out
    assert "binnen maximaal 56 kalenderdagen" in out  # the source quote
    for rule in product.rules.values():
        assert f"  {rule.id}: " in out
        if rule.citation and rule.citation.quote:
            assert rule.citation.quote in out
    assert "\nAssumptions\n" in out
    for assumption in product.assumptions:
        assert f"  {assumption.id}: " in out


def test_show_says_which_family_rule_a_card_overrides_and_why(tmp_path):
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    card = next((root / "products").rglob("U-EP.yaml"))
    card.write_text(card.read_text(encoding="utf-8") + textwrap.dedent("""
        checks:
          price_within_guideline:
            overrides: Eigen maximumbedrag van het EVP.
            label: Prijs niet boven € 650
            test: price <= max_price
        """), encoding="utf-8")
    out = ok("--catalogue", root, "show", "U-EP").stdout.splitlines()
    at = out.index("  price_within_guideline: Prijs niet boven € 650")
    # the family rule it replaces stands in families/uwv.yaml (its key 'price_within_guideline', line 43)
    assert out[at + 1] == (f"      overrides the family's rule ({root / 'families' / 'uwv.yaml'}:43:3): "
                           "Eigen maximumbedrag van het EVP.")


def test_show_includes_the_family_rules_of_leon():
    out = ok("show", "LN-3").stdout
    assert "family: leon" in out
    assert "extension_request_due" in out and "planned_end_on - 1 month" in out
    assert "een maand voor afloop van traject" in out


def test_show_with_as_of_outside_every_edition_fails_cleanly():
    result = bad_input("show", "LN-3", "--as-of", "2030-01-01")
    assert "no edition of LN-3 is valid on 2030-01-01" in result.stderr


def test_show_unknown_product_suggests_the_close_code():
    result = bad_input("show", "U-XT")
    assert "unknown product 'U-XT'" in result.stderr
    assert "did you mean 'U-XR'?" in result.stderr


def test_version():
    assert ok("--version").stdout.strip() == f"catalogue, version {__version__}"


# -- evaluate: the JSON contract -----------------------------------------------------------------

def test_evaluate_json_has_every_key_design_md_fixes(engine):
    out = evaluate_json("U-XR", str(CASES / "u-xr-case.yaml"), "--format", "json")
    assert out["product"] == "U-XR"
    assert isinstance(out["edition"], str) and out["edition"]
    assert out["rules_on"] == "2016-04-01"  # the case's registered_on
    assert out["as_of"] == dt.date.today().isoformat()
    assert list(out)[:6] == ["schema_version", "product", "title", "edition", "rules_on", "as_of"]
    assert {"deadlines", "payments", "reports", "checks", "values", "receipt"} <= set(out)
    assert "trace" not in out  # only with --explain

    for deadline in out["deadlines"]:
        assert {"id", "label", "date", "status", "missing", "source"} <= set(deadline)
        assert deadline["status"] in {"open", "met", "overdue", "unknown"}
        assert isinstance(deadline["missing"], list)
    plan = by_id(out["deadlines"], "plan_due")
    assert plan == plan | {"date": "2016-05-27", "status": "met", "missing": []}
    # the section as the card cites it: the source's own heading
    assert plan["source"]["document"] == "000_d89555a14140057d.txt" and \
        plan["source"]["section"] == engine.product("U-XR").rules["plan_due"].citation.section
    assert plan["source"]["quote"].startswith("Het Re-integratieplan moet binnen maximaal 56 kalenderdagen")

    for payment in out["payments"]:
        assert {"id", "label", "share", "amount", "trigger", "missing"} <= set(payment)
    effort, result = by_id(out["payments"], "effort"), by_id(out["payments"], "result")
    assert (effort["share"], effort["amount"]) == ("60%", "2400.00")
    assert (result["share"], result["amount"]) == ("40%", "1600.00")
    assert effort["trigger"] == {"fact": "plan_approved_on", "label": "akkoord Re-integratieplan"}
    # approved 2016-06-01, before as_of (today): the amount is known and due
    assert effort["missing"] == [] and effort["status"] == "due"
    # the return to work is not in the case: the result part waits for it and says so
    assert result["missing"] == ["work_resumed_on"] and result["status"] == "pending"

    for report in out["reports"]:
        assert {"id", "label", "date"} <= set(report)
    for check in out["checks"]:
        assert {"id", "label", "passed", "message"} <= set(check)
        assert check["passed"] in (True, False, None)
    assert by_id(out["checks"], "price_within_guideline")["passed"] is True

    assert out["values"]["max_price"]["value"] == "5000.00"  # money: a decimal string with two decimals

    receipt = out["receipt"]
    assert receipt["engine"] == __version__
    assert re.fullmatch(r"[0-9a-f]{64}", receipt["catalogue_hash"])
    assert receipt["catalogue_hash"] == Engine(FIXTURE).catalogue.hash


def test_evaluate_json_has_no_floats():
    text = ok("evaluate", "LN-3", str(CASES / "ln-3-case.yaml")).stdout

    def no_float(value):
        raise AssertionError(f"a float in the JSON output: {value}")

    json.loads(text, parse_float=no_float)


def test_evaluate_is_json_by_default_and_matches_the_api(engine):
    case = CASES / "u-xr-case.yaml"
    out = evaluate_json("U-XR", str(case))
    from interpreter.results import to_json
    facts = engine.read_case(case)
    assert out == json.loads(json.dumps(to_json(engine.evaluate("U-XR", facts, typed=True)), ensure_ascii=False))


def test_evaluate_open_results_name_the_missing_facts(workdir):
    write(workdir / "case.yaml", "registered_on: 2016-04-01\n")
    out = evaluate_json("U-XR", "case.yaml")
    effort = by_id(out["payments"], "effort")
    assert effort["amount"] is None and "price" in effort["missing"]
    assert by_id(out["deadlines"], "work_resumed_due")["status"] == "unknown"
    assert "phases" in by_id(out["deadlines"], "work_resumed_due")["missing"]


def test_evaluate_text_format():
    out = ok("evaluate", "U-XR", str(CASES / "u-xr-case.yaml"), "--format", "text", "--as-of", "2016-06-01").stdout
    lines = out.splitlines()
    assert lines[0].startswith("U-XR — ")
    assert lines[1].endswith("; regels van 2016-04-01; stand per 2016-06-01")
    assert "Termijnen" in lines and "Betalingen" in lines and "Controles" in lines
    # 000 §5.2: 2016-04-01 + 56 days = 2016-05-27; submitted 2016-05-20 (u-xr-case.yaml)
    assert re.search(r"^  2016-05-27\s+gehaald\s+Re-integratieplan ingediend, gedaan op 2016-05-20$", out, re.M)
    # 60% and 40% of the case's price of € 4.000
    assert re.search(r"^\s+60%\s+€\s+2\.400,00\s+Inspanningsdeel, bij akkoord Re-integratieplan", out, re.M)
    assert re.search(r"^\s+40%\s+€\s+1\.600,00\s+Resultaatdeel", out, re.M)
    assert re.search(r"^  Richtlijn maximumprijs .*: € 5\.000$", out, re.M)
    assert lines[-1] == f"kenmerk: engine {__version__}, catalogus {Engine(FIXTURE).catalogue.hash[:16]}"
    assert not out.lstrip().startswith("{")


@pytest.mark.parametrize("case", sorted(CASES.glob("*-case.*")), ids=lambda path: path.name)
def test_text_output_is_dutch_throughout(case):
    code = case_code(case)
    out = ok("evaluate", code, str(case), "--format", "text").stdout
    for english in ("Deadlines", "Payments", "Reports", "Checks", "Values", "Not applicable", "receipt",
                    "edition:", "rules on", "as of", ", done ", " on ", "needs", "unknown", "FAILED", " true", " false",
                    "overdue", "lapsed"):
        assert english not in out, english
    # Where a person reads a fact or a rule, it is named by its Dutch label, never by its id.
    product = Engine(FIXTURE).product(code)
    vocabulary = Engine(FIXTURE).catalogue.vocabulary
    for name in [*vocabulary.facts, *product.rules]:
        if "_" in name:
            assert not re.search(rf"\b{name}\b", out), name


def test_a_payment_whose_label_names_its_trigger_says_it_once():
    out = ok("evaluate", "LN-3", str(CASES / "ln-3-case.yaml"), "--format", "text").stdout
    line = next(line for line in out.splitlines() if "Bij akkoord Re-integratieplan" in line)
    assert line.lower().count("akkoord re-integratieplan") == 1


def test_text_output_speaks_the_rule_language_not_python():
    out = ok("evaluate", "LN-3", str(CASES / "ln-3-case.yaml"), "--format", "text", "--explain").stdout
    assert "Vaste prijs — fixed_price.value = ja" in out
    for python_word in ("None", "True", "False", "Decimal(", "datetime."):
        assert python_word not in out, python_word


def test_as_of_judges_the_statuses_and_defaults_to_today(workdir):
    write(workdir / "case.yaml", "registered_on: 2016-04-01\n")
    today = evaluate_json("U-XR", "case.yaml")
    assert (today["as_of"], today["rules_on"]) == (dt.date.today().isoformat(), "2016-04-01")
    # 000 §5.2: the plan within 8 weeks of registration: 2016-04-01 + 56 days = 2016-05-27, long past today
    assert by_id(today["deadlines"], "plan_due")["status"] == "overdue"
    before = evaluate_json("U-XR", "case.yaml", "--as-of", "2016-04-01")
    assert by_id(before["deadlines"], "plan_due")["status"] == "open"
    after = evaluate_json("U-XR", "case.yaml", "--as-of", "2016-06-01")
    assert (after["as_of"], after["rules_on"]) == ("2016-06-01", "2016-04-01")
    plan = by_id(after["deadlines"], "plan_due")
    assert (plan["date"], plan["status"]) == ("2016-05-27", "overdue")


def test_without_registration_date_as_of_is_today():
    out = evaluate_json("T2-A", str(CASES / "t2-a-case.json"))
    assert out["as_of"] == dt.date.today().isoformat()


def test_rules_on_selects_the_edition_and_fails_outside_it(workdir):
    write(workdir / "case.yaml", "registered_on: 2024-03-04\n")
    out = evaluate_json("LN-3", "case.yaml", "--rules-on", "2028-12-31", "--as-of", "2029-01-20")
    assert (out["rules_on"], out["as_of"]) == ("2028-12-31", "2029-01-20")
    result = bad_input("evaluate", "LN-3", "case.yaml", "--rules-on", "2030-01-01")
    assert re.search(r"LN-3\.yaml:\d+:\d+: no edition of LN-3 is valid on 2030-01-01", result.stderr)
    assert "give --rules-on a date inside" in result.stderr
    # --as-of alone never changes the rules: the registration date 2024-03-04 keeps them
    assert evaluate_json("LN-3", "case.yaml", "--as-of", "2030-01-01")["rules_on"] == "2024-03-04"


def test_a_case_file_may_give_its_rules_on(workdir):
    write(workdir / "case.yaml", "registered_on: 2030-01-01\nrules_on: 2028-12-31\n")
    out = evaluate_json("LN-3", "case.yaml", "--as-of", "2030-02-01")
    assert out["rules_on"] == "2028-12-31"
    assert "rules_on" not in json.dumps(out["values"]) and "rules_on" not in out["missing"]
    write(workdir / "bad.yaml", "registered_on: 2030-01-01\nrules_on: 31-12-2028\n")
    assert "bad.yaml:2:11:" in bad_input("evaluate", "LN-3", "bad.yaml").stderr


# -- evaluate --explain --------------------------------------------------------------------------

def test_explain_trace_has_card_positions_source_quotes_and_the_clamping_note(cat, workdir):
    write(workdir / "case.yaml", CASE_LN_3_CLAMP)
    out = evaluate_json("LN-3", "case.yaml", "--explain")
    extension = by_id(out["deadlines"], "extension_request_due")
    assert extension["date"] == "2024-02-29"

    family = (FIXTURE / "families" / "leon.yaml").read_text(encoding="utf-8")
    line, column = position_of(family, "due: planned_end_on - 1 month", len("due: "))
    entries = [e for e in out["trace"] if e.get("rule") == "extension_request_due" and e.get("part") == "due"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["location"] == f"{FIXTURE / 'families' / 'leon.yaml'}:{line}:{column}" or \
        entry["location"].endswith(f"families/leon.yaml:{line}:{column}")
    assert entry["expression"] == "planned_end_on - 1 month"
    assert entry["value"] == "2024-02-29"
    assert "een maand voor afloop van traject" in entry["source"]["quote"]
    assert entry["source"]["document"].startswith("002")
    notes = [step["note"] for step in entry["steps"] if "note" in step]
    assert any("clamp" in note and "2024-02-29" in note for note in notes), notes

    for item in out["trace"]:
        if "location" in item:
            assert re.fullmatch(r".+\.yaml:\d+:\d+", item["location"]), item
            assert item["expression"] and "value" in item


def test_explain_locations_name_the_catalogue_copy(cat, workdir):
    write(workdir / "case.yaml", CASE_LN_3_CLAMP)
    out = json.loads(ok("--catalogue", "cat", "evaluate", "LN-3", "case.yaml", "--explain").stdout)
    family = (cat / "families" / "leon.yaml").read_text(encoding="utf-8")
    line, column = position_of(family, "due: planned_end_on - 1 month", len("due: "))
    entry = next(e for e in out["trace"] if e.get("rule") == "extension_request_due" and "location" in e)
    assert entry["location"] == f"cat/families/leon.yaml:{line}:{column}"


def test_explain_text_shows_location_quote_and_clamping(cat, workdir):
    write(workdir / "case.yaml", CASE_LN_3_CLAMP)
    out = ok("--catalogue", "cat", "evaluate", "LN-3", "case.yaml", "--explain", "--format", "text").stdout
    family = (cat / "families" / "leon.yaml").read_text(encoding="utf-8")
    line, column = position_of(family, "due: planned_end_on - 1 month", len("due: "))
    assert f"extension_request_due.due = 2024-02-29   [cat/families/leon.yaml:{line}:{column}]" in out
    assert re.search(r"let op: .*clamped.*2024-02-29", out)
    assert "een maand voor afloop van traject" in out
    assert "\nUitleg (de regels zoals ze op de kaart staan)\n" in out


def test_without_explain_there_is_no_trace():
    out = evaluate_json("LN-3", str(CASES / "ln-3-case.yaml"))
    assert "trace" not in out
    text = ok("evaluate", "LN-3", str(CASES / "ln-3-case.yaml"), "--format", "text").stdout
    assert "Uitleg" not in text


# -- case sources: stdin, JSON -------------------------------------------------------------------

def test_case_from_stdin_yaml():
    out = evaluate_json("U-XR", "-", input=CASE_U_XR)
    assert by_id(out["payments"], "effort")["amount"] == "2400.00"
    assert by_id(out["deadlines"], "work_resumed_due")["date"] == "2016-09-30"


def test_case_from_stdin_json():
    case = json.dumps({"registered_on": "2016-04-01", "phases": ["orientation", "mediation"],
                       "price": "€4000", "hard_to_place": True})
    out = evaluate_json("U-XR", "-", input=case)
    effort = by_id(out["payments"], "effort")
    assert (effort["share"], effort["amount"]) == ("80%", "3200.00")


def test_case_file_in_json(workdir):
    write(workdir / "case.json", json.dumps({"registered_on": "2016-04-01", "price": "4000.00",
                                              "phases": ["preparation"], "hard_to_place": False}))
    out = evaluate_json("U-XR", "case.json")
    assert by_id(out["deadlines"], "work_resumed_due")["date"] == "2018-03-30"  # 104 weeks
    assert by_id(out["payments"], "result")["amount"] == "1600.00"


def test_bad_fact_on_stdin_is_reported_against_stdin():
    result = bad_input("evaluate", "U-XR", "-", input="registered_on: 2016-04-01\nregisterd_on: 2016-04-02\n")
    assert "<stdin>:2:1: unknown fact 'registerd_on' (did you mean 'registered_on'?)" in result.stderr


def test_empty_stdin_is_a_bad_case():
    result = bad_input("evaluate", "U-XR", "-", input="")
    assert result.stderr.startswith("<stdin>:1:1: ")


class EndlessInput(io.RawIOBase):
    """Standard input as long as `yes | catalogue evaluate ...` gives, counting what was read of it (it
    ends after 20 MB only so that a regression fails the test rather than hanging it)."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.read_bytes > 20_000_000:
            return 0
        line = b"x: 1\n" * (len(buffer) // 5)
        buffer[:len(line)] = line
        self.read_bytes += len(line)
        return len(line)


def test_endless_stdin_is_refused_after_the_document_limit(tmp_path):
    from interpreter.limits import MAX_DOCUMENT_CHARS
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": CARD_HEAD + "  valid_from: 2016-01-01\n"})
    endless = EndlessInput()
    result = CliRunner().invoke(cli.main, ["--catalogue", str(root), "evaluate", "T-1", "-"],
                                input=io.BufferedReader(endless))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("<stdin>:1:1: the file is too large: 2,000,001 characters, at most 2,000,000")
    # read one character past the limit (and a buffer's worth around it), never the whole stream
    assert endless.read_bytes < MAX_DOCUMENT_CHARS + 2 * io.DEFAULT_BUFFER_SIZE + 100_000


def test_a_case_that_is_not_a_mapping(workdir):
    write(workdir / "case.yaml", "- registered_on: 2016-04-01\n")
    result = bad_input("evaluate", "U-XR", "case.yaml")
    assert result.stderr.startswith("case.yaml:1:1: a case must be a block of 'fact: value' lines")


# -- --catalogue DIR -----------------------------------------------------------------------------

def test_catalogue_option_uses_the_copy(cat, workdir):
    assert ok("--catalogue", "cat", "validate").stdout.startswith("ok: ")
    # A policy change is a YAML edit: raise the U-XR price guideline in the copy only.
    card = cat / "products" / "uwv" / "U-XR.yaml"
    text = card.read_text(encoding="utf-8")
    assert "value: €5000" in text
    card.write_text(text.replace("value: €5000", "value: €6000", 1), encoding="utf-8")
    write(workdir / "case.yaml", CASE_U_XR)
    changed = json.loads(ok("--catalogue", "cat", "evaluate", "U-XR", "case.yaml").stdout)
    default = evaluate_json("U-XR", "case.yaml")  # $CATALOGUE_DIR: the fixture itself
    assert changed["values"]["max_price"]["value"] == "6000.00"
    assert default["values"]["max_price"]["value"] == "5000.00"
    assert changed["receipt"]["catalogue_hash"] != default["receipt"]["catalogue_hash"]
    assert [line.split()[0] for line in ok("--catalogue", "cat", "list").stdout.splitlines()] == \
        [line.split()[0] for line in ok("list").stdout.splitlines()]


def test_new_product_card_needs_no_code(cat, workdir):
    write(cat / "products" / "test" / "T-1.yaml", TEST_CARD_HEAD + textwrap.dedent("""\
        deadlines:
          plan_due:
            label: Plan opgeleverd
            due: registered_on + 5 days
        """))
    assert "T-1      Test product  [test.txt, 1]" in ok("--catalogue", "cat", "list").stdout
    write(workdir / "case.yaml", "registered_on: 2016-04-01\n")
    out = json.loads(ok("--catalogue", "cat", "evaluate", "T-1", "case.yaml").stdout)
    assert by_id(out["deadlines"], "plan_due")["date"] == "2016-04-06"


def test_nonexistent_catalogue_folder(workdir):
    for command in (["validate"], ["list"], ["evaluate", "U-XR", str(CASES / "u-xr-case.yaml")]):
        result = bad_input("--catalogue", "missing", *command)
        assert result.stderr.startswith("missing:1:1: the catalogue directory 'missing' does not exist")
        assert "hint:" in result.stderr


# -- bad case input: exit 1, file:line:col, no traceback -----------------------------------------

def test_unknown_product_suggests_the_close_code():
    result = bad_input("evaluate", "U-XT", str(CASES / "u-xr-case.yaml"))
    assert "unknown product 'U-XT'" in result.stderr
    assert "did you mean 'U-XR'?" in result.stderr


def test_unknown_product_without_close_match_points_to_list():
    result = bad_input("evaluate", "ZZZZZZ", str(CASES / "u-xr-case.yaml"))
    assert "unknown product 'ZZZZZZ'" in result.stderr
    assert "catalogue list" in result.stderr


@pytest.mark.parametrize("case, expected", [
    ("registered_on: 2016-04-01\nregisterd_on: 2016-04-01\n",
     "case.yaml:2:1: unknown fact 'registerd_on' (did you mean 'registered_on'?)"),
    ("registered_on: 2016-13-01\n",
     "case.yaml:1:16: 'registered_on': '2016-13-01' is not a date: there is no month 13"),
    ("registered_on: 2016-02-31\n",
     "case.yaml:1:16: 'registered_on': '2016-02-31' is not a date: February 2016 has 29 days"),
    ("registered_on: 2016-04-01\nprice: \"abc\"\n",
     "case.yaml:2:9: 'price' must be an amount of money, not 'abc'"),
    ("registered_on: 2016-04-01\nphases: WGA\n",
     "case.yaml:2:9: 'phases' must be a set of phase, not 'WGA'"),
    ("registered_on: 2016-04-01\nhard_to_place: \"maybe\"\n",
     "case.yaml:2:17: 'hard_to_place' must be a yes/no value, not 'maybe'"),
    ("registered_on: 2016-04-01\nphases: [orientation, mediaton]\n",
     "case.yaml:2:9: 'mediaton' is not a valid phase for 'phases' (did you mean 'mediation'?)"),
    ("registered_on: 2016-04-01\nbenefit: WGB\n",
     "case.yaml:2:10: 'WGB' is not a valid benefit for 'benefit' (did you mean 'WGA'?)"),
    ("registered_on: 2016-04-01\n price: 4000\n",
     "case.yaml:2:7: a ':' appears where YAML does not expect one"),
    ("registered_on: 2016-04-01\nprice: \"4000\n",
     "case.yaml:2:8: a quote is opened here but never closed"),
    ("registered_on: 2016-04-01\nregistered_on: 2016-04-02\n",
     "case.yaml:2:1: the key 'registered_on' appears twice in the same block (first on line 1)"),
])
def test_bad_case_file(workdir, case, expected):
    write(workdir / "case.yaml", case)
    result = bad_input("evaluate", "U-XR", "case.yaml")
    assert result.stderr.splitlines()[0] == expected


def test_wrong_types_come_with_a_hint(workdir):
    hints = {
        "price: \"abc\"\n": 'write amounts as 4000, 4000.00 or "€4000"',
        "phases: WGA\n": "write a list, e.g. [orientation, mediation]",
        "hard_to_place: \"maybe\"\n": "write true or false",
        "registered_on: 2016-13-01\n": "write dates as YYYY-MM-DD",
    }
    for line, hint in hints.items():
        write(workdir / "case.yaml", line)
        result = bad_input("evaluate", "U-XR", "case.yaml")
        lines = result.stderr.splitlines()
        # The message, the offending line with a caret under the column, then the hint.
        assert lines[1] == f"    {line.rstrip()}" and lines[2].strip() == "^"
        assert lines[3].startswith("    hint: ")
        assert hint in result.stderr


def test_every_problem_of_a_case_file_is_reported_at_once(workdir):
    write(workdir / "case.yaml", "registered_on: 2016-02-30\nprice: abc\nregisterd_on: 2016-04-01\nphases: WGA\n")
    result = bad_input("evaluate", "U-XR", "case.yaml")
    # each problem's own line; the quoted source line, the caret and the hint follow it
    lines = [line for line in result.stderr.splitlines() if line.startswith("case.yaml:") or "problems" in line]
    assert lines == ["case.yaml:1:16: 'registered_on': '2016-02-30' is not a date: February 2016 has 29 days",
                     "case.yaml:2:8: 'price' must be an amount of money, not 'abc'",
                     "case.yaml:3:1: unknown fact 'registerd_on' (did you mean 'registered_on'?)",
                     "case.yaml:4:9: 'phases' must be a set of phase, not 'WGA'",
                     "4 problems found"]


def test_bad_value_in_json_case_points_into_the_json(workdir):
    text = '{"registered_on": "2016-04-01", "price": "abc"}\n'
    write(workdir / "case.json", text)
    line, column = position_of(text, '"abc"', 1)
    result = bad_input("evaluate", "U-XR", "case.json")
    assert result.stderr.startswith(f"case.json:{line}:{column}: 'price' must be an amount of money, not 'abc'")


def test_unknown_fact_in_json_case(workdir):
    text = '{\n  "registered_on": "2016-04-01",\n  "registerd_on": "2016-04-01"\n}\n'
    write(workdir / "case.json", text)
    result = bad_input("evaluate", "U-XR", "case.json")
    assert result.stderr.startswith("case.json:3:3: unknown fact 'registerd_on' (did you mean 'registered_on'?)")


def test_missing_case_file(workdir):
    result = bad_input("evaluate", "U-XR", "nope.yaml")
    assert result.stderr.startswith("nope.yaml:1:1: the case file 'nope.yaml' does not exist")


def test_case_file_that_is_not_utf8(workdir):
    (workdir / "case.yaml").write_bytes(b"registered_on: 2016-04-01\nprice: \xff\xfe\n")
    result = bad_input("evaluate", "U-XR", "case.yaml")
    assert result.stderr.startswith("case.yaml:1:1: the file is not UTF-8 text")


def test_year_zero_in_a_case_is_a_bad_date_not_a_crash(workdir):
    write(workdir / "case.yaml", "registered_on: 0000-03-01\n")
    result = bad_input("evaluate", "U-XR", "case.yaml")
    assert result.stderr.startswith("case.yaml:1:16: ")
    assert "0000-03-01" in result.stderr


# -- bad catalogue: validate and evaluate exit 1 with the card's file:line:col --------------------

def test_type_error_in_a_fixture_card_copy(cat, workdir):
    card = cat / "products" / "uwv" / "U-XR.yaml"
    text = card.read_text(encoding="utf-8")
    assert "due: registered_on + 56 days" in text
    text = text.replace("due: registered_on + 56 days", "due: registered_on + 5", 1)
    card.write_text(text, encoding="utf-8")
    line, column = position_of(text, "due: registered_on + 5", len("due: registered_on "))
    write(workdir / "case.yaml", CASE_U_XR)
    # Evaluating another product does not need this card, so it does not stop it (its cards load on their own).
    for command in (["validate"], ["evaluate", "U-XR", "case.yaml"], ["list"], ["sheets", "--out", "s"]):
        result = bad_input("--catalogue", "cat", *command)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"cat/products/uwv/U-XR.yaml:{line}:{column}: "), first
        assert "number" in first and "date" in first
        assert "hint: give the number a unit" in result.stderr


def test_type_error_in_a_written_card(cat):
    write(cat / "products" / "test" / "T-1.yaml", TEST_CARD_HEAD + textwrap.dedent("""\
        deadlines:
          plan_due:
            label: Plan
            due: registered_on + 5
        """))
    result = bad_input("--catalogue", "cat", "validate")
    # line 8 is '    due: registered_on + 5'; the '+' stands in column 24
    assert result.stderr.startswith("cat/products/test/T-1.yaml:8:24: cannot add a number to a date")


def test_unknown_name_in_a_card_suggests_the_fact(cat):
    write(cat / "products" / "test" / "T-1.yaml", TEST_CARD_HEAD + textwrap.dedent("""\
        deadlines:
          plan_due:
            label: Plan
            due: registerd_on + 5 days
        """))
    result = bad_input("--catalogue", "cat", "validate")
    assert result.stderr.startswith("cat/products/test/T-1.yaml:8:10: unknown name 'registerd_on'")
    assert "did you mean 'registered_on'?" in result.stderr


def test_several_problems_are_all_reported(cat):
    write(cat / "products" / "test" / "T-1.yaml", TEST_CARD_HEAD + textwrap.dedent("""\
        deadlines:
          plan_due:
            label: Plan
            due: registered_on + 5
          report_due:
            label: Report
            due: registerd_on + 5 days
        """))
    result = bad_input("--catalogue", "cat", "validate")
    assert "cat/products/test/T-1.yaml:8:24: " in result.stderr
    assert "cat/products/test/T-1.yaml:11:10: " in result.stderr
    assert result.stderr.rstrip().endswith("2 problems found")


def test_broken_yaml_in_a_card(cat, workdir):
    write(cat / "products" / "test" / "T-1.yaml", "code: T-1\ntitle: Test product\nsource:\n\tdocument: test.txt\n")
    write(workdir / "case.yaml", CASE_U_XR)
    for command in (["validate"], ["evaluate", "T-1", "case.yaml"], ["list"]):
        result = bad_input("--catalogue", "cat", *command)
        assert result.stderr.startswith("cat/products/test/T-1.yaml:4:1: a tab character is used for indentation")
        assert "hint: YAML indentation must use spaces" in result.stderr


def test_broken_yaml_in_a_fixture_card_copy(cat):
    card = cat / "products" / "uwv" / "U-XR.yaml"
    text = card.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/card.schema.json\ncode: U-XR\n")
    card.write_text(text.replace("code: U-XR\n", "code: U-XR\n title: x: y\n", 1), encoding="utf-8")
    result = bad_input("--catalogue", "cat", "validate")
    first = result.stderr.splitlines()[0]
    # line 1 is the editor's schema line, line 2 the code, line 3 the broken one
    assert re.match(r"cat/products/uwv/U-XR\.yaml:3:\d+: ", first), first


def test_catalogue_without_facts_file(cat):
    (cat / "facts.yaml").unlink()
    result = bad_input("--catalogue", "cat", "validate")
    assert "cat/facts.yaml:1:1: the catalogue has no facts.yaml" in result.stderr


def test_year_zero_in_a_card_is_a_bad_date_not_a_crash(cat):
    write(cat / "products" / "test" / "T-1.yaml",
          TEST_CARD_HEAD.replace("valid_from: 2016-01-01", "valid_from: 0000-01-01"))
    result = bad_input("--catalogue", "cat", "validate")
    assert result.stderr.startswith("cat/products/test/T-1.yaml:4:")
    assert "0000-01-01" in result.stderr


# -- usage errors: exit 2 ------------------------------------------------------------------------

def test_unknown_command():
    assert "No such command 'frobnicate'" in usage_error("frobnicate").stderr


def test_missing_argument():
    assert "Missing argument 'CASEFILE'" in usage_error("evaluate", "U-XR").stderr
    assert "Missing argument 'CODE'" in usage_error("evaluate").stderr
    assert "Missing argument 'CODE'" in usage_error("show").stderr


def test_bad_format():
    result = usage_error("evaluate", "U-XR", str(CASES / "u-xr-case.yaml"), "--format", "xml")
    assert "'xml' is not one of 'json', 'text'" in result.stderr


@pytest.mark.parametrize("day, message", [
    ("2016-13-01", "there is no month 13"),
    ("2016-02-30", "February 2016 has 29 days"),
    ("tomorrow", "'tomorrow' is not a date"),
    ("2016-4-1", "'2016-4-1' is not a date"),
    ("0000-01-01", "'0000-01-01' is not a date"),
])
def test_bad_as_of_date(day, message):
    result = usage_error("evaluate", "U-XR", str(CASES / "u-xr-case.yaml"), "--as-of", day)
    assert "Invalid value for '--as-of'" in result.stderr
    assert message in result.stderr


def test_catalogue_option_must_be_a_folder(workdir):
    write(workdir / "file.yaml", "a: 1\n")
    usage_error("--catalogue", "file.yaml", "validate")


# -- the demo ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(CASES.glob("*-case.*")), ids=lambda path: path.name)
def test_example_cases_evaluate(case):
    code = case_code(case)
    out = evaluate_json(code, str(case))
    assert out["product"] == code
    assert out["deadlines"] or out["payments"] or out["checks"]
    ok("evaluate", code, str(case), "--format", "text", "--explain")


def test_leon3_example_results():
    out = evaluate_json("LN-3", str(CASES / "ln-3-case.yaml"))
    intake = by_id(out["deadlines"], "intake_due")
    assert (intake["date"], intake["status"]) == ("2024-03-18", "met")
    assert by_id(out["deadlines"], "extension_request_due")["date"] == "2024-08-30"
    assert [p["amount"] for p in out["payments"]] == ["3000.00", "3000.00"]
    assert by_id(out["checks"], "longer_than_three_months")["passed"] is True


# -- the real console script: never a traceback ----------------------------------------------------

@pytest.mark.parametrize("command", [COMMAND, VIA_IMPORT], ids=["script", "import"])
def test_script_validates_and_evaluates(command):
    assert run_script("validate", command=command).returncode == 0
    done = run_script("evaluate", "U-XR", "tests/fixtures/cases/u-xr-case.yaml", command=command)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["product"] == "U-XR"


def test_script_reads_stdin():
    done = run_script("evaluate", "U-XR", "-", "--format", "text", input=CASE_U_XR)
    assert done.returncode == 0, done.stderr
    assert "2.400,00" in done.stdout
    done = run_script("evaluate", "T2-A", "-", input=(CASES / "t2-a-case.json").read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["product"] == "T2-A"


@pytest.mark.parametrize("case, args, pattern", [
    (None, ["evaluate", "U-XT", "tests/fixtures/cases/u-xr-case.yaml"], r"unknown product 'U-XT'.*did you mean 'U-XR'"),
    ("registered_on: 2016-04-01\nregisterd_on: 2016-04-01\n", ["evaluate", "U-XR", "{case}"],
     r"^{case}:2:1: unknown fact 'registerd_on' \(did you mean 'registered_on'\?\)"),
    ("registered_on: 2016-13-01\n", ["evaluate", "U-XR", "{case}"], r"^{case}:1:16: .*no month 13"),
    ("registered_on: 2016-02-31\n", ["evaluate", "U-XR", "{case}"], r"^{case}:1:16: .*February 2016 has 29 days"),
    ("price: \"abc\"\n", ["evaluate", "U-XR", "{case}"], r"^{case}:1:9: 'price' must be an amount of money"),
    ("phases: WGA\n", ["evaluate", "U-XR", "{case}"], r"^{case}:1:9: 'phases' must be a set of phase"),
    ("hard_to_place: \"maybe\"\n", ["evaluate", "U-XR", "{case}"], r"^{case}:1:17: 'hard_to_place' must be a yes/no"),
    ("registered_on: [2016-04-01\n", ["evaluate", "U-XR", "{case}"], r"^{case}:2:1: "),
    (None, ["evaluate", "U-XR", "does-not-exist.yaml"], r"^does-not-exist\.yaml:1:1: the case file"),
    (None, ["--catalogue", "no-such-folder", "validate"], r"^no-such-folder:1:1: the catalogue directory"),
    (None, ["evaluate", "LN-3", "tests/fixtures/cases/ln-3-case.yaml", "--rules-on", "2030-01-01"],
     r"LN-3\.yaml:\d+:\d+: no edition of LN-3 is valid on 2030-01-01"),
], ids=["product", "fact", "month", "day", "money", "set", "bool", "yaml", "nofile", "nocatalogue", "edition"])
def test_script_bad_input_exits_1_without_traceback(tmp_path, case, args, pattern):
    name = str(tmp_path / "case.yaml")
    if case is not None:
        write(tmp_path / "case.yaml", case)
    done = run_script(*[arg.format(case=name) for arg in args])
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    assert re.search(pattern.format(case=re.escape(name)), done.stderr, re.S | re.M), done.stderr


def test_script_bad_card_exits_1_without_traceback(tmp_path):
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    card = root / "products" / "uwv" / "U-XR.yaml"
    text = card.read_text(encoding="utf-8").replace("due: registered_on + 56 days", "due: registered_on + 5", 1)
    card.write_text(text, encoding="utf-8")
    line, column = position_of(text, "due: registered_on + 5", len("due: registered_on "))
    for args in (["validate"], ["evaluate", "U-XR", str(CASES / "u-xr-case.yaml")]):
        done = run_script("--catalogue", "cat", *args, cwd=tmp_path)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"cat/products/uwv/U-XR.yaml:{line}:{column}: "), done.stderr


@pytest.mark.parametrize("args", [
    ["frobnicate"],
    ["evaluate", "U-XR"],
    ["evaluate", "U-XR", "tests/fixtures/cases/u-xr-case.yaml", "--format", "xml"],
    ["evaluate", "U-XR", "tests/fixtures/cases/u-xr-case.yaml", "--as-of", "2016-13-01"],
    ["evaluate", "U-XR", "tests/fixtures/cases/u-xr-case.yaml", "--as-of", "0000-01-01"],
], ids=["command", "argument", "format", "as-of", "year-0"])
def test_script_usage_errors_exit_2_without_traceback(args):
    done = run_script(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Usage: catalogue" in done.stderr and "Error:" in done.stderr


def test_script_year_zero_case_is_reported_as_a_case_error(tmp_path):
    write(tmp_path / "case.yaml", "registered_on: 0000-03-01\n")
    done = run_script("evaluate", "U-XR", "case.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("case.yaml:1:16: "), done.stderr


def test_script_stops_quietly_when_the_reader_goes_away():
    env = {key: value for key, value in os.environ.items() if key != "CATALOGUE_TRACEBACK"}
    process = subprocess.Popen([*COMMAND, "evaluate", "LN-3", "tests/fixtures/cases/ln-3-case.yaml", "--explain"],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like `| head -0`
    stderr = process.stderr.read().decode("utf-8")
    process.stderr.close()
    assert process.wait(timeout=120) != 2
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr


def test_run_turns_an_unexpected_exception_into_one_line(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "evaluate", broken)
    monkeypatch.delenv("CATALOGUE_TRACEBACK", raising=False)
    monkeypatch.setattr(sys, "argv", ["catalogue", "evaluate", "U-XR", str(CASES / "u-xr-case.yaml")])
    with pytest.raises(SystemExit) as stopped:
        cli.run()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("internal error: RuntimeError: boom\n")
    assert "Traceback" not in err and "CATALOGUE_TRACEBACK=1" in err
    monkeypatch.setenv("CATALOGUE_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.run()


def test_a_cases_rules_on_is_not_drawn_as_an_event_of_its_timeline(workdir):
    write(workdir / "case.yaml", "registered_on: 2016-04-01\nrules_on: 2016-04-02\n")
    svg = ok("evaluate", "U-XR", "case.yaml", "--format", "svg", "--as-of", "2016-05-01").stdout
    assert 'class="mark event' in svg and 'data-date="2016-04-01"' in svg  # the registration is an event
    assert 'data-date="2016-04-02"' not in svg  # the rules date is not something that happened


def test_show_says_which_deadline_is_a_right():
    out = ok("show", "LN-3").stdout.splitlines()
    at = next(i for i, line in enumerate(out) if line.strip().startswith("extension_request_due"))
    assert "      optional: a right, not a duty (late or lapsed, never overdue)" in out[at:at + 8]
    assert sum("optional:" in line for line in out) == 1


def test_every_command_names_files_relative_to_the_working_directory(cat):
    # The catalogue given by its absolute path, from inside the folder that holds it: `test` and
    # `validate` (and what writes files) all say cat/..., as the user sees the folder.
    tests = next(cat.glob("products/**/U-XR.tests.yaml"))
    text = tests.read_text(encoding="utf-8")
    tests.write_text(text.replace('status: met, done_on: "2016-05-20"', 'status: overdue, done_on: "2016-05-20"', 1),
                     encoding="utf-8")
    failed = invoke("--catalogue", cat.resolve(), "test", "U-XR")
    assert failed.exit_code == 1
    assert failed.stdout.startswith("FAILED cat/products/uwv/U-XR.tests.yaml:")
    tests.write_text(text.replace("product: U-XR", "product: U-XQ", 1), encoding="utf-8")
    unknown = invoke("--catalogue", cat.resolve(), "test")
    assert unknown.stderr.startswith("cat/products/uwv/U-XR.tests.yaml:7:10: the test cases are for product 'U-XQ'")
    tests.write_text(text, encoding="utf-8")
    card = next(cat.glob("products/**/U-XR.yaml"))
    written = card.read_text(encoding="utf-8")
    card.write_text(written.replace("+ 56 days", "+ 56 dayz"), encoding="utf-8")
    broken = invoke("--catalogue", cat.resolve(), "validate")
    assert broken.stderr.startswith("cat/products/uwv/U-XR.yaml:")
    card.write_text(written, encoding="utf-8")
    wrote = invoke("--catalogue", cat.resolve(), "schema", "--out", cat.resolve() / "out")
    assert wrote.stdout.splitlines()[0].startswith("wrote cat/out/")


def test_show_prints_a_decision_table_and_a_lookup_as_tables(tmp_path):
    from test_tables import SPLIT, lookup_card
    card = SPLIT + lookup_card().split("  valid_from: 2016-01-01\n", 1)[1]
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card})
    result = invoke("--catalogue", root, "show", "T-1")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("Tables")
    assert lines[start + 1:start + 7] == [
        "  split: Verdeling",
        "      inputs: full_pay = full_pay ?? false, hard_to_place = hard_to_place",
        "      full_pay  hard_to_place | effort_share  result_share",
        "      false     false         | 60%           40%",
        "      false     true          | 80%           20%",
        "      true      -             | 100%          0%",
    ]
    start = lines.index("Lookups")
    assert lines[start + 1:start + 4] == ["  districts: Districten", "      district  name",
                                          "      D01       District Noord Nederland"]
