"""The limits of interpreter/limits.py: each is enforced where input enters, with its message and position.

The reproducers are those of issue 11 (alias bombs, deep nesting, huge expressions and numbers);
each must end in the project's own error, at the place the problem is, instead of a crash or a hang.
"""
from __future__ import annotations

import pytest

from cards import FIXTURE, CARD_HEAD, catalogue_with, invoke, load_errors
from interpreter import limits
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
    result = invoke("evaluate", "U-XR", case)
    assert result.exit_code == 1
    assert "expands to more than" in result.output and "Traceback" not in result.output


def test_an_alias_bomb_in_a_card_is_refused_at_load(tmp_path):
    root = catalogue_with(tmp_path, FIXTURE, {"t1.yaml": CARD_HEAD + "description:\n  goal: x\n"
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
    root = catalogue_with(tmp_path, FIXTURE, {"t1.yaml": card})
    errors = load_errors(root)
    assert [e.message for e in errors] == [f"the expression is nested more than {limits.MAX_EXPRESSION_DEPTH} deep"]
    assert errors[0].position.file.endswith("t1.yaml") and errors[0].position.line == 11


# -- 3. the number domain ---------------------------------------------------------------------------

def case_error(tmp_path, text: str, name: str = "case.yaml"):
    """The message of `catalogue evaluate` for a case file holding `text` (exit 1, no traceback)."""
    case = tmp_path / name
    case.write_text(text, encoding="utf-8")
    result = invoke("evaluate", "U-XR", case)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    return result.output


@pytest.mark.parametrize("text, column, message", [
    ("price: 100000000000000000000000000\n", 8, "'price' has more than 15 digits before the decimal point"),
    ("price: 1000000000000000\n", 8, "'price' has more than 15 digits before the decimal point"),
    ("price: 0.00000000001\n", 8, "'price' has more than 10 digits after the decimal point"),
    ("price: !!float nan\n", 16, "'price' must be an amount of money, not 'nan'"),  # at the value, after the tag
    ("price: !!float Infinity\n", 16, "'price' must be an amount of money, not 'Infinity'"),
    ("price: .inf\n", 8, "'price' must be an amount of money, not '.inf'"),
    ("price: 0x" + "f" * 100 + "\n", 8, "'price' must be an amount of money, not '0x"),
    ("price: -4000\n", 8, "'price' is -4000, but it cannot be less than 0"),
])
def test_a_number_outside_the_domain_in_a_case_file(tmp_path, text, column, message):
    output = case_error(tmp_path, "registered_on: 2016-04-01\n" + text)
    assert f"case.yaml:2:{column}: {message}" in output


@pytest.mark.parametrize("text, message", [
    ('{"price": 1.5e+30}', "'price' has more than 15 digits before the decimal point"),
    ('{"price": 1e999999}', "'price' must be an amount of money, not '1e999999'"),
    ('{"introduction_hours": 1e999999}', "'introduction_hours' must be a number, not '1e999999'"),
])
def test_a_json_number_outside_the_domain(tmp_path, text, message):
    assert message in case_error(tmp_path, text, "case.json")


def test_nan_and_infinity_are_refused_as_number_facts(engine):
    from decimal import Decimal
    for value, problem in ((Decimal("NaN"), "is not a number"), (Decimal("sNaN"), "is not a number"),
                           (Decimal("Infinity"), "is infinite"), (Decimal("1e999999"), "has more than 15")):
        with pytest.raises(CatalogueError) as caught:
            engine.facts({"introduction_hours": value})
        assert caught.value.message.startswith(f"'introduction_hours' {problem}")


def test_only_ascii_decimal_digits_are_numbers(tmp_path):
    # 'price: 0x10' was read as 16; fullwidth and Arabic-Indic digits were accepted by Decimal().
    for written in ("0x10", "１２", "١٢", "1_000"):
        output = case_error(tmp_path, f"price: '{written}'\n")
        assert f"'price' must be an amount of money, not '{written}'" in output


def test_a_set_fact_longer_than_its_choices_is_refused_before_reading_it(engine):
    with pytest.raises(CatalogueError) as caught:
        engine.facts({"phases": ["orientation"] * 1_000_000})
    assert caught.value.message == "'phases' lists 1,000,000 items, but it has only 4 choices"


@pytest.mark.parametrize("expression", ["€99999999999999999999999999 * 2", "99999999999999999999999999999 * 10",
                                        "60% + 39.99999999999999999999999999999999%"])
def test_literals_outside_the_domain_are_refused_at_load(expression):
    error = syntax_error(expression)
    assert error.message.startswith("the number ")
    assert error.message.endswith(("digits before the decimal point", "digits after the decimal point"))


NUMBERS_CARD = CARD_HEAD + """\
values:
  doubled:
    label: Doubled
    value: price * 2
  squared:
    label: Squared
    value: introduction_hours * introduction_hours
  far:
    label: Far
    value: registered_on + 100000 years
"""


@pytest.fixture(scope="module")
def numbers_engine(tmp_path_factory):
    from interpreter.api import Engine
    return Engine(catalogue_with(tmp_path_factory.mktemp("numbers"), FIXTURE, {"t1.yaml": NUMBERS_CARD}))


def evaluate_both(engine, facts: dict):
    """The result (or the error's text) on each backend: they must be the same."""
    outcomes = []
    for backend in ("reference", "compiled"):
        try:
            outcomes.append(engine.evaluate("T-1", facts, backend=backend).values)
        except CatalogueError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]
    return outcomes[0]


def test_a_result_outside_the_domain_is_the_same_error_on_both_backends(numbers_engine):
    outcome = evaluate_both(numbers_engine, {"price": "999999999999999", "registered_on": "2016-04-01"})
    # Line 11 of the card holds 'value: price * 2'; the '*' stands at column 18.
    assert outcome.endswith("t1.yaml:11:18: cannot compute 'price * 2': the result has more than 15 digits "
                            "before the decimal point")
    outcome = evaluate_both(numbers_engine, {"introduction_hours": "999999999999", "registered_on": "2016-04-01"})
    assert "cannot compute 'introduction_hours * introduction_hours': the result has more than 15" in outcome


# -- 4. dates out of range ----------------------------------------------------------------------------

def test_a_date_past_9999_is_the_same_clear_error_on_both_backends(numbers_engine):
    outcome = evaluate_both(numbers_engine, {"registered_on": "2016-04-01"})
    assert outcome.endswith("t1.yaml:17:26: cannot compute 'registered_on + 100000 years': the date would fall "
                            "outside 0001-01-01 … 9999-12-31")


def test_a_schedule_that_runs_into_9999_ends_there(numbers_engine, tmp_path):
    import datetime as dt
    card = NUMBERS_CARD.split("  far:")[0] + "  schedule:\n    label: S\n    value: every 6 weeks from 9999-01-01 until 9999-12-31\n"
    from interpreter.api import Engine
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": card}))
    values = evaluate_both(engine, {})
    # 9999-01-01 + 6 weeks = 9999-02-12, then every 42 days; the ninth (9999-12-31 + 32 days) lies past 9999.
    first = dt.date(9999, 1, 1)
    assert values["schedule"] == tuple(first + dt.timedelta(weeks=6 * k) for k in range(1, 9))
    assert values["schedule"][-1] == dt.date(9999, 12, 3)


def test_a_schedule_has_a_bounded_number_of_dates(tmp_path):
    from interpreter.api import Engine
    card = CARD_HEAD + "values:\n  v:\n    label: V\n    value: every 250 working days from registered_on until 9999-12-31\n"
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": card}))
    outcome = evaluate_both(engine, {"registered_on": "2016-04-01"})
    # 250 working days are about a year: some 7,980 dates before 9999-12-31, more than the limit.
    assert outcome.endswith(f"t1.yaml:11:12: 'every 250 working days' gives more than {limits.MAX_OCCURRENCES:,} "
                            "dates before 9999-12-31")


# -- 5. money never negative where it makes no sense ---------------------------------------------------

def split_card(base: str, first: str, second: str) -> str:
    return CARD_HEAD + f"""\
payments:
  fee:
    label: Fee
    base: {base}
    parts:
      a: {{label: A, share: {first}}}
      b: {{label: B, share: {second}}}
"""


@pytest.mark.parametrize("first, second, message", [
    ("-50%", "100% + 50%", "the share of 'a' is -50%: a share cannot be negative (when always)"),
    ("100% + 50%", "-50%", "the share of 'a' is 150%: a share cannot be more than 100% (when always)"),
    ("if hard_to_place then 70% + 50% else 60%", "if hard_to_place then -20% else 40%",
     "the share of 'a' is 120%: a share cannot be more than 100% (when hard_to_place = true)"),
])
def test_shares_outside_0_to_100_percent_are_refused_at_load(tmp_path, first, second, message):
    errors = load_errors(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": split_card("price", first, second)}))
    assert [e.message for e in errors] == [message]
    assert errors[0].position.line == 13  # the part 'a'


def test_a_share_outside_0_to_100_percent_at_evaluation_is_the_same_error_on_both_backends(tmp_path):
    from interpreter.api import Engine
    card = split_card("price", "success_rate * 2", "100% - success_rate * 2")
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": card}))
    outcomes = set()
    for backend in ("reference", "compiled"):
        with pytest.raises(CatalogueError) as caught:
            engine.evaluate("T-1", {"price": 4000, "success_rate": "80%"}, backend=backend)
        outcomes.add(str(caught.value))
    (outcome,) = outcomes
    assert "t1.yaml:13:" in outcome
    assert "the share of 'a' is 160%: a share cannot be more than 100%" in outcome


def test_a_negative_amount_to_split_is_an_error_on_both_backends(tmp_path):
    from interpreter.api import Engine
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": split_card("price - €5000", "60%", "40%")}))
    outcomes = set()
    for backend in ("reference", "compiled"):
        with pytest.raises(CatalogueError) as caught:
            engine.evaluate("T-1", {"price": 4000}, backend=backend)
        outcomes.add(caught.value.message)
    assert outcomes == {"the amount to split in payment 'fee' is negative (-1000.00)"}


def test_a_negative_price_is_refused_by_the_vocabulary_sign_rule(tmp_path):
    from interpreter.api import Engine
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": split_card("price", "60%", "40%")}))
    with pytest.raises(CatalogueError) as caught:
        engine.evaluate("T-1", {"price": -4000})
    assert caught.value.message == "'price' is -4000, but it cannot be less than 0"


def test_a_minimum_on_a_fact_that_is_not_money_or_a_number_is_refused(tmp_path):
    root = catalogue_with(tmp_path, FIXTURE, {})
    facts = root / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("phrase: de aanmelding}", "phrase: de aanmelding, minimum: 0}"), encoding="utf-8")
    errors = load_errors(root)
    assert [e.message for e in errors] == ["only a money or number fact can have a minimum, not 'registered_on'"]


# -- 9. minor ----------------------------------------------------------------------------------------

def test_a_control_character_is_reported_where_it_stands(tmp_path):
    output = case_error(tmp_path, "registered_on: 2016-04-01\nprice: 40\x0700\n")
    assert "case.yaml:2:10: the control character U+0007 is not allowed in a YAML file" in output


def test_a_yml_card_is_refused_not_skipped(tmp_path):
    root = catalogue_with(tmp_path, FIXTURE, {"t1.yml": CARD_HEAD})
    errors = load_errors(root)
    assert [(e.position.line, e.message) for e in errors] == [
        (1, "'t1.yml' ends in .yml; the catalogue reads only .yaml files")]
    assert errors[0].hint == "rename it to 't1.yaml'"


def test_a_number_too_long_to_read_is_refused_unread(tmp_path):
    output = case_error(tmp_path, "price: '" + "9" * 5000 + "'\n")
    # column 9: the first digit, after the quote
    assert "case.yaml:1:9: 'price' has 5,000 characters, more than any number of the domain" in output


def test_a_duration_multiplied_past_the_limit_is_the_same_error_on_both_backends(tmp_path):
    from interpreter.api import Engine
    card = CARD_HEAD + "values:\n  v:\n    label: V\n    value: registered_on + introduction_hours * 100000 days\n"
    engine = Engine(catalogue_with(tmp_path, FIXTURE, {"t1.yaml": card}))
    outcome = evaluate_both(engine, {"registered_on": "2016-04-01", "introduction_hours": 2})
    assert outcome.endswith("cannot compute 'introduction_hours * 100000 days': 100000 days × 2 is longer than "
                            f"{limits.MAX_DURATION:,} days")


def test_half_a_utf16_pair_in_text_is_a_yaml_error_at_its_place():
    # Found by the fuzz suite: text handed over as a string (standard input, the API) may hold a lone
    # surrogate, which the YAML parser could not encode (UnicodeEncodeError).
    error = yaml_error('{"price": "4000", "note": "\ud800"}')
    assert error.message == "the text holds U+D800, half of a UTF-16 pair and not a character"
    assert at(error) == (1, 28)


def test_both_backends_compute_in_their_own_decimal_context_and_leave_the_callers(numbers_engine):
    # A caller's decimal context (here 5 digits) neither changes a result nor is changed by an evaluation.
    import decimal
    facts = {"price": "123456.78"}  # no registered_on: the value "far" stays open
    expected = {backend: numbers_engine.evaluate("T-1", facts, backend=backend).values["doubled"]
                for backend in ("reference", "compiled")}
    with decimal.localcontext() as caller:
        caller.prec = 5
        for backend in ("reference", "compiled"):
            assert numbers_engine.evaluate("T-1", facts, backend=backend).values["doubled"] == expected[backend]
            assert decimal.getcontext() is caller and caller.prec == 5
    assert expected["reference"] == expected["compiled"] == decimal.Decimal("246913.56")
