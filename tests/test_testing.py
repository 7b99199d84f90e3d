"""The YAML test cases and `catalogue test`: run all or some, and say what failed, where and how.

Every test works on a copy of the fixture catalogue in tmp_path; the test files it writes are
written here in full, so the file:line:column of each expected message is counted by hand
from the text below (comments beside the lines give the count).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from cards import invoke, copy_fixture
from interpreter.api import Engine
from interpreter.errors import CaseError, LookupProblem
from interpreter.policy.testing import discover, load_tests, run_all, select_test_files
from interpreter.yamlsource import load_file

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.MULTILINE)

# A test file for U-XR with three wrong expectations and one right one. Line numbers on the right.
WRONG_U_XR = """\
product: U-XR
cases:
  - name: plan due 56 days after registration
    facts:
      registered_on: 2016-04-01
    expect:
      deadlines:
        plan_due: {date: "2016-05-28", status: open}
    as_of: 2016-04-01
  - name: a 60/40 split of 4000
    facts:
      registered_on: 2016-04-01
      price: 4000
      hard_to_place: false
    expect:
      payments:
        effort: "2500.00"
      checks:
        price_within_guideline: false
    as_of: 2016-04-01
  - name: the right date
    facts: {registered_on: 2016-04-01}
    expect:
      deadlines:
        plan_due: "2016-05-27"
    as_of: 2016-04-01
  - name: no registration date
    as_of: 2016-04-01
    facts: {}
    expect:
      deadlines:
        plan_due: "2016-05-27"
"""
#  1 product: U-XR
#  3   - name: ...                        the case starts at column 5 (after "  - ")
#  8         plan_due: {date: "2016-05-28", status: open}
#            8 spaces + "plan_due: " (10) -> '{' at 19; "{date: " (7) -> '"' at 26; the value at 27
# 10   - name: a 60/40 split of 4000
# 17         effort: "2500.00"            8 + "effort: " (8) -> '"' at 17; the value at 18
# 19         price_within_guideline: false   8 + "price_within_guideline: " (24) -> 33
# 21   - name: the right date             passes: 2016-04-01 + 56 days = 2016-05-27
# 27   - name: no registration date
# 32         plan_due: "2016-05-27"       8 + "plan_due: " (10) -> '"' at 19; the value at 20



@pytest.fixture
def cat(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


def cases_file(root: Path, code: str) -> Path:
    matches = [p for p in discover(root) if p.name == f"{code}.tests.yaml"]
    assert len(matches) == 1, f"expected one {code}.tests.yaml in the copy, found {matches}"
    return matches[0]


def card_file(root: Path, code: str) -> Path:
    matches = [p for p in (root / "products").rglob(f"{code}.yaml")]
    assert len(matches) == 1, matches
    return matches[0]


def case_count(*paths: Path) -> int:
    return sum(len(load_file(path).data["cases"]) for path in paths)


def summary(output: str) -> tuple[int, int]:
    found = SUMMARY.findall(output)
    assert len(found) == 1, f"no single closing 'N passed, M failed' line in:\n{output}"
    assert output.rstrip().splitlines()[-1] == f"{found[0][0]} passed, {found[0][1]} failed"
    return int(found[0][0]), int(found[0][1])


# -- all cards, and a selection ---------------------------------------------------------------------

def test_every_test_case_of_the_catalogue_passes_on_a_copy(cat):
    result = invoke("--catalogue", cat, "test")
    assert result.exit_code == 0, result.output + result.stderr
    assert summary(result.stdout) == (case_count(*discover(cat)), 0)
    assert "FAILED" not in result.stdout
    assert result.stderr == ""


def test_select_by_product_code(cat):
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 0, result.output + result.stderr
    assert summary(result.stdout) == (case_count(cases_file(cat, "U-XR")), 0)


def test_select_by_card_file_and_by_test_file(cat):
    expected = case_count(cases_file(cat, "U-XR"))
    for given in (card_file(cat, "U-XR"), cases_file(cat, "U-XR")):
        result = invoke("--catalogue", cat, "test", given)
        assert result.exit_code == 0, result.output + result.stderr
        assert summary(result.stdout) == (expected, 0)


def test_select_several_cards_runs_each_once(cat):
    both = case_count(cases_file(cat, "U-XR"), cases_file(cat, "T2-A"))
    result = invoke("--catalogue", cat, "test", "U-XR", "T2-A", "U-XR", card_file(cat, "T2-A"))
    assert result.exit_code == 0, result.output + result.stderr
    assert summary(result.stdout) == (both, 0)


def test_selection_through_the_api(cat):
    engine = Engine(cat)
    assert select_test_files(engine.catalogue, []) == discover(cat)
    assert select_test_files(engine.catalogue, ["U-XR"]) == [cases_file(cat, "U-XR")]
    assert select_test_files(engine.catalogue, [str(card_file(cat, "T2-A"))]) == [cases_file(cat, "T2-A")]


# -- a failing expectation ------------------------------------------------------------------------------

@pytest.fixture
def wrong(cat) -> Path:
    path = cases_file(cat, "U-XR")
    path.write_text(WRONG_U_XR, encoding="utf-8")
    return path


def test_wrong_expectations_fail_with_file_line_expected_and_actual(cat, wrong):
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert f"FAILED {wrong}:3:5: plan due 56 days after registration" in out
    assert f"{wrong}:8:27: deadlines.plan_due.date: expected 2016-05-28, got 2016-05-27" in out
    assert f"FAILED {wrong}:10:5: a 60/40 split of 4000" in out
    # 60% of 4000 = 2400.00; 4000 <= 5000 passes the guideline
    assert f"{wrong}:17:18: payments.effort.amount: expected 2500.00, got 2400.00" in out
    assert f"{wrong}:19:33: checks.price_within_guideline.passed: expected false, got true" in out
    # an unknown result is said in words, not as None
    assert f"FAILED {wrong}:27:5: no registration date" in out
    assert f"{wrong}:32:20: deadlines.plan_due.date: expected 2016-05-27, got unknown (null)" in out
    assert "the right date" not in out
    assert "None" not in out
    assert summary(out) == (1, 3)


def test_status_mismatch_is_said_in_words(cat, wrong):
    text = WRONG_U_XR.replace('{date: "2016-05-28", status: open}', '{date: "2016-05-27", status: met}')
    wrong.write_text(text, encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1
    # 8 + "plan_due: " (10) -> '{' at 19; '{date: "2016-05-27", ' is 21 characters -> 'status' at 40; value at 48
    assert f"{wrong}:8:48: deadlines.plan_due.status: expected met, got open" in result.stdout
    assert f"{wrong}:8:27:" not in result.stdout  # the date is right now
    assert summary(result.stdout) == (1, 3)


def test_failures_are_counted_among_all_cards(cat, wrong):
    others = case_count(*[p for p in discover(cat) if p != wrong])
    result = invoke("--catalogue", cat, "test")
    assert result.exit_code == 1
    assert summary(result.stdout) == (others + 1, 3)


def test_pytest_sees_the_same_failures_through_the_api(cat, wrong):
    engine = Engine(cat)
    outcomes = run_all(engine, [wrong])
    assert [o.passed for o in outcomes] == [False, False, True, False]
    assert outcomes[0].failures == [
        f"{wrong}:8:27: deadlines.plan_due.date: expected 2016-05-28, got 2016-05-27"]
    assert outcomes[1].failures == [
        f"{wrong}:17:18: payments.effort.amount: expected 2500.00, got 2400.00",
        f"{wrong}:19:33: checks.price_within_guideline.passed: expected false, got true"]
    assert str(outcomes[3].position) == f"{wrong}:27:5"


def test_a_correct_file_edited_to_be_wrong_fails_on_that_line(cat):
    path = cases_file(cat, "U-XR")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # the first deadline expectation of the bundled file, whatever it is, made one day late
    index = next(i for i, line in enumerate(lines) if re.search(r"plan_due: .*\"2016-05-27\"", line))
    lines[index] = lines[index].replace("2016-05-27", "2016-05-26", 1)
    path.write_text("".join(lines), encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1
    assert f"{path}:{index + 1}:" in result.stdout
    assert "expected 2016-05-26, got 2016-05-27" in result.stdout
    assert summary(result.stdout)[1] == 1


# -- what cannot be run ---------------------------------------------------------------------------------

def test_unknown_code_gives_did_you_mean(cat):
    result = invoke("--catalogue", cat, "test", "U-XZ")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "'U-XZ'" in result.stderr
    assert "did you mean 'U-XR'?" in result.stderr
    assert "catalogue list" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_code_among_known_ones_runs_nothing(cat):
    result = invoke("--catalogue", cat, "test", "U-XR", "T2-Q")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "'T2-Q' is neither a product code nor a card with test cases" in result.stderr
    assert "did you mean 'T2-" in result.stderr


def test_known_code_without_test_cases_says_so(cat):
    cases_file(cat, "U-XR").unlink()
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1
    assert "U-XR has no test cases yet" in result.stderr
    assert "did you mean 'U-XR'" not in result.stderr  # not a typing error
    assert "U-XR.tests.yaml" in result.stderr


def test_unknown_fact_in_a_test_file_gives_file_line_column(cat):
    path = cases_file(cat, "U-XR")
    path.write_text(
        "product: U-XR\n"
        "cases:\n"
        "  - name: a typing error in a fact\n"
        "    facts:\n"
        "      registerd_on: 2016-04-01\n"     # line 5; the key at column 7
        "    expect: {}\n"
        "    as_of: 2016-04-01\n", encoding="utf-8")
    result = invoke("--catalogue", cat, "test")
    assert result.exit_code == 1
    assert f"{path}:5:7: unknown fact 'registerd_on' (did you mean 'registered_on'?)" in result.stderr
    assert "facts.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(CaseError) as caught:
        load_tests(path, Engine(cat))
    assert (caught.value.position.line, caught.value.position.column) == (5, 7)


def test_wrong_value_type_in_a_test_file(cat):
    path = cases_file(cat, "U-XR")
    path.write_text(
        "product: U-XR\n"
        "cases:\n"
        "  - name: a price in words\n"
        "    facts:\n"
        "      price: vijfduizend\n"           # line 5; 6 + "price: " (7) -> the value at 14
        "    expect: {}\n"
        "    as_of: 2016-04-01\n", encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1
    assert f"{path}:5:14: 'price' must be an amount of money" in result.stderr
    assert "hint:" in result.stderr


def test_test_file_for_a_product_that_does_not_exist(cat):
    path = cases_file(cat, "U-XR")
    path.write_text(
        "product: U-XQ\n"                       # line 1; the value at column 10
        "cases:\n"
        "  - name: any\n"
        "    facts: {registered_on: 2016-04-01}\n"
        "    expect: {}\n"
        "    as_of: 2016-04-01\n", encoding="utf-8")
    result = invoke("--catalogue", cat, "test")
    assert result.exit_code == 1
    assert f"{path}:1:10: the test cases are for product 'U-XQ'" in result.stderr
    assert "did you mean 'U-XR'?" in result.stderr
    with pytest.raises(LookupProblem):
        load_tests(path, Engine(cat))


def test_structure_error_in_a_test_file(cat):
    path = cases_file(cat, "U-XR")
    path.write_text(
        "product: U-XR\n"
        "cases:\n"
        "  - name: expectations misspelled\n"
        "    facts: {registered_on: 2016-04-01}\n"
        "    expect:\n"
        "      deadline:\n"                      # line 6; the key at column 7
        "        plan_due: \"2016-05-27\"\n"
        "    as_of: 2016-04-01\n", encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1
    assert f"{path}:6:7: unknown key 'deadline'" in result.stderr
    assert "did you mean 'deadlines'?" in result.stderr


def test_an_empty_schedule_is_expected_as_an_empty_list(tmp_path):
    # LN-3's progress reports: started 2024-04-02, ended 2024-05-15; 2024-04-02 + 3 months = 2024-07-02
    # falls after the end, so the schedule applies but holds no date.
    from interpreter.api import Engine
    from cards import FIXTURE
    from interpreter.policy.testing import load_tests, run_case

    test_file = tmp_path / "products" / "leon" / "LN-3.tests.yaml"
    test_file.parent.mkdir(parents=True)
    test_file.write_text(
        "product: LN-3\ncases:\n  - name: short\n    as_of: 2024-05-15\n"
        "    facts: {started_on: 2024-04-02, ended_on: 2024-05-15}\n"
        "    expect:\n      reports: {progress_report: []}\n"
        "  - name: not empty\n    as_of: 2024-05-15\n    facts: {started_on: 2024-01-02, ended_on: 2024-05-15}\n"
        "    expect:\n      reports: {progress_report: []}\n", encoding="utf-8")
    engine = Engine(FIXTURE)
    empty, not_empty = (run_case(case, engine) for case in load_tests(test_file, engine))
    assert empty.passed, empty.failures
    assert not not_empty.passed and "expected [], got [2024-04-02]" in not_empty.failures[0]


def test_a_test_case_must_state_its_as_of(cat):
    path = cases_file(cat, "U-XR")
    path.write_text(
        "product: U-XR\n"
        "cases:\n"
        "  - name: judged on which day?\n"       # line 3; the case at column 5
        "    facts: {registered_on: 2016-04-01}\n"
        "    expect: {deadlines: {plan_due: {status: open}}}\n", encoding="utf-8")
    result = invoke("--catalogue", cat, "test", "U-XR")
    assert result.exit_code == 1
    assert f"{path}:3:5: 'as_of' is missing in cases (item 1)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_test_case_may_state_its_rules_on(cat):
    path = cases_file(cat, "U-XR")
    # Registered 2016-03-06, before U-XR's edition (from 2016-04-01): only with rules_on can it be evaluated.
    # 000 §5.2, plan within 8 weeks of registration: 2016-03-06 + 56 days = 2016-05-01.
    path.write_text(
        "product: U-XR\n"
        "cases:\n"
        "  - name: rules of the edition's first day\n"
        "    as_of: 2016-05-02\n"
        "    rules_on: 2016-04-01\n"
        "    facts: {registered_on: 2016-03-06}\n"
        "    expect: {deadlines: {plan_due: {date: \"2016-05-01\", status: overdue}}}\n"
        "  - name: rules of its registration date\n"
        "    as_of: 2016-05-02\n"
        "    facts: {registered_on: 2016-03-06}\n"
        "    expect: {deadlines: {plan_due: {date: \"2016-05-01\", status: overdue}}}\n", encoding="utf-8")
    first, second = run_all(Engine(cat), [path])
    assert first.passed, first.failures
    assert not second.passed and "no edition of U-XR is valid on 2016-03-06" in second.failures[0]
