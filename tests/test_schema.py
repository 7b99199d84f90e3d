"""The structure of cards, families and calendars: every mistake at its line and column, in words."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cards import CARD_HEAD, FIXTURE, catalogue_with, copy_fixture, load_errors
from interpreter import schema as s
from interpreter.catalogue import load_catalogue
from interpreter.errors import CatalogueError, SchemaError
from interpreter.yamlsource import load_text

HEAD = CARD_HEAD

DEADLINE = (
    "deadlines:\n"                        # line 8
    "  d:\n"                              # line 9
    "    label: Test deadline\n"          # line 10
    "    due: registered_on + 56 days\n"  # line 11
)


errors_of = load_errors


@pytest.fixture
def card_errors(tmp_path, catalogue_root):
    """The errors of a catalogue holding only the card T-1.yaml with the given text."""
    def load(text: str) -> list[SchemaError]:
        root = catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": text})
        errors = errors_of(root)
        for error in errors:
            assert isinstance(error, SchemaError), str(error)
            assert Path(error.position.file) == root / "products" / "T-1.yaml"
        return errors
    return load


@pytest.fixture
def card_error(card_errors):
    def load(text: str) -> SchemaError:
        errors = card_errors(text)
        assert len(errors) == 1, [str(e) for e in errors]
        return errors[0]
    return load


def where(error: CatalogueError) -> tuple[int, int]:
    return error.position.line, error.position.column


def test_the_test_card_is_valid(card_errors):
    assert card_errors(HEAD + DEADLINE) == []


# -- unknown and misplaced keys ----------------------------------------------------------------

def test_unknown_key_with_did_you_mean_and_the_allowed_keys(card_error):
    error = card_error(HEAD + DEADLINE + "    lable: typo\n")  # line 12
    assert where(error) == (12, 5)
    assert "unknown key 'lable' in deadlines.d" in error.message
    assert "allowed here: due, label, met_by, note, optional, overrides, roll, source, when" in error.message
    assert error.hint == "did you mean 'label'?"


def test_unknown_key_at_the_top_level(card_error):
    error = card_error(HEAD + "titel: x\n" + DEADLINE)  # line 8
    assert where(error) == (8, 1)
    assert "unknown key 'titel' in the top level" in error.message
    assert "code" in error.message and "edition" in error.message and "deadlines" in error.message
    assert error.hint == "did you mean 'title'?"


def test_unknown_key_without_a_close_match(card_error):
    error = card_error(HEAD + DEADLINE + "    frobnicate: x\n")  # line 12
    assert where(error) == (12, 5)
    assert "unknown key 'frobnicate'" in error.message
    assert error.hint is None


def test_unknown_heading_in_a_description(card_error):
    error = card_error(HEAD + "description:\n  goall: Plaatsing in werk\n" + DEADLINE)  # line 9
    assert where(error) == (9, 3)
    assert "unknown key 'goall' in description" in error.message
    assert "goal" in error.message and "lead_time" in error.message
    assert error.hint == "did you mean 'goal'?"


def _declare(root: Path, old: str, new: str) -> None:
    settings = root / "catalogue.yaml"
    text = settings.read_text(encoding="utf-8")
    assert old in text
    settings.write_text(text.replace(old, new), encoding="utf-8")


def test_a_description_heading_is_declared_in_catalogue_yaml_not_in_python(tmp_path):
    """A new heading is a line in catalogue.yaml `descriptions:`: before it, the card is refused; after, it loads."""
    from interpreter.policy.jsonschema import all_schemas
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": HEAD + "description:\n  risks: Geen\n" + DEADLINE})
    [error] = errors_of(root)
    assert (Path(error.position.file).name, *where(error)) == ("T-1.yaml", 9, 3)
    assert "unknown key 'risks' in description; allowed here: goal, when, summary" in error.message
    assert "'descriptions:' in catalogue.yaml" in error.hint
    _declare(root, "client_groups, result]", "client_groups, result, risks]")
    catalogue = load_catalogue(root)
    assert catalogue.product("T-1").description == {"risks": "Geen"}
    card_schema = all_schemas(catalogue.vocabulary)["card.schema.json"]
    assert card_schema["properties"]["description"]["propertyNames"]["enum"][-1] == "risks"


def test_a_catalogue_without_declared_headings_refuses_a_description(tmp_path):
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": HEAD + "description:\n  goal: Werk\n" + DEADLINE})
    settings = root / "catalogue.yaml"
    settings.write_text("\n".join(line for line in settings.read_text(encoding="utf-8").splitlines()
                                  if not line.startswith("descriptions:")) + "\n", encoding="utf-8")
    [error] = errors_of(root)
    assert "unknown key 'goal' in description; allowed here: none" in error.message


@pytest.mark.parametrize("listed, message, column", [
    ("[goal, when, goal]", "the description heading 'goal' is listed twice", 28),
    ("[goal, Wanneer]", "'Wanneer' is not valid for item 2 in descriptions", 22),
])
def test_a_wrong_list_of_description_headings_is_refused_at_its_place(tmp_path, listed, message, column):
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": HEAD + DEADLINE})
    settings = root / "catalogue.yaml"
    lines = settings.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("descriptions:"))
    lines[line - 1] = "descriptions: " + listed
    settings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = errors_of(root)
    assert [(Path(e.position.file).name, *where(e)) for e in errors] == [("catalogue.yaml", line, column)]
    assert message in errors[0].message


def test_unknown_key_in_a_payment_part(card_errors):
    errors = card_errors(HEAD + (
        "payments:\n"            # line 8
        "  fee:\n"               # line 9
        "    label: Fee\n"       # line 10
        "    base: price\n"      # line 11
        "    parts:\n"           # line 12
        "      all:\n"           # line 13
        "        label: All\n"   # line 14
        "        shar: 100%\n"   # line 15
    ))
    assert [(where(e), e.message) for e in errors] == [
        ((13, 7), "'share' is missing in payments.fee.parts.all"),
        ((15, 9), "unknown key 'shar' in payments.fee.parts.all; allowed here: label, note, on, share, source"),
    ]
    assert errors[1].hint == "did you mean 'share'?"


def test_misplaced_key_at_the_top_level(card_error):
    # 'roll' belongs to a deadline, but is written at the left margin.
    error = card_error(HEAD + DEADLINE + "roll: next_working_day\n")  # line 12
    assert where(error) == (12, 1)
    assert "unknown key 'roll' in the top level" in error.message
    assert "valid key, but not at this place" in error.hint
    assert "indentation" in error.hint


def test_misplaced_edition_key(card_error):
    # valid_from belongs under edition:, but is not indented.
    error = card_error(HEAD + "valid_from: 2016-04-01\n" + DEADLINE)  # line 8
    assert where(error) == (8, 1)
    assert "unknown key 'valid_from'" in error.message
    assert "indentation" in error.hint


def test_misplaced_key_among_rule_names(card_error):
    # met_by is indented like a rule name instead of like the rule's label.
    error = card_error(HEAD + DEADLINE + "  met_by: plan_submitted_on\n")  # line 12
    assert where(error) == (12, 3)
    assert "'met_by'" in error.message and "key of a rule" in error.message
    assert "indentation" in error.hint


# -- missing and malformed values ---------------------------------------------------------------

def test_missing_label(card_error):
    error = card_error(HEAD + "deadlines:\n  d:\n    due: registered_on + 56 days\n")
    assert where(error) == (9, 3)  # the rule that lacks it
    assert error.message == "'label' is missing in deadlines.d"
    assert error.hint == "add a line 'label: ...' to this block"


def test_missing_due(card_error):
    error = card_error(HEAD + "deadlines:\n  d:\n    label: Test deadline\n    met_by: plan_submitted_on\n")
    assert where(error) == (9, 3)
    assert error.message == "'due' is missing in deadlines.d"
    assert "'due: ...'" in error.hint


def test_missing_edition_name(card_error):
    text = HEAD.replace("  name: Test edition\n", "  valid_from: 2016-04-01\n") + DEADLINE
    error = card_error(text)
    assert where(error) == (6, 1)  # the edition block
    assert error.message == "'name' is missing in edition"


def test_missing_title(card_error):
    error = card_error(HEAD.replace("title: Test card\n", "") + DEADLINE)
    assert where(error) == (1, 1)
    assert error.message == "'title' is missing in the top level"


def test_empty_due(card_error):
    error = card_error(HEAD + "deadlines:\n  d:\n    label: Test deadline\n    due:\n")
    assert where(error) == (11, 9)
    assert error.message == "'due' in deadlines.d is empty"
    assert "after the colon" in error.hint


def test_list_where_a_text_is_expected(card_error):
    error = card_error(HEAD + (
        "deadlines:\n"          # line 8
        "  d:\n"                # line 9
        "    label:\n"          # line 10
        "      - Plan\n"        # line 11
        "      - ingediend\n"   # line 12
        "    due: registered_on\n"
    ))
    assert where(error) == (11, 7)
    assert error.message == "'label' in deadlines.d must be a text"
    assert "not a list" in error.hint


def test_block_where_a_text_is_expected(card_error):
    error = card_error(HEAD.replace("title: Test card\n", "title:\n  nl: Testkaart\n") + DEADLINE)
    assert where(error) == (3, 3)  # where the block under title starts
    assert error.message == "'title' in the top level must be a text"
    assert "keys under it" in error.hint


def test_number_where_a_text_is_expected(card_error):
    error = card_error(HEAD + "deadlines:\n  d:\n    label: 56\n    due: registered_on\n")
    assert where(error) == (10, 12)
    assert error.message == "'label' in deadlines.d must be a text"
    assert "double quotes" in error.hint


def test_list_where_rules_are_expected(card_error):
    error = card_error(HEAD + "deadlines:\n  - plan_due\n")
    assert where(error) == (9, 3)
    assert error.message == "'deadlines' in the top level must be a block of keys"
    assert "'name:' lines" in error.hint


def test_block_in_a_list_of_quotes(card_error):
    error = card_error(HEAD + DEADLINE + (
        "    source:\n"            # line 12
        "      section: x\n"       # line 13
        "      quote:\n"           # line 14
        "        - a: b\n"         # line 15
    ))
    assert where(error) == (15, 11)
    assert error.message == "item 1 in deadlines.d.source.quote must be a text"


def test_bad_rule_name(card_error):
    error = card_error(HEAD + DEADLINE.replace("  d:\n", "  Plan-Due:\n"))
    assert where(error) == (9, 3)
    assert error.message == "'Plan-Due' is not a valid name in deadlines"
    assert "lower-case letters, digits and '_'" in error.hint


def test_bad_payment_part_name(card_error):
    error = card_error(HEAD + (
        "payments:\n"            # line 8
        "  fee:\n"               # line 9
        "    label: Fee\n"       # line 10
        "    base: price\n"      # line 11
        "    parts:\n"           # line 12
        "      Part-1:\n"        # line 13
        "        label: All\n"   # line 14
        "        share: 100%\n"  # line 15
    ))
    assert where(error) == (13, 7)
    assert error.message == "'Part-1' is not a valid name in payments.fee.parts"


def test_bad_product_code(card_error):
    error = card_error(HEAD.replace("code: T-1", "code: t 1") + DEADLINE)
    assert where(error) == (1, 7)
    assert error.message == "'t 1' is not valid for 'code' in the top level"
    assert "capital letters, digits and '-'" in error.hint


def test_invalid_roll(card_error):
    error = card_error(HEAD + DEADLINE + "    roll: next_workday\n")  # line 12
    assert where(error) == (12, 11)
    assert error.message == "'next_workday' is not allowed for 'roll'; use one of: next_working_day, none"
    assert error.hint == "did you mean 'next_working_day'?"


def test_several_structure_errors_are_reported_together(card_errors):
    errors = card_errors(HEAD + (
        "deadlines:\n"                  # line 8
        "  d:\n"                        # line 9
        "    due: registered_on\n"      # line 10
        "    roll: later\n"             # line 11
        "    lable: Test deadline\n"    # line 12
    ))
    assert [where(e) for e in errors] == [(9, 3), (11, 11), (12, 5)]


# -- families, calendars and editions -------------------------------------------------------------

FAMILY = (
    "family: test-family\n"      # line 1
    "title: Test family\n"       # line 2
    "source:\n"                  # line 3
    "  document: family.txt\n"   # line 4
    '  section: "2"\n'           # line 5
    "\n"                         # line 6
    "deadlines:\n"               # line 7
    "  d:\n"                     # line 8
    "    label: Family deadline\n"
    "    due: registered_on\n"
)


def test_unknown_family_did_you_mean(card_error):
    error = card_error(HEAD + "family: uwv-innovatif\n" + DEADLINE)  # line 8
    assert where(error) == (8, 9)
    assert error.message == "unknown family 'uwv-innovatif'"
    assert "did you mean 'uwv-innovatief'?" in error.hint
    assert "leon" in error.hint and "uwv" in error.hint


def test_rule_defined_in_card_and_family(tmp_path, catalogue_root):
    card = HEAD + "family: test-family\n" + DEADLINE.replace("  d:", "\n  d:")
    # line 8 family, 9 deadlines:, 10 blank, 11 d:
    root = catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": card}, {"test-family.yaml": FAMILY})
    errors = errors_of(root)
    assert len(errors) == 1, [str(e) for e in errors]
    error = errors[0]
    assert isinstance(error, SchemaError)
    assert Path(error.position.file) == root / "products" / "T-1.yaml"
    assert where(error) == (11, 3)
    assert "'d' is defined twice" in error.message
    assert f"{root / 'families' / 'test-family.yaml'}:8:3" in error.message
    assert "unique" in error.hint


def test_rules_of_a_family_apply(tmp_path, catalogue_root):
    card = HEAD + "family: test-family\n" + DEADLINE.replace("  d:", "  e:")
    root = catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": card}, {"test-family.yaml": FAMILY})
    product = load_catalogue(root).product("T-1")
    assert set(product.rules) == {"d", "e"}
    assert product.rules["d"].origin.endswith("test-family.yaml")


def test_family_structure_error(tmp_path, catalogue_root):
    family = FAMILY.replace("    label: Family deadline\n", "    labl: Family deadline\n")
    root = catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": HEAD + DEADLINE}, {"test-family.yaml": family})
    errors = errors_of(root)
    assert [(Path(e.position.file).name, where(e)) for e in errors] == [
        ("test-family.yaml", (8, 3)), ("test-family.yaml", (9, 5))]
    assert errors[0].message == "'label' is missing in deadlines.d"
    assert errors[1].hint == "did you mean 'label'?"


def test_unknown_calendar(card_error):
    error = card_error(HEAD + "calendar: atv\n" + DEADLINE)  # line 8
    assert where(error) == (8, 11)
    assert error.message == "unknown calendar 'atv'"
    assert "atw" in error.hint


def test_unknown_calendar_in_a_family_points_at_the_family(tmp_path, catalogue_root):
    family = FAMILY + "calendar: atv\n"
    root = catalogue_with(tmp_path, catalogue_root, {"T-1.yaml": HEAD + "family: test-family\n"},
                          {"test-family.yaml": family})
    errors = errors_of(root)
    assert [Path(e.position.file).name for e in errors] == ["test-family.yaml"]
    assert errors[0].message == "unknown calendar 'atv'"
    assert errors[0].position.line == family.count("\n")


def test_assumption_about_an_unknown_rule(card_error):
    error = card_error(HEAD + DEADLINE + "assumptions:\n  - id: a\n    text: t\n    applies_to: [d, plan_du]\n")
    lines = (HEAD + DEADLINE).count("\n")
    assert error.message.startswith("assumption 'a' applies to unknown rule 'plan_du'")
    assert where(error) == (lines + 4, 21)  # '    applies_to: [d, ' is 20 characters


def test_overlapping_editions_of_the_same_code(tmp_path, catalogue_root):
    first = HEAD + "  valid_from: 2016-01-01\n  valid_until: 2016-12-31\n" + DEADLINE
    second = HEAD + "  valid_from: 2016-06-01\n" + DEADLINE
    root = catalogue_with(tmp_path, catalogue_root, {"T-1a.yaml": first, "T-1b.yaml": second})
    errors = errors_of(root)
    assert len(errors) == 1, [str(e) for e in errors]
    error = errors[0]
    assert isinstance(error, SchemaError)
    # Reported on the later edition, at its valid_from (line 8: "  valid_from: 2016-06-01").
    assert Path(error.position.file) == root / "products" / "T-1b.yaml"
    assert where(error) == (8, 15)
    assert "two editions of T-1 are valid at the same time" in error.message
    assert "T-1a.yaml" in error.message and "T-1b.yaml" in error.message
    assert "valid_until" in error.hint


def test_consecutive_editions_are_fine(tmp_path, catalogue_root):
    first = HEAD + "  valid_from: 2016-01-01\n  valid_until: 2016-05-31\n" + DEADLINE
    second = HEAD + "  valid_from: 2016-06-01\n" + DEADLINE
    root = catalogue_with(tmp_path, catalogue_root, {"T-1a.yaml": first, "T-1b.yaml": second})
    catalogue = load_catalogue(root)
    assert [str(p.valid_from) for p in catalogue.products["T-1"]] == ["2016-01-01", "2016-06-01"]


# -- the schemas on their own ------------------------------------------------------------------------

def test_validate_a_calendar():
    text = textwrap.dedent("""\
        calendar: test
        title: Test calendar
        weekend: [saturday, sundy]
        holidays:
          - name: Kerstdag
            date: 12/25
          - name: Pasen
            easter: 1
            date: 04-01
        """)
    errors = s.validate(load_text(text, "cal.yaml"), s.CALENDAR, "calendar")
    found = sorted((where(e), e.message) for e in errors)
    assert found == [
        ((3, 21), "'sundy' is not allowed in weekend; use one of: monday, tuesday, wednesday, thursday, "
                  "friday, saturday, sunday"),
        ((6, 11), "'12/25' is not valid for 'date' in holidays (item 1)"),
        ((8, 5), "'easter' cannot be combined with 'date' in holidays (item 2)"),
        ((9, 5), "'date' cannot be combined with 'easter' in holidays (item 2)"),
    ]
    by_place = {where(e): e for e in errors}
    assert by_place[(3, 21)].hint == "did you mean 'sunday'?"
    assert "12-25" in by_place[(6, 11)].hint


def test_validate_a_file_that_is_not_a_block():
    errors = s.validate(load_text("- a\n- b\n", "card.yaml"), s.CARD, "product card")
    assert [(where(e), e.message) for e in errors] == [
        ((1, 1), "a product card file must be a block of 'key: value' lines")]


def test_validate_the_fact_vocabulary():
    text = textwrap.dedent("""\
        enums:
          phase:
            label: fase
            members: {}
        facts:
          Registered_on: {type: date, label: datum aanmelding}
          price: {type: money}
        """)
    errors = s.validate(load_text(text, "facts.yaml"), s.VOCABULARY, "fact vocabulary")
    found = sorted((where(e), e.message) for e in errors)
    assert found == [
        ((4, 14), "'members' in enums.phase is empty"),
        ((6, 3), "'Registered_on' is not a valid name in facts"),
        ((7, 3), "'label' is missing in facts.price"),
    ]


def test_validate_the_word_list():
    text = textwrap.dedent("""\
        nouns:
          het: [bedrag, Plan]
          het_whole: uur
          plurals: [uren]
        """)
    errors = s.validate(load_text(text, "words.yaml"), s.WORDS, "word list")
    found = sorted((where(e), e.message.split(";")[0]) for e in errors)
    assert [position for position, _ in found] == [(2, 17), (3, 14), (4, 3)]
    assert all(error.position.file == "words.yaml" for error in errors)


def test_a_bad_word_list_stops_the_load_with_its_position(tmp_path):
    root = copy_fixture(tmp_path)
    (root / "words.yaml").write_text("nouns:\n  het: [bedrag, 'twee woorden']\n", encoding="utf-8")
    errors = load_errors(root)
    assert [(e.position.file.endswith("words.yaml"), e.position.line, e.position.column) for e in errors] == [
        (True, 2, 18)]  # the word inside its quotes
