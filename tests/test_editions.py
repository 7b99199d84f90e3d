"""Editions: a later card beside the earlier one; evaluation and `list --as-of` pick by date.

On a copy of the fixture catalogue, U-XR gets two editions: the fixture card, closed on
2016-12-31, and a 2017 edition beside it (U-XR-2017.yaml) in which the plan is due after
42 instead of 56 calendar days.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cards import FIXTURE, invoke
from interpreter.api import Engine
from interpreter.errors import LookupProblem

FIRST_NAME = "Overzicht 2016"
SECOND_NAME = "Overzicht 2017"



def set_edition(text: str, name: str, valid_from: str, valid_until: str | None) -> str:
    """Replace the card's edition block (name, valid_from and an optional valid_until)."""
    block = re.search(r"^edition:\n(?:  .*\n)+", text, re.MULTILINE)
    assert block, "the U-XR card has no edition block"
    new = f"edition:\n  name: {name}\n  valid_from: {valid_from}\n"
    if valid_until:
        new += f"  valid_until: {valid_until}\n"
    return text[:block.start()] + new + text[block.end():]


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    first = next((root / "products").rglob("U-XR.yaml"))
    text = first.read_text(encoding="utf-8")
    assert "due: registered_on + 56 days" in text
    first.write_text(set_edition(text, FIRST_NAME, "2016-04-01", "2016-12-31"), encoding="utf-8")
    second = set_edition(text, SECOND_NAME, "2017-01-01", None).replace(
        "due: registered_on + 56 days", "due: registered_on + 42 days").replace(
        "  as_of: 2016-10-03\n", "  as_of: 2016-10-03\n  rules_on: 2017-01-01\n")  # its example under its rules
    (first.parent / "U-XR-2017.yaml").write_text(second, encoding="utf-8")
    return root


def twelve_xr_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.split()[:1] == ["U-XR"]]


def test_the_two_editions_load(cat):
    result = invoke("--catalogue", cat, "validate")
    assert result.exit_code == 0, result.stderr
    editions = Engine(cat).catalogue.products["U-XR"]
    assert [e.edition for e in editions] == [FIRST_NAME, SECOND_NAME]


@pytest.mark.parametrize("day, name, span", [
    ("2016-04-01", FIRST_NAME, "2016-04-01 to 2016-12-31"),
    ("2016-12-31", FIRST_NAME, "2016-04-01 to 2016-12-31"),
    ("2017-01-01", SECOND_NAME, "2017-01-01 to …"),
    ("2030-06-01", SECOND_NAME, "2017-01-01 to …"),
])
def test_list_as_of_shows_the_edition_valid_then(cat, day, name, span):
    result = invoke("--catalogue", cat, "list", "--as-of", day)
    assert result.exit_code == 0, result.stderr
    lines = twelve_xr_lines(result.stdout)
    assert len(lines) == 1, result.stdout
    assert f"[edition {name}, valid {span}]" in lines[0]


def test_list_as_of_before_the_first_edition_leaves_the_product_out(cat):
    result = invoke("--catalogue", cat, "list", "--as-of", "2016-03-31")
    assert result.exit_code == 0, result.stderr
    assert twelve_xr_lines(result.stdout) == []


def test_list_without_a_date_shows_each_code_once(cat):
    result = invoke("--catalogue", cat, "list")
    assert result.exit_code == 0
    assert len(twelve_xr_lines(result.stdout)) == 1


def test_list_as_of_a_bad_date_is_a_usage_error(cat):
    result = invoke("--catalogue", cat, "list", "--as-of", "2017-02-29")
    assert result.exit_code == 2
    assert "February 2017 has 28 days" in result.stderr


def evaluate(cat: Path, case: str, *extra: str) -> dict:
    result = invoke("--catalogue", cat, "evaluate", "U-XR", "-", *extra, input=case)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def plan_due(result: dict) -> dict:
    return next(d for d in result["deadlines"] if d["id"] == "plan_due")


def test_evaluate_picks_the_edition_of_the_registration_date(cat):
    early = evaluate(cat, "registered_on: 2016-06-01\n")
    # 2016-06-01 + 56 days: 29 days to 2016-06-30, 27 more = 2016-07-27
    assert early["edition"] == FIRST_NAME
    assert plan_due(early)["date"] == "2016-07-27"
    late = evaluate(cat, "registered_on: 2017-06-01\n")
    # 2017-06-01 + 42 days: 29 days to 2017-06-30, 13 more = 2017-07-13
    assert late["edition"] == SECOND_NAME
    assert plan_due(late)["date"] == "2017-07-13"


def test_the_last_day_of_an_edition_still_uses_it(cat):
    result = evaluate(cat, "registered_on: 2016-12-31\n")
    # 2016-12-31 + 56 days: 31 days to 2017-01-31, 25 more = 2017-02-25
    assert result["edition"] == FIRST_NAME
    assert plan_due(result)["date"] == "2017-02-25"


def test_a_case_keeps_the_edition_of_its_registration_whatever_the_as_of(cat):
    result = evaluate(cat, "registered_on: 2016-06-01\n", "--as-of", "2017-06-01")
    # the 2016 edition: 2016-06-01 + 56 days = 2016-07-27, long past on 2017-06-01
    assert result["edition"] == FIRST_NAME
    assert (result["as_of"], result["rules_on"]) == ("2017-06-01", "2016-06-01")
    assert plan_due(result)["date"] == "2016-07-27"
    assert plan_due(result)["status"] == "overdue"


def test_rules_on_picks_the_edition(cat):
    result = evaluate(cat, "registered_on: 2016-06-01\n", "--as-of", "2016-07-20", "--rules-on", "2017-06-01")
    # the 2017 edition: 2016-06-01 + 42 days = 2016-07-13, past on 2016-07-20
    assert result["edition"] == SECOND_NAME
    assert (result["as_of"], result["rules_on"]) == ("2016-07-20", "2017-06-01")
    assert plan_due(result)["date"] == "2016-07-13"
    assert plan_due(result)["status"] == "overdue"
    own = evaluate(cat, "registered_on: 2016-06-01\nrules_on: 2017-06-01\n", "--as-of", "2016-07-20")
    assert own["edition"] == SECOND_NAME and own["rules_on"] == "2017-06-01"


def test_no_edition_valid_on_the_reference_date(cat):
    result = invoke("--catalogue", cat, "evaluate", "U-XR", "-", input="registered_on: 2015-06-01\n")
    assert result.exit_code == 1
    assert "no edition of U-XR is valid on 2015-06-01" in result.stderr
    assert "2016-04-01 to 2016-12-31" in result.stderr and "2017-01-01 to …" in result.stderr
    assert "--rules-on" in result.stderr
    with pytest.raises(LookupProblem):
        Engine(cat).evaluate("U-XR", {"registered_on": "2015-06-01"})


def test_the_api_picks_the_same_editions(cat):
    import datetime as dt
    engine = Engine(cat)
    assert engine.catalogue.product("U-XR", dt.date(2016, 12, 31)).edition == FIRST_NAME
    assert engine.catalogue.product("U-XR", dt.date(2017, 1, 1)).edition == SECOND_NAME
    assert engine.catalogue.product("U-XR").edition == SECOND_NAME  # the latest without a date


def test_test_cases_of_both_editions_run_under_one_code(cat):
    first = next((cat / "products").rglob("U-XR.tests.yaml"))
    first.write_text(
        "product: U-XR\ncases:\n"
        "  - name: 56 days in 2016\n"
        "    as_of: 2016-06-01\n"
        "    facts: {registered_on: 2016-06-01}\n"
        "    expect: {deadlines: {plan_due: \"2016-07-27\"}}\n", encoding="utf-8")
    (first.parent / "U-XR-2017.tests.yaml").write_text(
        "product: U-XR\ncases:\n"
        "  - name: 42 days from 2017\n"
        "    as_of: 2017-06-01\n"
        "    facts: {registered_on: 2017-06-01}\n"
        "    expect: {deadlines: {plan_due: \"2017-07-13\"}}\n", encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2 passed, 0 failed"


def test_overlapping_editions_are_refused(cat):
    second = next((cat / "products").rglob("U-XR-2017.yaml"))
    second.write_text(second.read_text(encoding="utf-8").replace("valid_from: 2017-01-01", "valid_from: 2016-12-01"),
                      encoding="utf-8")
    result = invoke("--catalogue", cat, "validate")
    assert result.exit_code == 1
    assert "two editions of U-XR are valid at the same time" in result.stderr
    assert "valid_until" in result.stderr


def test_validate_refuses_a_worked_example_outside_its_edition(tmp_path):
    # The policy guide's way to a new edition: copy the card, give it a later valid_from. The copied
    # example (registered 2016-04-01) would be evaluated under the old edition: validate says so.
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    first = next((root / "products").rglob("U-XR.yaml"))
    text = first.read_text(encoding="utf-8")
    first.write_text(set_edition(text, FIRST_NAME, "2016-04-01", "2017-12-31"), encoding="utf-8")
    copy = set_edition(text, "Overzicht 2018", "2018-01-01", None)
    (first.parent / "U-XR-2018.yaml").write_text(copy, encoding="utf-8")
    result = invoke("--catalogue", root, "validate")
    assert result.exit_code == 1
    line = copy.splitlines().index("    registered_on: 2016-04-01") + 1
    assert (f"U-XR-2018.yaml:{line}:20: the worked example follows the rules of 2016-04-01, outside this card's "
            "edition 'Overzicht 2018' (2018-01-01 to …)") in result.stderr
    assert len([line for line in result.stderr.splitlines() if not line.startswith(" ")]) == 1  # one message


def test_an_edition_without_test_cases_fails_catalogue_test(cat):
    # A 2030 edition beside the fixture card: no U-XR test case registers in 2030 or later.
    first = next((cat / "products").rglob("U-XR.yaml"))
    first.write_text(first.read_text(encoding="utf-8").replace("valid_until: 2016-12-31", "valid_until: 2029-12-31"),
                     encoding="utf-8")
    second = first.with_name("U-XR-2017.yaml")
    second.write_text(second.read_text(encoding="utf-8").replace("valid_from: 2017-01-01", "valid_from: 2030-01-01")
                      .replace("rules_on: 2017-01-01", "rules_on: 2030-01-01"), encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAILED ")]
    assert len(failed) == 1 and failed[0].endswith(f": edition '{SECOND_NAME}' of U-XR has no test cases")
    assert "add test cases to " in result.stdout and "U-XR-2017.tests.yaml" in result.stdout
    assert "whose rules date (registered_on, or a rules_on: line) lies in 2030-01-01 to …" in result.stdout
    assert lines[-1].endswith(" passed, 1 failed")


def test_a_wrong_date_in_a_new_edition_is_one_message(cat):
    second = next((cat / "products").rglob("U-XR-2017.yaml"))
    text = second.read_text(encoding="utf-8")
    second.write_text(text.replace("valid_from: 2017-01-01", "valid_from: 01-01-2017"), encoding="utf-8")
    result = invoke("--catalogue", cat, "validate")
    assert result.exit_code == 1
    messages = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert len(messages) == 1, result.stderr
    assert "U-XR-2017.yaml" in messages[0] and "2017" in messages[0]
    assert "two editions" not in result.stderr and "hint:" in result.stderr


def test_a_mistake_in_a_family_file_is_reported_once(cat):
    family = cat / "families" / "leon.yaml"
    text = family.read_text(encoding="utf-8")
    assert "due: ended_on + 30 days" in text
    family.write_text(text.replace("due: ended_on + 30 days", "due: ended_on + 30 dayz"), encoding="utf-8")
    result = invoke("--catalogue", cat, "validate")
    assert result.exit_code == 1
    messages = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert len(messages) == 1, result.stderr  # not once for each of the five LN cards
    assert "families/leon.yaml:" in messages[0]


@pytest.mark.parametrize("backend", ["compiled", "reference"])
def test_the_batch_evaluator_picks_the_editions_evaluate_picks(cat, backend):
    # Engine.evaluator finds a product's editions once for a whole batch; per case it must choose what
    # evaluate chooses: the case's own rules_on, else its registration date, else as_of.
    import datetime as dt
    from interpreter.results import to_json
    engine = Engine(cat, backend=backend)
    as_of = dt.date(2017, 3, 1)
    day = dt.date.fromisoformat
    cases = [
        ({"registered_on": day("2016-06-01")}, None, FIRST_NAME, "2016-07-27"),  # + 56 days
        ({"registered_on": day("2016-12-31")}, None, FIRST_NAME, "2017-02-25"),  # its edition's last day
        ({"registered_on": day("2017-01-01")}, None, SECOND_NAME, "2017-02-12"),  # + 42 days: 31 + 11
        ({"registered_on": day("2016-06-01"), "rules_on": day("2017-06-01")}, None, SECOND_NAME, "2016-07-13"),
        ({"registered_on": day("2016-06-01")}, day("2017-06-01"), SECOND_NAME, "2016-07-13"),  # --rules-on
        ({"registered_on": day("2016-06-01"), "rules_on": day("2016-06-01")}, day("2017-06-01"), SECOND_NAME,
         "2016-07-13"),  # --rules-on wins over the case's own
        ({}, None, SECOND_NAME, None),  # no registration: the rules of as_of, 2017-03-01
    ]
    for facts, rules_on, edition, due in cases:
        result = engine.evaluator("U-XR", rules_on)(dict(facts), as_of)
        expected = engine.evaluate("U-XR", facts, as_of, rules_on, typed=True)
        assert to_json(result) == to_json(expected), facts
        plan = next(d for d in result.deadlines if d.id == "plan_due")
        assert (result.edition, plan.date and plan.date.isoformat()) == (edition, due), facts
    with pytest.raises(LookupProblem) as refused:
        engine.evaluator("U-XR")({"registered_on": day("2015-06-01")}, as_of)
    with pytest.raises(LookupProblem) as expected:
        engine.evaluate("U-XR", {"registered_on": day("2015-06-01")}, as_of, typed=True)
    assert (refused.value.message, refused.value.position) == (expected.value.message, expected.value.position)
    assert "no edition of U-XR is valid on 2015-06-01" in refused.value.message
