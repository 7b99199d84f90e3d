"""The ten likeliest mistakes of a non-programmer editing a card, each with its message and its fix.

Each test writes a small card (CARD, below) into a copy of the fixture catalogue, makes one
mistake in it, runs `catalogue validate` (or `catalogue evaluate` for a case file) and checks:
exit code 1, the exact file:line:column (counted by hand from the text, see the comments),
that the message names the problem and that the hint says how to fix it.
"""
from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from cards import FIXTURE, PLAN_AND_FEE, SPLIT_TABLE, invoke

CARD = """\
code: T-1
title: Testproduct
source: {document: test.txt, section: "1"}
edition:
  name: eerste
  valid_from: 2016-01-01
""" + PLAN_AND_FEE + """\
      effort: {label: Inspanning, share: 60%, on: plan_approved_on}
      result: {label: Resultaat, share: 40%, on: work_resumed_on}
parameters:
  max_price:
    label: Maximumprijs
    value: €5000.00
"""
# Line by line (lines 7-16 are cards.PLAN_AND_FEE), with the columns the tests use:
#  2 title: Testproduct
#  6   valid_from: 2016-01-01              the date at column 15 (2 spaces + "valid_from: ")
#  9     label: Plan ingediend             the value at column 12 (4 spaces + "label: ")
# 10     due: registered_on + 56 days      'registered_on' at 10, '56' at 26, 'days' at 29
# 11     met_by: plan_submitted_on         'met_by' at 5, the value at 13
# 17       effort: {label: Inspanning, share: 60%, on: plan_approved_on}
#          'effort' at 7, '{' at 15, '60%' at 42 (15 + len("{label: Inspanning, share: ") = 15 + 27)
# 22     value: €5000.00                   the value at column 12



@pytest.fixture
def cat(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    shutil.copytree(FIXTURE, root)
    (root / "products" / "test").mkdir()
    return root


def validate(cat: Path, text: str):
    """Write the card as products/test/T-1.yaml and validate the catalogue; returns (result, card path)."""
    path = cat / "products" / "test" / "T-1.yaml"
    path.write_text(text, encoding="utf-8")
    return invoke("--catalogue", cat, "validate"), path


def mistake(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"'{old}' must occur once"
    return text.replace(old, new)


def reported(result, path: Path, line: int, column: int) -> tuple[str, str]:
    """The message and hint printed for file:line:column; fails when there is none there."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    where = f"{path}:{line}:{column}: "
    for index, text in enumerate(lines):
        if text.startswith(where):
            # The message; then the offending line and a caret (when there is a line), then the hint.
            follows = list(itertools.takewhile(lambda line: line.startswith("    "), lines[index + 1:]))
            hint = next((line.removeprefix("    hint: ") for line in follows if line.startswith("    hint: ")), "")
            return text[len(where):], hint
    mine = [text for text in lines if text.startswith(str(path))]
    pytest.fail(f"nothing reported at {where.strip()}; for this card:\n" + "\n".join(mine or lines), pytrace=False)


def test_the_card_without_mistakes_is_valid(cat):
    result, _ = validate(cat, CARD)
    assert result.exit_code == 0, result.stderr


# -- 1. wrong indentation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, line, column, problem", [
    # met_by one space too little: YAML cannot place it (line 11, the key at column 4)
    ("    met_by:", "   met_by:", 11, 4, "indentation"),
    # due one space too little, after a well-indented label (line 10, column 4)
    ("    due:", "   due:", 10, 4, "indentation"),
    # met_by one space too far: YAML reads it as more text of the line above, then meets the ':' (column 12)
    ("    met_by:", "     met_by:", 11, 12, "':'"),
    # a top-level section indented by one space (line 12, column 2)
    ("payments:", " payments:", 12, 2, "indentation"),
])
def test_wrong_indentation_that_yaml_refuses(cat, old, new, line, column, problem):
    result, path = validate(cat, mistake(CARD, old, new))
    message, hint = reported(result, path, line, column)
    assert problem in message
    assert "indentation" in (message + hint)
    assert "align" in hint or "check the indentation" in hint


def test_wrong_indentation_puts_a_key_in_the_wrong_block(cat):
    # met_by indented like a rule name: valid YAML, but it lands among the deadlines (line 11, column 3)
    result, path = validate(cat, mistake(CARD, "    met_by:", "  met_by:"))
    message, hint = reported(result, path, 11, 3)
    assert "'met_by' stands among the names of the deadlines" in message
    assert "check the indentation" in hint
    assert "as far as the 'label:'" in hint


def test_wrong_indentation_of_a_rule_key_at_the_top_level(cat):
    # 'parts' pulled back to the left edge: it becomes an unknown top-level key (line 16, column 1)
    text = mistake(CARD, "    parts:\n      effort: {label: Inspanning, share: 60%, on: plan_approved_on}\n"
                         "      result: {label: Resultaat, share: 40%, on: work_resumed_on}\n",
                   "parts:\n  effort: {label: Inspanning, share: 60%, on: plan_approved_on}\n"
                   "  result: {label: Resultaat, share: 40%, on: work_resumed_on}\n")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 16, 1)
    assert "unknown key 'parts'" in message
    assert "check the indentation" in hint


def test_first_key_of_a_block_one_space_too_far(cat):
    """The label (line 9) is indented one space further than due and met_by below it.

    YAML only notices on line 10, whose indentation is right; the message must lead the reader to
    line 9, by its position or by naming it.
    """
    result, path = validate(cat, mistake(CARD, "    label: Plan ingediend", "     label: Plan ingediend"))
    assert result.exit_code == 1
    mine = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert mine, result.stderr
    points_at_label = mine[0].startswith(f"{path}:9:")
    names_line_9 = "line 9" in result.stderr
    assert points_at_label or names_line_9, result.stderr
    assert "indentation" in result.stderr


# -- 2. a tab ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("indent, column", [("\t", 1), ("  \t  ", 3)])
def test_tab_in_the_indentation(cat, indent, column):
    result, path = validate(cat, mistake(CARD, "    met_by:", f"{indent}met_by:"))
    message, hint = reported(result, path, 11, column)
    assert "tab" in message
    assert "replace the tab by spaces" in hint


def test_tab_in_a_case_file(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("registered_on: 2016-04-01\n\tprice: 4000\n", encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    message, hint = reported(result, case, 2, 1)
    assert "tab" in message
    assert "replace the tab by spaces" in hint


# -- 3. Dutch units --------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, amount, english", [
    ("56 dagen", "56", "days"),
    ("56 kalenderdagen", "56", "days"),
    ("10 werkdagen", "10", "working days"),
    ("8 weken", "8", "weeks"),
    ("3 maanden", "3", "months"),
])
def test_dutch_unit(cat, written, amount, english):
    result, path = validate(cat, mistake(CARD, "56 days", written))
    # the unit starts after "registered_on + " (column 10 + 16) and the amount and a space
    column = 26 + len(amount) + 1
    message, hint = reported(result, path, 10, column)
    unit = written.split()[1]
    assert f"unexpected '{unit}'" in message
    assert f"'{english}' instead of '{unit}'" in hint


# -- 4. Dutch amounts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, fixed", [
    ("€5.000,00", "€5000.00"),
    ("€5.000", "€5000"),
    ("€5000,-", "€5000"),
    ("€1350,50", "€1350.50"),
])
def test_dutch_decimal_amount(cat, written, fixed):
    result, path = validate(cat, mistake(CARD, "value: €5000.00", f"value: {written}"))
    message, hint = reported(result, path, 22, 12)
    assert f"'{written}' is written the Dutch way" in message
    assert hint.endswith(fixed)
    assert "decimal point" in hint


def test_dutch_amount_in_a_case_file(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text('registered_on: 2016-04-01\nprice: "€5.000,00"\n', encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    # line 2: the quoted value starts at column 8; its text at column 9
    message, hint = reported(result, case, 2, 9)
    assert "'price' must be an amount of money, not '€5.000,00'" in message
    assert "decimal point" in hint and "no thousands separator" in hint


# -- 5. a misspelled fact --------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, line, column, name, meant", [
    ("due: registered_on", "due: registerd_on", 10, 10, "registerd_on", "registered_on"),
    ("met_by: plan_submitted_on", "met_by: plan_submited_on", 11, 13, "plan_submited_on", "plan_submitted_on"),
])
def test_misspelled_fact_in_a_card(cat, old, new, line, column, name, meant):
    result, path = validate(cat, mistake(CARD, old, new))
    message, hint = reported(result, path, line, column)
    assert f"unknown name '{name}'" in message
    assert f"did you mean '{meant}'" in message + hint
    assert "facts.yaml" in hint


def test_misspelled_fact_in_a_case_file(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("price: 4000\nregisterd_on: 2016-04-01\n", encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    message, hint = reported(result, case, 2, 1)
    assert "unknown fact 'registerd_on'" in message
    assert "did you mean 'registered_on'" in message + hint
    assert "facts.yaml" in hint


# -- 6. a missing quote ----------------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, line", [
    ("label: Plan ingediend", 'label: "Plan ingediend', 9),
    ("label: Plan ingediend", "label: 'Plan ingediend", 9),
    ("value: €5000.00", 'value: "€5000.00', 22),        # the last line of the file
])
def test_missing_closing_quote(cat, old, new, line):
    result, path = validate(cat, mistake(CARD, old, new))
    message, hint = reported(result, path, line, 12)  # the opening quote
    assert "quote" in message and "never closed" in message
    assert "add the closing quote" in hint


def test_missing_closing_quote_in_a_case_file(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text('registered_on: "2016-04-01\nprice: 4000\n', encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    message, hint = reported(result, case, 1, 16)
    assert "never closed" in message
    assert "add the closing quote" in hint


# -- 7. a percentage over 100 ----------------------------------------------------------------------------

def test_share_over_100_percent(cat):
    result, path = validate(cat, mistake(CARD, "share: 60%", "share: 160%"))
    message, hint = reported(result, path, 17, 42)
    assert "160% is more than 100%" in message
    assert "between 0% and 100%" in hint


def test_rate_over_100_percent_in_a_parameter(cat):
    result, path = validate(cat, mistake(CARD, "value: €5000.00", "value: 150%"))
    message, hint = reported(result, path, 22, 12)
    assert "150% is more than 100%" in message
    assert "between 0% and 100%" in hint


def test_percentage_over_100_in_a_case_file(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("registered_on: 2016-04-01\nsuccess_rate: 120%\n", encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    message, hint = reported(result, case, 2, 15)
    assert "120%" in message
    assert "between 0% and 100%" in message + hint


# -- 8. a split that does not add up to 100% -------------------------------------------------------------

def test_split_that_does_not_add_up(cat):
    result, path = validate(cat, mistake(CARD, "share: 40%", "share: 30%"))
    # reported at the first part of the split, 'effort' (line 17, column 7)
    message, hint = reported(result, path, 17, 7)
    assert "the shares of payment 'fee' add up to 90%, not 100%" in message
    assert "100%" in hint and "change the percentages" in hint


def test_split_that_does_not_add_up_in_one_case_only(cat):
    text = mistake(CARD, "share: 60%", "share: if hard_to_place then 80% else 60%")
    text = mistake(text, "share: 40%", "share: if hard_to_place then 30% else 40%")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 17, 7)
    # 80% + 30% = 110% for a client who is hard to place; 60% + 40% = 100% otherwise
    assert "add up to 110%, not 100% (when hard_to_place = true)" in message
    assert "100% in every case" in hint


# -- 9. an impossible date -------------------------------------------------------------------------------

@pytest.mark.parametrize("written, problem", [
    ("2016-02-31", "February 2016 has 29 days"),
    ("2017-02-29", "February 2017 has 28 days"),
    ("2016-04-31", "April 2016 has 30 days"),
    ("2016-13-01", "there is no month 13"),
])
def test_impossible_date_in_an_edition(cat, written, problem):
    result, path = validate(cat, mistake(CARD, "valid_from: 2016-01-01", f"valid_from: {written}"))
    message, hint = reported(result, path, 6, 15)
    assert f"'{written}' is not a date: {problem}" in message
    assert hint  # what to do: check the day and month, or how a date is written


def test_impossible_date_in_a_rule(cat):
    text = mistake(CARD, "due: registered_on + 56 days",
                   "due: if registered_on < 2016-02-31 then registered_on + 56 days else registered_on")
    result, path = validate(cat, text)
    # "if registered_on < " is 19 characters after column 10: the date at column 29
    message, hint = reported(result, path, 10, 29)
    assert "February 2016 has 29 days" in message
    assert "check the day and the month" in hint


def test_impossible_date_in_a_case_file(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text("registered_on: 2016-02-31\n", encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    message, hint = reported(result, case, 1, 16)
    assert "February 2016 has 29 days" in message
    assert "check the day and the month" in hint


# -- 10. an unknown family -------------------------------------------------------------------------------

@pytest.mark.parametrize("written, meant", [("leo", "leon"), ("spoor-2", "spoor2"), ("uwv-innovative", "uwv-innovatief")])
def test_unknown_family(cat, written, meant):
    result, path = validate(cat, mistake(CARD, "title: Testproduct\n", f"title: Testproduct\nfamily: {written}\n"))
    # family: on line 3, its value at column 9
    message, hint = reported(result, path, 3, 9)
    assert f"unknown family '{written}'" in message
    assert f"did you mean '{meant}'?" in hint
    assert "the families are: " in hint


@pytest.mark.parametrize("written, meant", [("0.6", "60%"), ("60", "60%"), ("0.125", "12.5%")])
def test_a_share_written_as_a_plain_number(cat, written, meant):
    # line 17: '{' at 15, the share's value at 15 + len("{label: Inspanning, share: ") = 42
    result, path = validate(cat, mistake(CARD, "share: 60%", f"share: {written}"))
    message, hint = reported(result, path, 17, 42)
    assert "must be a percentage" in message and f"'{written}' is a number" in message
    assert f"write a percentage with the % sign: {meant}" in hint


@pytest.mark.parametrize("written, meant", [
    ("8 weeks after registered_on", "registered_on + 8 weeks"),
    ("10 working days after registered_on", "registered_on + 10 working days"),
    ("2 days before registered_on", "registered_on - 2 days"),
])
def test_a_duration_before_its_date(cat, written, meant):
    # line 10: 4 spaces + "due: " puts the expression at column 10; the word after the duration follows it
    result, path = validate(cat, mistake(CARD, "registered_on + 56 days", written))
    column = 10 + written.index(" after" if "after" in written else " before") + 1
    message, hint = reported(result, path, 10, column)
    assert message.startswith("unexpected 'after'" if "after" in written else "unexpected 'before'")
    assert hint == f"write the date first and then the duration: {meant}"


# -- 11. a decision table with a gap, or a set of choices without quotes ----------------------------------

# The split of 000 §5.2 as a table (cards.SPLIT_TABLE), with the row of full pay written out for
# each value of hard_to_place; a likely mistake is to forget one of them.
TABLE_CARD = CARD.replace("      effort: {label: Inspanning, share: 60%, on: plan_approved_on}\n"
                          "      result: {label: Resultaat, share: 40%, on: work_resumed_on}\n",
                          "      effort: {label: Inspanning, share: split.effort_share, on: plan_approved_on}\n"
                          "      result: {label: Resultaat, share: split.result_share, on: work_resumed_on}\n") + \
    SPLIT_TABLE.replace("      - [true, -, 100%, 0%]\n", "      - [true, false, 100%, 0%]\n      - [true, true, 100%, 0%]\n")
# Lines 23 tables: ... 32 rows:, 33-36 the rows, their '[' at column 9.


def test_the_table_card_without_mistakes_is_valid(cat):
    result, _ = validate(cat, TABLE_CARD)
    assert result.exit_code == 0, result.stderr


def test_a_table_row_forgotten(cat):
    result, path = validate(cat, mistake(TABLE_CARD, "      - [true, false, 100%, 0%]\n", ""))
    # full_pay true with hard_to_place false has no row; rows 1 (false, false) and 3 (true, true) come as near,
    # and the first of them is named: line 33.
    message, hint = reported(result, path, 33, 9)
    assert message == ("table 'split' is not complete: no row applies when full_pay = true, hard_to_place = false; "
                       "the nearest, row 1, differs in column full_pay says false")
    assert "add a row for this combination" in hint and "'-'" in hint


def test_two_table_rows_that_overlap(cat):
    result, path = validate(cat, mistake(TABLE_CARD, "[true, false, 100%, 0%]", "[-, false, 100%, 0%]"))
    # row 3 ('-', false) and row 1 (false, false) both apply when full_pay is false and hard_to_place false
    message, hint = reported(result, path, 35, 9)
    assert message.startswith("rows 1 and 3 of table 'split' both apply when full_pay = false, hard_to_place = false")
    assert "differ from row 1 (line 33) in at least one column" in hint


def test_a_set_of_choices_in_a_table_row_without_quotes(cat):
    text = TABLE_CARD.replace("      hard_to_place: hard_to_place\n", "      benefit: benefit\n").replace(
        "[false, false, 60%, 40%]", "[false, {WGA, ZW}, 60%, 40%]").replace(
        "[false, true, 80%, 20%]", '[false, "{WAO, WAZ, Wajong}", 80%, 20%]').replace(
        "[true, false, 100%, 0%]\n      - [true, true, 100%, 0%]", "[true, -, 100%, 0%]")
    result, path = validate(cat, text)
    # YAML reads {WGA, ZW} inside [...] as a block of keys: the cell at line 33, column 17
    message, hint = reported(result, path, 33, 17)
    assert "must be a single value" in message
    assert hint == 'put a set of choices in a row in double quotes: "{WGA, ZW}"'


# -- 12. a lookup without an entry for every choice, or a misspelled field -------------------------------

LOOKUP_CARD = CARD + """\
values:
  district_name:
    label: Naam van het district
    value: districts[district].name
lookups:
  districts:
    label: Districten
    key: district
    fields:
      name: {type: text, label: naam}
    entries:
""" + "".join(f"      D{i:02d}: {{name: District {i}}}\n" for i in range(1, 12))
# Lines: 23 values:, 26 the value (at column 12), 27 lookups:, 33 entries: (at column 5), 34-44 D01 … D11


def test_the_lookup_card_without_mistakes_is_valid(cat):
    result, _ = validate(cat, LOOKUP_CARD)
    assert result.exit_code == 0, result.stderr


def test_a_lookup_entry_forgotten(cat):
    result, path = validate(cat, mistake(LOOKUP_CARD, "      D11: {name: District 11}\n", ""))
    message, hint = reported(result, path, 33, 5)
    assert message == "lookup 'districts' has no entry for D11"
    assert hint.startswith("a lookup needs an entry for every member of district: D01, D02, ")


def test_a_lookup_field_misspelled(cat):
    result, path = validate(cat, mistake(LOOKUP_CARD, "districts[district].name", "districts[district].naam"))
    message, hint = reported(result, path, 26, 12)
    assert message == "lookup 'districts' has no field 'naam' (did you mean 'name'?)"
    assert hint == "the fields of 'districts' are: name"


# -- the rule language, round two: overrides, schedules, subsets, indications, built-in names ----------

UWV_CARD = mistake(CARD, "title: Testproduct\n", "title: Testproduct\nfamily: uwv\n") + """\
checks:
  price_within_guideline:
    label: Prijs binnen het maximum
    test: price <= max_price
"""
# With 'family: uwv' on line 3 every line of CARD moves one down: 'checks:' is line 24 and the rule's key
# 'price_within_guideline' line 25, column 3; its label line 26 and its test line 27.


def test_a_card_rule_with_the_name_of_a_family_rule_needs_overrides(cat):
    result, path = validate(cat, UWV_CARD)
    message, hint = reported(result, path, 25, 3)
    assert message.startswith("'price_within_guideline' is defined twice (first at ")
    assert "families/uwv.yaml" in message
    assert "replace the family's rule with 'overrides: <the reason>' under price_within_guideline" in hint
    fixed = mistake(UWV_CARD, "    label: Prijs binnen", "    overrides: Eigen maximumbedrag\n    label: Prijs binnen")
    assert validate(cat, fixed)[0].exit_code == 0


def test_an_override_of_a_misspelled_family_rule(cat):
    text = mistake(UWV_CARD, "  price_within_guideline:\n",
                   "  price_within_guidline:\n    overrides: Eigen maximumbedrag\n")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 25, 3)
    assert message == ("'price_within_guidline' overrides nothing: its family has no check 'price_within_guidline' "
                       "(did you mean 'price_within_guideline'?)")
    assert "replaces a family rule of the same name" in hint


def test_an_override_without_its_reason(cat):
    # 'overrides: true' instead of the reason: line 26, the value at column 16 (4 spaces + "overrides: ")
    text = mistake(UWV_CARD, "    label: Prijs binnen", "    overrides: true\n    label: Prijs binnen")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 26, 16)
    assert message == "'overrides' in checks.price_within_guideline must be a text"
    assert hint == "after 'overrides:' comes the reason why this card replaces its family's rule, in words"


def test_circa_in_a_payment_share(cat):
    # line 17: the share's value at column 42; 'circa' is its first word
    result, path = validate(cat, mistake(CARD, "share: 60%", "share: circa 60%"))
    message, hint = reported(result, path, 17, 42)
    assert message == "a payment's share is exact, but 'circa 60%' is an indication"
    assert "keep the indication in a value and compare it in a check" in hint


def test_subset_of_with_one_choice_instead_of_a_set(cat):
    text = CARD + "checks:\n  client:\n    label: Klant\n    test: benefit subset of {WGA, ZW}\n"
    # 'checks:' is line 23, the test line 26; 'benefit' at column 11 (4 spaces + "test: ")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 26, 11)
    assert message == "'subset of' compares two sets, but 'benefit' is one choice"
    assert "write 'in': benefit in ..." in hint


def test_a_schedule_written_as_one_date(cat):
    # a second payment, after 'fee' (whose parts end on line 18)
    text = CARD.replace("parameters:\n", "  coaching:\n    label: Begeleiding\n    amount: price\n"
                                          "    schedule: started_on + 3 months\nparameters:\n")
    # 'coaching:' is line 19, its schedule line 22 with the value at column 15 (4 spaces + "schedule: ")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 22, 15)
    assert message == ("the schedule of coaching must be written every ... from ... until ..., "
                       "not 'started_on + 3 months'")
    assert hint.endswith("schedule: every 3 months from started_on until ended_on")


def test_a_schedule_without_its_amount(cat):
    text = CARD.replace("parameters:\n", "  coaching:\n    label: Begeleiding\n"
                                         "    schedule: every 3 months from started_on until ended_on\nparameters:\n")
    result, path = validate(cat, text)
    message, hint = reported(result, path, 19, 3)
    assert message == "payment 'coaching' needs amount: (the amount of each period)"
    assert "paid in instalments (schedule: every ... from ... until ... and amount: per period)" in hint


def test_the_product_code_kept_as_a_parameter_of_its_own(cat):
    # the workaround the built-in name replaces: line 23 holds the new parameter's key at column 3
    text = CARD + "  product_code:\n    label: Productcode\n    value: '\"T-1\"'\n"
    result, path = validate(cat, text)
    message, hint = reported(result, path, 23, 3)
    assert message == "'product_code' is a built-in name: the product code of the card"
    assert hint.startswith("remove this rule and write product_code where you need it")
