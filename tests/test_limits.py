"""The limits of interpreter/limits.py: each is enforced where input enters, with its message and position.

The reproducers are those of issue 11 (alias bombs, deep nesting, huge expressions and numbers);
each must end in the project's own error, at the place the problem is, instead of a crash or a hang.
"""
from __future__ import annotations

import pytest

from cards import CARD_HEAD, catalogue_with, invoke, load_errors
from interpreter import limits
from interpreter.catalogue import BUNDLED
from interpreter.errors import CatalogueError, Position, RuleSyntaxError, YamlError
from interpreter.parser import parse
from interpreter.yamlsource import load_text


def at(error: CatalogueError) -> tuple[int, int]:
    return error.position.line, error.position.column


def yaml_error(text: str) -> YamlError:
    with pytest.raises(YamlError) as caught:
        load_text(text, "f.yaml")
    return caught.value


def syntax_error(text: str) -> RuleSyntaxError:
    with pytest.raises(RuleSyntaxError) as caught:
        parse(text, lambda offset: Position("f", 1, offset + 1))
    return caught.value


# Nine anchors, each a list of nine aliases of the one before: 9**9 (387 million) strings from 340 bytes.
BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


# -- 1. YAML alias bombs ------------------------------------------------------------------------------

def test_an_alias_bomb_is_refused_where_the_expansion_passes_the_limit():
    error = yaml_error(BILLION_LAUGHS)
    assert error.message == f"the file expands to more than {limits.MAX_YAML_NODES:,} values"
    assert "alias" in error.hint
    assert error.position.file == "f.yaml"


def test_aliases_within_the_limit_are_expanded():
    document = load_text("a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert document.data == {"a": [1, 2], "b": [1, 2]}


def test_an_alias_bomb_in_a_case_file_is_a_case_error(tmp_path):
    case = tmp_path / "bomb.yaml"
    case.write_text(BILLION_LAUGHS, encoding="utf-8")
    result = invoke("evaluate", "12XR", case)
    assert result.exit_code == 1
    assert "expands to more than" in result.output and "Traceback" not in result.output


def test_an_alias_bomb_in_a_card_is_refused_at_load(tmp_path):
    root = catalogue_with(tmp_path, BUNDLED, {"t1.yaml": CARD_HEAD + "description:\n  goal: x\n"
                                              + "".join("x" + line for line in BILLION_LAUGHS.splitlines(True))})
    errors = load_errors(root)
    assert errors and all(isinstance(e, YamlError) for e in errors)
    assert any("expands to more than" in e.message for e in errors)


def test_a_document_over_the_size_limit_is_refused_before_parsing():
    error = yaml_error("a: " + "x" * limits.MAX_DOCUMENT_CHARS)
    assert error.message.startswith("the file is too large")
    assert at(error) == (1, 1)


# -- 2. deep nesting and long expressions ----------------------------------------------------------

@pytest.mark.parametrize("text", ["[" * 10_000 + "]" * 10_000, "- " * 10_000 + "x",
                                  "{a: " * 10_000 + "1" + "}" * 10_000])
def test_ten_thousand_deep_yaml_is_refused(text):
    error = yaml_error(text)
    assert f"nested more than {limits.MAX_YAML_DEPTH} deep" in error.message


def test_yaml_nested_just_past_the_limit_points_at_the_innermost_value():
    depth = limits.MAX_YAML_DEPTH + 1
    error = yaml_error("a: " + "[" * depth + "]" * depth)
    assert error.message == f"the lists and mappings are nested more than {limits.MAX_YAML_DEPTH} deep"
    # The list that is one too deep opens at column 4 + MAX_YAML_DEPTH ('a: ' and the outer brackets).
    assert at(error) == (1, 4 + limits.MAX_YAML_DEPTH)


def test_yaml_at_the_depth_limit_is_read():
    depth = limits.MAX_YAML_DEPTH - 1
    assert load_text("a: " + "[" * depth + "]" * depth, "f.yaml").data["a"]


def test_an_expression_over_the_length_limit():
    error = syntax_error("1" + " + 1" * 600)
    assert error.message == f"the expression is too long: 2,401 characters, at most {limits.MAX_EXPRESSION_CHARS:,}"
    assert at(error) == (1, 1)


@pytest.mark.parametrize("text", ["1" + " + 1" * 300, "not " * 300 + "true", "-" * 300 + "1"])
def test_an_expression_nested_too_deep(text):
    error = syntax_error(text)
    assert error.message == f"the expression is nested more than {limits.MAX_EXPRESSION_DEPTH} deep"
    assert "split the expression" in error.hint


def test_a_sum_at_the_depth_limit_parses():
    node = parse("1" + " + 1" * (limits.MAX_EXPRESSION_DEPTH - 1), lambda offset: Position("f", 1, offset + 1))
    assert node.op == "+"


def test_a_five_thousand_digit_duration_is_refused_at_its_digits():
    error = syntax_error("registered_on + " + "9" * 1500 + " days")
    assert error.message.startswith("the duration 9999999999...9999999999 (1500 characters) is longer than")
    assert at(error) == (1, 17)


def test_a_duration_over_the_limit_is_refused_at_load():
    error = syntax_error("registered_on + 1000000000 days")
    assert error.message == f"the duration 1000000000 is longer than {limits.MAX_DURATION:,} of any unit"
    assert at(error) == (1, 17)


def test_a_deep_expression_in_a_card_names_the_card(tmp_path):
    card = CARD_HEAD + "values:\n  v:\n    label: V\n    value: " + "1 + " * 100 + "1\n"
    root = catalogue_with(tmp_path, BUNDLED, {"t1.yaml": card})
    errors = load_errors(root)
    assert [e.message for e in errors] == [f"the expression is nested more than {limits.MAX_EXPRESSION_DEPTH} deep"]
    assert errors[0].position.file.endswith("t1.yaml") and errors[0].position.line == 11
