"""`catalogue diff OLD NEW`: what changed between two catalogues, in plain words, with the test cases it moves.

Both sides are copies of the fixture catalogue in tmp_path; the U-XR test file of both copies is
replaced by CASES below, so which test cases a change moves (and the line each starts on) is
known exactly. Every expected date and amount is computed by hand in the comments.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cards import FIXTURE, SPLIT_TABLE, catalogue_with, invoke
from interpreter import nodes as n
from interpreter.api import Engine
from interpreter.policy.diff import expression_change, literal_changes
from interpreter.errors import Position
from interpreter.parser import parse

CASES = """\
product: U-XR
cases:
  - name: plan submitted on day 49
    as_of: 2016-05-20
    facts: {registered_on: 2016-04-01, plan_submitted_on: 2016-05-20}
    expect: {}
  - name: plan submitted early
    as_of: 2016-05-01
    facts: {registered_on: 2016-04-01, plan_submitted_on: 2016-05-01}
    expect: {}
  - name: no plan yet on day 49
    as_of: 2016-05-20
    facts: {registered_on: 2016-04-01}
    expect: {}
  - name: no registration date
    as_of: 2016-05-20
    facts: {}
    expect: {}
  - name: a price of 4000
    as_of: 2016-04-01
    facts: {registered_on: 2016-04-01, price: 4000, hard_to_place: false}
    expect: {}
  - name: a price of 4800
    as_of: 2016-04-01
    facts: {registered_on: 2016-04-01, price: 4800}
    expect: {}
"""
# The cases start on lines 3, 7, 11, 15, 19 and 23.
# 2016-04-01 + 56 days = 2016-05-27 (29 days to 2016-04-30, 27 more); + 42 days = 2016-05-13 (29 + 13).

PLAN_CASES = [
    # submitted 2016-05-20: on time before (<= 05-27), late after (> 05-13)
    ("plan submitted on day 49", "U-XR.tests.yaml:3", "2016-05-27 (met)", "2016-05-13 (overdue)"),
    # submitted 2016-05-01: on time either way, but the date moves
    ("plan submitted early", "U-XR.tests.yaml:7", "2016-05-27 (met)", "2016-05-13 (met)"),
    # nothing submitted on 2016-05-20: still open before, overdue after
    ("no plan yet on day 49", "U-XR.tests.yaml:11", "2016-05-27 (open)", "2016-05-13 (overdue)"),
    # as of the registration date 2016-04-01: open either way
    ("a price of 4000", "U-XR.tests.yaml:19", "2016-05-27 (open)", "2016-05-13 (open)"),
    ("a price of 4800", "U-XR.tests.yaml:23", "2016-05-27 (open)", "2016-05-13 (open)"),
    # "no registration date" (line 15) is unknown before and after: not listed
]



def copy_catalogue(target: Path) -> Path:
    shutil.copytree(FIXTURE, target)
    next((target / "products").rglob("U-XR.tests.yaml")).write_text(CASES, encoding="utf-8")
    return target


def card(root: Path, code: str) -> Path:
    return next((root / "products").rglob(f"{code}.yaml"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected '{old}' once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def old(tmp_path: Path) -> Path:
    return copy_catalogue(tmp_path / "old")


@pytest.fixture
def new(tmp_path: Path) -> Path:
    return copy_catalogue(tmp_path / "new")


def diff_text(old: Path, new: Path, warnings: list[str] | None = None) -> str:
    result = invoke("diff", old, new)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: {w}" for w in warnings or []]
    return result.stdout


def diff_json(old: Path, new: Path) -> list:
    result = invoke("diff", old, new, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def rule_block(text: str, section: str, rule: str) -> list[str]:
    """The lines of one rule's entry in the text diff: its heading and the indented lines below it."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"  {section} {rule} (")), None)
    assert start is not None, f"no entry for {section} {rule} in:\n{text}"
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        block.append(line)
    return block


# -- no change ----------------------------------------------------------------------------------------

def test_identical_catalogues(old, new):
    assert diff_text(old, new).strip() == "no differences"
    assert diff_json(old, new) == []


def test_a_catalogue_against_itself(old):
    assert diff_text(old, old).strip() == "no differences"


# -- a deadline ---------------------------------------------------------------------------------------

@pytest.fixture
def shorter_plan(new) -> Path:
    edit(card(new, "U-XR"), "due: registered_on + 56 days", "due: registered_on + 42 days")
    return new


def test_changed_deadline_in_plain_words(old, shorter_plan):
    text = diff_text(old, shorter_plan)
    assert text.splitlines()[0] == "U-XR (products/uwv/U-XR.yaml)"
    block = rule_block(text, "deadlines", "plan_due")
    assert block[0].endswith("): changed")
    assert block[1] == "    due: 56 → 42 kalenderdagen"
    listed = [f"    test case “{name}” ({at}): {before} → {after}" for name, at, before, after in PLAN_CASES]
    assert block[2:] == listed
    assert "no registration date" not in text
    assert "work_resumed_due" not in text  # untouched rules are not mentioned


def test_changed_deadline_as_json(old, shorter_plan):
    changes = diff_json(old, shorter_plan)
    assert len(changes) == 1
    product = changes[0]
    assert set(product) == {"code", "file", "kind", "details", "rules"}
    assert (product["code"], product["file"], product["kind"], product["details"]) == \
        ("U-XR", "products/uwv/U-XR.yaml", "changed", [])
    assert len(product["rules"]) == 1
    rule = product["rules"][0]
    assert set(rule) == {"kind", "section", "rule", "label", "details", "cases"}
    label = Engine(old).catalogue.product("U-XR").rules["plan_due"].label
    assert (rule["kind"], rule["section"], rule["rule"], rule["label"], rule["details"]) == \
        ("changed", "deadlines", "plan_due", label, ["due: 56 → 42 kalenderdagen"])
    assert rule["cases"] == [{"case": name, "at": at, "rule": "plan_due", "old": before, "new": after}
                             for name, at, before, after in PLAN_CASES]


def test_many_moved_cases_are_cut_short_in_text_but_not_in_json(old, new):
    # the fixture's U-XR test file: many cases have a registration date, so many plan dates move
    for root in (old, new):
        shutil.copy(FIXTURE / "products" / "uwv" / "U-XR.tests.yaml", root / "products" / "uwv" / "U-XR.tests.yaml")
    edit(card(new, "U-XR"), "due: registered_on + 56 days", "due: registered_on + 42 days")
    cases = diff_json(old, new)[0]["rules"][0]["cases"]
    assert len(cases) > 5
    assert all(case["old"] != case["new"] for case in cases)
    block = rule_block(diff_text(old, new), "deadlines", "plan_due")
    assert len([line for line in block if line.startswith("    test case “")]) == 5
    assert block[-1] == f"    … and {len(cases) - 5} more test cases (--format json lists all)"


# -- a percentage, a price, a validity date -----------------------------------------------------------------

def test_changed_percentages_of_a_split(old, new):
    path = card(new, "U-XR")
    edit(path, "then 80% else 60%", "then 80% else 65%")
    edit(path, "then 20% else 40%", "then 20% else 35%")
    text = diff_text(old, new)
    effort = rule_block(text, "payments", "effort")
    # a price of 4000 (line 17): 60% = 2400.00 before; 65% = 2600.00 after
    assert effort[1:] == ["    share: 60% → 65%",
                          "    test case “a price of 4000” (U-XR.tests.yaml:19): 60% = 2400.00 → 65% = 2600.00"]
    result = rule_block(text, "payments", "result")
    # the remainder: 4000.00 - 2400.00 = 1600.00 before; 4000.00 - 2600.00 = 1400.00 after
    assert result[1:] == ["    share: 40% → 35%",
                          "    test case “a price of 4000” (U-XR.tests.yaml:19): 40% = 1600.00 → 35% = 1400.00"]
    # "a price of 4800" has no hard_to_place, so its shares are open before and after: not listed
    assert "a price of 4800" not in text


def test_changed_price_parameter_lists_the_checks_it_flips(old, new):
    edit(card(new, "U-XR"), "value: €5000\n", "value: €4500\n")
    text = diff_text(old, new)
    block = rule_block(text, "parameters", "max_price")
    assert block[1] == "    value: €5000 → €4500"
    # 4800 <= 5000 passed; 4800 > 4500 fails. 4000 passes either way and is not listed.
    assert block[2:] == [
        "    test case “a price of 4800” (U-XR.tests.yaml:23): price_within_guideline passed → failed"]
    changes = diff_json(old, new)
    rule = next(r for r in changes[0]["rules"] if r["rule"] == "max_price")
    assert rule["details"] == ["value: €5000 → €4500"]
    assert rule["cases"] == [{"case": "a price of 4800", "at": "U-XR.tests.yaml:23",
                              "rule": "price_within_guideline", "old": "passed", "new": "failed"}]


def test_changed_valid_from_of_an_edition(old, new):
    edit(card(new, "U-XR"), "valid_from: 2016-04-01", "valid_from: 2016-01-01")
    until = Engine(old).catalogue.product("U-XR").valid_until or "…"
    text = diff_text(old, new)
    assert text.splitlines()[:2] == ["U-XR (products/uwv/U-XR.yaml)",
                                     f"  valid: 2016-04-01 to {until} → 2016-01-01 to {until}"]
    assert diff_json(old, new)[0]["details"] == [f"valid: 2016-04-01 to {until} → 2016-01-01 to {until}"]


def test_changed_edition_name(old, new):
    path = card(new, "U-XR")
    name = Engine(old).catalogue.product("U-XR").edition
    edit(path, f"name: {name}\n", "name: Overzicht 2017\n")
    assert f"  edition: {name} → Overzicht 2017" in diff_text(old, new).splitlines()


# -- rules and products added or removed -----------------------------------------------------------------

NEW_CHECK = """\
  price_positive:
    label: Prijs groter dan nul
    test: price > €0
    message: De prijs moet groter zijn dan nul.
    source:
      section: "§5.2 Prijs"
      quote: "Hierbij geldt als richtlijn een maximum bedrag van € 5000 exclusief btw en scholing/vaardigheidstrainingen."
"""


def add_rule(path: Path, section: str, block: str) -> None:
    """Add a rule to a card's section, whether the card has that section yet or not."""
    text = path.read_text(encoding="utf-8")
    heading = re.search(rf"^{section}:[ \t]*(\{{\}})?[ \t]*$\n?", text, re.MULTILINE)
    if heading is None:
        text = text.rstrip("\n") + f"\n\n{section}:\n{block}"
    else:
        text = text[:heading.start()] + f"{section}:\n{block}" + text[heading.end():]
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def with_check(new) -> Path:
    add_rule(card(new, "U-XR"), "checks", NEW_CHECK)
    return new


def test_added_rule(old, with_check):
    text = diff_text(old, with_check)
    assert "  checks price_positive (Prijs groter dan nul): added" in text.splitlines()
    rule = diff_json(old, with_check)[0]["rules"][0]
    assert (rule["kind"], rule["section"], rule["rule"], rule["cases"]) == ("added", "checks", "price_positive", [])


def test_removed_rule(old, with_check):
    # rule ids are part of the API contract: removing one is warned about
    text = diff_text(with_check, old, ["U-XR: rule id 'price_positive' (checks, “Prijs groter dan nul”) is removed; "
                                       "the previous catalogue had it, and applications that read it will not find it"])
    assert "  checks price_positive (Prijs groter dan nul): removed" in text.splitlines()
    assert diff_json(with_check, old)[0]["rules"][0]["kind"] == "removed"


def test_a_renamed_rule_id_is_warned_about_by_its_old_and_new_name(old, with_check):
    renamed = with_check.parent / "renamed"
    shutil.copytree(with_check, renamed)
    edit(card(renamed, "U-XR"), "  price_positive:", "  price_above_zero:")
    result = invoke("diff", with_check, renamed)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "warning: U-XR: rule id 'price_positive' is renamed to 'price_above_zero' (checks, “Prijs groter dan nul”); "
        "applications that read 'price_positive' (the previous catalogue had it) will not find it"]


def test_an_edition_that_drops_a_rule_id_of_the_edition_before_is_warned_about(old, with_check):
    # a second U-XR edition from 2017 without the check the first edition has
    first = card(with_check, "U-XR")
    second = first.with_name("U-XR-2017.yaml")
    second.write_text(card(old, "U-XR").read_text(encoding="utf-8").replace(
        "  valid_from: 2016-04-01", "  valid_from: 2017-01-01").replace(
        "situatie per 1 april 2016", "situatie per 1 januari 2017").replace(
        "  as_of: 2016-10-03\n", "  as_of: 2016-10-03\n  rules_on: 2017-01-01\n", 1), encoding="utf-8")
    edit(first, "  valid_from: 2016-04-01", "  valid_from: 2016-04-01\n  valid_until: 2016-12-31")
    result = invoke("diff", with_check, with_check)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: U-XR: rule id 'price_positive' (checks, “Prijs groter dan nul”) is removed in edition "
        "Overzicht Re-integratiedienstverlening AG/ZW 2013, situatie per 1 januari 2017; edition Overzicht "
        "Re-integratiedienstverlening AG/ZW 2013, situatie per 1 april 2016 had it, and applications that read it "
        "will not find it"]


def test_added_and_removed_products(old, new):
    removed = card(new, "T2-F")
    removed_at = removed.relative_to(new).as_posix()
    removed.unlink()
    removed.with_name("T2-F.tests.yaml").unlink(missing_ok=True)
    source = card(new, "T2-A")
    added = source.with_name("T2-Z.yaml")
    added.write_text(re.sub(r"^code: T2-A$", "code: T2-Z", source.read_text(encoding="utf-8"), flags=re.M),
                     encoding="utf-8")
    added_at = added.relative_to(new).as_posix()
    gone = ", ".join(sorted(Engine(old).catalogue.product("T2-F").rules))
    text = diff_text(old, new, [f"T2-F: the product is gone, and with it its rule ids {gone}"])
    lines = text.splitlines()
    assert any(line.startswith(f"T2-F: product removed ({removed_at}); edition ") for line in lines), text
    assert any(line.startswith(f"T2-Z: product added ({added_at}); new edition ") for line in lines), text
    assert not any(line.startswith("T2-A") for line in lines)
    kinds = {(c["code"], c["kind"], c["file"]) for c in diff_json(old, new)}
    assert kinds == {("T2-F", "removed", removed_at), ("T2-Z", "added", added_at)}


def test_a_change_in_a_family_shows_on_its_products(old, new):
    family = new / "families" / "uwv-innovatief.yaml"
    edit(family, "date: contract_end_on - 3 months", "date: contract_end_on - 2 months")
    text = diff_text(old, new)
    block = rule_block(text, "reports", "contract_evaluation")
    assert block[1] == "    date: 3 → 2 maanden"


# -- git revisions ----------------------------------------------------------------------------------------

GIT = shutil.which("git")


def git(repo: Path, *args: str) -> None:
    subprocess.run([GIT, "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A throwaway repository: a README, then the catalogue, then the plan shortened to 42 days."""
    if GIT is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "README").write_text("a throwaway repository\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "readme")
    copy_catalogue(root / "catalogue")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "catalogue")
    edit(card(root / "catalogue", "U-XR"), "due: registered_on + 56 days", "due: registered_on + 42 days")
    git(root, "commit", "-q", "-a", "-m", "plan within 42 days")
    return root


def test_git_revision_against_the_working_tree(repo):
    catalogue = repo / "catalogue"
    result = invoke("--catalogue", catalogue, "diff", "HEAD~1", catalogue)
    assert result.exit_code == 0, result.stderr
    block = rule_block(result.stdout, "deadlines", "plan_due")
    assert block[1] == "    due: 56 → 42 kalenderdagen"
    assert block[2] == "    test case “plan submitted on day 49” (U-XR.tests.yaml:3): 2016-05-27 (met) → 2016-05-13 (overdue)"


def test_two_git_revisions_say_the_same_as_two_folders(repo, old, shorter_plan):
    result = invoke("--catalogue", repo / "catalogue", "diff", "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == diff_text(old, shorter_plan)
    as_json = invoke("--catalogue", repo / "catalogue", "diff", "HEAD~1", "HEAD", "--format", "json")
    assert json.loads(as_json.stdout) == diff_json(old, shorter_plan)


def test_uncommitted_edits_show_against_head(repo):
    catalogue = repo / "catalogue"
    assert diff_text_git(catalogue, "HEAD", catalogue).strip() == "no differences"
    edit(card(catalogue, "U-XR"), "value: €5000\n", "value: €4500\n")
    text = diff_text_git(catalogue, "HEAD", catalogue)
    assert "    value: €5000 → €4500" in text.splitlines()
    assert "kalenderdagen" not in text  # the committed change is in both sides


def test_the_repository_folder_stands_for_its_catalogue(repo):
    assert diff_text_git(repo / "catalogue", "HEAD", repo).strip() == "no differences"


def diff_text_git(catalogue: Path, *sides) -> str:
    result = invoke("--catalogue", catalogue, "diff", *sides)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_revision_without_the_catalogue_folder(repo):
    result = invoke("--catalogue", repo / "catalogue", "diff", "HEAD~2", "HEAD")
    assert result.exit_code == 1
    assert "the catalogue folder 'catalogue' does not exist in revision 'HEAD~2'" in result.stderr
    assert "hint:" in result.stderr
    assert "fatal:" not in result.stderr


def test_revision_that_does_not_exist(repo):
    result = invoke("--catalogue", repo / "catalogue", "diff", "HEAD~7", "HEAD")
    assert result.exit_code == 1
    assert "'HEAD~7' is neither a catalogue folder nor a git revision" in result.stderr
    assert result.stdout == ""


# -- sides that are not catalogues -------------------------------------------------------------------------

def test_side_that_is_neither_folder_nor_revision(tmp_path, old):
    missing = tmp_path / "no-such-folder"
    result = invoke("--catalogue", old, "diff", missing, old)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"'{missing}' is neither a catalogue folder nor a git revision" in result.stderr
    assert "hint: give two folders, or git revisions such as HEAD~1" in result.stderr
    assert "Traceback" not in result.stderr


def test_revision_outside_a_git_repository(old):
    # the copy in tmp_path is in no repository: HEAD~1 cannot be a revision of it
    result = invoke("--catalogue", old, "diff", "HEAD~1", old)
    assert result.exit_code == 1
    assert "'HEAD~1' is neither a catalogue folder nor a git revision" in result.stderr


def test_folder_that_is_not_a_catalogue(tmp_path, old):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("diff", empty, old)
    assert result.exit_code == 1
    assert "the catalogue has no catalogue.yaml" in result.stderr


def test_a_broken_side_is_reported_with_its_position(old, new):
    path = card(new, "U-XR")
    edit(path, "due: registered_on + 56 days", "due: registered_on + 56 dagen")
    result = invoke("diff", old, new)
    assert result.exit_code == 1
    assert f"{path}:" in result.stderr
    assert "'days' instead of 'dagen'" in result.stderr


# -- the words of a change, unit by unit ---------------------------------------------------------------------

def expr(text: str) -> n.Node:
    return parse(text, lambda offset: Position("<test>", 1, offset + 1))


def test_literal_changes_pairs_the_literals_that_differ():
    pairs = literal_changes(expr("registered_on + 56 days"), expr("registered_on + 42 days"))
    assert [(a.amount, b.amount) for a, b in pairs] == [(56, 42)]
    pairs = literal_changes(expr("if hard_to_place then 80% else 60%"), expr("if hard_to_place then 75% else 65%"))
    assert [(str(a.value), str(b.value)) for a, b in pairs] == [("80", "75"), ("60", "65")]


def test_literal_changes_of_equal_trees_is_empty():
    assert literal_changes(expr("min(price, €5000)"), expr("min( price , €5000 )")) == []


@pytest.mark.parametrize("before, after", [
    ("registered_on + 56 days", "started_on + 56 days"),        # another fact
    ("registered_on + 56 days", "registered_on - 56 days"),     # another operator
    ("min(price, €5000)", "max(price, €5000)"),                 # another function
    ("min(price, €5000)", "min(price, €5000, €6000)"),          # more arguments
    ("60%", "€60"),                                             # another kind of literal
    ("benefit in {WGA, ZW}", "benefit not in {WGA, ZW}"),       # negated
    ("circa €5000", "about €4500"),                             # another word, taken from the node's fields
    ("phases subset of {a, b}", "phases superset of {a, c}"),   # another relation
    ("price", "price * 60%"),                                   # another shape
])
def test_literal_changes_is_none_when_the_shape_changed(before, after):
    assert literal_changes(expr(before), expr(after)) is None


@pytest.mark.parametrize("before, after, words", [
    ("registered_on + 56 days", "registered_on + 42 days", "due: 56 → 42 kalenderdagen"),
    ("started_on + 10 working days", "started_on + 12 working days", "due: 10 → 12 werkdagen"),
    ("registered_on + 26 weeks", "registered_on + 13 weeks", "due: 26 → 13 weken"),
    ("registered_on + 3 months", "registered_on + 1 month", "due: 3 → 1 maand"),
    ("registered_on + 56 days", "registered_on + 8 weeks", "due: 56 kalenderdagen → 8 weken"),
    ("if hard_to_place then 80% else 60%", "if hard_to_place then 80% else 65%", "due: 60% → 65%"),
    ("if x then 80% else 60%", "if x then 75% else 65%", "due: 80% → 75%; 60% → 65%"),
    ("price * 12.5%", "price * 15%", "due: 12.5% → 15%"),
    ("min(price, €5000)", "min(price, €4500)", "due: €5000 → €4500"),
    ("€1350.50", "€1350.75", "due: €1350.50 → €1350.75"),
    ("2016-01-01", "2017-01-01", "due: 2016-01-01 → 2017-01-01"),
    ("registered_on + 56 days", "started_on + 56 days", "due: registered_on + 56 days → started_on + 56 days"),
])
def test_expression_change_in_words(before, after, words):
    assert expression_change("due", expr(before), expr(after)) == words


def test_expression_change_of_the_same_expression_is_none():
    assert expression_change("due", expr("registered_on + 56 days"), expr("registered_on  +  56 days")) is None


# -- a new edition is diffed against the edition it follows ------------------------------------------

def test_a_new_edition_is_diffed_rule_by_rule_against_the_one_it_follows(old, new):
    first = card(new, "U-XR")
    text = first.read_text(encoding="utf-8")
    edit(first, "  valid_from: 2016-04-01\n", "  valid_from: 2016-04-01\n  valid_until: 2017-12-31\n")
    second = first.with_name("U-XR-2018.yaml")
    second.write_text(text.replace("  valid_from: 2016-04-01\n", "  valid_from: 2018-01-01\n")
                      .replace("due: registered_on + 56 days", "due: registered_on + 42 days")
                      .replace("  as_of: 2016-10-03\n", "  as_of: 2016-10-03\n  rules_on: 2018-01-01\n"), encoding="utf-8")
    lines = diff_text(old, new).splitlines()
    at = lines.index("U-XR (products/uwv/U-XR-2018.yaml): edition added")
    block = lines[at:at + 6]
    assert block[1].startswith("  new edition ") and block[1].endswith(
        "it follows " + Engine(new).product("U-XR", __import__("datetime").date(2017, 1, 1)).edition
        + " (U-XR.yaml): the changes below apply from 2018-01-01")
    assert "  deadlines plan_due (Re-integratieplan ingediend): changed" in block
    assert "    due: 56 → 42 kalenderdagen" in block
    assert not any("product added" in line for line in lines)


def test_a_deadline_made_optional_is_said(old, new):
    family = new / "families" / "leon.yaml"
    edit(family, "    optional: true\n", "")
    text = diff_text(old, new)
    assert "    optional: true → false" in text.splitlines()


def test_a_moved_value_is_shown_as_its_value_not_its_typed_object():
    from interpreter.policy.diff import _result_of

    result = {"deadlines": [], "payments": [], "reports": [], "checks": [], "not_applicable": [],
              "values": {"max_price": {"type": "money", "value": "5000.00", "missing": []},
                         "open": {"type": "yes/no", "value": None, "missing": ["hard_to_place"]},
                         "flag": {"type": "yes/no", "value": True, "missing": []},
                         "groups": {"type": "list of choices", "value": ["WGA", "ZW"], "missing": []}}}
    assert [_result_of(key, result) for key in ("max_price", "open", "flag", "groups")] == \
        ["5000.00", "unknown", "true", "WGA, ZW"]


# -- a decision table and a lookup ------------------------------------------------------------------------

TABLE_AND_LOOKUP = SPLIT_TABLE + """\
lookups:
  names:
    label: Districten
    key: district
    fields:
      name: {type: text, label: naam}
    entries:
""" + "".join(f"      D{i:02d}: {{name: District {i}}}\n" for i in range(1, 12))


def with_table(root: Path) -> Path:
    """U-XR with its split as a table (and a lookup), as the fixture card has it."""
    path = card(root, "U-XR")
    edit(path, "share: if full_pay ?? false then 100% else if hard_to_place then 80% else 60%",
         "share: split.effort_share")
    edit(path, "share: if full_pay ?? false then 0% else if hard_to_place then 20% else 40%",
         "share: split.result_share")
    path.write_text(path.read_text(encoding="utf-8") + TABLE_AND_LOOKUP, encoding="utf-8")
    return root


def test_a_changed_table_row_is_said_with_its_cells_and_the_cases_it_moves(old, new):
    with_table(old)
    path = card(with_table(new), "U-XR")
    edit(path, "[false, false, 60%, 40%]", "[false, false, 65%, 35%]")
    edit(path, "D05: {name: District 5}", "D05: {name: District Den Haag & Leiden}")
    text = diff_text(old, new)
    lines = text.splitlines()
    assert "  table split, row 1: [false, false, 60%, 40%] → [false, false, 65%, 35%]" in lines
    assert "  lookup names, D05: name District 5 → District Den Haag & Leiden" in lines
    effort = rule_block(text, "values", "effort_share")
    assert effort[1] == "    value: row 1: 60% → 65%"
    # a price of 4000 (line 19) is not hard to place and has no full pay: row 1; 65% of 4000 = 2600.00
    assert effort[2:] == ["    test case “a price of 4000” (U-XR.tests.yaml:19): 60% → 65%",
                          "    test case “a price of 4000” (U-XR.tests.yaml:19): effort 60% = 2400.00 → 65% = 2600.00"]


def test_an_added_table_row_is_said(old, new):
    with_table(old)
    path = card(with_table(new), "U-XR")
    edit(path, "      - [true, -, 100%, 0%]\n", "      - [true, true, 100%, 0%]\n      - [true, false, 90%, 10%]\n")
    lines = diff_text(old, new).splitlines()
    assert "  table split, row 3: [true, -, 100%, 0%] → [true, true, 100%, 0%]" in lines
    assert "  table split, row 4 added: [true, false, 90%, 10%]" in lines


# -- overrides and indications ---------------------------------------------------------------------------

def test_a_new_override_says_that_and_why_and_lists_the_cases_it_flips(old, new):
    edit(card(new, "U-XR"), "\nassumptions:", """
checks:
  price_within_guideline:
    overrides: Een lagere richtlijn voor dit product.
    label: Prijs niet boven € 4500
    test: price <= €4500

assumptions:""")
    text = diff_text(old, new)
    block = rule_block(text, "checks", "price_within_guideline")
    assert "    now overrides the family's rule: Een lagere richtlijn voor dit product." in block
    assert "    test: price <= max_price → price <= €4500" in block
    # 4800 <= 5000 passed; 4800 > 4500 fails
    assert block[-1] == "    test case “a price of 4800” (U-XR.tests.yaml:23): passed → failed"
    edit(card(old, "U-XR"), "\nassumptions:", """
checks:
  price_within_guideline:
    overrides: Een eerdere reden.
    label: Prijs niet boven € 4500
    test: price <= €4500

assumptions:""")
    block = rule_block(diff_text(old, new), "checks", "price_within_guideline")
    assert block[1:] == ["    reason of the override: “Een eerdere reden.” → “Een lagere richtlijn voor dit product.”"]


def test_a_value_made_indicative(old, new):
    edit(card(new, "U-XR"), "value: €5000\n", "value: circa €5000\n")
    block = rule_block(diff_text(old, new), "parameters", "max_price")
    assert block[1] == "    value: €5000 → circa €5000"


def test_a_lookup_label_change_is_said_as_a_table_label_change_is(tmp_path):
    from test_tables import lookup_card
    card_text = lookup_card()
    before = catalogue_with(tmp_path / "a", FIXTURE, {"T-1.yaml": card_text})
    after = catalogue_with(tmp_path / "b", FIXTURE, {
        "T-1.yaml": card_text.replace("    label: Districten\n", "    label: Districten van opdrachtverlening\n")})
    assert "  lookup districts: label “Districten” → “Districten van opdrachtverlening”" in \
        diff_text(before, after).splitlines()
