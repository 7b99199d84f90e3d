"""Reading YAML with positions: every key and value knows its line and column (1-based)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from interpreter.errors import Position, YamlError
from interpreter.yamlsource import load_file, load_text


def where(position: Position) -> tuple[int, int]:
    return position.line, position.column


def yaml_error(text: str) -> YamlError:
    with pytest.raises(YamlError) as caught:
        load_text(text, "card.yaml")
    assert caught.value.position.file == "card.yaml"
    return caught.value


# -- positions -------------------------------------------------------------------------------

NESTED = (
    "code: T-1\n"                     # line 1
    "deadlines:\n"                    # line 2
    "  plan_due:\n"                   # line 3
    "    label: Plan ingediend\n"     # line 4
    "    due: registered_on + 56 days\n"  # line 5
    "parts:\n"                        # line 6
    "  - first\n"                     # line 7
    "  - {share: 60%}\n"              # line 8
)


def test_positions_of_keys_and_values():
    document = load_text(NESTED, "card.yaml")
    assert document.position(("code",)) == Position("card.yaml", 1, 7)
    assert where(document.key_position(("code",))) == (1, 1)
    assert where(document.key_position(("deadlines",))) == (2, 1)
    assert where(document.key_position(("deadlines", "plan_due"))) == (3, 3)
    # A block's value starts where its first key does.
    assert where(document.position(("deadlines", "plan_due"))) == (4, 5)
    assert where(document.key_position(("deadlines", "plan_due", "due"))) == (5, 5)
    assert where(document.position(("deadlines", "plan_due", "due"))) == (5, 10)
    assert where(document.position(("deadlines", "plan_due", "label"))) == (4, 12)


def test_positions_inside_lists_and_flow_mappings():
    document = load_text(NESTED, "card.yaml")
    assert where(document.position(("parts", 0))) == (7, 5)
    assert where(document.key_position(("parts", 1, "share"))) == (8, 6)
    assert where(document.position(("parts", 1, "share"))) == (8, 13)


def test_a_path_that_does_not_exist_falls_back_to_the_nearest_parent():
    document = load_text(NESTED, "card.yaml")
    # No 'met_by' in plan_due: the position of the rule block itself.
    assert where(document.position(("deadlines", "plan_due", "met_by"))) == (4, 5)
    # A missing key falls back to the position of its value.
    assert where(document.key_position(("deadlines", "plan_due", "met_by"))) == (4, 5)


def test_offset_inside_a_plain_scalar():
    document = load_text(NESTED, "card.yaml")
    path = ("deadlines", "plan_due", "due")
    value = document.data["deadlines"]["plan_due"]["due"]
    assert value == "registered_on + 56 days"
    # "    due: " is 9 characters: the value starts in column 10.
    assert where(document.position(path, 0)) == (5, 10)
    assert where(document.position(path, value.index("+"))) == (5, 24)
    assert where(document.position(path, value.index("56"))) == (5, 26)
    assert where(document.position(path, value.index("days"))) == (5, 29)
    # Just after the last character, where a missing part would go.
    assert where(document.position(path, len(value))) == (5, 33)


def test_offset_inside_a_quoted_scalar():
    text = (
        'a: "price  +  €10"\n'      # line 1; the opening quote is column 4
        "b: 'it''s + x'\n"          # line 2; '' is one quote in the value
    )
    document = load_text(text, "card.yaml")
    assert document.data["a"] == "price  +  €10"
    assert where(document.position(("a",), 0)) == (1, 5)
    assert where(document.position(("a",), 7)) == (1, 12)   # the '+'
    assert where(document.position(("a",), 10)) == (1, 15)  # the '€'
    assert document.data["b"] == "it's + x"
    assert where(document.position(("b",), 0)) == (2, 5)
    assert where(document.position(("b",), 3)) == (2, 9)    # the 's' after the doubled quote
    assert where(document.position(("b",), 5)) == (2, 11)   # the '+'


def test_offset_inside_a_folded_block_scalar():
    text = (
        "rule:\n"                                          # line 1
        "  due: >-\n"                                      # line 2
        "    if phases == {orientation, mediation}\n"      # line 3
        "    then registered_on + 26 weeks\n"              # line 4
        "    else registered_on + 104 weeks\n"             # line 5
        "  label: x\n"                                     # line 6
    )
    document = load_text(text, "card.yaml")
    value = document.data["rule"]["due"]
    assert value == ("if phases == {orientation, mediation} then registered_on + 26 weeks "
                     "else registered_on + 104 weeks")
    path = ("rule", "due")
    assert where(document.position(path, 0)) == (3, 5)
    assert where(document.position(path, value.index("phases"))) == (3, 8)
    assert where(document.position(path, value.index("then"))) == (4, 5)
    assert where(document.position(path, value.index("26"))) == (4, 26)
    assert where(document.position(path, value.index("else"))) == (5, 5)
    assert where(document.position(path, value.index("104"))) == (5, 26)
    assert where(document.position(path, len(value))) == (5, 35)
    assert where(document.position(("rule", "label"))) == (6, 10)


def test_offset_inside_a_plain_scalar_over_two_lines():
    text = (
        "due: registered_on\n"   # line 1
        "  + 5 days\n"           # line 2
    )
    document = load_text(text, "card.yaml")
    assert document.data["due"] == "registered_on + 5 days"
    assert where(document.position(("due",), 14)) == (2, 3)   # the '+'
    assert where(document.position(("due",), 16)) == (2, 5)   # the '5'


# -- refused YAML, with the place and a way out ---------------------------------------------------

def test_duplicate_key_names_both_lines():
    error = yaml_error(
        "deadlines:\n"        # line 1
        "  plan_due:\n"       # line 2
        "    label: a\n"      # line 3
        "    due: x\n"        # line 4
        "    label: b\n"      # line 5
    )
    assert where(error.position) == (5, 5)
    # The second one is where the error stands; the message names the first.
    assert error.message == "the key 'label' appears twice in the same block (first on line 3)"
    assert "keep only the last" in error.hint


def test_duplicate_key_at_the_top_level():
    error = yaml_error("code: A\ntitle: x\ncode: B\n")
    assert where(error.position) == (3, 1)
    assert "'code'" in error.message and "(first on line 1)" in error.message


def test_the_same_key_in_different_blocks_is_fine():
    document = load_text("a:\n  label: x\nb:\n  label: y\n", "card.yaml")
    assert document.data == {"a": {"label": "x"}, "b": {"label": "y"}}


def test_tab_in_indentation():
    error = yaml_error("deadlines:\n  plan_due:\n\tlabel: x\n")
    assert where(error.position) == (3, 1)
    assert "tab" in error.message
    assert "spaces" in error.hint


def test_unclosed_double_quote_points_at_the_opening_quote():
    error = yaml_error(
        "title: Test\n"                  # line 1
        'label: "Plan ingediend\n'       # line 2: the quote is column 8
        "due: registered_on\n"           # line 3
    )
    assert where(error.position) == (2, 8)
    assert "quote" in error.message and "never closed" in error.message
    assert "closing quote" in error.hint


def test_unclosed_single_quote_points_at_the_opening_quote():
    error = yaml_error("a: 1\nb: 'open\n")
    assert where(error.position) == (2, 4)
    assert "never closed" in error.message


def test_text_after_a_closing_quote():
    error = yaml_error('label: "Prijs" binnen de richtlijn\n')
    # The text after the closed quote starts at column 16.
    assert where(error.position) == (1, 16)
    assert "more text follows" in error.message
    assert "single quotes" in error.hint


def test_set_at_the_start_of_an_expression_needs_quotes():
    error = yaml_error("test: {WGA, ZW} == {WGA}\n")
    assert where(error.position) == (1, 17)
    assert "closing quote or bracket" in error.message
    assert "'{WGA, ZW} == {WGA}'" in error.hint


def test_misaligned_key():
    error = yaml_error("edition:\n  name: x\n valid_from: 2016-04-01\n")
    assert where(error.position) == (3, 2)
    assert "indentation" in error.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(text):
    error = yaml_error(text)
    assert where(error.position) == (1, 1)
    assert "empty" in error.message
    assert error.hint


def test_python_object_tag_is_refused():
    error = yaml_error("code: T-1\nprice: !!python/object/apply:os.system ['echo hi']\n")
    assert where(error.position) == (2, 8)
    assert "'!!python/object/apply:os.system'" in error.message
    assert "not allowed" in error.message


def test_python_object_tag_on_a_mapping_is_refused():
    error = yaml_error("a:\n  b: !!python/object:interpreter.errors.Position {file: x, line: 1, column: 1}\n")
    assert where(error.position) == (2, 6)
    assert "!!python/object:interpreter.errors.Position" in error.message


def test_local_tag_is_refused():
    error = yaml_error("a: !money 5\n")
    assert where(error.position) == (1, 4)
    assert "'!money'" in error.message


def test_merge_keys_are_refused():
    error = yaml_error(
        "base: &base\n"      # line 1
        "  label: x\n"       # line 2
        "rule:\n"            # line 3
        "  <<: *base\n"      # line 4
        "  due: y\n"         # line 5
    )
    assert where(error.position) == (4, 3)
    assert "merge" in error.message
    assert "in full" in error.hint


def test_a_key_that_is_a_mapping_is_refused():
    error = yaml_error("? {a: 1}\n: x\n")
    assert where(error.position) == (1, 3)
    assert "key" in error.message


# -- values ----------------------------------------------------------------------------------

def test_decimal_never_float():
    document = load_text("price: 4.50\nrate: 0.1\nbig: 1_000.25\n", "card.yaml")
    assert document.data["price"] == Decimal("4.50")
    assert type(document.data["price"]) is Decimal
    assert str(document.data["price"]) == "4.50"  # the written precision is kept
    assert type(document.data["rate"]) is Decimal and document.data["rate"] == Decimal("0.1")
    assert document.data["big"] == Decimal("1000.25")
    assert not any(isinstance(v, float) for v in document.data.values())


def test_dates_are_kept_as_text():
    document = load_text("valid_from: 2016-04-01\nvalue:\n  2017-01-01: €209000\nbad: 2016-02-31\n",
                         "card.yaml")
    assert document.data["valid_from"] == "2016-04-01"
    assert list(document.data["value"]) == ["2017-01-01"]
    # An impossible date is still just text here; the catalogue says what is wrong with it.
    assert document.data["bad"] == "2016-02-31"


def test_other_scalars():
    document = load_text("n: 56\nz: 010\nyes_: true\nno_: false\nnothing: ~\nmoney: €5000\n"
                         "on: plan_approved_on\n", "card.yaml")
    assert document.data["n"] == 56 and type(document.data["n"]) is int
    assert document.data["z"] == 10  # not octal
    assert document.data["yes_"] is True and document.data["no_"] is False
    assert document.data["nothing"] is None
    assert document.data["money"] == "€5000"
    # 'on' is a key here, not YAML 1.1's boolean true.
    assert document.data["on"] == "plan_approved_on"


def test_load_file_uses_the_display_name(tmp_path):
    path = tmp_path / "card.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(YamlError) as caught:
        load_file(path, "products/card.yaml")
    assert caught.value.position == Position("products/card.yaml", 2, 1)


def test_load_file_refuses_non_utf8(tmp_path):
    path = tmp_path / "card.yaml"
    path.write_bytes("title: café\n".encode("latin-1"))
    with pytest.raises(YamlError) as caught:
        load_file(path, "card.yaml")
    assert "UTF-8" in caught.value.message


def _marks(node, out):
    out.append((type(node).__name__, node.tag, node.start_mark.index, node.end_mark.index))
    if isinstance(node.value, list):
        for item in node.value:
            for child in (item if isinstance(item, tuple) else (item,)):
                _marks(child, out)
    return out


def test_libyaml_and_pure_python_give_the_same_positions_on_every_bundled_file():
    # load_text composes with libyaml when it is there; positions must not depend on that.
    import yaml

    from cards import FIXTURE
    if not getattr(yaml, "CSafeLoader", None):
        pytest.fail("PyYAML was installed without libyaml: the fast path is not being tested")
    files = sorted(FIXTURE.rglob("*.yaml"))
    assert len(files) > 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = _marks(yaml.compose(text, Loader=yaml.CSafeLoader), [])
        pure = _marks(yaml.compose(text, Loader=yaml.SafeLoader), [])
        assert fast == pure, path
