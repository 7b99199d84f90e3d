"""The promise of issue 13, part 1, as a test: a policy edit with its YAML tests never breaks `make test`.

A policy staff member lengthens a deadline by one day on a copy of catalogue/ (never catalogue/
itself) and updates the product's YAML test cases to match; the pytest suite, pointed at that copy
through $CATALOGUE_UNDER_TEST (tests/cards.py), must then pass as it does on catalogue/.

The deadline is found, not named: any product rule written `due: <fact> + N days` whose YAML cases
this test can recompute. A named one (a product's 56 days, say) would make this very test the one that breaks
when policy staff change that deadline for real.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import yaml

from cards import BUNDLED, invoke

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

# Modules left out of the inner run, besides this one: they read only the frozen fixture catalogue
# (never the catalogue under test), so their outcome cannot depend on the edit, and they are the
# slow ones (Chromium, schemathesis, the fuzzer). test_inner_run_leaves_out_only_... holds them to that.
FIXTURE_ONLY = ["test_sheets_browser.py", "test_casepage_browser.py", "test_web_schemathesis.py", "test_fuzz.py"]
# What marks a module as reading the catalogue under test: its path, or the `bundled` fixture as an argument.
UNDER_TEST_MARKS = re.compile(r"\bBUNDLED\b|[(,]\s*bundled\s*[,)]|CATALOGUE_UNDER_TEST|interpreter\.catalogue import")

SIMPLE_DEADLINE = re.compile(r"^(?P<fact>[a-z_][a-z0-9_]*) \+ (?P<days>\d+) days$")
EDITED = " (deadline one day later)"  # appended to the name of every YAML case the edit touches


@dataclass(frozen=True)
class Deadline:
    card: Path
    tests: Path
    code: str
    rule: str
    fact: str
    met_by: str
    days: int


def status(due: dt.date, done: dt.date | None, as_of: dt.date) -> str:
    """A duty's status as design.md defines it: met on or before the date, overdue after it, else open."""
    if done is not None:
        return "met" if done <= due else "overdue"
    return "open" if as_of <= due else "overdue"


def as_date(value) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(str(value))


def candidates(root: Path):
    """Every product deadline `due: <fact> + N days`, met by one fact, with a YAML test file beside its card."""
    for card in sorted(root.glob("products/**/*.yaml")):
        tests = card.with_name(card.stem + ".tests.yaml")
        if card.name.endswith(".tests.yaml") or not tests.exists():
            continue
        data = yaml.safe_load(card.read_text(encoding="utf-8"))
        for rule_id, rule in (data.get("deadlines") or {}).items():
            match = SIMPLE_DEADLINE.match(str(rule.get("due", ""))) if isinstance(rule, dict) else None
            if match and isinstance(rule.get("met_by"), str) and not rule.get("optional"):
                yield Deadline(card, tests, str(data["code"]), rule_id, match["fact"], rule["met_by"],
                               int(match["days"]))


def expected_after(deadline: Deadline, case: dict, days: int) -> dict:
    """The rule's expectation in a case that has the deadline's fact and an as_of, for `days` days."""
    due = as_date(case["facts"][deadline.fact]) + dt.timedelta(days=days)
    return {"date": due.isoformat(), "status": status(due, as_date(case["facts"].get(deadline.met_by)), as_date(case["as_of"]))}


def updated_cases(deadline: Deadline) -> dict | None:
    """The product's YAML tests with the rule's expectations recomputed for one day more, as policy staff
    would do by hand; None when a case's present expectation is not what this recomputation gives for
    today's deadline (then this test does not understand the rule well enough to edit it)."""
    data = yaml.safe_load(deadline.tests.read_text(encoding="utf-8"))
    touched = 0
    for case in data.get("cases") or []:
        expected = ((case.get("expect") or {}).get("deadlines") or {}).get(deadline.rule)
        if not isinstance(expected, dict) or deadline.fact not in (case.get("facts") or {}):
            continue  # without its fact the deadline has no date, whatever the number of days
        if "as_of" not in case:
            return None
        now, later = expected_after(deadline, case, deadline.days), expected_after(deadline, case, deadline.days + 1)
        if any(key in expected and str(expected[key]) != now[key] for key in now):
            return None
        for key in now:
            if key in expected:
                expected[key] = later[key]
        case["name"] = str(case["name"]) + EDITED
        touched += 1
    return data if touched else None


def leading_comments(path: Path) -> str:
    """The comment lines a file opens with (its editor schema first), kept when the rest is written anew."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines[:next((i for i, l in enumerate(lines) if not l.startswith("#")), 0)])


def edited_copy(tmp_path: Path) -> tuple[Path, Deadline]:
    """A copy of the catalogue under test with one deadline a day longer and its YAML tests updated."""
    root = tmp_path / "catalogue"
    shutil.copytree(BUNDLED, root)
    for deadline in candidates(root):
        tests = updated_cases(deadline)
        line = f"due: {deadline.fact} + {deadline.days} days"
        card_text = deadline.card.read_text(encoding="utf-8")
        if tests is None or card_text.count(line) != 1:
            continue
        deadline.card.write_text(card_text.replace(line, f"due: {deadline.fact} + {deadline.days + 1} days"),
                                 encoding="utf-8")
        deadline.tests.write_text(leading_comments(deadline.tests) + yaml.safe_dump(tests, sort_keys=False,
                                                                                      allow_unicode=True),
                                  encoding="utf-8")
        return root, deadline
    raise AssertionError(f"no product card under {BUNDLED} has a deadline 'due: <fact> + N days' met by one fact "
                         "whose YAML cases this test can recompute: the acceptance test needs one to edit")


def test_the_status_rule_follows_the_design():
    # design.md: a duty is met by an event on or before its date; past the date without the event it
    # is overdue, and so is an event after the date; until then it is open.
    due = dt.date(2016, 5, 27)
    assert status(due, dt.date(2016, 5, 27), dt.date(2016, 4, 1)) == "met"
    assert status(due, dt.date(2016, 5, 28), dt.date(2016, 4, 1)) == "overdue"
    assert status(due, None, dt.date(2016, 5, 27)) == "open"
    assert status(due, None, dt.date(2016, 5, 28)) == "overdue"


def test_the_edit_is_a_real_one(tmp_path):
    # With the updated test cases the edited card passes its YAML tests; with the old ones it fails,
    # so the edit changed what the product computes.
    root, deadline = edited_copy(tmp_path)
    assert invoke("--catalogue", root, "test", deadline.code).exit_code == 0
    shutil.copy(BUNDLED / deadline.tests.relative_to(root), deadline.tests)
    assert invoke("--catalogue", root, "test", deadline.code).exit_code == 1


def test_inner_run_leaves_out_only_modules_that_never_read_the_catalogue_under_test():
    for name in FIXTURE_ONLY:
        text = (TESTS / name).read_text(encoding="utf-8")
        assert not UNDER_TEST_MARKS.search(text), f"{name} reads the catalogue under test: run it inside"


def test_a_policy_edit_leaves_the_whole_suite_green(tmp_path):
    root, deadline = edited_copy(tmp_path / "edit")
    report = tmp_path / "inner.xml"
    env = {**os.environ, "CATALOGUE_UNDER_TEST": str(root)}
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", f"--junitxml={report}",
               "--ignore", str(Path(__file__))] + [f"--ignore={TESTS / name}" for name in FIXTURE_ONLY]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # The inner run did read the copy: the edited YAML cases ran there, and passed.
    cases = [case for case in ET.parse(report).iter("testcase") if EDITED in (case.get("name") or "")]
    assert cases and not any(list(case) for case in cases), \
        f"the edited YAML cases of {deadline.code} did not run (and pass) inside"
    assert len(list(ET.parse(report).iter("testcase"))) > 1000
