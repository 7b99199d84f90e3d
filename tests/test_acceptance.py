"""The promise of issue 13, part 1, as a test: a policy edit with its YAML tests never breaks `make test`.

A policy staff member changes 12XR's plan deadline from 56 to 57 days (a copy of catalogue/, never
catalogue/ itself) and updates 12XR.tests.yaml to match; the pytest suite, pointed at that copy
through $CATALOGUE_UNDER_TEST (tests/cards.py), must then pass as it does on catalogue/.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from cards import BUNDLED, invoke

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent

# Modules left out of the inner run, besides this one: they read only the frozen fixture catalogue
# (never the catalogue under test), so their outcome cannot depend on the edit, and they are the
# slow ones (Chromium, schemathesis, the fuzzer). test_inner_run_leaves_out_only_... holds them to that.
FIXTURE_ONLY = ["test_sheets_browser.py", "test_casepage_browser.py", "test_web_schemathesis.py", "test_fuzz.py"]
# What marks a module as reading the catalogue under test: its path, or the `bundled` fixture as an argument.
UNDER_TEST_MARKS = re.compile(r"\bBUNDLED\b|[(,]\s*bundled\s*[,)]|CATALOGUE_UNDER_TEST|interpreter\.catalogue import")

CARD_EDIT = ("due: registered_on + 56 days", "due: registered_on + 57 days")

# The YAML test cases, updated by hand as policy staff would. Source sentence: "Het
# Re-integratieplan moet binnen maximaal 56 kalenderdagen zijn ingediend, nadat de klant door UWV
# is aangemeld." With 57 days instead: 2016-04-01 + 57 days = 2016-05-28 (30 days to 2016-05-01,
# 27 more). A plan submitted on 2016-05-28 is then in time, and on as_of 2016-05-28 without a plan
# the deadline is still open (only a day after it is it overdue).
TESTS_EDITS = [
    ('plan_due: {date: "2016-05-27", status: met, done_on: "2016-05-20"}',
     'plan_due: {date: "2016-05-28", status: met, done_on: "2016-05-20"}'),
    ('plan_due: {date: "2016-05-27", status: met}',
     'plan_due: {date: "2016-05-28", status: met}'),
    ("- name: plan submitted on the 57th day is overdue",
     "- name: plan submitted on the 57th day is in time after the edit"),
    ('plan_due: {date: "2016-05-27", status: overdue}\n\n  - name: plan not yet submitted',
     'plan_due: {date: "2016-05-28", status: met}\n\n  - name: plan not yet submitted'),
    ('plan_due: {date: "2016-05-27", status: open}',
     'plan_due: {date: "2016-05-28", status: open}'),
    ('plan_due: {date: "2016-05-27", status: overdue}',
     'plan_due: {date: "2016-05-28", status: open}'),
]
RENAMED_CASE = "12XR::plan submitted on the 57th day is in time after the edit"


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (
        f"{path.name} no longer holds {old!r} exactly once: bring this test's edit in line with the card")
    path.write_text(text.replace(old, new), encoding="utf-8")


def edited_copy(tmp_path: Path) -> Path:
    """A copy of the catalogue under test with 12XR's plan deadline at 57 days and its tests updated."""
    root = tmp_path / "catalogue"
    shutil.copytree(BUNDLED, root)
    card = next(root.glob("products/**/12XR.yaml"))
    replace_once(card, *CARD_EDIT)
    tests = card.with_name("12XR.tests.yaml")
    for old, new in TESTS_EDITS:
        replace_once(tests, old, new)
    return root


def test_the_edit_is_a_real_one(tmp_path):
    # Without the updated test cases the edited card fails its YAML tests; with them, it passes.
    root = edited_copy(tmp_path)
    assert invoke("--catalogue", root, "test", "12XR").exit_code == 0
    shutil.copy(next(BUNDLED.glob("products/**/12XR.tests.yaml")), next(root.glob("products/**/12XR.tests.yaml")))
    assert invoke("--catalogue", root, "test", "12XR").exit_code == 1


def test_inner_run_leaves_out_only_modules_that_never_read_the_catalogue_under_test():
    for name in FIXTURE_ONLY:
        text = (TESTS / name).read_text(encoding="utf-8")
        assert not UNDER_TEST_MARKS.search(text), f"{name} reads the catalogue under test: run it inside"


def test_a_policy_edit_leaves_the_whole_suite_green(tmp_path):
    root = edited_copy(tmp_path / "edit")
    report = tmp_path / "inner.xml"
    env = {**os.environ, "CATALOGUE_UNDER_TEST": str(root)}
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", f"--junitxml={report}",
               "--ignore", str(Path(__file__))] + [f"--ignore={TESTS / name}" for name in FIXTURE_ONLY]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # The inner run did read the copy: the renamed YAML case ran there, and passed.
    cases = {case.get("name"): case for case in ET.parse(report).iter("testcase")}
    renamed = [case for name, case in cases.items() if RENAMED_CASE in (name or "")]
    assert renamed and not list(renamed[0]), "the edited 12XR test case did not run (and pass) inside"
    assert len(cases) > 1000
